import { ERROR_STATUS } from '../errors';
import { SUPPORTED_ALGORITHMS, type JwsAlgorithm } from '../algorithms';
import { VERIFY_ERROR_CODES, type VerifyErrorCode } from '../jwt/verify-errors';
import type { KeyUse } from '../keys/key-store';
import type { KeyPhase } from '../keys/phases';

/**
 * The metrics port: one method per event operators count (issue 21). Implementations: an
 * in-process counter map, always (the counters since start in admins' /api/health), and
 * OpenTelemetry instruments exported to Application Insights when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set (create-metrics.ts).
 *
 * No attribute carries a token, a secret, key material or a subject: the events take only closed
 * lists (algorithms, error codes, phases, operations) and the caller's id (an Entra object id), and
 * every free string is checked here before any sink sees it.
 */
export interface Metrics {
  /** POST /api/sign answered 200. */
  tokenSigned(event: { alg: JwsAlgorithm; caller: string }): void;
  /** POST /api/sign failed (any error code; alerts look at the 5xx ones). */
  signFailed(event: { alg: JwsAlgorithm; code: string }): void;
  /** POST /api/verify answered: `active`, or the verify error code. */
  verifyAnswered(event: { outcome: 'active' | VerifyErrorCode }): void;
  /** One HTTP attempt against Key Vault (each retry is its own attempt). */
  keyVaultCall(event: KeyVaultCall): void;
  revoked(event: { kind: RevocationKind }): void;
  /** A rotation run of the signing key (`sig`) or the encryption key (`enc`). */
  rotationRan(event: { key: KeyUse; trigger: RotationTrigger; outcome: RotationOutcome; code?: string }): void;
  /** A version of the signing or the encryption key changed phase as this instance sees it (`none`: a version it had not seen). */
  keyPhaseChanged(event: { key: KeyUse; from: KeyPhase | 'none'; to: KeyPhase }): void;
  /** Gauges read at each export: the ring's shape and ages (see ring-reading.ts). */
  observeRing(read: () => RingReading | undefined): void;
  /** Gauge read at each export: seconds since the revocation view last synchronised. */
  observeRevocationView(read: () => number | undefined): void;
  /** Counters since this process started, for admins' /api/health. */
  snapshot(): MetricsSnapshot;
  /** Flushes and stops exporting (no-op locally). */
  shutdown(): Promise<void>;
}

export type RevocationKind = 'token' | 'subject' | 'all';
export type RotationTrigger = 'timer' | 'admin' | 'emergency';
/** `created`: a version was made; `unchanged`: nothing due; `skipped`: another run held the lock. */
export type RotationOutcome = 'created' | 'unchanged' | 'skipped' | 'failed';
export type KeyVaultOutcome = 'ok' | 'throttled' | 'client_error' | 'server_error' | 'timeout' | 'network' | 'credential' | 'other';

export interface KeyVaultCall {
  /** list, get, create, update, sign, verify (the store's VaultOperationName). */
  operation: string;
  outcome: KeyVaultOutcome;
  /** HTTP status when the vault answered (200 for success). */
  status?: number;
  durationSeconds: number;
}

export interface RingReading {
  keysByPhase: Readonly<Record<KeyPhase, number>>;
  /** Seconds since the active key activated; undefined when no key is active. */
  activeKeyAgeSeconds?: number;
  /** Whether a successor is announced (an old active key is expected then). */
  successorAnnounced: boolean;
  /** Seconds since versions were last listed successfully. */
  refreshAgeSeconds?: number;
}

export type MetricAttributes = Readonly<Record<string, string | number>>;

export interface SeriesSnapshot {
  name: string;
  attributes: MetricAttributes;
  count: number;
  /** Histograms: the sum of the recorded values (seconds). */
  sum?: number;
}

export interface MetricsSnapshot {
  /** ISO 8601: when counting started (process start). */
  since: string;
  series: SeriesSnapshot[];
}

export type InstrumentKind = 'counter' | 'histogram' | 'gauge';
export interface Instrument {
  name: string;
  kind: InstrumentKind;
  /** UCUM, as OpenTelemetry asks: `s`, or a `{annotation}` for counts. */
  unit: string;
  description: string;
}

const counter = (name: string, unit: string, description: string): Instrument => ({ name, kind: 'counter', unit, description });
const gauge = (name: string, unit: string, description: string): Instrument => ({ name, kind: 'gauge', unit, description });

/** Every instrument, by the name Application Insights shows in `customMetrics` (the alerts query these). */
export const INSTRUMENTS = {
  tokensSigned: counter('kvjwt.tokens.signed', '{token}', 'Tokens signed, by algorithm and caller.'),
  signFailures: counter('kvjwt.sign.failures', '{request}', 'Sign requests that failed, by error code.'),
  verifyAnswers: counter('kvjwt.verify.answers', '{answer}', 'Verify answers, by outcome (active or the verify error code).'),
  keyVaultCallDuration: { name: 'kvjwt.keyvault.call.duration', kind: 'histogram', unit: 's', description: 'Key Vault HTTP attempts: duration, by operation, outcome and status.' } satisfies Instrument,
  revocations: counter('kvjwt.revocations', '{revocation}', 'Revocations recorded, by kind (token, subject, all).'),
  rotations: counter('kvjwt.rotations', '{run}', 'Rotation runs, by key (sig, enc), trigger and outcome.'),
  phaseChanges: counter('kvjwt.key.phase_changes', '{change}', 'Key versions changing phase, by key (sig, enc), as this instance sees them.'),
  ringKeys: gauge('kvjwt.ring.keys', '{key}', 'Key versions per phase.'),
  activeKeyAge: gauge('kvjwt.ring.active_key.age', 's', 'Age of the active key; kvjwt.successor says whether a successor is announced.'),
  ringRefreshAge: gauge('kvjwt.ring.refresh.age', 's', 'Time since the key ring last listed versions successfully.'),
  revocationViewAge: gauge('kvjwt.revocation.view.age', 's', 'Time since the revocation view last synchronised with its table.'),
} as const;

/** Attribute names, in OpenTelemetry's semantic style (`error.type` and `http.response.status_code` are its own). */
export const ATTRIBUTES = {
  alg: 'kvjwt.alg',
  caller: 'kvjwt.caller',
  outcome: 'kvjwt.outcome',
  errorType: 'error.type',
  operation: 'kvjwt.operation',
  httpStatus: 'http.response.status_code',
  revocationKind: 'kvjwt.revocation.kind',
  trigger: 'kvjwt.rotation.trigger',
  /** Which key: `sig` (the signing key) or `enc` (the encryption key), as its JWKS `use`. */
  keyUse: 'kvjwt.key.use',
  phase: 'kvjwt.key.phase',
  phaseFrom: 'kvjwt.key.phase.from',
  phaseTo: 'kvjwt.key.phase.to',
  successor: 'kvjwt.successor',
} as const;

const KNOWN_CODES: ReadonlySet<string> = new Set([...Object.keys(ERROR_STATUS), ...VERIFY_ERROR_CODES, 'active']);
const KNOWN_ALGS: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS);
const KNOWN_OPERATIONS: ReadonlySet<string> = new Set(['list', 'get', 'create', 'update', 'sign', 'verify', 'wrapKey', 'unwrapKey']);
/** An object id, an app id or `local-developer`: short, no dots, nothing a token or a PEM could pass as. */
const CALLER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Closed lists stay closed: anything else is `other`, so a mistake upstream can not leak a value. */
export const codeLabel = (code: string): string => (KNOWN_CODES.has(code) ? code : 'other');
export const algLabel = (alg: string): string => (KNOWN_ALGS.has(alg) ? alg : 'other');
export const operationLabel = (operation: string): string => (KNOWN_OPERATIONS.has(operation) ? operation : 'other');
export const callerLabel = (caller: string): string => (CALLER_ID.test(caller) ? caller : 'other');
export const keyUseLabel = (key: string): string => (key === 'sig' || key === 'enc' ? key : 'other');
