#!/bin/sh
# azd postdeploy hook (azure.yaml): proves the deployed system works end to end, or fails `azd up` / `azd deploy`.
#   1 /api/health answers 200            4 the deploying principal signs a token (az account get-access-token)
#   2 discovery names the issuer + JWKS  5 /api/verify says it is active, for the inbound audience
#   3 the JWKS lists keys                6 verify-inbound accepts it   7 verify-inbound refuses a tampered one
# Needs curl, node and az (logged in). Reads the azd environment: azd passes it to hooks; run by hand, the
# values come from `azd env get-value`. Prints what it did, never a token or the workflow's callback URL.
# SMOKE_TEST_SKIP=true skips it (say, with RESTRICT_NETWORK_ACCESS=true from an address outside the allowed ones).
# Right after a deployment the app may still be starting, role assignments propagating: 000/404/5xx answers
# and token errors are retried every SMOKE_TEST_RETRY_SECONDS (10) for up to SMOKE_TEST_TIMEOUT_SECONDS (300).
set -eu
umask 077

fail() {
  printf 'postdeploy smoke test FAILED: %s\n' "$*" >&2
  exit 1
}
step() {
  printf '[%s/7] %s\n' "$1" "$2"
}
# An azd environment value: from the hook's environment, else from azd itself.
setting() {
  eval "value=\${$1:-}"
  if [ -z "$value" ]; then value=$(azd env get-value "$1" 2>/dev/null) || value=''; fi
  [ -n "$value" ] || fail "$1 is not set in the azd environment (did azd provision run?)"
  printf '%s' "$value"
}
# A field of a JSON file (a.b for nesting); exit 4 when absent.
json() {
  node -e '
    const [file, path] = process.argv.slice(1);
    let value;
    try { value = JSON.parse(require("fs").readFileSync(file, "utf8")); } catch { process.exit(3); }
    for (const key of path.split(".").filter(Boolean)) value = value == null ? undefined : value[key];
    if (value === undefined || value === null) process.exit(4);
    process.stdout.write(typeof value === "string" ? value : JSON.stringify(value));
  ' "$1" "$2"
}
# JSON text of an object from name/value pairs: a value is a string, json:<JSON text>, or file:<path> (the file's
# text, so that no token is ever a command-line argument).
json_object() {
  node -e '
    const fs = require("fs");
    const args = process.argv.slice(1);
    const out = {};
    for (let i = 0; i < args.length; i += 2) {
      const v = args[i + 1];
      out[args[i]] = v.startsWith("json:") ? JSON.parse(v.slice(5)) : v.startsWith("file:") ? fs.readFileSync(v.slice(5), "utf8").trim() : v;
    }
    process.stdout.write(JSON.stringify(out));
  ' "$@"
}
now() {
  date +%s
}
# request METHOD URL-OR-@CONFIG OUT [BODY-FILE] [HEADER-FILE] -> prints the HTTP status (000: no answer).
request() {
  set -- "$@" '' ''
  if [ "${2#@}" != "$2" ]; then target="--config ${2#@}"; else target="--url $2"; fi
  # shellcheck disable=SC2086 # target is two words on purpose
  curl --silent --show-error --max-time 30 --output "$3" --write-out '%{http_code}' --request "$1" \
    --header 'Content-Type: application/json' ${4:+--data-binary @"$4"} ${5:+--header @"$5"} $target 2>"$work/curl.err" || true
}
# request_until_settled ...: request, repeated while the answer is transient and time remains.
request_until_settled() {
  while :; do
    status=$(request "$@")
    case "$status" in
      000 | 404 | 5??) ;;
      *) break ;;
    esac
    [ "$(now)" -lt "$deadline" ] || break
    printf '      %s answered %s, retrying in %ss\n' "$what" "$status" "$interval" >&2
    sleep "$interval"
  done
  printf '%s' "$status"
}

if [ "${SMOKE_TEST_SKIP:-false}" = true ]; then
  printf 'postdeploy smoke test SKIPPED (SMOKE_TEST_SKIP=true): nothing below was checked.\n'
  exit 0
fi
for tool in curl node az; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not on PATH"
done

base=$(setting FUNCTION_BASE_URL)
issuer=$(setting JWT_ISSUER)
jwks_uri=$(setting JWKS_URI)
app_id_uri=$(setting ENTRA_APP_ID_URI)
audience=$(setting INBOUND_AUDIENCE)
workflow_id=$(setting VERIFY_INBOUND_WORKFLOW_ID)
interval=${SMOKE_TEST_RETRY_SECONDS:-10}
deadline=$(($(now) + ${SMOKE_TEST_TIMEOUT_SECONDS:-300}))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
subject=azd-smoke-test

step 1 "GET $base/api/health"
what=health
status=$(request_until_settled GET "$base/api/health" "$work/health.json")
[ "$status" = 200 ] || fail "/api/health answered $status (not 200): $(cat "$work/health.json" "$work/curl.err" 2>/dev/null)"
printf '      200, status %s\n' "$(json "$work/health.json" status || printf '?')"

step 2 "GET $base/api/.well-known/openid-configuration"
what=discovery
status=$(request_until_settled GET "$base/api/.well-known/openid-configuration" "$work/discovery.json")
[ "$status" = 200 ] || fail "discovery answered $status"
[ "$(json "$work/discovery.json" issuer)" = "$issuer" ] || fail "discovery issuer is not JWT_ISSUER ($issuer)"
[ "$(json "$work/discovery.json" jwks_uri)" = "$jwks_uri" ] || fail "discovery jwks_uri is not JWKS_URI ($jwks_uri)"
printf '      issuer %s, jwks_uri %s\n' "$issuer" "$jwks_uri"

step 3 "GET $jwks_uri"
what=JWKS
status=$(request_until_settled GET "$jwks_uri" "$work/jwks.json")
[ "$status" = 200 ] || fail "the JWKS answered $status"
kids=$(node -e 'const k = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).keys ?? []; if (!k.length) process.exit(1); process.stdout.write(k.map((x) => x.kid).join(" "))' "$work/jwks.json") || fail "the JWKS lists no key"
printf '      keys: %s\n' "$kids"

step 4 "POST $base/api/sign as the deploying principal (aud $audience, sub $subject)"
while ! az account get-access-token --resource "$app_id_uri" --query accessToken --output tsv >"$work/access-token" 2>"$work/az.err"; do
  [ "$(now)" -lt "$deadline" ] || fail "az account get-access-token --resource $app_id_uri failed: $(cat "$work/az.err")"
  printf '      no token for %s yet (app role assignments take a few minutes), retrying in %ss\n' "$app_id_uri" "$interval" >&2
  sleep "$interval"
done
{ printf 'Authorization: Bearer '; cat "$work/access-token"; } >"$work/auth-header"
json_object claims "json:$(json_object aud "$audience" sub "$subject")" ttlSeconds json:120 >"$work/sign-request.json"
what=sign
status=$(request_until_settled POST "$base/api/sign" "$work/signed.json" "$work/sign-request.json" "$work/auth-header")
[ "$status" = 200 ] || fail "/api/sign answered $status: $(json "$work/signed.json" code || true) $(json "$work/signed.json" detail || true)"
kid=$(json "$work/signed.json" kid) || fail "/api/sign answered no kid"
case " $kids " in *" $kid "*) ;; *) fail "the token's kid $kid is not in the JWKS" ;; esac
json "$work/signed.json" token >"$work/token" || fail "/api/sign answered no token"
printf '      200, kid %s, expires %s\n' "$kid" "$(json "$work/signed.json" expiresAt || printf '?')"

step 5 "POST $base/api/verify (audience $audience)"
json_object token "file:$work/token" audience "$audience" >"$work/verify-request.json"
what=verify
status=$(request_until_settled POST "$base/api/verify" "$work/verified.json" "$work/verify-request.json" "$work/auth-header")
[ "$status" = 200 ] || fail "/api/verify answered $status"
[ "$(json "$work/verified.json" active)" = true ] || fail "/api/verify says the token is not active: $(json "$work/verified.json" error || true)"
[ "$(json "$work/verified.json" aud)" = "$audience" ] || fail "the verified aud is not $audience"
[ "$(json "$work/verified.json" sub)" = "$subject" ] || fail "the verified sub is not $subject"
[ "$(json "$work/verified.json" iss)" = "$issuer" ] || fail "the verified iss is not $issuer"
printf '      active, aud %s, sub %s\n' "$audience" "$subject"

step 6 "verify-inbound with that token (callback URL from az rest ... listCallbackUrl)"
az rest --method post --uri "$workflow_id/triggers/manual/listCallbackUrl?api-version=2019-05-01" --query value --output tsv >"$work/callback-url" 2>"$work/az.err" ||
  fail "az rest ... listCallbackUrl failed for $workflow_id: $(cat "$work/az.err")"
printf 'url = "%s"\n' "$(cat "$work/callback-url")" >"$work/callback.curl"
json_object token "file:$work/token" payload 'json:{"smokeTest":true}' >"$work/inbound-valid.json"
what=verify-inbound
status=$(request_until_settled POST "@$work/callback.curl" "$work/inbound-valid-answer.json" "$work/inbound-valid.json")
[ "$status" = 200 ] || fail "verify-inbound answered $status to a valid token: $(cat "$work/inbound-valid-answer.json" 2>/dev/null)"
[ "$(json "$work/inbound-valid-answer.json" status)" = accepted ] || fail "verify-inbound did not accept a valid token"
[ "$(json "$work/inbound-valid-answer.json" sub)" = "$subject" ] || fail "verify-inbound accepted it for another subject"
printf '      200 accepted, sub %s\n' "$subject"

step 7 "verify-inbound with the same token, signature tampered"
node -e 'const t = require("fs").readFileSync(process.argv[1], "utf8").trim(); const s = t.lastIndexOf(".") + 1; process.stdout.write(t.slice(0, s) + (t[s] === "A" ? "B" : "A") + t.slice(s + 1))' "$work/token" >"$work/tampered"
json_object token "file:$work/tampered" payload 'json:{"smokeTest":true}' >"$work/inbound-invalid.json"
status=$(request_until_settled POST "@$work/callback.curl" "$work/inbound-invalid-answer.json" "$work/inbound-invalid.json")
[ "$status" = 401 ] || fail "verify-inbound answered $status to a tampered token (not 401)"
printf '      401, reason %s\n' "$(json "$work/inbound-invalid-answer.json" reason || printf '?')"

printf 'postdeploy smoke test passed: health, discovery, JWKS, sign, verify and verify-inbound (valid and tampered) on %s\n' "$base"
