// Least privilege. The function app's identity:
// - Key Vault Crypto Officer on the signing key only (sign, verify, create versions, disable —
//   rotation needs the last two; scoped to the one key so it can touch no other key in the vault);
// - Key Vault Crypto Officer on the encryption key only (unwrapKey, create versions, disable — its
//   rotation; in HS* mode too: it is a Key Vault key either way);
// - Key Vault Secrets Officer on the vault only in HS* mode (the secret is created by the app at
//   first start, so there is no secret resource to scope to before that);
// - Storage Blob Data Owner on the account (host storage, timer leases, deployment package);
// - Storage Table Data Contributor on the revocation table only;
// - Monitoring Metrics Publisher on Application Insights (Entra-authenticated telemetry).
// The deploying user gets Blob Data Owner (azd deploy uploads the package) and Crypto Officer on
// the key (to inspect or rotate it by hand). The Logic Apps need no role.
param functionPrincipalId string
param deployerPrincipalId string
@description('azd AZURE_PRINCIPAL_TYPE: User for `azd up` from a terminal, ServicePrincipal from CI.')
@allowed(['User', 'ServicePrincipal'])
param deployerPrincipalType string
param vaultName string
param keyName string
@description('The audit-hash key: the app only signs with it (Key Vault Crypto User on that key alone).')
param auditKeyName string
@description('The encryption key: the app unwraps with it and rotates it (Key Vault Crypto Officer on that key alone).')
param encryptionKeyName string
param isHmac bool
param storageAccountName string
param revocationTableName string
param dpopReplayTableName string
param appInsightsName string

var keyVaultCryptoOfficerRoleId = '14b46e9e-c2b7-41b4-b07b-48a6ebf60603'
var keyVaultCryptoUserRoleId = '12338af0-0e69-4776-bea7-57ae8d297424'
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
var storageBlobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageTableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource signingKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' existing = {
  parent: vault
  name: keyName
}

resource auditKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' existing = {
  parent: vault
  name: auditKeyName
}

resource encryptionKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' existing = {
  parent: vault
  name: encryptionKeyName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource revocationTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  parent: tableService
  name: revocationTableName
}

resource dpopReplayTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  parent: tableService
  name: dpopReplayTableName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource functionKeyCryptoOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!isHmac) {
  name: guid(signingKey.id, functionPrincipalId, keyVaultCryptoOfficerRoleId)
  scope: signingKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultCryptoOfficerRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Sign only, on the audit key only: the app derives the key of its audit hashes from one signature.
resource functionAuditKeyCryptoUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(auditKey.id, functionPrincipalId, keyVaultCryptoUserRoleId)
  scope: auditKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultCryptoUserRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// unwrapKey for encrypted tokens, and create/disable for the encryption key's rotation: on that key only.
resource functionEncryptionKeyCryptoOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(encryptionKey.id, functionPrincipalId, keyVaultCryptoOfficerRoleId)
  scope: encryptionKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultCryptoOfficerRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionVaultSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (isHmac) {
  name: guid(vault.id, functionPrincipalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionPrincipalId, storageBlobDataOwnerRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwnerRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(revocationTable.id, functionPrincipalId, storageTableDataContributorRoleId)
  scope: revocationTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The DPoP replay table, like the revocation table: data access to that one table only.
resource functionReplayTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dpopReplayTable.id, functionPrincipalId, storageTableDataContributorRoleId)
  scope: dpopReplayTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource functionMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionPrincipalId, monitoringMetricsPublisherRoleId)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(storage.id, deployerPrincipalId, storageBlobDataOwnerRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwnerRoleId)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

resource deployerKeyCryptoOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId) && !isHmac) {
  name: guid(signingKey.id, deployerPrincipalId, keyVaultCryptoOfficerRoleId)
  scope: signingKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultCryptoOfficerRoleId)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}
