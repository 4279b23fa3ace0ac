import { vaultOperationOf } from '../../../src/keys/keyvault/vault-transport';
import { operationLabel } from '../../../src/telemetry/metrics';

/**
 * The operation each Key Vault attempt is counted under (kvjwt.keyvault.call.duration), from the
 * request the SDK sends: Key Vault's paths are lower case (`/unwrapkey`), the metric names the
 * operations as Key Vault's API does (`unwrapKey`), and every one is in the metric's closed list.
 */
const VAULT = 'https://kv.vault.azure.net';
const requests: Array<[method: string, path: string, operation: string]> = [
  ['POST', '/keys/jwt-signing/0123abcd/sign', 'sign'],
  ['POST', '/keys/jwt-signing/0123abcd/verify', 'verify'],
  ['POST', '/keys/jwt-encryption/0123abcd/unwrapkey', 'unwrapKey'],
  ['POST', '/keys/jwt-encryption/0123abcd/wrapkey', 'wrapKey'],
  ['POST', '/keys/jwt-encryption/create', 'create'],
  ['GET', '/keys/jwt-encryption/versions', 'list'],
  ['GET', '/keys/jwt-encryption/0123abcd', 'get'],
  ['PATCH', '/keys/jwt-encryption/0123abcd', 'update'],
  ['PUT', '/secrets/jwt-signing', 'create'],
];

it.each(requests)('%s %s is counted as %s, a known operation', (method, path, operation) => {
  const named = vaultOperationOf({ method: method as 'GET', url: `${VAULT}${path}?api-version=7.6` });
  expect(named).toBe(operation);
  expect(operationLabel(named)).toBe(operation);
});

it('counts a POST it does not know as other, never as a name taken from the path', () => {
  const named = vaultOperationOf({ method: 'POST', url: `${VAULT}/keys/k/v/constructor` });
  expect(operationLabel(named)).toBe('other');
});
