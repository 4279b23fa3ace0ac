/**
 * The Key Vault double speaks the data-plane protocol as recorded from the real service; these
 * tests pin the wire shapes the adapter relies on, with raw HTTPS requests (no SDK).
 */
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { startKeyVaultDouble } from '../support/keyvault-double';
import type { KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted } from '../support/keyvault-double/adapter-fixture';

const API = 'api-version=7.5';
let vault: KeyVaultDouble;
let token: string;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, body?: unknown, bearer: string | undefined = token): Promise<Answer> {
  const url = path.startsWith('https://') ? path : `${vault.vaultUrl}${path}${path.includes('?') ? '&' : '?'}${API}`;
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function fetchToken(): Promise<string> {
  const response = await fetch(`${vault.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://vault.azure.net')}`, {
    headers: { 'X-IDENTITY-HEADER': vault.identityHeader },
  });
  const json = (await response.json()) as Record<string, unknown>;
  return String(json.access_token);
}

interface VaultErrorBody {
  code?: string;
  message?: string;
  innererror?: { code?: string };
}
const errorOf = (answer: Answer): VaultErrorBody => (answer.body.error ?? {});

async function createKey(name: string, body: Record<string, unknown> = { kty: 'RSA', key_size: 2048, key_ops: ['sign', 'verify'] }): Promise<{ kid: string; version: string }> {
  const answer = await call('POST', `/keys/${name}/create`, body);
  expect(answer.status).toBe(200);
  const kid = String((answer.body.key as Record<string, unknown>).kid);
  return { kid, version: kid.split('/').pop() ?? '' };
}

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble({ pageSize: 2 });
  token = await fetchToken();
});
afterAll(async () => vault.stop());
afterEach(() => vault.faults.clear());

describe('authentication', () => {
  it('answers a request without a bearer with 401 and the challenge naming the tenant and the vault resource', async () => {
    const answer = await call('GET', '/keys/any/versions', undefined, '');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer authorization="https://login.microsoftonline.com/${vault.tenantId}", resource="https://vault.azure.net"`);
    expect(errorOf(answer).code).toBe('Unauthorized');
  });

  it('refuses a bearer it did not issue', async () => {
    expect((await call('GET', '/keys/any/versions', undefined, 'forged')).status).toBe(401);
  });

  it('issues managed identity tokens only with the right X-IDENTITY-HEADER, expires_on as a string', async () => {
    const base = `${vault.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://vault.azure.net')}`;
    expect((await fetch(base)).status).toBe(400);
    expect((await fetch(base, { headers: { 'X-IDENTITY-HEADER': 'wrong' } })).status).toBe(401);
    const ok = await fetch(base, { headers: { 'X-IDENTITY-HEADER': vault.identityHeader } });
    const json = (await ok.json()) as Record<string, unknown>;
    expect(json).toEqual({ access_token: expect.any(String), expires_on: expect.stringMatching(/^\d+$/), resource: 'https://vault.azure.net', token_type: 'Bearer', client_id: expect.any(String) });
  });
});

describe('keys', () => {
  it('returns key bundles with Unix-seconds attributes, base64url JWK members and fields clients must ignore', async () => {
    const { version } = await createKey('bundle', { kty: 'EC', crv: 'P-256', key_ops: ['sign', 'verify'], tags: { alg: 'ES256' } });
    const answer = await call('GET', `/keys/bundle/${version}`);
    expect(answer.status).toBe(200);
    expect(version).toMatch(/^[0-9a-f]{32}$/);
    expect(answer.body.key).toEqual({ kid: `${vault.vaultUrl}/keys/bundle/${version}`, kty: 'EC', key_ops: ['sign', 'verify'], crv: 'P-256', x: expect.stringMatching(/^[\w-]{43}$/), y: expect.stringMatching(/^[\w-]{43}$/) });
    expect(answer.body.attributes).toEqual(expect.objectContaining({ enabled: true, created: expect.any(Number), updated: expect.any(Number), recoveryLevel: 'Recoverable+Purgeable', exportable: false }));
    expect(answer.body.tags).toEqual({ alg: 'ES256' });
    const rsa = await createKey('bundle-rsa');
    expect((await call('GET', `/keys/bundle-rsa/${rsa.version}`)).body.key_size).toBe(2048);
  });

  it('answers 404 KeyNotFound for a missing key or version', async () => {
    const missing = await call('GET', '/keys/nope/0123456789abcdef0123456789abcdef');
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('KeyNotFound');
  });

  it('lists versions by version id in pages with an absolute nextLink carrying $skiptoken', async () => {
    const created = [];
    for (let i = 0; i < 5; i += 1) created.push((await createKey('paged')).version);
    const seen: string[] = [];
    let next: string | null = '/keys/paged/versions';
    let pages = 0;
    while (next) {
      const page: Answer = await call('GET', next);
      expect(page.status).toBe(200);
      const items = page.body.value as { kid: string; attributes: Record<string, unknown>; key?: unknown }[];
      expect(items.length).toBeLessThanOrEqual(2);
      for (const item of items) {
        expect(item.key).toBeUndefined();
        seen.push(item.kid.split('/').pop() ?? '');
      }
      next = page.body.nextLink as string | null;
      if (next) expect(next).toMatch(new RegExp(`^${vault.vaultUrl}/keys/paged/versions\\?.*\\$skiptoken=`));
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].sort());
  });

  it('signs a digest with real crypto (ECDSA as raw r‖s) and verifies it', async () => {
    const { version } = await createKey('es', { kty: 'EC', crv: 'P-384', key_ops: ['sign', 'verify'] });
    const digest = createHash('sha384').update('payload').digest();
    const signed = await call('POST', `/keys/es/${version}/sign`, { alg: 'ES384', value: digest.toString('base64url') });
    expect(signed.status).toBe(200);
    const signature = Buffer.from(String(signed.body.value), 'base64url');
    expect(signature).toHaveLength(96);
    const jwk = (await call('GET', `/keys/es/${version}`)).body.key as Record<string, string>;
    const publicKey = createPublicKey({ key: { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
    expect(verify('sha384', Buffer.from('payload'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    const checked = await call('POST', `/keys/es/${version}/verify`, { alg: 'ES384', digest: digest.toString('base64url'), value: signed.body.value });
    expect(checked.body).toEqual({ value: true });
    const tampered = await call('POST', `/keys/es/${version}/verify`, { alg: 'ES384', digest: createHash('sha384').update('other').digest('base64url'), value: signed.body.value });
    expect(tampered.body).toEqual({ value: false });
  });

  it('answers 400 BadParameter when the digest length does not match the algorithm', async () => {
    const { version } = await createKey('len');
    const answer = await call('POST', `/keys/len/${version}/sign`, { alg: 'RS256', value: createHash('sha384').update('x').digest('base64url') });
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('BadParameter');
  });

  it('refuses sign on a disabled version (403 KeyDisabled) but still allows GET and verify', async () => {
    const { version } = await createKey('dis');
    const digest = createHash('sha256').update('x').digest('base64url');
    const signed = await call('POST', `/keys/dis/${version}/sign`, { alg: 'RS256', value: digest });
    const patched = await call('PATCH', `/keys/dis/${version}`, { attributes: { enabled: false } });
    expect((patched.body.attributes as Record<string, unknown>).enabled).toBe(false);
    const refused = await call('POST', `/keys/dis/${version}/sign`, { alg: 'RS256', value: digest });
    expect(refused.status).toBe(403);
    expect(errorOf(refused)).toEqual(expect.objectContaining({ code: 'Forbidden', innererror: { code: 'KeyDisabled' } }));
    expect((await call('GET', `/keys/dis/${version}`)).status).toBe(200);
    expect((await call('POST', `/keys/dis/${version}/verify`, { alg: 'RS256', digest, value: signed.body.value })).body).toEqual({ value: true });
  });

  it('refuses sign outside nbf/exp with 403', async () => {
    const now = vault.nowSeconds();
    const early = await createKey('nbf', { kty: 'RSA', key_ops: ['sign'], attributes: { nbf: now + 3600 } });
    const late = await createKey('exp', { kty: 'RSA', key_ops: ['sign'], attributes: { exp: now - 1 } });
    const digest = createHash('sha256').update('x').digest('base64url');
    const notYet = await call('POST', `/keys/nbf/${early.version}/sign`, { alg: 'RS256', value: digest });
    const expired = await call('POST', `/keys/exp/${late.version}/sign`, { alg: 'RS256', value: digest });
    expect([notYet.status, expired.status]).toEqual([403, 403]);
    expect(errorOf(notYet).message).toMatch(/not yet valid/);
    expect(errorOf(expired).message).toMatch(/expired/);
  });

  it('rotates to a new current version', async () => {
    const first = await createKey('rot');
    const rotated = await call('POST', '/keys/rot/rotate');
    const current = await call('GET', '/keys/rot/');
    expect((current.body.key as Record<string, string>).kid).toBe((rotated.body.key as Record<string, string>).kid);
    expect((current.body.key as Record<string, string>).kid).not.toBe(first.kid);
  });
});

describe('wrapKey and unwrapKey', () => {
  const WRAP_OPS = { kty: 'RSA', key_size: 2048, key_ops: ['wrapKey', 'unwrapKey'] };
  const publicKeyOf = async (name: string, version: string) => {
    const jwk = (await call('GET', `/keys/${name}/${version}`)).body.key as Record<string, string>;
    return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  };

  it('wraps and unwraps with { alg, value } in and { kid, value } out, for RSA-OAEP-256, RSA-OAEP and RSA1_5, interoperably with Node', async () => {
    const { kid, version } = await createKey('wrap', WRAP_OPS);
    const publicKey = await publicKeyOf('wrap', version);
    const contentKey = randomBytes(32);
    for (const alg of ['RSA-OAEP-256', 'RSA-OAEP', 'RSA1_5']) {
      const wrapped = await call('POST', `/keys/wrap/${version}/wrapkey`, { alg, value: contentKey.toString('base64url') });
      expect([alg, wrapped.status, Object.keys(wrapped.body).sort()]).toEqual([alg, 200, ['kid', 'value']]);
      expect(wrapped.body.kid).toBe(kid);
      expect(Buffer.from(String(wrapped.body.value), 'base64url')).toHaveLength(256);
      const unwrapped = await call('POST', `/keys/wrap/${version}/unwrapkey`, { alg, value: wrapped.body.value });
      expect([alg, unwrapped.status, unwrapped.body]).toEqual([alg, 200, { kid, value: contentKey.toString('base64url') }]);
    }
    // What a JOSE library wraps locally to the public key (RSA-OAEP-256: OAEP with SHA-256 and MGF1-SHA-256) unwraps in the vault.
    const local = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
    expect((await call('POST', `/keys/wrap/${version}/unwrapKey`, { alg: 'RSA-OAEP-256', value: local.toString('base64url') })).body.value).toBe(contentKey.toString('base64url'));
    expect(vault.counters.get('wrapKey')).toBeGreaterThanOrEqual(3);
    expect(vault.counters.get('unwrapKey')).toBeGreaterThanOrEqual(4);
  });

  it('answers 400 BadParameter for a ciphertext that does not decrypt, a value that is not base64url, a wrong alg or an EC key', async () => {
    const { version } = await createKey('wrap-bad', WRAP_OPS);
    const cases: Array<[string, unknown]> = [
      ['garbage of the modulus length', { alg: 'RSA-OAEP-256', value: randomBytes(256).toString('base64url') }],
      ['too short', { alg: 'RSA-OAEP-256', value: randomBytes(32).toString('base64url') }],
      ['not base64url', { alg: 'RSA-OAEP-256', value: 'a+b/c==' }],
      ['no value', { alg: 'RSA-OAEP-256' }],
      ['a signing algorithm', { alg: 'RS256', value: randomBytes(256).toString('base64url') }],
      ['no alg', { value: randomBytes(256).toString('base64url') }],
    ];
    for (const [name, body] of cases) {
      const answer = await call('POST', `/keys/wrap-bad/${version}/unwrapkey`, body);
      expect([name, answer.status, errorOf(answer).code]).toEqual([name, 400, 'BadParameter']);
    }
    expect(errorOf(await call('POST', `/keys/wrap-bad/${version}/unwrapkey`, cases[0][1])).message).toMatch(/OAEP padding/);
    const ec = await createKey('wrap-ec', { kty: 'EC', crv: 'P-256', key_ops: ['wrapKey', 'unwrapKey'] });
    expect((await call('POST', `/keys/wrap-ec/${ec.version}/wrapkey`, { alg: 'RSA-OAEP-256', value: randomBytes(32).toString('base64url') })).status).toBe(400);
  });

  it('refuses both on a disabled version (403 KeyDisabled) and without the operation in key_ops (403 KeyOperationForbidden)', async () => {
    const { version } = await createKey('wrap-dis', WRAP_OPS);
    const wrapped = (await call('POST', `/keys/wrap-dis/${version}/wrapkey`, { alg: 'RSA-OAEP-256', value: randomBytes(32).toString('base64url') })).body.value;
    await call('PATCH', `/keys/wrap-dis/${version}`, { attributes: { enabled: false } });
    for (const action of ['wrapkey', 'unwrapkey']) {
      const refused = await call('POST', `/keys/wrap-dis/${version}/${action}`, { alg: 'RSA-OAEP-256', value: wrapped });
      expect([action, refused.status, errorOf(refused).innererror]).toEqual([action, 403, { code: 'KeyDisabled' }]);
    }
    const signer = await createKey('wrap-signer', { kty: 'RSA', key_ops: ['sign', 'verify'] });
    const refused = await call('POST', `/keys/wrap-signer/${signer.version}/unwrapkey`, { alg: 'RSA-OAEP-256', value: wrapped });
    expect([refused.status, errorOf(refused).innererror]).toEqual([403, { code: 'KeyOperationForbidden' }]);
    expect(errorOf(refused).message).toBe('Operation unwrapKey is not permitted on this key.');
  });

  it('refuses wrapKey outside nbf/exp (403) but unwraps there, as Key Vault does (date-time controlled operations)', async () => {
    const now = vault.nowSeconds();
    const early = await createKey('wrap-nbf', { ...WRAP_OPS, attributes: { nbf: now + 3600 } });
    const late = await createKey('wrap-exp', { ...WRAP_OPS, attributes: { exp: now - 1 } });
    const contentKey = randomBytes(32);
    for (const [name, version, code] of [['wrap-nbf', early.version, 'KeyNotYetValid'], ['wrap-exp', late.version, 'KeyExpired']]) {
      const refused = await call('POST', `/keys/${name}/${version}/wrapkey`, { alg: 'RSA-OAEP-256', value: contentKey.toString('base64url') });
      expect([name, refused.status, errorOf(refused).innererror]).toEqual([name, 403, { code }]);
      const local = publicEncrypt({ key: await publicKeyOf(name, version), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
      const unwrapped = await call('POST', `/keys/${name}/${version}/unwrapkey`, { alg: 'RSA-OAEP-256', value: local.toString('base64url') });
      expect([name, unwrapped.status, unwrapped.body.value]).toEqual([name, 200, contentKey.toString('base64url')]);
    }
  });

  it('answers 403 Forbidden (RBAC) for a missing role on unwrap', async () => {
    const { version } = await createKey('wrap-rbac', WRAP_OPS);
    vault.faults.forbid('unwrapKey');
    const refused = await call('POST', `/keys/wrap-rbac/${version}/unwrapkey`, { alg: 'RSA-OAEP-256', value: randomBytes(256).toString('base64url') });
    expect([refused.status, errorOf(refused).innererror?.code]).toEqual([403, 'ForbiddenByRbac']);
    expect(errorOf(refused).message).toContain("Action: 'Microsoft.KeyVault/vaults/keys/unwrap/action'");
  });
});

describe('faults and counters', () => {
  it("enforces Key Vault's service limit: past N operations in any window of W, 429 Throttled until the window moves", async () => {
    const { version } = await createKey('limited');
    let now = 0;
    vault.faults.setServiceLimit({ operations: 3, windowMs: 10_000 }, () => now);
    const digest = createHash('sha256').update('x').digest('base64url');
    const sign = async (): Promise<number> => (await call('POST', `/keys/limited/${version}/sign`, { alg: 'RS256', value: digest })).status;
    const statuses: number[] = [];
    for (const at of [0, 1_000, 2_000]) {
      now = at;
      statuses.push(await sign());
    }
    expect(statuses).toEqual([200, 200, 200]);
    now = 9_999;
    const refused = await call('POST', `/keys/limited/${version}/sign`, { alg: 'RS256', value: digest });
    expect(refused.status).toBe(429);
    expect(errorOf(refused).code).toBe('Throttled');
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(await sign()).toBe(429); // refused calls do not count, but the window is still full
    now = 10_000; // the call at 0 left the window (the one at 1,000 not yet): one more fits, not two
    expect([await sign(), await sign()]).toEqual([200, 429]);
    vault.faults.clear();
    expect(await sign()).toBe(200);
  });

  it('counts calls per operation and injects 429 without Retry-After, 5xx and 403 Forbidden', async () => {
    const { version } = await createKey('faults');
    vault.counters.reset();
    vault.faults.throttle(1, 'get');
    const throttled = await call('GET', `/keys/faults/${version}`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect(errorOf(throttled).code).toBe('Throttled');
    vault.faults.serverError(1, 502, 'get');
    expect((await call('GET', `/keys/faults/${version}`)).status).toBe(502);
    vault.faults.forbid('get');
    const forbidden = await call('GET', `/keys/faults/${version}`);
    expect(forbidden.status).toBe(403);
    expect(errorOf(forbidden).code).toBe('Forbidden');
    vault.faults.forbid('get', false);
    expect((await call('GET', `/keys/faults/${version}`)).status).toBe(200);
    expect(vault.counters.get('get')).toBe(4);
  });

  it('records each answered call’s time in the vault, injected latency included, for benchmarks', async () => {
    const { version } = await createKey('timed');
    vault.counters.reset();
    vault.faults.latencyMs = 30;
    for (let i = 0; i < 3; i += 1) expect((await call('GET', `/keys/timed/${version}`)).status).toBe(200);
    vault.faults.latencyMs = 0;
    const calls = vault.counters.calls('get');
    expect(calls).toHaveLength(3);
    for (const ms of calls) expect(ms).toBeGreaterThanOrEqual(29);
    vault.counters.reset();
    expect(vault.counters.calls('get')).toEqual([]);
  });

  it('drops connections during an outage and serves again afterwards', async () => {
    vault.faults.setOutage(true);
    await expect(call('GET', '/keys/any/versions')).rejects.toThrow();
    vault.faults.setOutage(false);
    expect((await call('GET', '/keys/nope/versions')).status).toBe(404);
  });
});
