import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors, type JWTVerifyGetKey } from 'jose';
import { SigningKeysUnavailable, TENANT_KEYS_DEFAULTS, tenantKeysUrl, tenantSigningKeys } from '../../src/auth/entra-keys';
import { ManualClock } from '../../src/clock';
import { EntraIssuer } from '../support/entra-issuer';

let issuer: EntraIssuer;
let kid: string;
const TOKEN = { payload: '', signature: '' };

function keyFor(keys: JWTVerifyGetKey, keyId: string | undefined): Promise<unknown> {
  return Promise.resolve(keys({ alg: 'RS256', ...(keyId === undefined ? {} : { kid: keyId }) }, TOKEN));
}

async function listening(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  issuer = await new EntraIssuer().start();
  kid = (JSON.parse(Buffer.from(issuer.token({ oid: 'x', audience: 'y' }).split('.')[0], 'base64url').toString()) as { kid: string }).kid;
});
afterAll(async () => issuer.stop());
afterEach(() => {
  issuer.failKeyRequests = false;
});

describe('tenant signing keys', () => {
  it('reads {authorityHost}/{tenant}/discovery/v2.0/keys, with or without a trailing slash on the host', () => {
    expect(tenantKeysUrl('https://login.microsoftonline.com/', 'contoso').href).toBe('https://login.microsoftonline.com/contoso/discovery/v2.0/keys');
    expect(tenantKeysUrl(issuer.baseUrl, issuer.tenantId).href).toBe(`${issuer.baseUrl}/${issuer.tenantId}/discovery/v2.0/keys`);
  });

  it("returns the tenant's public key for its kid, fetched once for many lookups", async () => {
    const keys = tenantSigningKeys(tenantKeysUrl(issuer.baseUrl, issuer.tenantId), new ManualClock(Date.now()));
    const before = issuer.keyRequests;
    for (let i = 0; i < 10; i += 1) expect(await keyFor(keys, kid)).toMatchObject({ type: 'public', asymmetricKeyType: 'rsa' });
    expect(issuer.keyRequests - before).toBe(1);
  });

  it('refuses a token without kid, without fetching', async () => {
    const keys = tenantSigningKeys(tenantKeysUrl(issuer.baseUrl, issuer.tenantId), new ManualClock(Date.now()));
    const before = issuer.keyRequests;
    await expect(keyFor(keys, undefined)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(issuer.keyRequests - before).toBe(0);
  });

  it('keeps using the keys it holds while the endpoint fails, past their maximum age, trying again once per cool-down', async () => {
    const clock = new ManualClock(Date.now());
    const keys = tenantSigningKeys(tenantKeysUrl(issuer.baseUrl, issuer.tenantId), clock, { ...TENANT_KEYS_DEFAULTS, maxAgeMs: 1 });
    const before = issuer.keyRequests;
    await keyFor(keys, kid);
    await new Promise((resolve) => setTimeout(resolve, 5)); // jose ages its keys by the wall clock: now older than maxAgeMs
    issuer.failKeyRequests = true;
    for (let i = 0; i < 20; i += 1) expect(await keyFor(keys, kid)).toMatchObject({ type: 'public' });
    await expect(keyFor(keys, 'rolled-key')).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(issuer.keyRequests - before).toBe(2);
    clock.advance(TENANT_KEYS_DEFAULTS.cooldownMs);
    expect(await keyFor(keys, kid)).toMatchObject({ type: 'public' });
    expect(issuer.keyRequests - before).toBe(3);
  });

  it('answers "unavailable" when no keys were ever fetched, one failed fetch per cool-down', async () => {
    const clock = new ManualClock(Date.now());
    const keys = tenantSigningKeys(tenantKeysUrl(issuer.baseUrl, issuer.tenantId), clock);
    const before = issuer.keyRequests;
    issuer.failKeyRequests = true;
    for (let i = 0; i < 20; i += 1) await expect(keyFor(keys, kid)).rejects.toBeInstanceOf(SigningKeysUnavailable);
    expect(issuer.keyRequests - before).toBe(1);
    clock.advance(TENANT_KEYS_DEFAULTS.cooldownMs - 1);
    await expect(keyFor(keys, kid)).rejects.toBeInstanceOf(SigningKeysUnavailable);
    expect(issuer.keyRequests - before).toBe(1);
    issuer.failKeyRequests = false;
    clock.advance(1);
    expect(await keyFor(keys, kid)).toMatchObject({ type: 'public' });
    expect(issuer.keyRequests - before).toBe(2);
  });

  it('counts a refused connection and a timeout as failures too', async () => {
    const closed = await listening(() => undefined);
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const refused = tenantSigningKeys(new URL(`${closed.url}/tenant/discovery/v2.0/keys`), new ManualClock(Date.now()));
    await expect(keyFor(refused, kid)).rejects.toBeInstanceOf(SigningKeysUnavailable);

    let requests = 0;
    const silent = await listening(() => {
      requests += 1; // never answers
    });
    try {
      const slow = tenantSigningKeys(new URL(`${silent.url}/tenant/discovery/v2.0/keys`), new ManualClock(Date.now()), { ...TENANT_KEYS_DEFAULTS, timeoutMs: 100 });
      await expect(keyFor(slow, kid)).rejects.toBeInstanceOf(SigningKeysUnavailable);
      await expect(keyFor(slow, kid)).rejects.toBeInstanceOf(SigningKeysUnavailable);
      expect(requests).toBe(1);
    } finally {
      silent.server.closeAllConnections();
      await new Promise<void>((resolve) => silent.server.close(() => resolve()));
    }
  });
});
