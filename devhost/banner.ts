import type { Registration } from './registry';

/** The line tests and scripts wait for; keep its shape stable. */
export function listeningLine(baseUrl: string): string {
  return `kv-jwt host listening on ${baseUrl}`;
}

/** `http://host:port` for a bound address (IPv6 in brackets). */
export function baseUrlFor(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * What `npm start` prints: the machine-readable listening line, every function with its URL or
 * schedule, and curl commands to sign and verify a token right away.
 */
export function banner(baseUrl: string, prefix: string, registrations: readonly Registration[], env: NodeJS.ProcessEnv): string {
  const root = prefix === '' ? baseUrl : `${baseUrl}/${prefix}`;
  const lines = [listeningLine(baseUrl), '', 'Functions:'];
  for (const r of registrations) {
    if (r.trigger === 'http') lines.push(`  ${r.name}: [${(r.methods ?? []).join(',')}] ${root}/${r.route}`);
    else if (r.trigger === 'timer') {
      const from = r.rawSchedule === r.schedule ? '' : ` (from ${r.rawSchedule})`;
      lines.push(`  ${r.name}: timer, schedule "${r.schedule}" UTC${from}`);
    }
    else lines.push(`  ${r.name}: not served by the embedded host (trigger not supported)`);
  }
  const audience = (env.JWT_AUDIENCES ?? '').split(',').map((a) => a.trim()).find((a) => a !== '') ?? 'api://local-dev';
  const claims = JSON.stringify({ claims: { sub: 'demo', aud: audience } });
  // With AUTH_MODE=entra the caller needs an Entra ID access token for this app.
  const auth = env.AUTH_MODE?.trim() === 'entra' ? ` -H "Authorization: Bearer $CALLER_TOKEN"` : '';
  lines.push(
    '',
    'Sign a token:',
    `  TOKEN=$(curl -s -X POST ${root}/sign${auth} -H 'Content-Type: application/json' -d '${claims}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).token')`,
    'Verify it:',
    `  curl -s -X POST ${root}/verify${auth} -H 'Content-Type: application/json' -d "{\\"token\\":\\"$TOKEN\\"}"`,
    '',
  );
  return `${lines.join('\n')}\n`;
}
