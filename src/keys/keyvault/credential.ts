/**
 * Which identity talks to Key Vault: the managed identity when the platform provides one
 * (IDENTITY_ENDPOINT on App Service/Functions, MSI_ENDPOINT on older hosts) — system-assigned, or
 * user-assigned when AZURE_CLIENT_ID names it — else DefaultAzureCredential, so that a developer's
 * `az login` works locally. Credentials cache their tokens, so a token costs one call per lifetime.
 */
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type { AppConfig, Environment } from '../../config/settings';

export type CredentialKind = 'managed-identity' | 'default';

export function credentialKind(env: Environment): CredentialKind {
  return env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT ? 'managed-identity' : 'default';
}

export function createVaultCredential(config: AppConfig, env: Environment): TokenCredential {
  const clientId = config.keyVault.managedIdentityClientId;
  if (credentialKind(env) === 'managed-identity') {
    return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}
