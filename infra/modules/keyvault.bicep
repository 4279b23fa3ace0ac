// Key Vault with RBAC, soft delete and purge protection, and the first version of the signing key.
// The timer function owns rotation; the vault's rotation policy only notifies before expiry.
param name string
param location string
param tags object
param keyName string
param jwtAlg string
param rsaKeySize int

var isHmac = startsWith(jwtAlg, 'HS')
var isEc = startsWith(jwtAlg, 'ES')
var curves = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take(name, 24)
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

// HS* uses Key Vault secrets created by the app itself (KEY_VAULT_CREATE_KEY=true): a secret's
// value must come from the service's CSPRNG, never from a template.
resource signingKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = if (!isHmac) {
  parent: vault
  name: keyName
  tags: { alg: jwtAlg, origin: 'bicep' }
  properties: {
    kty: isEc ? 'EC' : 'RSA'
    keySize: isEc ? null : rsaKeySize
    curveName: isEc ? curves[jwtAlg] : null
    keyOps: ['sign', 'verify']
    attributes: { enabled: true, exportable: false }
    rotationPolicy: {
      attributes: { expiryTime: 'P2Y' }
      lifetimeActions: [
        { trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'notify' } }
      ]
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
