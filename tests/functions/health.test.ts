import { randomUUID } from 'node:crypto';
import { healthHandler } from '../../functions/health';
import { getServices } from '../../src/app/services';
import { answer, context, get, outcome, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/**
 * GET /api/health in process: the status for anyone (200 while it serves, 503 when it can not sign
 * or judge revocations); the checks and the counters only for an admin caller.
 */
const health = (headers?: Record<string, string>): ReturnType<typeof healthHandler> => healthHandler(get('health', headers), context('health'));

/** The revocation view out of date beyond its bound: verification would answer 503 (fail closed). */
async function withRevocationsNotReady<T>(run: () => Promise<T>): Promise<T> {
  const service = (await getServices()).revocationService;
  if (!service) throw new Error('the test app has a revocation table');
  const spy = jest.spyOn(service, 'health').mockReturnValue({ ready: false, stalenessMs: 600_000, detail: 'out of date' });
  try {
    return await run();
  } finally {
    spy.mockRestore();
  }
}

describe('GET /api/health for the local developer (an admin)', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp();
  });
  afterAll(() => app.close());

  it('answers 200 healthy with every check and the counters since start, never cached', async () => {
    const response = await health();
    expect(response.status).toBe(200);
    expect((response.headers as Record<string, string>)['Cache-Control']).toBe('no-store');
    const body = answer(response) as { status: string; checks: Record<string, { status: string }>; metrics: { since: string; series: unknown[] } };
    expect(body.status).toBe('healthy');
    expect(Object.keys(body.checks).sort()).toEqual(['encryptionKey', 'encryptionRotation', 'keyStore', 'revocation', 'rotation', 'signingKey']);
    expect(Object.values(body.checks).map((check) => check.status)).toEqual(Object.values(body.checks).map(() => 'ok'));
    expect(body.metrics.since).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('answers 503 unhealthy when revocations can not be judged', async () => {
    const response = await withRevocationsNotReady(() => health());
    expect(response.status).toBe(503);
    expect(answer(response)).toMatchObject({ status: 'unhealthy', checks: { revocation: { status: 'failing' } } });
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await health({ host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('GET /api/health with Entra callers', () => {
  const admin = randomUUID();
  const signer = randomUUID();
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({ [admin]: { operations: ['admin'] }, [signer]: { operations: ['sign'], audiences: ['api://orders'] } });
  });
  afterAll(() => app.close());

  it('tells anyone the status, and nothing more: anonymous, a non-admin caller, a forged token', async () => {
    for (const headers of [{}, app.as(signer), { authorization: 'Bearer not.a.token' }]) {
      const response = await health(headers);
      expect([response.status, answer(response)]).toEqual([200, { status: 'healthy' }]);
    }
  });

  it('gives an admin the checks and the counters', async () => {
    expect(Object.keys(answer(await health(app.as(admin)))).sort()).toEqual(['checks', 'metrics', 'status']);
  });

  it('answers 503 with the status only to anonymous callers when unhealthy', async () => {
    const response = await withRevocationsNotReady(() => health());
    expect([response.status, answer(response)]).toEqual([503, { status: 'unhealthy' }]);
  });
});
