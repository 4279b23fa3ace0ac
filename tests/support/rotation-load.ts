import type { RunningHost } from './host';
import { joseJwe, publicKeyOf } from './jwe';

export interface LoadResult {
  signed: number;
  verified: number;
  falseRejections: string[];
  /** Signing kids, or with `encrypted` the encryption kids the tokens were encrypted to. */
  kidsSeen: string[];
  unpublished: string[];
  signFailures: string[];
}

interface Live {
  token: string;
  kid: string;
  exp: number;
}

async function post(host: RunningHost, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${host.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface PublishedKey {
  kid: string;
  use?: string;
  kty: string;
  n?: string;
  e?: string;
}

async function publishedKeys(host: RunningHost): Promise<PublishedKey[]> {
  return ((await (await fetch(`${host.baseUrl}/api/.well-known/jwks.json`)).json()) as { keys: PublishedKey[] }).keys;
}

/**
 * Encrypted tokens for one round: one this service encrypts to itself (`"encrypt": true`) and one
 * a partner encrypts with jose to the first `use: "enc"` key of the signing host's JWKS, around a
 * token signed there. Each comes with the kid of the encryption key it was encrypted to.
 */
async function encryptedTokens(signer: RunningHost, audience: string, round: number): Promise<{ tokens: Live[]; failures: string[] }> {
  const self = await post(signer, '/api/sign', { claims: { sub: `load-${round}`, aud: audience }, encrypt: true });
  const plain = await post(signer, '/api/sign', { claims: { sub: `partner-${round}`, aud: audience } });
  const failures = [self, plain].filter((a) => a.status !== 200).map((a) => `${a.status} ${String(a.body.code)}`);
  if (failures.length > 0) return { tokens: [], failures };
  const key = (await publishedKeys(signer)).find((k) => k.use === 'enc') as PublishedKey;
  const partnerToken = await joseJwe(String(plain.body.token), publicKeyOf(key), key.kid);
  const encryptionKid = String((self.body.encryption as { kid: string }).kid);
  return {
    tokens: [
      { token: String(self.body.token), kid: encryptionKid, exp: Number(self.body.expiresAt) },
      { token: partnerToken, kid: key.kid, exp: Number(plain.body.expiresAt) },
    ],
    failures: [],
  };
}

/**
 * Continuous sign + verify in real time while the hosts rotate on their own timers: tokens are
 * signed alternately on each host and every unexpired token is verified on every host, and checked
 * against each host's JWKS. With `encrypted`, the tokens are JWEs (see encryptedTokens) and the
 * kids followed are the encryption key's.
 */
export async function runRotationLoad(hosts: RunningHost[], audience: string, durationMs: number, options: { encrypted?: boolean } = {}): Promise<LoadResult> {
  const result: LoadResult = { signed: 0, verified: 0, falseRejections: [], kidsSeen: [], unpublished: [], signFailures: [] };
  const kids = new Set<string>();
  let live: Live[] = [];
  const end = Date.now() + durationMs;
  let round = 0;
  while (Date.now() < end) {
    round += 1;
    const signer = hosts[round % hosts.length];
    if (options.encrypted) {
      const { tokens, failures } = await encryptedTokens(signer, audience, round);
      result.signFailures.push(...failures);
      result.signed += tokens.length;
      for (const t of tokens) kids.add(t.kid);
      live.push(...tokens);
    } else {
      const signed = await post(signer, '/api/sign', { claims: { sub: `load-${round}`, aud: audience } });
      if (signed.status === 200) {
        result.signed += 1;
        kids.add(String(signed.body.kid));
        live.push({ token: String(signed.body.token), kid: String(signed.body.kid), exp: Number(signed.body.expiresAt) });
      } else {
        result.signFailures.push(`${signed.status} ${String(signed.body.code)}`);
      }
    }
    // A token is checked while it is comfortably valid; the last second before exp is left out
    // because the request itself takes time.
    const now = Date.now() / 1000;
    live = live.filter((t) => t.exp > now + 1);
    for (const host of hosts) {
      const published = new Set((await publishedKeys(host)).map((k) => k.kid));
      for (const t of live) {
        if (!published.has(t.kid)) result.unpublished.push(`${t.kid} on ${host.baseUrl}`);
        const answer = await post(host, '/api/verify', { token: t.token });
        result.verified += 1;
        if (answer.body.active !== true && t.exp > Date.now() / 1000 + 0.5) {
          result.falseRejections.push(`${String(answer.body.error)} kid=${t.kid} host=${host.baseUrl}`);
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  result.kidsSeen = [...kids];
  return result;
}

/** Second-scale rotation settings: a new key every 20 s, announced 5 s ahead, tokens live ≤ 10 s. */
export const FAST_ROTATION_ENV = {
  ROTATION_INTERVAL: 'PT20S',
  ROTATION_PROPAGATION: 'PT5S',
  JWT_MAX_TTL: 'PT10S',
  JWT_DEFAULT_TTL: 'PT8S',
  JWT_CLOCK_SKEW: 'PT1S',
  ROTATION_SCHEDULE: '*/2 * * * * *',
  AUTH_MODE: 'none',
  JWT_ISSUER: 'https://jwt.test/api',
};
