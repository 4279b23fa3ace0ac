/**
 * Which identity talks to Key Vault (and Table Storage): the managed identity when the platform
 * provides one (IDENTITY_ENDPOINT on App Service/Functions, MSI_ENDPOINT on older hosts) —
 * system-assigned, or user-assigned when AZURE_CLIENT_ID names it — else DefaultAzureCredential, so
 * that a developer's `az login` works locally. Credentials cache their tokens, so a token costs one
 * call per lifetime. The SDK reads IDENTITY_ENDPOINT/IDENTITY_HEADER itself; config only decides.
 */
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from '../../config/settings';

export function createVaultCredential(config: AppConfig): TokenCredential {
  const clientId = config.keyVault.managedIdentityClientId;
  if (config.keyVault.credential === 'managed-identity') {
    return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}
