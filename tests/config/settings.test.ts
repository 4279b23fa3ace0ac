import { loadConfig } from '../../src/config/settings';
import { configErrorOf } from '../support/config';

const AZURE = {
  WEBSITE_SITE_NAME: 'kv-jwt-prod',
  KEY_VAULT_URL: 'https://kv-jwt-prod.vault.azure.net',
  WEBSITE_HOSTNAME: 'kv-jwt-prod.azurewebsites.net',
  JWT_AUDIENCES: 'api://orders',
  AUTH_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AUTH_AUDIENCE: 'api://kv-jwt',
  AzureWebJobsStorage__accountName: 'kvjwtstore',
};

/** Local settings unless the case says otherwise: AUTH_MODE=none is asked for, as the embedded host does. */
const local = (env: Record<string, string> = {}) => loadConfig({ AUTH_MODE: 'none', ...env });

const configError = configErrorOf;

describe('loadConfig', () => {
  it('has safe local defaults once AUTH_MODE=none is asked for', () => {
    const config = local();
    expect(config.alg).toBe('RS256');
    expect(config.keyName).toBe('jwt-signing');
    expect(config.authMode).toBe('none');
    expect(config.verifyMode).toBe('local');
    expect(config.issuer).toBe('http://localhost:7071/api');
    expect(config.audiences).toEqual(['api://local-dev']);
    expect(config.defaultTtlMs).toBe(15 * 60_000);
    expect(config.maxTtlMs).toBe(3_600_000);
    expect(config.clockSkewMs).toBe(60_000);
    expect(config.rotation).toMatchObject({ schedule: '0 0 * * * *', intervalMs: 90 * 86_400_000, propagationMs: 2 * 86_400_000 });
    expect(config.storage.connectionString).toBe('UseDevelopmentStorage=true');
  });

  it('derives the issuer from the App Service host name, never from a request', () => {
    const config = loadConfig(AZURE);
    expect(config.issuer).toBe('https://kv-jwt-prod.azurewebsites.net/api');
    expect(config.authMode).toBe('entra');
    expect(loadConfig({ ...AZURE, JWT_ISSUER: 'https://tokens.contoso.com' }).issuer).toBe('https://tokens.contoso.com');
    expect(loadConfig({ ...AZURE, JWT_ISSUER: 'https://tokens.contoso.com' }).apiBaseUrl).toBe('https://kv-jwt-prod.azurewebsites.net/api');
  });

  it('refuses AUTH_MODE=none in Azure and says why', () => {
    const error = configError({ ...AZURE, AUTH_MODE: 'none' }, {});
    expect(error.setting).toBe('AUTH_MODE');
    expect(error.message).toMatch(/refused in Azure/);
    expect(configError({ WEBSITE_INSTANCE_ID: 'abc', AUTH_MODE: 'none', JWT_AUDIENCES: 'x', KEY_VAULT_URL: 'https://v.vault.azure.net' }).setting).toBe('AUTH_MODE');
  });

  it('requires audiences and the Entra settings in Azure', () => {
    const { JWT_AUDIENCES: _a, ...noAudiences } = AZURE;
    expect(configError(noAudiences, {}).setting).toBe('JWT_AUDIENCES');
    const { AUTH_TENANT_ID: _t, ...noTenant } = AZURE;
    expect(configError(noTenant, {}).setting).toBe('AUTH_TENANT_ID');
    const { AUTH_AUDIENCE: _u, ...noAudience } = AZURE;
    expect(configError(noAudience, {}).setting).toBe('AUTH_AUDIENCE');
  });

  it.each([
    ['JWT_ALG', 'none'],
    ['JWT_ALG', 'RS1'],
    ['JWT_DEFAULT_TTL', '15m'],
    ['JWT_MAX_TTL', 'PT0S'],
    ['JWT_CLOCK_SKEW', '-PT1M'],
    ['ROTATION_INTERVAL', 'ninety days'],
    ['ROTATION_SCHEDULE', '0 * * * *'],
    ['VERIFY_MODE', 'remote'],
    ['AUTH_MODE', 'basic'],
    ['KEY_VAULT_URL', 'http://vault.example'],
    ['KEY_VAULT_URL', 'not a url'],
    ['KEY_VAULT_CREATE_KEY', 'maybe'],
    ['REVOCATION_TABLE_URL', 'http://tables.example.com'],
    ['CALLER_POLICY', '{'],
    ['LOCAL_KEYSTORE_SECRET', 'x'],
  ])('stops on %s=%p with a message naming the setting', (setting, value) => {
    const error = configError({ [setting]: value });
    expect(error.setting).toBe(setting);
    expect(error.message.startsWith(`${setting}:`)).toBe(true);
  });

  it('accepts every algorithm of the contract', () => {
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512']) {
      expect(local({ JWT_ALG: alg }).alg).toBe(alg);
    }
  });

  it('keeps the default TTL within the maximum and propagation within the interval', () => {
    expect(configError({ JWT_DEFAULT_TTL: 'PT2H', JWT_MAX_TTL: 'PT1H' }).setting).toBe('JWT_DEFAULT_TTL');
    expect(configError({ ROTATION_INTERVAL: 'PT20S', ROTATION_PROPAGATION: 'PT30S' }).setting).toBe('ROTATION_PROPAGATION');
  });

  it('derives retention and the JWKS cache lifetime from the lifetimes', () => {
    const config = local({ ROTATION_INTERVAL: 'PT20S', ROTATION_PROPAGATION: 'PT5S', JWT_MAX_TTL: 'PT10S', JWT_DEFAULT_TTL: 'PT5S', JWT_CLOCK_SKEW: 'PT1S' });
    expect(config.jwksMaxAgeSeconds).toBe(2); // ≤ propagation / 2
    expect(config.rotation.retentionMs).toBe(10_000 + 1000 + 2000);
    expect(local().jwksMaxAgeSeconds).toBe(3600); // capped at APIM's refresh period
  });

  it('refuses a plain http table URL even on loopback: the managed identity token would go over http, which the SDK refuses (Azurite is AzureWebJobsStorage)', () => {
    expect(() => local({ REVOCATION_TABLE_URL: 'http://127.0.0.1:10002/devstoreaccount1' })).toThrow(/REVOCATION_TABLE_URL.*https/);
    expect(local({ REVOCATION_TABLE_URL: 'https://127.0.0.1:10002/devstoreaccount1' }).storage.revocationTableUrl).toBe('https://127.0.0.1:10002/devstoreaccount1');
  });

  it('authenticates callers unless AUTH_MODE=none is asked for: under func start, in a container, anywhere', () => {
    const error = configError({}, {});
    expect(error.setting).toBe('AUTH_TENANT_ID');
    expect(error.message).toContain('AUTH_MODE=none');
    expect(loadConfig({ AUTH_TENANT_ID: AZURE.AUTH_TENANT_ID, AUTH_AUDIENCE: 'api://kv-jwt' }).authMode).toBe('entra');
    expect(configError({ AUTH_TENANT_ID: AZURE.AUTH_TENANT_ID }, {}).setting).toBe('AUTH_AUDIENCE');
  });

  it('fetches caller keys over https only: plain http on loopback needs AUTH_AUTHORITY_HOST_ALLOW_HTTP', () => {
    expect(configError({ AUTH_AUTHORITY_HOST: 'http://login.example.com' }).setting).toBe('AUTH_AUTHORITY_HOST');
    expect(configError({ AUTH_AUTHORITY_HOST: 'http://127.0.0.1:4000' }).setting).toBe('AUTH_AUTHORITY_HOST');
    expect(configError({ AUTH_AUTHORITY_HOST: 'http://login.example.com', AUTH_AUTHORITY_HOST_ALLOW_HTTP: 'true' }).setting).toBe('AUTH_AUTHORITY_HOST');
    expect(local({ AUTH_AUTHORITY_HOST: 'http://127.0.0.1:4000/', AUTH_AUTHORITY_HOST_ALLOW_HTTP: 'true' }).auth.authorityHost).toBe('http://127.0.0.1:4000');
    expect(local({ AUTH_AUTHORITY_HOST: 'https://login.microsoftonline.us' }).auth.authorityHost).toBe('https://login.microsoftonline.us');
  });

  it('refuses the embedded development key store in Azure unless asked for, naming KEY_VAULT_URL', () => {
    const { KEY_VAULT_URL: _v, ...noVault } = AZURE;
    const error = configError(noVault, {});
    expect(error.setting).toBe('KEY_VAULT_URL');
    expect(error.message).toMatch(/embedded development store/);
    expect(loadConfig({ ...noVault, LOCAL_KEYSTORE_ALLOW_IN_AZURE: 'true' }).keyVaultUrl).toBeUndefined();
  });

  it('refuses a Key Vault URL whose challenge would not name it unless the emulator setting says so', () => {
    expect(configError({ KEY_VAULT_URL: 'https://127.0.0.1:8443' }).setting).toBe('KEY_VAULT_URL');
    expect(local({ KEY_VAULT_URL: 'https://127.0.0.1:8443', KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true' }).keyVaultUrl).toBe('https://127.0.0.1:8443');
    expect(local({ KEY_VAULT_URL: 'https://contoso.vault.azure.net/' }).keyVaultUrl).toBe('https://contoso.vault.azure.net');
  });

  it('takes the RSA key size from JWT_KEY_SIZE, one of Key Vault\'s sizes', () => {
    expect(local().rsaKeySize).toBe(2048);
    expect(local({ JWT_KEY_SIZE: '4096' }).rsaKeySize).toBe(4096);
    for (const size of ['1024', '2047', 'big', '8192']) expect(configError({ JWT_KEY_SIZE: size }).setting).toBe('JWT_KEY_SIZE');
  });

  it('derives a plain-http issuer for Core Tools (WEBSITE_HOSTNAME=localhost:7071) and https in Azure', () => {
    expect(local({ WEBSITE_HOSTNAME: 'localhost:7071' }).issuer).toBe('http://localhost:7071/api');
    expect(local({ WEBSITE_HOSTNAME: '127.0.0.1:7071' }).issuer).toBe('http://127.0.0.1:7071/api');
    expect(loadConfig(AZURE).issuer).toBe('https://kv-jwt-prod.azurewebsites.net/api');
  });

  it('bounds how long any instance takes to see a key change: a quarter of the propagation, at most a minute', () => {
    expect(local().ring.refreshIntervalMs).toBe(60_000);
    expect(local({ ROTATION_INTERVAL: 'PT20S', ROTATION_PROPAGATION: 'PT8S' }).ring.refreshIntervalMs).toBe(2000);
    expect(local({ ROTATION_INTERVAL: 'PT20S', ROTATION_PROPAGATION: 'PT1S' }).ring.refreshIntervalMs).toBe(1000);
    expect(local().ring.unknownKidCooldownMs).toBe(60_000);
    expect(local().rotation.policy).toEqual({ alg: 'RS256', intervalSeconds: 90 * 86_400, propagationSeconds: 2 * 86_400 });
  });

  it('gives the encryption key its own name, the signing key\'s periods and RSA-OAEP-256', () => {
    const config = local({ ROTATION_INTERVAL: 'P30D', ROTATION_PROPAGATION: 'P1D', JWT_KEY_SIZE: '3072' });
    expect(config.encryption.keyName).toBe('jwt-encryption');
    expect(config.encryption.rotationPolicy).toEqual({ alg: 'RSA-OAEP-256', intervalSeconds: 30 * 86_400, propagationSeconds: 86_400 });
    expect(config.encryption.ring).toEqual({ ...config.ring, alg: 'RSA-OAEP-256' });
    expect(config.rsaKeySize).toBe(3072); // one JWT_KEY_SIZE for both keys
    expect(local({ JWT_ENCRYPTION_KEY_NAME: 'partner-tokens' }).encryption.keyName).toBe('partner-tokens');
    expect(configError({ JWT_KEY_NAME: 'shared', JWT_ENCRYPTION_KEY_NAME: 'shared' }).setting).toBe('JWT_ENCRYPTION_KEY_NAME');
    // The audit key signs (RS256): the encryption key, which only wraps and unwraps, can not be it.
    expect(configError({ AUDIT_KEY_NAME: 'jwt-encryption' }).setting).toBe('AUDIT_KEY_NAME');
    expect(configError({ AUDIT_KEY_NAME: 'shared', JWT_ENCRYPTION_KEY_NAME: 'shared' }).setting).toBe('AUDIT_KEY_NAME');
    expect(local({ AUDIT_KEY_NAME: 'kv-jwt-audit-2' }).auditKeyName).toBe('kv-jwt-audit-2');
  });
});
