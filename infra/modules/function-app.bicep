// Function app on Flex Consumption (FC1), Node 22, system-assigned identity, HTTPS only.
// App settings and authentication are separate resources (function-settings.bicep): they need the
// Logic App's identity, and the Logic App needs this app's host name.
param name string
param location string
param tags object
param storageAccountName string
param deploymentContainerName string
param restrictNetworkAccess bool
param publicVerifierCidrs array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${name}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// Service tags admit Logic Apps (the caller) and API Management (validate-jwt reads the JWKS);
// access restrictions apply to the whole site, so other verifiers need publicVerifierCidrs or APIM.
var serviceTagRules = [
  { name: 'LogicApps', ipAddress: 'LogicApps', tag: 'ServiceTag', action: 'Allow', priority: 100 }
  { name: 'ApiManagement', ipAddress: 'ApiManagement', tag: 'ServiceTag', action: 'Allow', priority: 110 }
]
var verifierRules = [for (cidr, i) in publicVerifierCidrs: { name: 'verifier-${i}', ipAddress: cidr, action: 'Allow', priority: 200 + i }]

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      ipSecurityRestrictions: restrictNetworkAccess ? concat(serviceTagRules, verifierRules) : []
      ipSecurityRestrictionsDefaultAction: restrictNetworkAccess ? 'Deny' : 'Allow'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '22' }
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output principalId string = site.identity.principalId
