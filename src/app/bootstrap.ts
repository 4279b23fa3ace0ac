import type { Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import type { AppConfig } from '../config/settings';
import type { KeyRing } from '../keys/key-ring';
import type { KeyStore } from '../keys/key-store';

/**
 * A brand-new store has no key: the embedded store makes its first version at once (active now) so
 * `npm start` works offline. Key Vault keys are created by the deployment or, when
 * KEY_VAULT_CREATE_KEY=true, by the adapter's own start-up check.
 */
export async function ensureSigningKey(store: KeyStore, ring: KeyRing, clock: Clock, config: AppConfig, logger: Logger): Promise<void> {
  await ring.ready();
  const hasSigner = ring.phases().some((p) => p.phase === 'active' || p.phase === 'announced');
  if (hasSigner || store.kind !== 'embedded') return;
  const version = await store.createVersion({ notBefore: nowSeconds(clock), tags: { origin: 'bootstrap', alg: config.alg } });
  logger.log('info', 'keys.bootstrap', { kid: version.kid, alg: version.alg });
  await ring.refresh();
}
