// kv-jwt: everything `azd up` deploys, with least privilege. Subscription scope: one resource group, plus (unless
// FUNCTION_APP_CLIENT_ID names an existing one) the function app's Microsoft Entra registration.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name ([a-zA-Z0-9-_.()], azd checks it); part of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource: one where Flex Consumption runs (the list of the Functions azd quickstart, without the canary region).')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying principal (azd AZURE_PRINCIPAL_ID): admin, smoke-test caller, azd deploy rights.')
param principalId string = ''

@description('azd AZURE_PRINCIPAL_TYPE: User from a terminal, ServicePrincipal when `azd up` runs in CI.')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('Bring your own Entra registration: its client id. Empty: this deployment creates one (Microsoft Graph Bicep).')
param functionAppClientId string = ''

@description('With your own registration: its Application ID URI. Empty: api://<functionAppClientId>.')
param functionAppIdUri string = ''

@description('With your own registration: its api.requestedAccessTokenVersion (2: aud is the client id; 1: aud is the URI).')
@allowed([1, 2])
param functionAppAccessTokenVersion int = 2

@description('Created registration only: only principals assigned its app role can get a token for the API (the Logic Apps and the deployer are assigned).')
param requireAppRoleAssignment bool = true

@allowed(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'])
@description('JWT_ALG. RS256 is what API Management validate-jwt accepts everywhere.')
param jwtAlg string = 'RS256'

@description('RSA modulus bits for the first key version, every rotated version and JWT_KEY_SIZE (ignored for EC and HMAC). Changing it later needs a new keyName: Key Vault refuses to redefine an existing key.')
@allowed([2048, 3072, 4096])
param jwtKeySize int = 2048

@description('Signing key name in Key Vault (JWT_KEY_NAME).')
param keyName string = 'jwt-signing'

@description('Encryption key name in Key Vault (JWT_ENCRYPTION_KEY_NAME): RSA-OAEP-256, wrapKey/unwrapKey only, rotated by the app like the signing key.')
param encryptionKeyName string = 'jwt-encryption'

@description('The Key Vault key the app derives the key of its audit hashes from (AUDIT_KEY_NAME).')
var auditKeyName = 'kv-jwt-audit'

@description('Audience of the tokens call-api-with-token asks for and sends downstream. Only ever signed.')
param downstreamAudience string = 'api://orders'

@description('The verify-inbound workflow\'s own audience: the aud of tokens callers present to it. Only ever verified; must differ from downstreamAudience.')
param inboundAudience string = 'api://logic-app-inbound'

@description('Further audiences for callers you add to CALLER_POLICY yourself, comma-separated (JWT_AUDIENCES also gets the two above).')
param extraJwtAudiences string = ''

@description('URL call-api-with-token calls with a freshly signed token.')
param downstreamApiUrl string = 'https://downstream.example.com/orders'

@description('Part of the Key Vault name. Purge protection keeps a deleted vault\'s name for 90 days: after `azd down`, set a new salt (azd env set KEY_VAULT_NAME_SALT 2) to deploy the environment again.')
param keyVaultNameSalt string = ''

@description('Admit only the LogicApps and ApiManagement service tags (plus publicVerifierCidrs) to the function app.')
param restrictNetworkAccess bool = false

@description('With restrictNetworkAccess: extra CIDRs allowed (e.g. verifiers that read the JWKS directly).')
param publicVerifierCidrs array = []

@description('ROTATION_SCHEDULE: when the rotateKeys timer runs (6-field NCRONTAB, UTC).')
param rotationSchedule string = '0 0 * * * *'

@description('ROTATION_INTERVAL (ISO 8601 in years, months, days, hours, minutes, seconds; a year is 365 days and a month 30, as the app reads them; no weeks).')
param rotationInterval string = 'P90D'

@description('ROTATION_PROPAGATION, in the same form as rotationInterval.')
param rotationPropagation string = 'P2D'

@description('No rotateKeys run for this long raises "rotation timer not running": about three periods of rotationSchedule.')
param rotationTimerSilence string = 'PT3H'

@description('ALERT_EMAIL: where the alert rules email (a team mailbox or distribution list). Empty: the rules are deployed without an action group; they fire in Azure Monitor and email nobody.')
param alertEmail string = ''

// Names. azd environment names may hold - _ . ( ); storage accounts take only lowercase letters and digits
// (3-24), vaults letters, digits and single hyphens (3-24, starting with a letter), sites letters, digits and
// hyphens. So the environment's letters and digits only, then a 13-character token unique per subscription,
// environment and region.
var environmentLetters = toLower(replace(replace(replace(replace(replace(environmentName, '-', ''), '_', ''), '.', ''), '(', ''), ')', ''))
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var vaultToken = toLower(uniqueString(subscription().id, environmentName, location, keyVaultNameSalt))
var nameStem = empty(environmentLetters) ? resourceToken : '${take(environmentLetters, 12)}-${resourceToken}'
var storageAccountName = 'st${take(environmentLetters, 9)}${resourceToken}'
var keyVaultName = 'kv${take(environmentLetters, 9)}${vaultToken}'
// A resource group name may hold every character azd allows but must not end with a period.
var resourceGroupName = endsWith(environmentName, '.') ? 'rg-${environmentName}0' : 'rg-${environmentName}'
var tags = { 'azd-env-name': environmentName }
var isHmac = startsWith(jwtAlg, 'HS')

// A workflow that may verify inbound tokens and sign downstream ones for the same audience would let an inbound
// caller obtain a downstream token: refused here, before anything is deployed.
var distinctAudiences = inboundAudience == downstreamAudience ? fail('inboundAudience and downstreamAudience must differ (INBOUND_AUDIENCE, DOWNSTREAM_AUDIENCE): a token presented to verify-inbound must never be good downstream.') : [downstreamAudience, inboundAudience]
var extraAudiences = filter(map(split(extraJwtAudiences, ','), audience => trim(audience)), audience => !empty(audience))
var jwtAudiences = join(union(distinctAudiences, extraAudiences), ',')

var createRegistration = empty(functionAppClientId)

// The alert rules compare ages in seconds; the app reads the same ISO 8601 settings the same way.
var rotationIntervalSeconds = dateTimeToEpoch(dateTimeAdd('1970-01-01T00:00:00Z', rotationInterval))
var rotationPropagationSeconds = dateTimeToEpoch(dateTimeAdd('1970-01-01T00:00:00Z', rotationPropagation))

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module appRegistration 'modules/app-registration.bicep' = if (createRegistration) {
  name: 'app-registration'
  scope: resourceGroup
  params: {
    uniqueName: 'kv-jwt-${resourceToken}'
    displayName: 'kv-jwt (${environmentName})'
    ownerPrincipalId: principalId
    requireAppRoleAssignment: requireAppRoleAssignment
  }
}

var clientId = createRegistration ? appRegistration.outputs.clientId : functionAppClientId
var identifierUri = createRegistration ? appRegistration.outputs.identifierUri : (empty(functionAppIdUri) ? 'api://${functionAppClientId}' : functionAppIdUri)
// v2 tokens carry the client id as aud, v1 tokens the requested URI. A created registration asks for v2.
var authAudience = createRegistration || functionAppAccessTokenVersion == 2 ? clientId : identifierUri

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: { name: 'kvjwt-${resourceToken}', location: location, tags: tags }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: { name: storageAccountName, location: location, tags: tags }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: resourceGroup
  params: {
    name: keyVaultName
    location: location
    tags: tags
    keyName: keyName
    jwtAlg: jwtAlg
    jwtKeySize: jwtKeySize
    auditKeyName: auditKeyName
    encryptionKeyName: encryptionKeyName
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: resourceGroup
  params: {
    name: 'func-${nameStem}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    restrictNetworkAccess: restrictNetworkAccess
    publicVerifierCidrs: publicVerifierCidrs
  }
}

module logicApps 'modules/logic-apps.bicep' = {
  name: 'logic-apps'
  scope: resourceGroup
  params: {
    callApiName: 'logic-call-api-${nameStem}'
    verifyInboundName: 'logic-verify-inbound-${nameStem}'
    location: location
    tags: tags
    functionBaseUrl: 'https://${functionApp.outputs.defaultHostName}'
    functionAudience: identifierUri
    downstreamApiUrl: downstreamApiUrl
    downstreamAudience: distinctAudiences[0]
    inboundAudience: distinctAudiences[1]
  }
}

module appRoleAssignments 'modules/app-role-assignments.bicep' = if (createRegistration && requireAppRoleAssignment) {
  name: 'app-role-assignments'
  scope: resourceGroup
  params: {
    servicePrincipalId: appRegistration.outputs.servicePrincipalId
    appRoleId: appRegistration.outputs.callerAppRoleId
    principalIds: concat([logicApps.outputs.callApiPrincipalId, logicApps.outputs.verifyInboundPrincipalId], empty(principalId) ? [] : [principalId])
  }
}

module functionSettings 'modules/function-settings.bicep' = {
  name: 'function-settings'
  scope: resourceGroup
  params: {
    functionAppName: functionApp.outputs.name
    tenantId: tenant().tenantId
    clientId: clientId
    identifierUri: identifierUri
    authAudience: authAudience
    callApiPrincipalId: logicApps.outputs.callApiPrincipalId
    verifyInboundPrincipalId: logicApps.outputs.verifyInboundPrincipalId
    deployerPrincipalId: principalId
    appInsightsConnectionString: monitoring.outputs.connectionString
    storageAccountName: storage.outputs.name
    revocationTableName: storage.outputs.revocationTableName
    dpopReplayTableName: storage.outputs.dpopReplayTableName
    keyVaultUri: vault.outputs.uri
    keyName: keyName
    auditKeyName: auditKeyName
    encryptionKeyName: encryptionKeyName
    jwtAlg: jwtAlg
    jwtKeySize: jwtKeySize
    jwtAudiences: jwtAudiences
    downstreamAudience: distinctAudiences[0]
    inboundAudience: distinctAudiences[1]
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
    deployerPrincipalType: principalType
    vaultName: vault.outputs.name
    keyName: keyName
    auditKeyName: auditKeyName
    encryptionKeyName: encryptionKeyName
    isHmac: isHmac
    storageAccountName: storage.outputs.name
    revocationTableName: storage.outputs.revocationTableName
    dpopReplayTableName: storage.outputs.dpopReplayTableName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: resourceGroup
  params: {
    name: nameStem
    location: location
    tags: tags
    appInsightsName: monitoring.outputs.appInsightsName
    alertEmail: alertEmail
    rotationIntervalSeconds: rotationIntervalSeconds
    rotationPropagationSeconds: rotationPropagationSeconds
    rotationTimerSilence: rotationTimerSilence
  }
}

// azd stores these in the environment (.azure/<env>/.env); the postdeploy smoke test reads them. None is a
// secret: the Logic Apps' callback URLs hold a SAS and are fetched on demand (az rest ... listCallbackUrl).
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}'
output JWT_ISSUER string = 'https://${functionApp.outputs.defaultHostName}/api'
output JWKS_URI string = 'https://${functionApp.outputs.defaultHostName}/api/.well-known/jwks.json'
output OPENID_CONFIGURATION_URL string = 'https://${functionApp.outputs.defaultHostName}/api/.well-known/openid-configuration'
output KEY_VAULT_NAME string = vault.outputs.name
output KEY_VAULT_URI string = vault.outputs.uri
output ENTRA_APP_CLIENT_ID string = clientId
output ENTRA_APP_ID_URI string = identifierUri
output INBOUND_AUDIENCE string = distinctAudiences[1]
output DOWNSTREAM_AUDIENCE string = distinctAudiences[0]
output CALL_API_WORKFLOW_ID string = logicApps.outputs.callApiId
output CALL_API_PRINCIPAL_ID string = logicApps.outputs.callApiPrincipalId
output VERIFY_INBOUND_WORKFLOW_ID string = logicApps.outputs.verifyInboundId
output VERIFY_INBOUND_PRINCIPAL_ID string = logicApps.outputs.verifyInboundPrincipalId
