import { isHmac, isSupportedAlgorithm, KEY_WRAP_ALGORITHM, RSA_KEY_SIZES, SUPPORTED_ALGORITHMS, type JwsAlgorithm, type KeyWrapAlgorithm, type RsaKeySize } from '../algorithms';
import { ConfigError } from '../errors';
import { parseCallerPolicy, type CallerPolicy } from './caller-policy';
import { readAudienceJwks } from './encryption-settings';
import { duration, flag, httpsUrl, isLoopbackHost, oneOf, text, type Environment } from './readers';

export type { Environment } from './readers';
export type VerifyMode = 'local' | 'keyvault';
export type AuthMode = 'entra' | 'none';

/**
 * Every setting, read and validated once at start-up, and everything derived from them in the
 * form its user needs: the rotation policy in seconds, the key ring's refresh periods, the verify
 * rules. Nothing else in the app reads the environment.
 */
export interface AppConfig {
  /** True when running on App Service / Functions in Azure (WEBSITE_SITE_NAME or WEBSITE_INSTANCE_ID). */
  runningInAzure: boolean;
  keyVaultUrl?: string;
  keyName: string;
  /** The Key Vault key the audit hash key is derived from (see keys/keyvault/audit-key.ts). */
  auditKeyName: string;
  alg: JwsAlgorithm;
  /** RSA modulus bits of every new version (JWT_KEY_SIZE); EC keys follow their curve. */
  rsaKeySize: RsaKeySize;
  issuer: string;
  /** Public base URL of the HTTP API (`https://<host>/api`): where jwks_uri and the other endpoints live. */
  apiBaseUrl: string;
  audiences: readonly string[];
  defaultTtlMs: number;
  maxTtlMs: number;
  clockSkewMs: number;
  rotation: {
    schedule: string;
    intervalMs: number;
    propagationMs: number;
    /** How long a superseded key keeps verifying: max TTL + skew + JWKS cache lifetime. */
    retentionMs: number;
    /** What the rotation planner works with, in Unix seconds. */
    policy: { alg: JwsAlgorithm; intervalSeconds: number; propagationSeconds: number };
  };
  /** The key ring's periods, derived from ROTATION_PROPAGATION (see ringRefreshIntervalMs). */
  ring: { alg: JwsAlgorithm; retentionSeconds: number; refreshIntervalMs: number; unknownKidCooldownMs: number };
  /**
   * The encryption key (JWE, `"encrypt": true`): its own key, on the signing key's lifecycle and
   * periods (same rotation interval, propagation, retention and ring refresh), RSA-OAEP-256, with
   * JWT_KEY_SIZE bits.
   */
  encryption: {
    /** JWT_ENCRYPTION_KEY_NAME: the key's name in Key Vault. */
    keyName: string;
    ring: { alg: KeyWrapAlgorithm; retentionSeconds: number; refreshIntervalMs: number; unknownKidCooldownMs: number };
    rotationPolicy: { alg: KeyWrapAlgorithm; intervalSeconds: number; propagationSeconds: number };
    /** JWT_ENCRYPTION_AUDIENCE_JWKS: audience → https URL of its JWKS; tokens for it are encrypted to its own key. */
    audienceJwks: ReadonlyMap<string, string>;
  };
  /** The rules every token is verified by. */
  verify: { issuer: string; audiences: readonly string[]; clockSkewSeconds: number; maxTokenBytes: number };
  /** JWKS Cache-Control max-age: at most half the propagation, so verifiers see a key before it signs. */
  jwksMaxAgeSeconds: number;
  verifyMode: VerifyMode;
  authMode: AuthMode;
  auth: {
    tenantId?: string;
    audience?: string;
    authorityHost: string;
    callerPolicy: CallerPolicy;
  };
  localKeystore: { dir: string; secret?: string };
  keyVault: {
    createKeyIfMissing: boolean;
    disableChallengeResourceVerification: boolean;
    managedIdentityClientId?: string;
    /** The platform's managed identity (IDENTITY_ENDPOINT / MSI_ENDPOINT), else DefaultAzureCredential (az login). */
    credential: 'managed-identity' | 'default';
  };
  storage: {
    connectionString?: string;
    accountName?: string;
    revocationTableUrl?: string;
    revocationTableName: string;
    /** After a storage outage the last good revocation view is served this long; then verify answers 503. */
    revocationMaxStalenessMs: number;
  };
  /** Certificate- and DPoP-bound tokens (RFC 8705 / RFC 9449). */
  binding: {
    /** DPOP_REPLAY_TABLE_NAME: the table every instance records used DPoP proofs in (same account as the revocations). */
    replayTableName: string;
    /** DPOP_PROOF_WINDOW: how old a proof's iat may be (plus JWT_CLOCK_SKEW), and so how long its jti is remembered. */
    dpopProofWindowSeconds: number;
  };
  limits: {
    maxTokenBytes: number;
    maxClaimsBytes: number;
    maxBodyBytes: number;
  };
  /** Application Insights: metrics are exported only when the connection string is set. */
  telemetry: { connectionString?: string; authenticationString?: string };
}

const DEFAULTS = {
  JWT_KEY_NAME: 'jwt-signing',
  JWT_ENCRYPTION_KEY_NAME: 'jwt-encryption',
  AUDIT_KEY_NAME: 'kv-jwt-audit',
  JWT_ALG: 'RS256',
  JWT_KEY_SIZE: '2048',
  JWT_DEFAULT_TTL: 'PT15M',
  JWT_MAX_TTL: 'PT1H',
  JWT_CLOCK_SKEW: 'PT1M',
  ROTATION_SCHEDULE: '0 0 * * * *',
  ROTATION_INTERVAL: 'P90D',
  ROTATION_PROPAGATION: 'P2D',
  VERIFY_MODE: 'local',
  AUTH_MODE: 'entra',
  AUTH_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  LOCAL_KEYSTORE_DIR: '.keys',
  REVOCATION_TABLE_NAME: 'revocations',
  REVOCATION_MAX_STALENESS: 'PT5M',
  DPOP_REPLAY_TABLE_NAME: 'dpopjti',
  DPOP_PROOF_WINDOW: 'PT1M',
  LOCAL_AUDIENCE: 'api://local-dev',
} as const;

/** Defaults of settings that function bindings read as `%NAME%` (the embedded host resolves them). */
export const SETTING_DEFAULTS: Readonly<Record<string, string>> = { ROTATION_SCHEDULE: DEFAULTS.ROTATION_SCHEDULE };

/** JWKS is never cached longer than APIM's own refresh period. */
const MAX_JWKS_MAX_AGE_SECONDS = 3600;
const MIN_RING_REFRESH_MS = 1000;
/** Every instance sees a key change (an emergency rotation, a disabled version) within this. */
export const MAX_RING_REFRESH_MS = 60_000;

/**
 * How often every instance re-lists the key versions on its own, whatever traffic it gets: a
 * quarter of the propagation delay (so a new key is known long before it signs) and never more
 * than a minute (so an emergency rotation reaches every instance within a minute).
 */
export function ringRefreshIntervalMs(propagationMs: number): number {
  return Math.min(MAX_RING_REFRESH_MS, Math.max(MIN_RING_REFRESH_MS, Math.floor(propagationMs / 4)));
}

/** Hosts whose authentication challenge names their own resource; anything else is an emulator or a double. */
const KEY_VAULT_HOST_SUFFIXES = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net', '.vault.microsoftazure.de', '.managedhsm.azure.net'];

/**
 * The public base URL, never derived from a request's Host header (a caller could otherwise choose
 * the issuer). Core Tools sets WEBSITE_HOSTNAME=localhost:7071 and serves plain http.
 */
function apiBaseUrl(env: Environment, runningInAzure: boolean): string {
  const host = text(env, 'WEBSITE_HOSTNAME');
  if (host) {
    const local = !runningInAzure && isLoopbackHost(host.replace(/:\d+$/, ''));
    return `${local ? 'http' : 'https'}://${host}/api`;
  }
  return `http://localhost:${text(env, 'PORT') ?? '7071'}/api`;
}

function readAlgorithm(env: Environment): { alg: JwsAlgorithm; rsaKeySize: RsaKeySize } {
  const raw = text(env, 'JWT_ALG') ?? DEFAULTS.JWT_ALG;
  if (!isSupportedAlgorithm(raw)) throw new ConfigError('JWT_ALG', `"${raw}" is not supported; use one of ${SUPPORTED_ALGORITHMS.join(', ')}.`);
  const size = Number(text(env, 'JWT_KEY_SIZE') ?? DEFAULTS.JWT_KEY_SIZE);
  if (!(RSA_KEY_SIZES as readonly number[]).includes(size)) {
    throw new ConfigError('JWT_KEY_SIZE', `"${text(env, 'JWT_KEY_SIZE') ?? ''}" is not an RSA key size; use ${RSA_KEY_SIZES.join(', ')} (EC keys follow the curve of JWT_ALG).`);
  }
  return { alg: raw, rsaKeySize: size as RsaKeySize };
}

function readAudiences(env: Environment, runningInAzure: boolean): string[] {
  const raw = text(env, 'JWT_AUDIENCES') ?? (runningInAzure ? '' : DEFAULTS.LOCAL_AUDIENCE);
  const audiences = raw.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
  if (audiences.length === 0) throw new ConfigError('JWT_AUDIENCES', 'is required in Azure: a comma-separated list of audiences callers may request.');
  return audiences;
}

function readAuth(env: Environment, runningInAzure: boolean): Pick<AppConfig, 'authMode' | 'auth'> {
  // "none" is something a developer asks for (the embedded host and local.settings.sample.json do),
  // never what a missing setting means: under `func start`, in a container, anywhere.
  const authMode = oneOf<AuthMode>(env, 'AUTH_MODE', ['entra', 'none'], DEFAULTS.AUTH_MODE);
  if (authMode === 'none' && runningInAzure) {
    throw new ConfigError('AUTH_MODE', '"none" is refused in Azure: it would let anyone sign tokens. Use "entra" with AUTH_TENANT_ID and AUTH_AUDIENCE.');
  }
  const tenantId = text(env, 'AUTH_TENANT_ID');
  const audience = text(env, 'AUTH_AUDIENCE');
  if (authMode === 'entra' && !tenantId) throw new ConfigError('AUTH_TENANT_ID', 'is required when AUTH_MODE=entra (the Microsoft Entra tenant id); for local development without Entra set AUTH_MODE=none.');
  if (authMode === 'entra' && !audience) throw new ConfigError('AUTH_AUDIENCE', "is required when AUTH_MODE=entra (the function app's api://<client-id> or client id).");
  // Caller tokens are validated with keys fetched from here: plain http only for a local test issuer, and only when asked for.
  const authorityHost = httpsUrl(env, 'AUTH_AUTHORITY_HOST', flag(env, 'AUTH_AUTHORITY_HOST_ALLOW_HTTP'), 'with AUTH_AUTHORITY_HOST_ALLOW_HTTP=true, for a test issuer') ?? DEFAULTS.AUTH_AUTHORITY_HOST;
  return { authMode, auth: { tenantId, audience, authorityHost, callerPolicy: parseCallerPolicy(text(env, 'CALLER_POLICY')) } };
}

function readKeyVault(env: Environment, runningInAzure: boolean, alg: JwsAlgorithm): Pick<AppConfig, 'keyVaultUrl' | 'keyVault'> {
  const keyVaultUrl = httpsUrl(env, 'KEY_VAULT_URL');
  const disableChallengeResourceVerification = flag(env, 'KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION');
  if (keyVaultUrl && !disableChallengeResourceVerification && !KEY_VAULT_HOST_SUFFIXES.some((suffix) => new URL(keyVaultUrl).hostname.endsWith(suffix))) {
    throw new ConfigError('KEY_VAULT_URL', `${new URL(keyVaultUrl).hostname} is not a Key Vault host, so its authentication challenge will not name it; for an emulator set KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true (never for a real vault).`);
  }
  if (!keyVaultUrl && runningInAzure && !flag(env, 'LOCAL_KEYSTORE_ALLOW_IN_AZURE')) {
    throw new ConfigError('KEY_VAULT_URL', `is required in Azure: without it the app would keep ${isHmac(alg) ? 'HMAC secrets' : 'private keys'} in the embedded development store on the instance's disk. Set KEY_VAULT_URL (or, knowingly, LOCAL_KEYSTORE_ALLOW_IN_AZURE=true).`);
  }
  return {
    keyVaultUrl,
    keyVault: {
      createKeyIfMissing: flag(env, 'KEY_VAULT_CREATE_KEY'),
      disableChallengeResourceVerification,
      managedIdentityClientId: text(env, 'AZURE_CLIENT_ID'),
      credential: text(env, 'IDENTITY_ENDPOINT') || text(env, 'MSI_ENDPOINT') ? 'managed-identity' : 'default',
    },
  };
}

/** Table names of Table Storage: 3 to 63 letters and digits, a letter first. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
/** A proof older than this is no proof of a live client any more, and its jti would be remembered for as long. */
const MAX_DPOP_PROOF_WINDOW_MS = 10 * 60_000;

function readBinding(env: Environment): AppConfig['binding'] {
  const replayTableName = text(env, 'DPOP_REPLAY_TABLE_NAME') ?? DEFAULTS.DPOP_REPLAY_TABLE_NAME;
  if (!TABLE_NAME.test(replayTableName)) {
    throw new ConfigError('DPOP_REPLAY_TABLE_NAME', `"${replayTableName}" is not a table name: 3 to 63 letters and digits, starting with a letter.`);
  }
  const windowMs = duration(env, 'DPOP_PROOF_WINDOW', DEFAULTS.DPOP_PROOF_WINDOW);
  if (windowMs > MAX_DPOP_PROOF_WINDOW_MS || windowMs < 1000) {
    throw new ConfigError('DPOP_PROOF_WINDOW', 'must be between PT1S and PT10M: a DPoP proof is made for one request, moments before it is sent.');
  }
  return { replayTableName, dpopProofWindowSeconds: Math.floor(windowMs / 1000) };
}

/** Reads and validates every setting once; a bad value stops start-up with the setting's name. */
export function loadConfig(env: Environment): AppConfig {
  const runningInAzure = Boolean(text(env, 'WEBSITE_SITE_NAME') ?? text(env, 'WEBSITE_INSTANCE_ID'));
  const { alg, rsaKeySize } = readAlgorithm(env);
  const audiences = readAudiences(env, runningInAzure);

  const defaultTtlMs = duration(env, 'JWT_DEFAULT_TTL', DEFAULTS.JWT_DEFAULT_TTL);
  const maxTtlMs = duration(env, 'JWT_MAX_TTL', DEFAULTS.JWT_MAX_TTL);
  if (defaultTtlMs > maxTtlMs) throw new ConfigError('JWT_DEFAULT_TTL', 'must not be longer than JWT_MAX_TTL.');
  const clockSkewMs = duration(env, 'JWT_CLOCK_SKEW', DEFAULTS.JWT_CLOCK_SKEW);

  const intervalMs = duration(env, 'ROTATION_INTERVAL', DEFAULTS.ROTATION_INTERVAL);
  const propagationMs = duration(env, 'ROTATION_PROPAGATION', DEFAULTS.ROTATION_PROPAGATION);
  if (propagationMs >= intervalMs) {
    throw new ConfigError('ROTATION_PROPAGATION', 'must be shorter than ROTATION_INTERVAL, or a key would be replaced before it ever signs.');
  }
  const jwksMaxAgeSeconds = Math.max(0, Math.min(MAX_JWKS_MAX_AGE_SECONDS, Math.floor(propagationMs / 2000)));
  const retentionMs = maxTtlMs + clockSkewMs + jwksMaxAgeSeconds * 1000;
  const schedule = text(env, 'ROTATION_SCHEDULE') ?? DEFAULTS.ROTATION_SCHEDULE;
  if (schedule.split(/\s+/).length !== 6) {
    throw new ConfigError('ROTATION_SCHEDULE', `"${schedule}" is not an NCRONTAB expression with 6 fields (second minute hour day month weekday).`);
  }
  const refreshIntervalMs = ringRefreshIntervalMs(propagationMs);
  const base = apiBaseUrl(env, runningInAzure);
  const issuer = text(env, 'JWT_ISSUER') ?? base;
  const limits = { maxTokenBytes: 16 * 1024, maxClaimsBytes: 8 * 1024, maxBodyBytes: 64 * 1024 };
  const keyName = text(env, 'JWT_KEY_NAME') ?? DEFAULTS.JWT_KEY_NAME;
  const encryptionKeyName = text(env, 'JWT_ENCRYPTION_KEY_NAME') ?? DEFAULTS.JWT_ENCRYPTION_KEY_NAME;
  if (encryptionKeyName === keyName) throw new ConfigError('JWT_ENCRYPTION_KEY_NAME', 'must differ from JWT_KEY_NAME: the encryption key is a key of its own (wrapKey/unwrapKey only).');
  const auditKeyName = text(env, 'AUDIT_KEY_NAME') ?? DEFAULTS.AUDIT_KEY_NAME;
  // The audit key signs (RS256); the encryption key only wraps and unwraps, so one key can not be both.
  if (auditKeyName === encryptionKeyName) throw new ConfigError('AUDIT_KEY_NAME', 'must differ from JWT_ENCRYPTION_KEY_NAME: the audit key signs, the encryption key only wraps and unwraps.');

  return {
    runningInAzure,
    ...readKeyVault(env, runningInAzure, alg),
    keyName,
    auditKeyName,
    alg,
    rsaKeySize,
    issuer,
    apiBaseUrl: base,
    audiences,
    defaultTtlMs,
    maxTtlMs,
    clockSkewMs,
    rotation: {
      schedule,
      intervalMs,
      propagationMs,
      retentionMs,
      policy: { alg, intervalSeconds: Math.round(intervalMs / 1000), propagationSeconds: Math.round(propagationMs / 1000) },
    },
    ring: { alg, retentionSeconds: Math.ceil(retentionMs / 1000), refreshIntervalMs, unknownKidCooldownMs: refreshIntervalMs },
    encryption: {
      keyName: encryptionKeyName,
      ring: { alg: KEY_WRAP_ALGORITHM, retentionSeconds: Math.ceil(retentionMs / 1000), refreshIntervalMs, unknownKidCooldownMs: refreshIntervalMs },
      rotationPolicy: { alg: KEY_WRAP_ALGORITHM, intervalSeconds: Math.round(intervalMs / 1000), propagationSeconds: Math.round(propagationMs / 1000) },
      audienceJwks: readAudienceJwks(env, audiences),
    },
    verify: { issuer, audiences, clockSkewSeconds: Math.floor(clockSkewMs / 1000), maxTokenBytes: limits.maxTokenBytes },
    jwksMaxAgeSeconds,
    verifyMode: oneOf<VerifyMode>(env, 'VERIFY_MODE', ['local', 'keyvault'], DEFAULTS.VERIFY_MODE),
    ...readAuth(env, runningInAzure),
    localKeystore: { dir: text(env, 'LOCAL_KEYSTORE_DIR') ?? DEFAULTS.LOCAL_KEYSTORE_DIR, secret: passphrase(env, 'LOCAL_KEYSTORE_SECRET') },
    storage: {
      connectionString: text(env, 'AzureWebJobsStorage') ?? (runningInAzure ? undefined : 'UseDevelopmentStorage=true'),
      accountName: text(env, 'AzureWebJobsStorage__accountName'),
      // https only, loopback too: the SDK never sends the managed identity's token over http (Azurite is reached
      // through AzureWebJobsStorage's connection string instead).
      revocationTableUrl: httpsUrl(env, 'REVOCATION_TABLE_URL'),
      revocationTableName: text(env, 'REVOCATION_TABLE_NAME') ?? DEFAULTS.REVOCATION_TABLE_NAME,
      revocationMaxStalenessMs: duration(env, 'REVOCATION_MAX_STALENESS', DEFAULTS.REVOCATION_MAX_STALENESS),
    },
    binding: readBinding(env),
    limits,
    telemetry: { connectionString: text(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING'), authenticationString: text(env, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING') },
  };
}

/** The embedded store's at-rest passphrase: long enough to be worth deriving a key from. */
function passphrase(env: Environment, name: string): string | undefined {
  const raw = text(env, name);
  if (raw !== undefined && raw.length < 16) throw new ConfigError(name, 'must be at least 16 characters (or unset, to generate a key into LOCAL_KEYSTORE_DIR/.secret).');
  return raw;
}
