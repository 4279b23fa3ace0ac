import { ConfigError } from '../errors';
import { parseDurationMs } from './duration';

export const OPERATIONS = ['sign', 'verify', 'revoke', 'admin'] as const;
export type Operation = (typeof OPERATIONS)[number];

/**
 * Whether this caller's tokens must be bound to a client certificate or a DPoP key (RFC 8705 /
 * RFC 9449): with "required" it can not be talked into issuing a bearer token.
 */
export const BINDING_POLICIES = ['optional', 'required'] as const;
export type BindingPolicy = (typeof BINDING_POLICIES)[number];

/** What one caller (by Entra object id) may do. */
export interface CallerPermissions {
  operations: readonly Operation[];
  /** Audiences this caller may mint tokens for (a subset of JWT_AUDIENCES). */
  audiences: readonly string[];
  /**
   * Audiences of the tokens this caller may verify and revoke: it is judged a token only for these
   * (no laundering of another API's tokens). Defaults to `audiences`.
   */
  verifyAudiences: readonly string[];
  /** Longest token lifetime this caller may ask for; undefined means JWT_MAX_TTL. */
  maxTtlMs?: number;
  /** Claim names this caller may set besides aud/sub/nbf; empty means only those. */
  claims: readonly string[];
  /** "required": every token it signs carries `cnf`. Undefined means "optional". */
  binding?: BindingPolicy;
  /**
   * Tokens this caller must have encrypted (`"encrypt": true` on /api/sign): every one (`'all'`,
   * from `"encrypt": "required"`) or those for these audiences. Undefined: encryption is the caller's choice.
   */
  encryptionRequiredFor?: 'all' | readonly string[];
}

export type CallerPolicy = ReadonlyMap<string, CallerPermissions>;

const SETTING = 'CALLER_POLICY';

function stringArray(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new ConfigError(SETTING, `${where} must be an array of strings.`);
  }
  return value;
}

/** `"encrypt"`: "required" (every token), "optional" (the default), or the audiences whose tokens must be encrypted. */
function encryptionRule(value: unknown, oid: string): CallerPermissions['encryptionRequiredFor'] {
  if (value === undefined || value === 'optional') return undefined;
  if (value === 'required') return 'all';
  if (Array.isArray(value)) return stringArray(value, `${oid}.encrypt`);
  throw new ConfigError(SETTING, `${oid}.encrypt must be "required", "optional" or an array of audiences whose tokens must be encrypted.`);
}

/**
 * CALLER_POLICY is a JSON object: { "<oid>": { "operations": [...], "audiences": [...],
 * "verifyAudiences": [...], "maxTtl": "PT1H", "claims": [...], "binding": "required",
 * "encrypt": "required" } }. Unknown callers get nothing.
 */
export function parseCallerPolicy(raw: string | undefined): CallerPolicy {
  const policy = new Map<string, CallerPermissions>();
  if (raw === undefined) return policy;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(SETTING, 'is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(SETTING, 'must be a JSON object keyed by caller object id (oid).');
  }
  for (const [oid, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (!/^[0-9a-fA-F-]{36}$/.test(oid)) throw new ConfigError(SETTING, `key "${oid}" is not an object id (GUID).`);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(SETTING, `entry for ${oid} must be an object.`);
    }
    const e = entry as Record<string, unknown>;
    const operations = stringArray(e.operations, `${oid}.operations`);
    for (const op of operations) {
      if (!(OPERATIONS as readonly string[]).includes(op)) {
        throw new ConfigError(SETTING, `${oid}.operations: "${op}" is not one of ${OPERATIONS.join(', ')}.`);
      }
    }
    let maxTtlMs: number | undefined;
    if (e.maxTtl !== undefined) {
      maxTtlMs = typeof e.maxTtl === 'string' ? parseDurationMs(e.maxTtl) : undefined;
      if (maxTtlMs === undefined || maxTtlMs <= 0) {
        throw new ConfigError(SETTING, `${oid}.maxTtl must be an ISO 8601 duration such as PT15M.`);
      }
    }
    const audiences = stringArray(e.audiences, `${oid}.audiences`);
    if (e.binding !== undefined && !(BINDING_POLICIES as readonly unknown[]).includes(e.binding)) {
      throw new ConfigError(SETTING, `${oid}.binding must be one of ${BINDING_POLICIES.join(', ')}.`);
    }
    const encryptionRequiredFor = encryptionRule(e.encrypt, oid);
    policy.set(oid.toLowerCase(), {
      operations: operations as Operation[],
      audiences,
      verifyAudiences: e.verifyAudiences === undefined ? audiences : stringArray(e.verifyAudiences, `${oid}.verifyAudiences`),
      maxTtlMs,
      claims: stringArray(e.claims, `${oid}.claims`),
      binding: e.binding as BindingPolicy | undefined,
      ...(encryptionRequiredFor === undefined ? {} : { encryptionRequiredFor }),
    });
  }
  return policy;
}
