import { ConfigError } from '../errors';
import { isSupportedAlgorithm, type JwsAlgorithm } from '../jwt/algorithms';
import { parseDurationMs } from './duration';
import { parseCallerPolicy, type CallerPolicy } from './caller-policy';

export type Environment = Readonly<Record<string, string | undefined>>;
export type VerifyMode = 'local' | 'keyvault';
export type AuthMode = 'entra' | 'none';

export interface AppConfig {
  /** True when running on App Service / Functions in Azure (WEBSITE_SITE_NAME or WEBSITE_INSTANCE_ID). */
  runningInAzure: boolean;
  keyVaultUrl?: string;
  keyName: string;
  alg: JwsAlgorithm;
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
  };
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
  };
  storage: {
    connectionString?: string;
    accountName?: string;
    revocationTableUrl?: string;
    revocationTableName: string;
  };
  limits: {
    maxTokenBytes: number;
    maxClaimsBytes: number;
    maxBodyBytes: number;
  };
}

const DEFAULTS = {
  JWT_KEY_NAME: 'jwt-signing',
  JWT_ALG: 'RS256',
  JWT_DEFAULT_TTL: 'PT15M',
  JWT_MAX_TTL: 'PT1H',
  JWT_CLOCK_SKEW: 'PT1M',
  ROTATION_SCHEDULE: '0 0 * * * *',
  ROTATION_INTERVAL: 'P90D',
  ROTATION_PROPAGATION: 'P2D',
  VERIFY_MODE: 'local',
  AUTH_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  LOCAL_KEYSTORE_DIR: '.keys',
  REVOCATION_TABLE_NAME: 'revocations',
  LOCAL_AUDIENCE: 'api://local-dev',
} as const;

/** Defaults of settings that function bindings read as `%NAME%` (the embedded host resolves them). */
export const SETTING_DEFAULTS: Readonly<Record<string, string>> = { ROTATION_SCHEDULE: DEFAULTS.ROTATION_SCHEDULE };

/** JWKS is never cached longer than APIM's own refresh period. */
const MAX_JWKS_MAX_AGE_SECONDS = 3600;

function text(env: Environment, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function duration(env: Environment, name: string, fallback: string): number {
  const raw = text(env, name) ?? fallback;
  const ms = parseDurationMs(raw);
  if (ms === undefined || ms <= 0) {
    throw new ConfigError(name, `"${raw}" is not a positive ISO 8601 duration (examples: P90D, PT15M, PT20S).`);
  }
  return ms;
}

function oneOf<T extends string>(env: Environment, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `"${raw}" is not allowed; use one of ${allowed.join(', ')}.`);
  }
  return raw as T;
}

function flag(env: Environment, name: string): boolean {
  const raw = text(env, name);
  if (raw === undefined) return false;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `"${raw}" is not a boolean; use true or false.`);
}

/** An https:// URL without trailing slashes; plain http only on loopback when `allowLoopbackHttp`. */
function httpsUrl(env: Environment, name: string, allowLoopbackHttp = false): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `"${raw}" is not a URL.`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(allowLoopbackHttp && url.protocol === 'http:' && loopback)) {
    throw new ConfigError(name, allowLoopbackHttp ? 'must be an https:// URL (http:// only on loopback, for Azurite).' : 'must be an https:// URL.');
  }
  return raw.replace(/\/+$/, '');
}

function defaultIssuer(env: Environment): string {
  // Never derived from a request's Host header: a caller could otherwise choose the issuer.
  const host = text(env, 'WEBSITE_HOSTNAME');
  if (host) return `https://${host}/api`;
  return `http://localhost:${text(env, 'PORT') ?? '7071'}/api`;
}

/** Reads and validates every setting once; a bad value stops start-up with the setting's name. */
export function loadConfig(env: Environment): AppConfig {
  const runningInAzure = Boolean(text(env, 'WEBSITE_SITE_NAME') ?? text(env, 'WEBSITE_INSTANCE_ID'));

  const algRaw = text(env, 'JWT_ALG') ?? DEFAULTS.JWT_ALG;
  if (!isSupportedAlgorithm(algRaw)) {
    throw new ConfigError('JWT_ALG', `"${algRaw}" is not supported; use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, HS256, HS384, HS512.`);
  }

  const audiencesRaw = text(env, 'JWT_AUDIENCES');
  const audiences = (audiencesRaw ?? (runningInAzure ? '' : DEFAULTS.LOCAL_AUDIENCE))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  if (audiences.length === 0) {
    throw new ConfigError('JWT_AUDIENCES', 'is required in Azure: a comma-separated list of audiences callers may request.');
  }

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

  const authMode = oneOf<AuthMode>(env, 'AUTH_MODE', ['entra', 'none'], runningInAzure ? 'entra' : 'none');
  if (authMode === 'none' && runningInAzure) {
    throw new ConfigError('AUTH_MODE', '"none" is refused in Azure: it would let anyone sign tokens. Use "entra" with AUTH_TENANT_ID and AUTH_AUDIENCE.');
  }
  const tenantId = text(env, 'AUTH_TENANT_ID');
  const authAudience = text(env, 'AUTH_AUDIENCE');
  if (authMode === 'entra') {
    if (!tenantId) throw new ConfigError('AUTH_TENANT_ID', 'is required when AUTH_MODE=entra (the Microsoft Entra tenant id).');
    if (!authAudience) throw new ConfigError('AUTH_AUDIENCE', "is required when AUTH_MODE=entra (the function app's api://<client-id> or client id).");
  }

  const keyVaultUrl = httpsUrl(env, 'KEY_VAULT_URL');

  return {
    runningInAzure,
    keyVaultUrl,
    keyName: text(env, 'JWT_KEY_NAME') ?? DEFAULTS.JWT_KEY_NAME,
    alg: algRaw,
    issuer: text(env, 'JWT_ISSUER') ?? defaultIssuer(env),
    apiBaseUrl: defaultIssuer(env),
    audiences,
    defaultTtlMs,
    maxTtlMs,
    clockSkewMs,
    rotation: { schedule, intervalMs, propagationMs, retentionMs },
    jwksMaxAgeSeconds,
    verifyMode: oneOf<VerifyMode>(env, 'VERIFY_MODE', ['local', 'keyvault'], DEFAULTS.VERIFY_MODE),
    authMode,
    auth: {
      tenantId,
      audience: authAudience,
      authorityHost: (text(env, 'AUTH_AUTHORITY_HOST') ?? DEFAULTS.AUTH_AUTHORITY_HOST).replace(/\/+$/, ''),
      callerPolicy: parseCallerPolicy(text(env, 'CALLER_POLICY')),
    },
    localKeystore: {
      dir: text(env, 'LOCAL_KEYSTORE_DIR') ?? DEFAULTS.LOCAL_KEYSTORE_DIR,
      secret: passphrase(env, 'LOCAL_KEYSTORE_SECRET'),
    },
    keyVault: {
      createKeyIfMissing: flag(env, 'KEY_VAULT_CREATE_KEY'),
      disableChallengeResourceVerification: flag(env, 'KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION'),
      managedIdentityClientId: text(env, 'AZURE_CLIENT_ID'),
    },
    storage: {
      connectionString: text(env, 'AzureWebJobsStorage') ?? (runningInAzure ? undefined : 'UseDevelopmentStorage=true'),
      accountName: text(env, 'AzureWebJobsStorage__accountName'),
      // Table URLs may be plain http only on loopback (Azurite).
      revocationTableUrl: httpsUrl(env, 'REVOCATION_TABLE_URL', true),
      revocationTableName: text(env, 'REVOCATION_TABLE_NAME') ?? DEFAULTS.REVOCATION_TABLE_NAME,
    },
    limits: {
      maxTokenBytes: 16 * 1024,
      maxClaimsBytes: 8 * 1024,
      maxBodyBytes: 64 * 1024,
    },
  };
}

/** The embedded store's at-rest passphrase: long enough to be worth deriving a key from. */
function passphrase(env: Environment, name: string): string | undefined {
  const raw = text(env, name);
  if (raw !== undefined && raw.length < 16) throw new ConfigError(name, 'must be at least 16 characters (or unset, to generate a key into LOCAL_KEYSTORE_DIR/.secret).');
  return raw;
}
