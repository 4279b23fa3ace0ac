import type { Timer } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { cleanupRevocationsTimer } from '../../functions/cleanupRevocations';
import { getServices } from '../../src/app/services';
import { context, useLocalApp, type LocalApp, type Logged } from './in-process';

/**
 * The cleanupRevocations timer in process against the jest run's Azurite: it deletes revocations
 * whose tokens have all expired, keeps the others, and logs how many it removed.
 */
const TIMER = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;
async function tick(): Promise<unknown[]> {
  const logged: Logged[] = [];
  await cleanupRevocationsTimer(TIMER, context('cleanupRevocations', logged));
  return logged.map((line) => JSON.parse(line.text) as unknown);
}

describe('the cleanupRevocations timer', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp();
  });
  afterAll(() => app.close());

  it('removes the revocations of tokens that have expired, keeps the others, and says how many', async () => {
    const service = (await getServices()).revocationService;
    if (!service) throw new Error('the test app has a revocation table');
    const now = Math.floor(Date.now() / 1000);
    const [expired, live] = [randomUUID(), randomUUID()];
    await service.revokeToken(expired, now - 60, 'test');
    await service.revokeToken(live, now + 3600, 'test');
    expect(await tick()).toEqual([{ message: 'revocation.cleanup', removed: 1 }]);
    expect(await tick()).toEqual([{ message: 'revocation.cleanup', removed: 0 }]);
    expect(service.isRevoked({ jti: live, iat: now })).toBe(true);
  });

  it('removes nothing, and says so, when no revocation store is configured', async () => {
    const services = await getServices();
    const saved = services.revocationService;
    services.revocationService = undefined;
    try {
      expect(await tick()).toEqual([{ message: 'revocation.cleanup', removed: 0 }]);
    } finally {
      services.revocationService = saved;
    }
  });
});
