import { jwksHandler } from '../../functions/jwks';
import { rotateKeysNowHandler } from '../../functions/rotateKeysNow';
import { getServices } from '../../src/app/services';
import { answer, context, get, outcome, post, useLocalApp, type LocalApp } from './in-process';

/** GET /api/.well-known/jwks.json in process: the public keys a verifier needs, and nothing it must not have. */
type Jwk = Record<string, string>;
const jwks = async (headers?: Record<string, string>): Promise<{ status?: number; headers: Record<string, string>; keys: Jwk[] }> => {
  const response = await jwksHandler(get('.well-known/jwks.json', headers), context('jwks'));
  return { status: response.status, headers: response.headers as Record<string, string>, keys: (answer(response) as { keys: Jwk[] }).keys };
};

describe('GET /api/.well-known/jwks.json', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ ROTATION_PROPAGATION: 'PT10M' });
  });
  afterAll(() => app.close());

  it('publishes the signing key (use "sig") then the encryption key (use "enc"), public members only', async () => {
    const { status, keys } = await jwks();
    expect(status).toBe(200);
    expect(keys.map((key) => [key.use, key.alg])).toEqual([
      ['sig', 'RS256'],
      ['enc', 'RSA-OAEP-256'],
    ]);
    for (const key of keys) expect(Object.keys(key).filter((name) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].includes(name))).toEqual([]);
  });

  it('may be cached for half the propagation delay, so verifiers see an announced key before it signs', async () => {
    expect((await jwks()).headers['Cache-Control']).toBe('public, max-age=300');
  });

  it('publishes an announced successor before it signs, and drops a key disabled by an emergency rotation', async () => {
    const first = (await jwks()).keys.find((key) => key.use === 'sig')?.kid;
    const announced = answer(await rotateKeysNowHandler(post('keys/rotate', { emergency: false }), context('rotateKeysNow')));
    expect((await jwks()).keys.filter((key) => key.use === 'sig').map((key) => key.kid).sort()).toEqual([first, announced.kid].sort());
    const emergency = answer(await rotateKeysNowHandler(post('keys/rotate', { emergency: true, reason: 'jwks test' }), context('rotateKeysNow')));
    await (await getServices()).ring.refresh();
    const published = (await jwks()).keys.filter((key) => key.use === 'sig').map((key) => key.kid);
    expect(published).toContain(emergency.kid);
    expect(published).not.toContain(first);
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await jwksHandler(get('.well-known/jwks.json', { host: 'evil.example' }), context('jwks')))).toBe('403 loopback_only');
  });
});

describe('GET /api/.well-known/jwks.json for HS256', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ JWT_ALG: 'HS256' });
  });
  afterAll(() => app.close());

  it('never publishes an HMAC secret: only the encryption key is there', async () => {
    const { keys } = await jwks();
    expect(keys.map((key) => key.use)).toEqual(['enc']);
    expect(JSON.stringify(keys)).not.toMatch(/"kty":"oct"|"k":/);
  });
});
