import { InvocationContext, type EffectiveFunctionOptions, type InvocationContextExtraInputs, type InvocationContextExtraOutputs, type LogLevel } from '@azure/functions';
import type { HostLog } from './host-log';

const UNKNOWN_TRIGGER = Object.freeze({ name: 'unknown', type: 'unknown' });

/**
 * What a function receives as `context` from the embedded host. The worker's InvocationContext
 * keeps its log handler and extra inputs/outputs in three WeakMaps, and three ephemeron entries
 * per request cost the host about as much as its routing. This class has the same members with
 * the same values; the extra inputs/outputs (unused by this app) come from a real
 * InvocationContext built on first use. tests/devhost/host-context.test.ts holds the two side by
 * side. It is not `instanceof InvocationContext`; nothing in this app asks.
 */
export class HostInvocationContext implements InvocationContext {
  readonly invocationId: string;
  readonly functionName: string;
  readonly retryContext = undefined;
  readonly traceContext = undefined;
  readonly triggerMetadata = undefined;
  readonly #log: HostLog;
  #real: InvocationContext | undefined;
  #options: EffectiveFunctionOptions | undefined;

  constructor(functionName: string, invocationId: string, log: HostLog) {
    this.functionName = functionName;
    this.invocationId = invocationId;
    this.#log = log;
  }

  /** What the worker's context reports when built without options, as the host builds it. */
  get options(): EffectiveFunctionOptions {
    this.#options ??= { trigger: { ...UNKNOWN_TRIGGER }, return: undefined, extraInputs: [], extraOutputs: [] };
    return this.#options;
  }

  get extraInputs(): InvocationContextExtraInputs {
    return this.#realContext().extraInputs;
  }

  get extraOutputs(): InvocationContextExtraOutputs {
    return this.#realContext().extraOutputs;
  }

  log(...args: unknown[]): void {
    this.#write('information', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  info(...args: unknown[]): void {
    this.#write('information', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warning', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  #write(level: LogLevel, args: unknown[]): void {
    this.#log.functionLine(this.functionName, this.invocationId, level, args);
  }

  #realContext(): InvocationContext {
    this.#real ??= new InvocationContext({ functionName: this.functionName, invocationId: this.invocationId, logHandler: (level, ...args) => this.#write(level, args) });
    return this.#real;
  }
}
