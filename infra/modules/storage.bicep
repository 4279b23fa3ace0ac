// Host storage, deployment package container, the revocation table and the DPoP replay table. No shared keys: every
// client (the host, azd deploy, the revocation store) uses Microsoft Entra identities.
@description('3-24 lowercase letters and digits (main.bicep builds it so for any azd environment name).')
param name string
param location string
param tags object

var deploymentContainerName = 'app-package'
var revocationTableName = 'revocations'
// Proof ids (jti) of DPoP proofs already seen, shared by every instance (src/binding/table-replay-cache.ts).
var dpopReplayTableName = 'dpopjti'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource revocationTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: revocationTableName
}

resource dpopReplayTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: dpopReplayTableName
}

output name string = account.name
output deploymentContainerName string = deploymentContainer.name
// The tables' own names: `.name` of a child resource is its full name (account/default/table).
output revocationTableName string = revocationTableName
output dpopReplayTableName string = dpopReplayTableName
