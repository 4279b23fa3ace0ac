import { randomUUID } from 'node:crypto';
import { keysHandler } from '../../functions/keys';
import { rotateKeysNowHandler } from '../../functions/rotateKeysNow';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';
import { answer, context, get, outcome, post, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/**
 * POST /api/keys/rotate (admin) in process: announce the next key (it signs after the propagation
 * delay), or in an emergency replace the active key at once and disable it; `"use": "enc"` for the
 * encryption key. Bad input is a 400 invalid_request.
 */
const rotate = (body: unknown, headers?: Record<string, string>): ReturnType<typeof rotateKeysNowHandler> => rotateKeysNowHandler(post('keys/rotate', body, headers), context('rotateKeysNow'));
interface Listing {
  keys: Array<{ kid: string; phase: string }>;
  encryption: { keys: Array<{ kid: string; phase: string }> };
}
const listing = async (): Promise<Listing> => answer(await keysHandler(get('keys'), context('keys'))) as unknown as Listing;
const phaseOf = (keys: Listing['keys'], kid: unknown): string | undefined => keys.find((key) => key.kid === kid)?.phase;

describe('POST /api/keys/rotate for the local developer (an admin)', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ ROTATION_INTERVAL: 'P1D', ROTATION_PROPAGATION: 'PT1H' });
  });
  afterAll(() => app.close());

  it('announces the next signing key to activate after the propagation delay, once', async () => {
    const before = Date.now();
    const response = await rotate({ emergency: false });
    expect(response.status).toBe(200);
    const body = answer(response) as { emergency: boolean; kid: string; activates: string; created: boolean };
    expect([body.emergency, body.created]).toEqual([false, true]);
    expect(Date.parse(body.activates) - before).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(Date.parse(body.activates) - before).toBeLessThanOrEqual(3_600_000 + 2000);
    expect(phaseOf((await listing()).keys, body.kid)).toBe('announced');
    // Asked again: the same announced key, nothing new.
    expect(answer(await rotate({}))).toEqual({ ...body, created: false });
  });

  it('in an emergency replaces the active signing key at once and disables it: its tokens stop verifying', async () => {
    const signed = answer(await signHandler(post('sign', { claims: { aud: 'api://orders' } }), context('sign'))) as { token: string; kid: string };
    const body = answer(await rotate({ emergency: true, reason: '  key material exposed  ' })) as { emergency: boolean; kid: string; disabled: string[] };
    expect(body.emergency).toBe(true);
    expect(body.disabled).toEqual([signed.kid]);
    const keys = (await listing()).keys;
    expect([phaseOf(keys, body.kid), phaseOf(keys, signed.kid)]).toEqual(['active', 'disabled']);
    expect(answer(await verifyHandler(post('verify', { token: signed.token }), context('verify')))).toEqual({ active: false, error: 'key_disabled' });
  });

  it('rotates the encryption key with "use": "enc", leaving the signing key alone', async () => {
    const before = await listing();
    const body = answer(await rotate({ use: 'enc', emergency: true, reason: 'enc key exposed' })) as { kid: string; disabled: string[] };
    const after = await listing();
    expect(after.keys).toEqual(before.keys);
    expect(phaseOf(after.encryption.keys, body.kid)).toBe('active');
    expect(body.disabled.map((kid) => phaseOf(after.encryption.keys, kid))).toEqual(['disabled']);
  });

  it.each([
    ['emergency that is not a boolean', { emergency: 'true', reason: 'leaked key' }],
    ['a use that is neither sig nor enc', { use: 'both' }],
    ['an emergency without a reason', { emergency: true }],
    ['an emergency with a blank reason', { emergency: true, reason: '   x  ' }],
    ['an emergency with a reason over 500 characters', { emergency: true, reason: 'x'.repeat(501) }],
    ['a reason that is not text', { emergency: true, reason: 42 }],
    ['a body that is not an object', [true]],
    ['an empty body', ''],
  ])('refuses %s with 400 invalid_request, rotating nothing', async (_name, body) => {
    const before = await listing();
    expect(outcome(await rotate(body))).toBe('400 invalid_request');
    expect(await listing()).toEqual(before);
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await rotate({}, { host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('POST /api/keys/rotate with Entra callers', () => {
  const admin = randomUUID();
  const signer = randomUUID();
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({ [admin]: { operations: ['admin'] }, [signer]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://orders'] } });
  });
  afterAll(() => app.close());

  it('is for admins only', async () => {
    expect(outcome(await rotate({ emergency: true, reason: 'not allowed' }, app.as(signer)))).toBe('403 forbidden');
    expect(outcome(await rotate({}))).toBe('401 unauthorized');
    expect(outcome(await rotate({}, app.as(admin)))).toBe('200');
  });
});
