import type { Timer } from '@azure/functions';
import { rotateKeysTimer } from '../../functions/rotateKeys';
import { getServices } from '../../src/app/services';
import { KeyStoreError } from '../../src/keys/key-store';
import { ServiceError } from '../../src/errors';
import { context, useLocalApp, type LocalApp, type Logged } from './in-process';

/**
 * The rotateKeys timer in process: one run for the signing key, then one for the encryption key,
 * each reported on its own log line; a failing run does not stop the other, and the timer fails
 * (so the host records the failure) with the first error.
 */
const TIMER = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;
async function tick(): Promise<{ lines: Array<Record<string, unknown>>; error?: unknown }> {
  const logged: Logged[] = [];
  const error = await rotateKeysTimer(TIMER, context('rotateKeys', logged)).then(() => undefined, (failure: unknown) => failure);
  return { lines: logged.map((line) => JSON.parse(line.text) as Record<string, unknown>), error };
}

describe('the rotateKeys timer', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ ROTATION_INTERVAL: 'P1D', ROTATION_PROPAGATION: 'PT1H' });
  });
  afterAll(() => app.close());

  it('runs the signing key, then the encryption key, and reports each run', async () => {
    const { lines, error } = await tick();
    expect(error).toBeUndefined();
    expect(lines).toEqual([
      expect.objectContaining({ message: 'rotation.run', key: 'sig', ran: true, disabled: [] }),
      expect.objectContaining({ message: 'rotation.run', key: 'enc', ran: true, disabled: [] }),
    ]);
    expect(lines.map((line) => line.created)).toEqual([undefined, undefined]); // fresh keys: nothing due
  });

  it('makes a signing key when none can sign (the active one was disabled behind its back)', async () => {
    const services = await getServices();
    const active = services.ring.phases().find((p) => p.phase === 'active')?.version.kid;
    await services.store.disableVersion(String(active));
    const { lines } = await tick();
    const created = lines.find((line) => line.key === 'sig')?.created;
    expect(typeof created).toBe('string');
    expect(services.ring.phases().find((p) => p.version.kid === created)?.phase).toBe('active');
  });

  it('still runs the encryption key when the signing key\'s run fails, then fails with that first error', async () => {
    const services = await getServices();
    const refresh = jest.spyOn(services.rotation.ring, 'refresh').mockRejectedValueOnce(new KeyStoreError('unavailable', 'store down'));
    try {
      const { lines, error } = await tick();
      expect(lines.map((line) => line.key)).toEqual(['enc']);
      expect(error).toBeInstanceOf(ServiceError);
      expect((error as ServiceError).code).toBe('key_store_unavailable');
    } finally {
      refresh.mockRestore();
    }
  });

  it('fails with the encryption key\'s error when only that run fails, after the signing key ran', async () => {
    const services = await getServices();
    const refresh = jest.spyOn(services.encryption.rotation.ring, 'refresh').mockRejectedValueOnce(new KeyStoreError('forbidden', 'missing role Key Vault Crypto Officer'));
    try {
      const { lines, error } = await tick();
      expect(lines.map((line) => line.key)).toEqual(['sig']);
      expect((error as ServiceError).code).toBe('key_store_forbidden');
    } finally {
      refresh.mockRestore();
    }
  });
});
