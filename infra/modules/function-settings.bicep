// Every app setting the code reads (src/config/settings.ts), and App Service Authentication that admits
// only the Logic Apps' identities and the deploying principal; the in-code check validates the same token.
param functionAppName string
param tenantId string
param clientId string
@description('Application ID URI (api://<client id>): what callers request tokens for.')
param identifierUri string
@description('aud of the access tokens the app accepts: the client id for v2 tokens, the identifier URI for v1.')
param authAudience string
param callApiPrincipalId string
param verifyInboundPrincipalId string
@description('Object id of the deploying principal (azd AZURE_PRINCIPAL_ID); empty: no entry.')
param deployerPrincipalId string = ''
param appInsightsConnectionString string
param storageAccountName string
param revocationTableName string
param dpopReplayTableName string
param keyVaultUri string
param keyName string
param auditKeyName string
param encryptionKeyName string
param jwtAlg string
param jwtKeySize int
@description('JWT_AUDIENCES, comma-separated: every audience any caller may receive.')
param jwtAudiences string
param downstreamAudience string
param inboundAudience string
param rotationSchedule string
param rotationInterval string
param rotationPropagation string

var isHmac = startsWith(jwtAlg, 'HS')

// CALLER_POLICY, one entry per identity, each with only what its job needs. `audiences` are the audiences a
// caller may mint tokens for; `verifyAudiences` those of the tokens it may verify (default: `audiences`).
// The downstream audience is only ever signed, the inbound audience only ever verified (main.bicep refuses
// them equal), so no caller can turn an inbound token into a downstream one.
var callApiPolicy = {
  operations: ['sign']
  audiences: [downstreamAudience]
  maxTtl: 'PT10M'
  claims: []
}
var verifyInboundPolicy = {
  operations: ['verify']
  audiences: []
  verifyAudiences: [inboundAudience]
  claims: []
}
// The deploying principal plays an inbound partner for the postdeploy smoke test: it may sign short-lived
// tokens for the inbound audience (never the downstream one), verify them, and use the admin routes.
var deployerPolicy = {
  operations: ['sign', 'verify', 'admin']
  audiences: [inboundAudience]
  maxTtl: 'PT5M'
  claims: []
}
var workflowPolicies = { '${callApiPrincipalId}': callApiPolicy, '${verifyInboundPrincipalId}': verifyInboundPolicy }
var callerPolicy = empty(deployerPrincipalId) ? workflowPolicies : union(workflowPolicies, { '${deployerPrincipalId}': deployerPolicy })
var allowedIdentities = empty(deployerPrincipalId) ? [callApiPrincipalId, verifyInboundPrincipalId] : [callApiPrincipalId, verifyInboundPrincipalId, deployerPrincipalId]

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
    KEY_VAULT_URL: keyVaultUri
    KEY_VAULT_CREATE_KEY: isHmac ? 'true' : 'false'
    JWT_KEY_NAME: keyName
    AUDIT_KEY_NAME: auditKeyName
    JWT_ENCRYPTION_KEY_NAME: encryptionKeyName
    JWT_ALG: jwtAlg
    JWT_KEY_SIZE: string(jwtKeySize)
    JWT_AUDIENCES: jwtAudiences
    JWT_DEFAULT_TTL: 'PT15M'
    JWT_MAX_TTL: 'PT1H'
    JWT_CLOCK_SKEW: 'PT1M'
    ROTATION_SCHEDULE: rotationSchedule
    ROTATION_INTERVAL: rotationInterval
    ROTATION_PROPAGATION: rotationPropagation
    VERIFY_MODE: 'local'
    AUTH_MODE: 'entra'
    AUTH_TENANT_ID: tenantId
    AUTH_AUDIENCE: authAudience
    AUTH_AUTHORITY_HOST: environment().authentication.loginEndpoint
    CALLER_POLICY: string(callerPolicy)
    REVOCATION_TABLE_URL: 'https://${storageAccountName}.table.${environment().suffixes.storage}'
    REVOCATION_TABLE_NAME: revocationTableName
    DPOP_REPLAY_TABLE_NAME: dpopReplayTableName
  }
}

resource authentication 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // Verifiers (API Management, JOSE libraries) and the smoke test read these anonymously.
      excludedPaths: ['/api/.well-known/jwks.json', '/api/.well-known/openid-configuration', '/api/health', '/api/openapi.json']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          // The cloud's own login endpoint (sovereign clouds included), v2.0 issuer as App Service documents.
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [identifierUri, clientId]
          defaultAuthorizationPolicy: {
            allowedPrincipals: { identities: allowedIdentities }
          }
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}
