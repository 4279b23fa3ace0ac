import type { Registration } from './registry';

/** The line tests and scripts wait for; keep its shape stable. */
export const listeningLine = (baseUrl: string): string => `kv-jwt host listening on ${baseUrl}`;

/** `http://host:port` for a bound address (IPv6 in brackets). */
export const baseUrlFor = (address: string, port: number): string => `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

function describe(r: Registration, root: string): string {
  if (r.trigger === 'http') return `[${(r.methods ?? []).join(',')}] ${root}/${r.route}`;
  if (r.trigger === 'timer') return `timer, schedule "${r.schedule}" UTC${r.rawSchedule === r.schedule ? '' : ` (from ${r.rawSchedule})`}`;
  return 'not served by the embedded host (trigger not supported)';
}

/** What `npm start` prints: the listening line, every function with its URL or schedule, and curl commands to sign and verify a token. */
export function banner(baseUrl: string, prefix: string, registrations: readonly Registration[], env: NodeJS.ProcessEnv): string {
  const root = prefix === '' ? baseUrl : `${baseUrl}/${prefix}`;
  const audience = (env.JWT_AUDIENCES ?? '').split(',').map((a) => a.trim()).find((a) => a !== '') ?? 'api://local-dev';
  const claims = JSON.stringify({ claims: { sub: 'demo', aud: audience } });
  // With AUTH_MODE=entra the caller needs an Entra ID access token for this app.
  const auth = env.AUTH_MODE?.trim() === 'entra' ? ` -H "Authorization: Bearer $CALLER_TOKEN"` : '';
  return [
    listeningLine(baseUrl),
    '',
    'Functions:',
    ...registrations.map((r) => `  ${r.name}: ${describe(r, root)}`),
    '',
    'Sign a token:',
    `  TOKEN=$(curl -s -X POST ${root}/sign${auth} -H 'Content-Type: application/json' -d '${claims}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).token')`,
    'Verify it:',
    `  curl -s -X POST ${root}/verify${auth} -H 'Content-Type: application/json' -d "{\\"token\\":\\"$TOKEN\\"}"`,
    '',
    '',
  ].join('\n');
}
