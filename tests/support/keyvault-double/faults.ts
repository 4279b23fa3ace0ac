/**
 * Fault injection and call counters for the Key Vault double: what a test needs to reproduce the
 * real service's bad days (429 without Retry-After, 5xx, slow answers, dropped connections, a
 * missing role, a full outage) and to count how often the code under test calls the vault.
 */

export type VaultOperation = 'get' | 'list' | 'create' | 'update' | 'rotate' | 'sign' | 'verify' | 'wrapKey' | 'unwrapKey';
export type CountedOperation = VaultOperation | 'token' | 'challenge';

export const VAULT_OPERATIONS: readonly VaultOperation[] = ['get', 'list', 'create', 'update', 'rotate', 'sign', 'verify', 'wrapKey', 'unwrapKey'];

export type InjectedFault =
  | { kind: 'throttle' }
  | { kind: 'server_error'; status: number }
  | { kind: 'reset' };

interface Budget {
  remaining: number;
  /** Undefined = every vault operation. */
  operation?: VaultOperation;
}

const appliesTo = (budget: Budget, operation: VaultOperation): boolean =>
  budget.remaining > 0 && (budget.operation === undefined || budget.operation === operation);

/**
 * Key Vault's own service limit (per vault): at most `operations` key transactions in any window of
 * `windowMs` — 4,000 per 10 s for RSA-2048 and EC software keys — and past it 429 `Throttled`, as
 * the service answers. Throttled calls do not count against the window.
 */
export interface ServiceLimit {
  operations: number;
  windowMs: number;
}

/** Sliding window over the times of the last `operations` calls let through: O(1) per call. */
class ServiceLimitWindow {
  private readonly admitted: Float64Array;
  private next = 0;

  constructor(
    readonly limit: ServiceLimit,
    private readonly now: () => number,
  ) {
    if (!(limit.operations >= 1) || !(limit.windowMs > 0)) throw new RangeError('A service limit needs operations ≥ 1 and windowMs > 0.');
    this.admitted = new Float64Array(limit.operations).fill(Number.NEGATIVE_INFINITY);
  }

  /** True, and counted, if one more call fits in the window ending now. */
  take(): boolean {
    const now = this.now();
    // The slot to reuse holds the oldest of the last `operations` admitted calls.
    if (now - this.admitted[this.next] < this.limit.windowMs) return false;
    this.admitted[this.next] = now;
    this.next = (this.next + 1) % this.admitted.length;
    return true;
  }
}

export class FaultPlan {
  /** Added to every vault answer (not to the identity endpoint). */
  latencyMs = 0;
  private serviceLimitWindow: ServiceLimitWindow | undefined;
  private throttles: Budget[] = [];
  private serverErrors: (Budget & { status: number })[] = [];
  private resets: Budget[] = [];
  private spikes: (Budget & { ms: number })[] = [];
  private forbidden = new Set<VaultOperation>();
  private outageOn = false;
  private outageListeners: (() => void)[] = [];

  /** Enforces Key Vault's service limit from now on (undefined lifts it); `now` is for tests. */
  setServiceLimit(limit: ServiceLimit | undefined, now: () => number = () => performance.now()): void {
    this.serviceLimitWindow = limit ? new ServiceLimitWindow(limit, now) : undefined;
  }

  get serviceLimit(): ServiceLimit | undefined {
    return this.serviceLimitWindow?.limit;
  }

  /** False when this call is past the service limit (it then answers 429 Throttled). */
  withinServiceLimit(): boolean {
    return this.serviceLimitWindow?.take() ?? true;
  }

  /** The next `times` matching calls answer 429 Throttled, without Retry-After (as Key Vault often does). */
  throttle(times: number, operation?: VaultOperation): void {
    this.throttles.push({ remaining: times, operation });
  }

  serverError(times: number, status = 503, operation?: VaultOperation): void {
    this.serverErrors.push({ remaining: times, status, operation });
  }

  /** The next `times` matching calls have their connection destroyed without an answer. */
  resetConnections(times: number, operation?: VaultOperation): void {
    this.resets.push({ remaining: times, operation });
  }

  latencySpike(ms: number, times: number, operation?: VaultOperation): void {
    this.spikes.push({ remaining: times, ms, operation });
  }

  /** Simulates a missing role assignment: the operation answers 403 Forbidden until lifted. */
  forbid(operation: VaultOperation, on = true): void {
    if (on) this.forbidden.add(operation);
    else this.forbidden.delete(operation);
  }

  isForbidden(operation: VaultOperation): boolean {
    return this.forbidden.has(operation);
  }

  /** Full outage: every connection to the vault is destroyed at once, new ones included. */
  setOutage(on: boolean): void {
    this.outageOn = on;
    if (on) this.outageListeners.forEach((listener) => listener());
  }

  get outage(): boolean {
    return this.outageOn;
  }

  onOutage(listener: () => void): void {
    this.outageListeners.push(listener);
  }

  /** Consumes and returns the fault for this call, if one is planned. */
  takeFault(operation: VaultOperation): InjectedFault | undefined {
    const reset = this.resets.find((budget) => appliesTo(budget, operation));
    if (reset) {
      reset.remaining -= 1;
      return { kind: 'reset' };
    }
    const throttle = this.throttles.find((budget) => appliesTo(budget, operation));
    if (throttle) {
      throttle.remaining -= 1;
      return { kind: 'throttle' };
    }
    const serverError = this.serverErrors.find((budget) => appliesTo(budget, operation));
    if (serverError) {
      serverError.remaining -= 1;
      return { kind: 'server_error', status: serverError.status };
    }
    return undefined;
  }

  /** Milliseconds to wait before answering this call (fixed latency plus any planned spike). */
  takeDelay(operation: VaultOperation): number {
    const spike = this.spikes.find((budget) => appliesTo(budget, operation));
    if (spike) spike.remaining -= 1;
    return this.latencyMs + (spike ? spike.ms : 0);
  }

  /** Clears every planned fault and the latency (counters are separate). */
  clear(): void {
    this.latencyMs = 0;
    this.serviceLimitWindow = undefined;
    this.throttles = [];
    this.serverErrors = [];
    this.resets = [];
    this.spikes = [];
    this.forbidden.clear();
    this.outageOn = false;
  }
}

/** Per-call durations kept for benchmarks: the newest this many per operation. */
const MAX_RECORDED_CALLS = 100_000;

export class CallCounters {
  private counts = new Map<CountedOperation, number>();
  private serviceMs = new Map<CountedOperation, number>();
  private waitedMs = new Map<CountedOperation, number>();
  private callMs = new Map<CountedOperation, number[]>();

  /**
   * How long one call spent in the vault, from its request's arrival to its answer leaving
   * (injected latency, crypto, JSON): a benchmark subtracts it call by call from what the client
   * saw, so what remains is the client's own time (and loopback transit).
   */
  recordCall(operation: CountedOperation, ms: number): void {
    let calls = this.callMs.get(operation);
    if (!calls) this.callMs.set(operation, (calls = []));
    if (calls.length >= MAX_RECORDED_CALLS) calls.shift();
    calls.push(ms);
  }

  calls(operation: CountedOperation): number[] {
    return [...(this.callMs.get(operation) ?? [])];
  }

  /** Injected latency as actually slept (timers overshoot): benchmarks subtract the real figure. */
  addWaitTime(operation: CountedOperation, ms: number): void {
    this.waitedMs.set(operation, (this.waitedMs.get(operation) ?? 0) + ms);
  }

  waitTimeMs(operation: CountedOperation): number {
    return this.waitedMs.get(operation) ?? 0;
  }

  /** Time the double itself spent serving (crypto, JSON), injected latency excluded: benchmarks subtract it. */
  addServiceTime(operation: CountedOperation, ms: number): void {
    this.serviceMs.set(operation, (this.serviceMs.get(operation) ?? 0) + ms);
  }

  serviceTimeMs(operation: CountedOperation): number {
    return this.serviceMs.get(operation) ?? 0;
  }

  increment(operation: CountedOperation): void {
    this.counts.set(operation, this.get(operation) + 1);
  }

  get(operation: CountedOperation): number {
    return this.counts.get(operation) ?? 0;
  }

  snapshot(): Record<CountedOperation, number> {
    const all: CountedOperation[] = [...VAULT_OPERATIONS, 'token', 'challenge'];
    return Object.fromEntries(all.map((operation) => [operation, this.get(operation)])) as Record<CountedOperation, number>;
  }

  reset(): void {
    this.counts.clear();
    this.serviceMs.clear();
    this.waitedMs.clear();
    this.callMs.clear();
  }
}
