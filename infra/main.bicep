// kv-jwt: everything `azd up` deploys, with least privilege. Subscription scope: one resource group.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; prefixes every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID); gets what azd deploy needs.')
param principalId string = ''

@description('Client id of the function app\'s Microsoft Entra app registration (see README: az ad app create).')
param functionAppClientId string

@description('Application ID URI that callers request tokens for; AUTH_AUDIENCE and the Logic App audience.')
param functionAppIdUri string = 'api://${functionAppClientId}'

@allowed(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'])
@description('JWT_ALG. RS256 is what API Management validate-jwt accepts everywhere.')
param jwtAlg string = 'RS256'

@description('JWT_AUDIENCES: comma-separated audiences callers may request.')
param jwtAudiences string = 'api://orders'

@description('Signing key name in Key Vault (JWT_KEY_NAME).')
param keyName string = 'jwt-signing'

@description('RSA modulus size of the signing key (RS*/PS*). Never change it after the first deployment: Key Vault refuses to redefine an existing key.')
@allowed([2048, 3072, 4096])
param rsaKeySize int = 2048

@description('URL the Logic App token broker calls with a freshly signed token.')
param downstreamApiUrl string = 'https://downstream.example.com/orders'

@description('Audience of the downstream token the Logic App asks for (one of jwtAudiences).')
param downstreamAudience string = split(jwtAudiences, ',')[0]

@description('Admit only the LogicApps and ApiManagement service tags (plus publicVerifierCidrs) to the function app.')
param restrictNetworkAccess bool = false

@description('With restrictNetworkAccess: extra CIDRs allowed (e.g. verifiers that read the JWKS directly).')
param publicVerifierCidrs array = []

param rotationSchedule string = '0 0 * * * *'
param rotationInterval string = 'P90D'
param rotationPropagation string = 'P2D'

var abbreviation = toLower(take(replace(environmentName, '-', ''), 12))
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var isHmac = startsWith(jwtAlg, 'HS')

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: { name: 'kvjwt-${resourceToken}', location: location, tags: tags }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: { name: 'st${abbreviation}${take(resourceToken, 8)}', location: location, tags: tags }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: resourceGroup
  params: {
    name: 'kv-${take(abbreviation, 8)}-${take(resourceToken, 10)}'
    location: location
    tags: tags
    keyName: keyName
    jwtAlg: jwtAlg
    rsaKeySize: rsaKeySize
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  params: {
    name: 'func-${abbreviation}-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    restrictNetworkAccess: restrictNetworkAccess
    publicVerifierCidrs: publicVerifierCidrs
  }
}

module logicApp 'modules/logic-app.bicep' = {
  name: 'logic-app'
  scope: resourceGroup
  params: {
    name: 'logic-${abbreviation}-${resourceToken}'
    location: location
    tags: tags
    functionBaseUrl: 'https://${functionApp.outputs.defaultHostName}'
    functionAudience: functionAppIdUri
    downstreamApiUrl: downstreamApiUrl
    downstreamAudience: downstreamAudience
  }
}

module functionSettings 'modules/function-settings.bicep' = {
  name: 'function-settings'
  scope: resourceGroup
  params: {
    functionAppName: functionApp.outputs.name
    tenantId: tenant().tenantId
    functionAppClientId: functionAppClientId
    functionAppIdUri: functionAppIdUri
    logicAppPrincipalId: logicApp.outputs.principalId
    adminPrincipalIds: empty(principalId) ? [] : [principalId]
    appInsightsConnectionString: monitoring.outputs.connectionString
    storageAccountName: storage.outputs.name
    revocationTableName: storage.outputs.revocationTableName
    keyVaultUri: vault.outputs.uri
    keyName: keyName
    jwtAlg: jwtAlg
    jwtAudiences: jwtAudiences
    downstreamAudience: downstreamAudience
    rotationSchedule: rotationSchedule
    rotationInterval: rotationInterval
    rotationPropagation: rotationPropagation
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: resourceGroup
  params: {
    functionPrincipalId: functionApp.outputs.principalId
    deployerPrincipalId: principalId
    vaultName: vault.outputs.name
    keyName: keyName
    isHmac: isHmac
    storageAccountName: storage.outputs.name
    revocationTableName: storage.outputs.revocationTableName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

output AZURE_RESOURCE_GROUP string = resourceGroup.name
output FUNCTION_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}'
output JWT_ISSUER string = 'https://${functionApp.outputs.defaultHostName}/api'
output JWKS_URI string = 'https://${functionApp.outputs.defaultHostName}/api/.well-known/jwks.json'
output OPENID_CONFIGURATION_URL string = 'https://${functionApp.outputs.defaultHostName}/api/.well-known/openid-configuration'
output KEY_VAULT_URI string = vault.outputs.uri
output LOGIC_APP_NAME string = logicApp.outputs.name
output LOGIC_APP_TRIGGER_URL_HINT string = 'az rest --method post --uri "https://management.azure.com${logicApp.outputs.id}/triggers/manual/listCallbackUrl?api-version=2019-05-01" --query value -o tsv'
