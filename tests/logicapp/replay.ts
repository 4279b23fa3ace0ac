import { evaluate, evaluateCondition, type ActionResult, type ExpressionContext } from './expressions';
import { durationMs, type RawAction, type WorkflowDefinition } from './workflow-model';

/**
 * Runs a workflow definition the way Logic Apps (Consumption) runs it, for tests: actions in runAfter order,
 * If branches, Compose, Response, and Http actions made for real over HTTP — with the managed identity token
 * Logic Apps would attach, the action's timeout (limit.timeout, per attempt: the longer of the two readings)
 * and its retry policy (retried only on 408, 429, 5xx, timeouts and connection failures, as documented).
 * `timeScale` shrinks timeouts and retry intervals so a test need not wait real seconds.
 */
export interface ReplayOptions {
  definition: WorkflowDefinition;
  /** Values for the definition's parameters (defaults fill the rest). */
  parameters?: Record<string, unknown>;
  trigger: { body: unknown; headers?: Record<string, string> };
  /** The token Logic Apps would get for `resource` with the workflow's system-assigned identity. */
  managedIdentityToken?: (resource: string) => string;
  timeScale?: number;
}

export interface HttpAttempt {
  action: string;
  method: string;
  uri: string;
  headers: Record<string, string>;
  body?: unknown;
  /** HTTP status, 'timeout' or 'connection-failed'. */
  outcome: number | 'timeout' | 'connection-failed';
}

export interface ReplayRun {
  /** The first Response action's answer (Logic Apps sends only one). */
  response?: { statusCode: number; headers: Record<string, string>; body: unknown };
  responses: number;
  statuses: Record<string, ActionResult['status']>;
  /** Actions that ran, in order. */
  ran: string[];
  http: HttpAttempt[];
}

const DEFAULT_RETRY = { type: 'exponential', count: 4, interval: 'PT7S', minimumInterval: 'PT5S', maximumInterval: 'PT45S' };
const OUTBOUND_REQUEST_LIMIT = 'PT120S';

interface HttpInputs {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  body?: unknown;
  authentication?: { type: string; audience?: string; identity?: string };
  retryPolicy?: { type: string; count?: number; interval?: string; minimumInterval?: string; maximumInterval?: string };
}

function retryDelays(policy: HttpInputs['retryPolicy']): number[] {
  const p = policy ?? DEFAULT_RETRY;
  if (p.type === 'none') return [];
  const count = p.count ?? 4;
  const interval = durationMs(p.interval ?? 'PT7S');
  if (p.type === 'fixed') return Array.from({ length: count }, () => interval);
  const min = durationMs(p.minimumInterval ?? 'PT5S');
  const max = durationMs(p.maximumInterval ?? 'PT1H');
  // Exponential: the n-th wait grows as interval * 2^(n-1), within [min, max].
  return Array.from({ length: count }, (_, n) => Math.min(max, Math.max(min, interval * 2 ** n)));
}

function transient(outcome: HttpAttempt['outcome']): boolean {
  return typeof outcome !== 'number' || outcome === 408 || outcome === 429 || outcome >= 500;
}

async function runHttp(name: string, action: RawAction, state: RunState, options: ReplayOptions): Promise<ActionResult> {
  const inputs = evaluate(action.inputs, state.context) as HttpInputs;
  const headers: Record<string, string> = { ...inputs.headers };
  if (inputs.authentication) {
    if (inputs.authentication.type !== 'ManagedServiceIdentity' || inputs.authentication.identity) throw new Error(`${name}: the replay implements only the system-assigned managed identity`);
    if (!options.managedIdentityToken) throw new Error(`${name}: uses the managed identity, but the replay has no token for it`);
    headers.Authorization = `Bearer ${options.managedIdentityToken(String(inputs.authentication.audience))}`;
  }
  const body = inputs.body === undefined ? undefined : typeof inputs.body === 'string' ? inputs.body : JSON.stringify(inputs.body);
  const scale = options.timeScale ?? 1;
  // Scaled, but never below a second: a loaded test machine must not turn a quick answer into a timeout.
  const timeoutMs = Math.max(Math.min(1000, durationMs(action.limit?.timeout ?? OUTBOUND_REQUEST_LIMIT)), durationMs(action.limit?.timeout ?? OUTBOUND_REQUEST_LIMIT) * scale);
  const delays = retryDelays(inputs.retryPolicy);
  for (let attempt = 0; ; attempt += 1) {
    const record: HttpAttempt = { action: name, method: inputs.method, uri: inputs.uri, headers, body: inputs.body, outcome: 'connection-failed' };
    state.http.push(record);
    let result: ActionResult;
    try {
      const response = await fetch(inputs.uri, { method: inputs.method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        // not JSON: Logic Apps keeps the text
      }
      record.outcome = response.status;
      result = { status: response.status < 400 ? 'Succeeded' : 'Failed', outputs: { statusCode: response.status, headers: Object.fromEntries(response.headers), body: parsed } };
    } catch (error: unknown) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      record.outcome = timedOut ? 'timeout' : 'connection-failed';
      result = { status: timedOut ? 'TimedOut' : 'Failed' };
    }
    if (result.status === 'Succeeded' || !transient(record.outcome) || attempt >= delays.length) return result;
    await new Promise((resolve) => setTimeout(resolve, delays[attempt] * scale));
  }
}

interface RunState {
  context: ExpressionContext;
  run: ReplayRun;
  http: HttpAttempt[];
}

async function runAction(name: string, action: RawAction, state: RunState, options: ReplayOptions): Promise<ActionResult> {
  state.run.ran.push(name);
  switch (action.type) {
    case 'Http':
      return runHttp(name, action, state, options);
    case 'Compose':
      return { status: 'Succeeded', outputs: evaluate(action.inputs, state.context) };
    case 'If': {
      const branch = evaluateCondition(action.expression, state.context) ? action.actions : action.else?.actions;
      return { status: (await runScope(branch ?? {}, state, options)) ? 'Succeeded' : 'Failed' };
    }
    case 'Response': {
      const inputs = evaluate(action.inputs, state.context) as { statusCode: number; headers?: Record<string, string>; body?: unknown };
      state.run.responses += 1;
      state.run.response ??= { statusCode: inputs.statusCode, headers: inputs.headers ?? {}, body: inputs.body };
      return { status: 'Succeeded' };
    }
    default:
      throw new Error(`the replay does not implement ${action.type}`);
  }
}

/** Runs one scope; false when an action in it failed and nothing in the scope ran after that failure. */
async function runScope(actions: Record<string, RawAction>, state: RunState, options: ReplayOptions): Promise<boolean> {
  const pending = new Set(Object.keys(actions));
  const results = state.context.results;
  while (pending.size > 0) {
    const ready = [...pending].filter((name) => Object.keys(actions[name].runAfter ?? {}).every((before) => results[before] !== undefined));
    if (ready.length === 0) throw new Error(`no runnable action among ${[...pending].join(', ')}`);
    for (const name of ready) {
      pending.delete(name);
      const action = actions[name];
      const allowed = Object.entries(action.runAfter ?? {}).every(([before, statuses]) => statuses.includes(results[before].status));
      results[name] = allowed ? await runAction(name, action, state, options) : { status: 'Skipped' };
      state.run.statuses[name] = results[name].status;
    }
  }
  const failed = Object.keys(actions).filter((name) => ['Failed', 'TimedOut'].includes(results[name].status));
  return failed.every((name) => Object.values(actions).some((a) => (a.runAfter?.[name] ?? []).includes(results[name].status)));
}

export async function replay(options: ReplayOptions): Promise<ReplayRun> {
  const parameters = Object.fromEntries(Object.entries(options.definition.parameters).map(([k, p]) => [k, p.defaultValue]));
  for (const [k, v] of Object.entries(options.parameters ?? {})) {
    if (!(k in parameters)) throw new Error(`the workflow declares no parameter ${k}`);
    parameters[k] = v;
  }
  const run: ReplayRun = { responses: 0, statuses: {}, ran: [], http: [] };
  const state: RunState = { context: { parameters, trigger: { body: options.trigger.body, headers: options.trigger.headers ?? {} }, results: {} }, run, http: run.http };
  await runScope(options.definition.actions, state, options);
  return run;
}
