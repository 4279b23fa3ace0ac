// Every app setting the code reads (src/config/settings.ts), and App Service Authentication that
// admits only the Logic App's identity (and the admins) — the in-code check validates the same token.
param functionAppName string
param tenantId string
param functionAppClientId string
param functionAppIdUri string
param logicAppPrincipalId string
param adminPrincipalIds array = []
param appInsightsConnectionString string
param storageAccountName string
param revocationTableName string
param keyVaultUri string
param keyName string
param jwtAlg string
param jwtAudiences string
param downstreamAudience string
param rotationSchedule string
param rotationInterval string
param rotationPropagation string

var isHmac = startsWith(jwtAlg, 'HS')

// CALLER_POLICY: the Logic App may sign (only for the downstream audience, ≤ 10 minutes), verify
// and revoke; admins may use the admin routes and verify.
var logicAppPolicy = {
  '${logicAppPrincipalId}': {
    operations: ['sign', 'verify', 'revoke']
    audiences: [downstreamAudience]
    maxTtl: 'PT10M'
    claims: []
  }
}
var adminPolicies = reduce(adminPrincipalIds, {}, (all, id) => union(all, { '${id}': { operations: ['admin', 'verify'] } }))

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
    JWT_ALG: jwtAlg
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
    AUTH_AUDIENCE: functionAppIdUri
    AUTH_AUTHORITY_HOST: environment().authentication.loginEndpoint
    CALLER_POLICY: string(union(logicAppPolicy, adminPolicies))
    REVOCATION_TABLE_URL: 'https://${storageAccountName}.table.${environment().suffixes.storage}'
    REVOCATION_TABLE_NAME: revocationTableName
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
      // Verifiers (API Management, JOSE libraries) read these anonymously.
      excludedPaths: ['/api/.well-known/jwks.json', '/api/.well-known/openid-configuration', '/api/health', '/api/openapi.json']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: functionAppClientId
          // Managed identity tokens carry the v1 issuer.
          openIdIssuer: 'https://sts.windows.net/${tenantId}/'
        }
        validation: {
          allowedAudiences: [functionAppIdUri]
          defaultAuthorizationPolicy: {
            allowedPrincipals: { identities: concat([logicAppPrincipalId], adminPrincipalIds) }
          }
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}
