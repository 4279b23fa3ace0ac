import { randomUUID } from 'node:crypto';
import { keysHandler } from '../../functions/keys';
import { answer, context, get, outcome, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/** GET /api/keys in process: both key rings, every version with its phase and dates, for admins only. */
interface Entry {
  kid: string;
  alg: string;
  phase: string;
  activates?: string;
}
const keys = (headers?: Record<string, string>): ReturnType<typeof keysHandler> => keysHandler(get('keys', headers), context('keys'));

describe('GET /api/keys', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ JWT_ALG: 'ES256' });
  });
  afterAll(() => app.close());

  it('lists the signing key and the encryption key with their algorithm, store and phases', async () => {
    const response = await keys();
    expect(response.status).toBe(200);
    const body = answer(response) as { alg: string; store: string; keys: Entry[]; encryption: { alg: string; keys: Entry[] } };
    expect([body.alg, body.store, body.encryption.alg]).toEqual(['ES256', 'embedded', 'RSA-OAEP-256']);
    expect(body.keys.map((key) => [key.alg, key.phase])).toEqual([['ES256', 'active']]);
    expect(body.encryption.keys.map((key) => [key.alg, key.phase])).toEqual([['RSA-OAEP-256', 'active']]);
    expect(body.keys[0].activates).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('is never cached, and carries no key material', async () => {
    const response = await keys();
    expect((response.headers as Record<string, string>)['Cache-Control']).toBe('no-store');
    expect(JSON.stringify(answer(response))).not.toMatch(/"(d|n|x|y|k)":/);
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await keys({ host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('GET /api/keys with Entra callers', () => {
  const admin = randomUUID();
  const signer = randomUUID();
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({ [admin]: { operations: ['admin'] }, [signer]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://orders'] } });
  });
  afterAll(() => app.close());

  it('answers an admin, refuses a caller without the admin operation (403) and an anonymous one (401)', async () => {
    expect(outcome(await keys(app.as(admin)))).toBe('200');
    expect(outcome(await keys(app.as(signer)))).toBe('403 forbidden');
    expect(outcome(await keys())).toBe('401 unauthorized');
    expect(outcome(await keys(app.as(randomUUID())))).toBe('403 forbidden');
  });
});
