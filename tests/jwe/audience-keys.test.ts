import { ManualClock } from '../../src/clock';
import { isServiceError } from '../../src/errors';
import { AUDIENCE_KEY_DEFAULTS, AudienceKeys, currentEncryptionKey } from '../../src/jwe/audience-keys';
import { assertTestCaTrusted } from '../support/keyvault-double/adapter-fixture';
import { audienceKeyPair, startJwksServer, type JwksServer } from '../support/jwks-server';

const AUDIENCE = 'api://partner';
const current = audienceKeyPair();
const signingKey = { ...audienceKeyPair().jwk, use: 'sig', alg: 'RS256' };
let server: JwksServer;

beforeAll(async () => {
  assertTestCaTrusted();
  server = await startJwksServer([signingKey, current.jwk]);
});
afterAll(async () => server?.close());
beforeEach(() => server.setKeys([signingKey, current.jwk]));

const keysFor = (clock: ManualClock, url = server.url): AudienceKeys => new AudienceKeys(new Map([[AUDIENCE, url]]), clock);
async function failureOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  return isServiceError(error) ? `${error.status} ${error.code}: ${error.message}` : String(error);
}

describe('choosing an audience\'s encryption key from its JWKS', () => {
  it('takes the first RSA key with use "enc" and alg RSA-OAEP-256, a kid and at least 2048 bits', () => {
    const weak = audienceKeyPair(1024);
    const first = audienceKeyPair();
    const cases: Array<[string, unknown[], string | undefined]> = [
      ['signing keys only', [signingKey], undefined],
      ['first enc key wins', [signingKey, first.jwk, current.jwk], first.kid],
      ['no alg', [{ ...first.jwk, alg: undefined }], undefined],
      ['RSA-OAEP (SHA-1)', [{ ...first.jwk, alg: 'RSA-OAEP' }], undefined],
      ['RSA1_5', [{ ...first.jwk, alg: 'RSA1_5' }], undefined],
      ['no use', [{ ...first.jwk, use: undefined }], undefined],
      ['EC key', [{ kty: 'EC', kid: 'ec', use: 'enc', alg: 'RSA-OAEP-256', crv: 'P-256', x: 'x', y: 'y' }], undefined],
      ['1024-bit key', [weak.jwk, current.jwk], current.kid],
      ['no kid', [{ ...first.jwk, kid: undefined }], undefined],
      ['key_ops without wrapKey', [{ ...first.jwk, key_ops: ['unwrapKey'] }], undefined],
      ['key_ops with wrapKey', [{ ...first.jwk, key_ops: ['wrapKey'] }], first.kid],
      ['a broken modulus', [{ ...first.jwk, n: '!!' }, current.jwk], current.kid],
    ];
    for (const [name, keys, kid] of cases) expect([name, currentEncryptionKey({ keys })?.kid]).toEqual([name, kid]);
    for (const notJwks of [null, 'keys', { keys: 'x' }, []]) expect(currentEncryptionKey(notJwks)).toBeUndefined();
  });
});

describe('audience JWKS fetching', () => {
  it('fetches over https, caches for the max age, then fetches again', async () => {
    const clock = new ManualClock(0);
    const keys = keysFor(clock);
    const before = server.requests;
    expect((await keys.currentKey(AUDIENCE)).kid).toBe(current.kid);
    expect((await keys.currentKey(AUDIENCE)).kid).toBe(current.kid);
    expect(server.requests - before).toBe(1);
    const next = audienceKeyPair();
    server.setKeys([next.jwk, current.jwk]);
    clock.advance(AUDIENCE_KEY_DEFAULTS.maxAgeMs - 1);
    expect((await keys.currentKey(AUDIENCE)).kid).toBe(current.kid);
    clock.advance(1);
    expect((await keys.currentKey(AUDIENCE)).kid).toBe(next.kid);
    expect(server.requests - before).toBe(2);
  });

  it('shares one fetch between concurrent callers', async () => {
    const keys = keysFor(new ManualClock(0));
    const before = server.requests;
    await Promise.all([1, 2, 3, 4].map(() => keys.currentKey(AUDIENCE)));
    expect(server.requests - before).toBe(1);
  });

  it('fails closed with a 503 when the JWKS has no usable key or can not be read, and retries at most once per cool-down', async () => {
    const clock = new ManualClock(0);
    const keys = keysFor(clock);
    server.setKeys([signingKey]);
    const before = server.requests;
    expect(await failureOf(keys.currentKey(AUDIENCE))).toMatch(/^503 key_store_unavailable: No encryption key for audience "api:\/\/partner": its JWKS has no RSA key with use "enc"/);
    expect(await failureOf(keys.currentKey(AUDIENCE))).toMatch(/^503/);
    expect(server.requests - before).toBe(1); // within the cool-down: not fetched again
    server.setKeys([current.jwk]);
    clock.advance(AUDIENCE_KEY_DEFAULTS.cooldownMs);
    expect((await keys.currentKey(AUDIENCE)).kid).toBe(current.kid);
    for (const answer of [{ status: 500, body: {} }, { status: 200, body: 'not json' }, { status: 302, body: '', location: 'http://127.0.0.1:1/jwks' }, { status: 200, body: { keys: [current.jwk], pad: 'x'.repeat(70 * 1024) } }]) {
      server.answer = answer;
      clock.advance(AUDIENCE_KEY_DEFAULTS.maxAgeMs);
      expect([answer.status, await failureOf(keys.currentKey(AUDIENCE))]).toEqual([answer.status, expect.stringMatching(/^503 key_store_unavailable/)]);
    }
  });

  it('never fetches over plain http, and names no endpoint text in its errors', async () => {
    const keys = keysFor(new ManualClock(0), server.url.replace('https:', 'http:'));
    const before = server.requests;
    const message = await failureOf(keys.currentKey(AUDIENCE));
    expect(message).toMatch(/^503 key_store_unavailable: .*no https JWKS/);
    expect(server.requests).toBe(before);
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    const slow = new AudienceKeys(new Map([[AUDIENCE, server.url]]), new ManualClock(0), { ...AUDIENCE_KEY_DEFAULTS, timeoutMs: 200 });
    server.answer = { status: 200, body: {}, hang: true };
    const before = server.requests;
    expect(await failureOf(slow.currentKey(AUDIENCE))).toMatch(/^503 key_store_unavailable: .*could not be read/);
    expect(server.requests - before).toBe(1);
  });
});
