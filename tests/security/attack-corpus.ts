import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Hostile tokens built from one genuine token and the service's published keys. Every case must be
 * answered `active: false` (or a 4xx for oversized bodies) — never accepted, never a 5xx.
 */
export interface AttackCase {
  name: string;
  token: string;
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const hmac = (secret: string | Buffer, input: string, hash = 'sha256'): string => createHmac(hash, secret).update(input).digest('base64url');

export function buildCorpus(genuine: string, jwk: Record<string, string>, listenerUrl: string): AttackCase[] {
  const [h, p, s] = genuine.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const kid = String(header.kid);
  const publicKey: KeyObject = createPublicKey({ key: jwk as never, format: 'jwk' });
  const cases: AttackCase[] = [];
  const add = (name: string, token: string): void => {
    cases.push({ name, token });
  };
  const resign = (newHeader: unknown, newPayload: unknown = payload): string => `${b64(newHeader)}.${b64(newPayload)}`;

  for (const alg of ['none', 'None', 'NONE', 'nOnE', '']) {
    add(`alg ${alg || '(empty)'} without signature`, `${resign({ ...header, alg })}.`);
    add(`alg ${alg || '(empty)'} with the genuine signature`, `${resign({ ...header, alg })}.${s}`);
  }
  add('missing alg', `${resign({ typ: 'JWT', kid })}.${s}`);
  add('empty signature', `${h}.${p}.`);
  add('truncated signature', `${h}.${p}.${s.slice(0, s.length - 10)}`);
  add('null bytes signature', `${h}.${p}.${Buffer.alloc(256).toString('base64url')}`);
  add('signature of another payload', `${h}.${b64({ ...payload, sub: 'admin' })}.${s}`);

  // RS → HS confusion with the public key in every encoding.
  const encodings: Array<[string, string | Buffer]> = [
    ['PEM SPKI', publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    ['PEM PKCS#1', publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['DER SPKI', publicKey.export({ type: 'spki', format: 'der' })],
    ['JWK string', JSON.stringify(jwk)],
    ['modulus bytes', Buffer.from(jwk.n ?? '', 'base64url')],
    ['modulus base64url', jwk.n ?? ''],
  ];
  for (const [name, secret] of encodings) {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const input = resign({ ...header, alg });
      add(`${alg} with the public key as ${name}`, `${input}.${hmac(secret, input, `sha${alg.slice(2)}`)}`);
    }
  }

  // Keys offered by the token itself must never be used or fetched.
  const attacker = { kty: 'oct', k: Buffer.from('attacker-secret').toString('base64url') };
  const embedded = resign({ alg: 'HS256', kid, jwk: attacker });
  add('embedded jwk (HS256)', `${embedded}.${hmac('attacker-secret', embedded)}`);
  const jku = resign({ alg: 'HS256', kid: 'attacker', jku: `${listenerUrl}/jwks.json` });
  add('jku to an attacker listener', `${jku}.${hmac('attacker-secret', jku)}`);
  const x5u = resign({ ...header, x5u: `${listenerUrl}/cert.pem` });
  add('x5u to an attacker listener', `${x5u}.${s}`);
  const x5uUnknown = resign({ ...header, kid: 'nope', x5u: `${listenerUrl}/cert.pem`, jku: `${listenerUrl}/jwks.json` });
  add('unknown kid with jku and x5u', `${x5uUnknown}.${s}`);
  add('x5c with a self-made chain', `${resign({ ...header, kid: 'nope', x5c: ['MIIBszCCAVmgAwIBAgIUA'] })}.${s}`);

  // kid injection
  for (const bad of ['../../../../etc/passwd', "' OR '1'='1", '"; DROP TABLE keys; --', 'x'.repeat(5000), '', ' ', `${kid}\u0000`, `${kid}/..`]) {
    add(`kid ${JSON.stringify(bad).slice(0, 30)}`, `${resign({ ...header, kid: bad })}.${s}`);
  }
  for (const bad of [42, null, true, [kid], { kid }]) add(`kid of type ${bad === null ? 'null' : typeof bad}`, `${resign({ ...header, kid: bad })}.${s}`);

  // ECDSA psychic signature (CVE-2022-21449) and algorithm substitution.
  for (const alg of ['ES256', 'ES384', 'ES512']) {
    const size = { ES256: 64, ES384: 96, ES512: 132 }[alg] as number;
    add(`${alg} r = s = 0`, `${resign({ ...header, alg })}.${Buffer.alloc(size).toString('base64url')}`);
  }
  for (const alg of ['RS384', 'RS512', 'PS256', 'PS512', 'ES256']) add(`alg substituted to ${alg}`, `${resign({ ...header, alg })}.${s}`);

  // JSON and structure
  add('duplicate alg keys', `${b64(`{"alg":"none","alg":"${String(header.alg)}","kid":"${kid}"}`)}.${p}.${s}`);
  add('duplicate exp keys', `${h}.${b64(`{"exp":9999999999,${JSON.stringify(payload).slice(1)}`)}.${s}`);
  for (const bad of ['[]', '"string"', '42', 'null', 'true', '{', 'not json']) {
    add(`payload ${bad}`, `${h}.${b64(bad)}.${s}`);
    add(`header ${bad}`, `${b64(bad)}.${p}.${s}`);
  }
  add('crit with an unknown extension', `${resign({ ...header, crit: ['http://example.com/ext'], 'http://example.com/ext': true })}.${s}`);
  add('crit b64 false', `${resign({ ...header, b64: false, crit: ['b64'] })}.${s}`);
  add('standard base64 alphabet', `${Buffer.from(Buffer.from(h, 'base64url')).toString('base64').replace(/=+$/, '')}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`);
  add('padding on every segment', `${h}==.${p}==.${s}==`);
  add('whitespace inside', `${h}. ${p}.${s}`);
  add('two segments', `${h}.${p}`);
  add('one segment', h);
  add('four segments', `${h}.${p}.${s}.${s}`);
  add('five segments (JWE shape)', `${h}.${p}.${s}.${s}.${s}`);
  add('empty token', '');
  add('only dots', '..');
  add('deeply nested header', `${b64(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`)}.${p}.${s}`);
  add('deeply nested payload', `${h}.${b64(`${'['.repeat(10000)}${']'.repeat(10000)}`)}.${s}`);
  add('typ of another token type', `${resign({ ...header, typ: 'at+jwt' })}.${s}`);
  return cases;
}
