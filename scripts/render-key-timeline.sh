#!/usr/bin/env bash
# Renders docs/key-timeline.svg (README, "Key ring timeline") from a real run of `npm start`: the
# embedded host with a fresh key folder and rotation in seconds instead of days, the timer rotating
# on its own, one emergency rotation through POST /api/keys/rotate, then GET /api/keys/timeline.
# Takes about two minutes.   Usage: npm run docs:timeline [-- <output.svg>]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/key-timeline.svg}
work=$(mktemp -d)
log="$work/host.log"

export PORT=0 AUTH_MODE=none LOCAL_KEYSTORE_DIR="$work/keys" JWT_AUDIENCES=api://orders
# A rotation every 40 s, announced 10 s ahead; tokens live 10 s, so keys retire for
# 10 s + 1 s skew + 5 s JWKS max-age = 16 s before the timer (every 2 s) disables them.
export ROTATION_INTERVAL=PT40S ROTATION_PROPAGATION=PT10S ROTATION_SCHEDULE='*/2 * * * * *'
export JWT_MAX_TTL=PT10S JWT_DEFAULT_TTL=PT8S JWT_CLOCK_SKEW=PT1S

# Its own process group, so the host and the Azurite it starts stop together.
setsid npm start >"$log" 2>&1 &
host_group=$!
cleanup() {
  kill -TERM -- "-$host_group" 2>/dev/null || true
  wait "$host_group" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  url=$(grep -o 'kv-jwt host listening on http://[^ ]*' "$log" | head -1 | sed 's/.* on //') || true
  [ -n "${url:-}" ] && break
  sleep 1
done
[ -n "${url:-}" ] || { cat "$log"; echo "the host did not start" >&2; exit 1; }
echo "host at $url; rotating (about two minutes)"

BASE="$url" OUT="$out" node - <<'EOF'
const { writeFileSync, mkdirSync } = require('node:fs');
const { dirname } = require('node:path');
const base = process.env.BASE;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const keys = async () => (await (await fetch(`${base}/api/keys`)).json()).keys;
async function until(what, check, timeoutMs = 120_000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const ring = await keys();
    if (check(ring)) return ring;
    await sleep(1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}
(async () => {
  // The timer announces a successor 30 s after the bootstrap key activated; it takes over at 40 s.
  await until('the first timer rotation', (ring) => ring.length >= 2 && ring[0].phase === 'active');
  await sleep(12_000);
  const emergency = await fetch(`${base}/api/keys/rotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ emergency: true, reason: 'docs: a suspected key compromise' }) });
  if (emergency.status !== 200) throw new Error(`emergency rotation answered ${emergency.status}`);
  console.log('emergency rotation:', JSON.stringify(await emergency.json()));
  // The emergency key is rotated on schedule too: wait until its successor is announced.
  await until('the successor of the emergency key', (ring) => ring[0].phase === 'announced' && ring[1].tags.origin === 'emergency');
  await sleep(4_000);
  const response = await fetch(`${base}/api/keys/timeline`);
  if (response.status !== 200) throw new Error(`timeline answered ${response.status}`);
  mkdirSync(dirname(process.env.OUT), { recursive: true });
  writeFileSync(process.env.OUT, await response.text());
  console.log(`wrote ${process.env.OUT}:`, (await keys()).map((k) => `${k.kid.slice(0, 8)} ${k.phase}`).join(', '));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
EOF
