// Key Vault with RBAC, soft delete and purge protection, and the first version of the signing key.
// The rotateKeys timer owns rotation (announced -> active -> retired -> disabled); the key has no Key Vault
// rotation policy: no version carries an expiry, so a "notify before expiry" action could never fire.
// The vault name is deterministic per environment and salt (main.bicep): with purge protection a deleted vault
// keeps its name for softDeleteRetentionInDays, so a redeploy after `azd down` needs a new salt.
param name string
param location string
param tags object
param keyName string
param jwtAlg string
@description('RSA modulus bits of the signing key (ignored for EC and HMAC); the app reads the same value as JWT_KEY_SIZE.')
param jwtKeySize int
@description('The key the app derives the key of its audit hashes from (AUDIT_KEY_NAME): signed with, never rotated.')
param auditKeyName string
@description('The key tokens are encrypted to (JWT_ENCRYPTION_KEY_NAME): wrapKey/unwrapKey only, rotated by the app.')
param encryptionKeyName string

var isHmac = startsWith(jwtAlg, 'HS')
var isEc = startsWith(jwtAlg, 'ES')
var curves = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
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
    keySize: isEc ? null : jwtKeySize
    curveName: isEc ? curves[jwtAlg] : null
    keyOps: ['sign', 'verify']
    attributes: { enabled: true, exportable: false }
  }
}

// The audit-hash key (src/keys/keyvault/audit-key.ts): the app signs a fixed label with it (RS256 is deterministic)
// to derive the HMAC key of the subject hashes in its audit log. It never rotates: a new one would break the
// correlation of old and new events. Also in HMAC mode: it is a Key Vault key either way.
resource auditKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: auditKeyName
  tags: { purpose: 'audit-hash', origin: 'bicep' }
  properties: {
    kty: 'RSA'
    keySize: 2048
    keyOps: ['sign', 'verify']
    attributes: { enabled: true, exportable: false }
  }
}

// The encryption key (src/jwe, "encrypt": true): RSA of JWT_KEY_SIZE bits, RSA-OAEP-256, wrapKey/unwrapKey only —
// it can not sign. Like the signing key it has no Key Vault rotation policy: the rotateKeys timer rotates it on the
// same lifecycle. Also in HMAC mode: the encryption key is a Key Vault key either way.
resource encryptionKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: encryptionKeyName
  tags: { alg: 'RSA-OAEP-256', origin: 'bicep' }
  properties: {
    kty: 'RSA'
    keySize: jwtKeySize
    keyOps: ['wrapKey', 'unwrapKey']
    attributes: { enabled: true, exportable: false }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
