/**
 * Jest global setup: starts the shared outside services once for the whole run (Azurite, when the
 * revocation tests need it) and publishes their addresses through process.env for the workers.
 * Each service module registers itself in tests/support/services.ts.
 */
import { startSharedServices } from './services';

export default async function globalSetup(): Promise<void> {
  await startSharedServices();
}
