import type { Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import type { KeyAlgorithm } from '../algorithms';
import type { VersionStore } from '../keys/key-store';
import type { PhasedKey } from '../keys/phases';
import type { RotationLock } from '../rotation/lock';

const LOCK_RETRIES = 50;
const LOCK_RETRY_DELAY_MS = 100;

/** What the bootstrap needs of a key ring (the signing key's or the encryption key's). */
interface BootstrapRing {
  ready(): Promise<void>;
  refresh(): Promise<void>;
  phases(): readonly PhasedKey<KeyAlgorithm>[];
}

function hasCurrentVersion(ring: BootstrapRing): boolean {
  return ring.phases().some((p) => p.phase === 'active' || p.phase === 'announced');
}

/**
 * A brand-new embedded store has no key: its first version is made at once (active now) so
 * `npm start` works offline — for the signing key and the encryption key alike. Under the rotation
 * lock, so instances starting together on one folder make one key, not one each. Key Vault keys
 * are created by the deployment or, with KEY_VAULT_CREATE_KEY=true, by the adapter's own start-up check.
 */
export async function ensureFirstVersion<A extends KeyAlgorithm>(
  store: Pick<VersionStore<A>, 'kind' | 'createVersion'>,
  ring: BootstrapRing,
  clock: Clock,
  alg: A,
  logger: Logger,
  lock: RotationLock,
): Promise<void> {
  await ring.ready();
  if (hasCurrentVersion(ring) || store.kind !== 'embedded') return;
  for (let attempt = 0; attempt < LOCK_RETRIES; attempt += 1) {
    const done = await lock.withLock(async () => {
      await ring.refresh();
      if (hasCurrentVersion(ring)) return true;
      const version = await store.createVersion({ notBefore: nowSeconds(clock), tags: { origin: 'bootstrap', alg } });
      logger.log('info', 'keys.bootstrap', { kid: version.kid, alg: version.alg });
      await ring.refresh();
      return true;
    });
    if (done) return;
    // Another instance holds the lock and is probably creating the key right now.
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_DELAY_MS));
    await ring.refresh();
    if (hasCurrentVersion(ring)) return;
  }
}
