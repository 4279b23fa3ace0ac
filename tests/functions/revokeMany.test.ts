import { randomUUID } from 'node:crypto';
import { revokeManyHandler } from '../../functions/revokeMany';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';
import { getServices } from '../../src/app/services';
import { answer, context, outcome, post, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/**
 * POST /api/revocations (admin) in process: every token of a subject, or every token, issued at or
 * before a cut-off. A cut-off only ever moves later; bad input is a 400 invalid_request.
 */
const revokeMany = (body: unknown, headers?: Record<string, string>): ReturnType<typeof revokeManyHandler> => revokeManyHandler(post('revocations', body, headers), context('revokeMany'));
async function signed(sub: string): Promise<string> {
  return (answer(await signHandler(post('sign', { claims: { sub, aud: 'api://orders' } }), context('sign'))) as { token: string }).token;
}
async function judged(token: string): Promise<unknown> {
  const verdict = answer(await verifyHandler(post('verify', { token }), context('verify')));
  return verdict.active === true ? 'active' : verdict.error;
}
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('POST /api/revocations for the local developer (an admin)', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp();
  });
  afterAll(() => app.close());

  it('revokes every token of a subject issued up to now, and no other subject\'s', async () => {
    const [alice, bob] = [await signed('alice'), await signed('bob')];
    const response = await revokeMany({ sub: 'alice' });
    expect(response.status).toBe(200);
    const body = answer(response) as { revoked: string; before: number };
    expect(body.revoked).toBe('subject');
    expect(Math.abs(body.before - nowSeconds())).toBeLessThanOrEqual(2);
    expect([await judged(alice), await judged(bob)]).toEqual(['revoked', 'active']);
  });

  it('only ever moves a cut-off later, and answers the one in force', async () => {
    const first = answer(await revokeMany({ sub: 'carol' })) as { before: number };
    expect(answer(await revokeMany({ sub: 'carol', before: first.before - 100 }))).toEqual({ revoked: 'subject', before: first.before });
  });

  it.each([
    ['neither sub nor all', {}],
    ['both sub and all', { sub: 'alice', all: true }],
    ['an empty sub', { sub: '' }],
    ['a sub that is not a string', { sub: 7 }],
    ['all that is not true', { all: 'yes' }],
    ['a before in the future', { sub: 'alice', before: nowSeconds() + 3600 }],
    ['a fractional before', { sub: 'alice', before: 1.5 }],
    ['a negative before', { sub: 'alice', before: -1 }],
    ['a before in milliseconds', { all: true, before: Date.now() }],
    ['a before as text', { sub: 'alice', before: '1700000000' }],
    ['a sub longer than signing accepts', { sub: 'x'.repeat(8 * 1024 + 1) }],
    ['a body that is not an object', [{ sub: 'alice' }]],
    ['an empty body', ''],
  ])('refuses %s with 400 invalid_request', async (_name, body) => {
    expect(outcome(await revokeMany(body))).toBe('400 invalid_request');
  });

  it('answers 503 revocation_unavailable with Retry-After when no revocation store is configured', async () => {
    const services = await getServices();
    const saved = services.revocationService;
    services.revocationService = undefined;
    try {
      const response = await revokeMany({ sub: 'alice' });
      expect([outcome(response), (response.headers as Record<string, string>)['Retry-After']]).toEqual(['503 revocation_unavailable', '60']);
    } finally {
      services.revocationService = saved;
    }
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await revokeMany({ sub: 'alice' }, { host: 'evil.example' }))).toBe('403 loopback_only');
  });

  // Last: it revokes every token of this app.
  it('revokes every token issued up to the cut-off with { all: true }', async () => {
    const token = await signed('dave');
    const body = answer(await revokeMany({ all: true })) as { revoked: string; before: number };
    expect(body.revoked).toBe('all');
    expect(await judged(token)).toBe('revoked');
  });
});

describe('POST /api/revocations with Entra callers', () => {
  const admin = randomUUID();
  const revoker = randomUUID();
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({ [admin]: { operations: ['admin'] }, [revoker]: { operations: ['revoke', 'verify'], audiences: ['api://orders'] } });
  });
  afterAll(() => app.close());

  it('is for admins only: a caller with the revoke operation alone may not revoke a whole subject', async () => {
    expect(outcome(await revokeMany({ sub: 'alice' }, app.as(revoker)))).toBe('403 forbidden');
    expect(outcome(await revokeMany({ sub: 'alice' }))).toBe('401 unauthorized');
    expect(answer(await revokeMany({ sub: 'alice' }, app.as(admin)))).toMatchObject({ revoked: 'subject' });
  });
});
