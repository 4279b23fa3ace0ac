/**
 * The shared KeyStore contract, run against the Key Vault adapter: real SDK, real
 * ManagedIdentityCredential (IDENTITY_ENDPOINT/IDENTITY_HEADER), the double's clock tied to the
 * contract's manual clock so that nbf/exp are decided the way Key Vault decides them.
 *
 * One double serves every algorithm (a key per algorithm): the identity library caches managed
 * identity tokens per process, as it should, so every store here must talk to the same token issuer.
 */
import { startKeyVaultDouble } from '../support/keyvault-double';
import type { KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, storeOnDouble, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';
import { describeKeyStoreContract } from './key-store-contract';

let vault: KeyVaultDouble | undefined;

beforeAll(() => assertTestCaTrusted());
afterAll(async () => vault?.stop());

describeKeyStoreContract(
  'Azure Key Vault (real SDK against the double)',
  async (clock, alg) => {
    vault ??= await startKeyVaultDouble({ pageSize: 2 });
    vault.clock = () => clock.nowMs();
    const store = storeOnDouble(vault, uniqueKeyName(), { env: { JWT_ALG: alg } });
    return { store, cleanup: () => Promise.resolve() };
  },
  ['RS256', 'PS256', 'ES256', 'ES384', 'ES512'],
  { startSeconds: Math.floor(Date.now() / 1000) },
);
