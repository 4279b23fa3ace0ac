import { compiledRegistrations } from '../support/registrations';
import { SUPPORTED_FUNCTIONS, functionsCalled } from './expressions';
import { allActions, durationMs, loadWorkflow, predecessors, strings, WORKFLOWS, type WorkflowAction, type WorkflowDefinition } from './workflow-model';

/** Static checks of the workflows: what Logic Apps would refuse or get wrong at run time, and what they may do. */
const SYNCHRONOUS_RESPONSE_LIMIT_MS = 120_000;
const WORST_CASE_BUDGET_MS = 60_000;

const isFunctionCall = (a: WorkflowAction): boolean => a.type === 'Http' && strings(a.inputs?.uri).some((u) => u.includes("parameters('functionBaseUrl')"));
const route = (a: WorkflowAction): string => String(a.inputs?.uri).replace("@{parameters('functionBaseUrl')}/api/", '');

/** The longest time, from the trigger to a Response, that the Http actions on one path can take. */
function worstCaseMs(definition: WorkflowDefinition): number {
  const actions = allActions(definition);
  const byName = new Map(actions.map((a) => [a.name, a]));
  const cost = (a: WorkflowAction): number => {
    if (a.type !== 'Http') return 0;
    const policy = a.inputs?.retryPolicy as { type: string; count?: number; maximumInterval?: string } | undefined;
    if (!policy) throw new Error(`${a.name}: no explicit retry policy (the default retries 4 times, up to 45 s apart)`);
    const retries = policy.type === 'none' ? 0 : (policy.count ?? 4);
    const attempt = durationMs(a.limit?.timeout ?? 'PT120S');
    // Read limit.timeout as per attempt, the longer of its two readings, with every wait at its maximum.
    return (retries + 1) * attempt + retries * (policy.type === 'none' ? 0 : durationMs(policy.maximumInterval ?? 'PT1H'));
  };
  const finish = new Map<string, number>();
  const done = (a: WorkflowAction): number => {
    const known = finish.get(a.name);
    if (known !== undefined) return known;
    const before = Math.max(0, ...Object.keys(a.runAfter).map((n) => done(byName.get(n) as WorkflowAction)), a.parent ? start(byName.get(a.parent) as WorkflowAction) : 0);
    const value = before + cost(a);
    finish.set(a.name, value);
    return value;
  };
  const start = (a: WorkflowAction): number => Math.max(0, ...Object.keys(a.runAfter).map((n) => done(byName.get(n) as WorkflowAction)), a.parent ? start(byName.get(a.parent) as WorkflowAction) : 0);
  return Math.max(...actions.filter((a) => a.type === 'Response').map(done));
}

describe.each(WORKFLOWS)('%s workflow definition', (name) => {
  const definition = loadWorkflow(name);
  const actions = allActions(definition);
  const byName = new Map(actions.map((a) => [a.name, a]));
  const functionActions = actions.filter(isFunctionCall);

  it('has the 2016-06-01 schema, only its top-level keys and one HTTP request trigger', () => {
    expect(definition.$schema).toBe('https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#');
    expect(Object.keys(definition).sort()).toEqual(['$schema', 'actions', 'contentVersion', 'outputs', 'parameters', 'staticResults', 'triggers']);
    expect(actions.length).toBeLessThanOrEqual(250);
    expect(Object.keys(definition.parameters).length).toBeLessThanOrEqual(50);
    expect(Object.entries(definition.triggers).map(([n, t]) => [n, t.type, t.kind, t.inputs?.method])).toEqual([['manual', 'Request', 'Http', 'POST']]);
  });

  it('declares every parameter with an allowed type and a default', () => {
    for (const [parameterName, parameter] of Object.entries(definition.parameters)) {
      expect(['int', 'float', 'string', 'securestring', 'bool', 'array', 'object', 'secureobject']).toContain(parameter.type);
      expect(parameter.defaultValue).toBeDefined();
      expect(parameterName).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
    }
  });

  it('names only existing sibling actions in runAfter, with valid statuses', () => {
    for (const action of actions) {
      for (const [before, statuses] of Object.entries(action.runAfter)) {
        expect(action.scope).toContain(before);
        expect(before).not.toBe(action.name);
        for (const status of statuses) expect(['Succeeded', 'Failed', 'Skipped', 'TimedOut']).toContain(status);
      }
    }
  });

  it('uses only declared parameters, supported functions, and results of actions that ran before', () => {
    for (const action of actions) {
      for (const text of strings({ inputs: action.inputs, expression: action.expression })) {
        for (const match of text.matchAll(/parameters\('([^']+)'\)/g)) expect(Object.keys(definition.parameters)).toContain(match[1]);
        for (const match of text.matchAll(/(?:body|outputs|actions)\('([^']+)'\)/g)) {
          expect(byName.has(match[1])).toBe(true);
          expect({ action: action.name, uses: match[1], before: predecessors(actions, action).has(match[1]) }).toEqual({ action: action.name, uses: match[1], before: true });
        }
        for (const fn of functionsCalled(text)) expect(SUPPORTED_FUNCTIONS).toContain(fn);
      }
    }
  });

  it('calls the function app only with the managed identity, on existing routes and methods, tokens hidden from run history', () => {
    const http = compiledRegistrations().filter((f) => f.trigger === 'http');
    expect(functionActions.length).toBe(1);
    for (const action of functionActions) {
      const inputs = action.inputs as { method: string; authentication: Record<string, unknown> };
      // System-assigned identity: no `identity` property; the audience comes from a parameter.
      expect(inputs.authentication).toEqual({ type: 'ManagedServiceIdentity', audience: "@parameters('functionAudience')" });
      const target = http.find((f) => f.route === route(action));
      expect(target?.methods).toContain(inputs.method);
      expect(action.runtimeConfiguration?.secureData?.properties).toEqual(expect.arrayContaining(['inputs', 'outputs']));
    }
    for (const action of actions.filter((a) => a.type === 'Http' && strings(a.inputs?.headers).some((h) => h.startsWith('Bearer ')))) {
      expect(action.runtimeConfiguration?.secureData?.properties).toContain('inputs');
    }
  });

  it('retries the function call once, only on what Logic Apps treats as transient, and stays well under the 120 s synchronous limit', () => {
    for (const action of functionActions) expect(action.inputs?.retryPolicy).toEqual({ type: 'exponential', count: 1, interval: 'PT5S', minimumInterval: 'PT5S', maximumInterval: 'PT10S' });
    for (const action of actions.filter((a) => a.type === 'Http' && !isFunctionCall(a))) expect(action.inputs?.retryPolicy).toEqual({ type: 'none' });
    const worst = worstCaseMs(definition);
    expect(worst).toBeLessThanOrEqual(WORST_CASE_BUDGET_MS);
    expect(worst).toBeLessThan(SYNCHRONOUS_RESPONSE_LIMIT_MS);
  });

  it('answers every failure of an HTTP action: 503 only when it is transient, a non-retryable answer for a 4xx', () => {
    for (const action of actions.filter((a) => a.type === 'Http')) {
      const handlers = actions.filter((a) => (a.runAfter[action.name] ?? []).includes('Failed') && (a.runAfter[action.name] ?? []).includes('TimedOut'));
      expect({ action: action.name, handled: handlers.length }).toEqual({ action: action.name, handled: 1 });
      const [handler] = handlers;
      if (handler.type === 'If') {
        const branch = (actions_: Record<string, unknown> | undefined): unknown[] => Object.values(actions_ ?? {}).map((a) => (a as { inputs: { statusCode: number; headers?: Record<string, string> } }).inputs);
        expect(branch(handler.actions)).toEqual([expect.objectContaining({ statusCode: 503, headers: expect.objectContaining({ 'Retry-After': '30' }) })]);
        expect(branch(handler.else?.actions)).toEqual([expect.objectContaining({ statusCode: 500 })]);
        expect(JSON.stringify(handler.else?.actions)).not.toContain('Retry-After');
      } else expect(handler.type).toBe('Response');
    }
  });
});

describe('what the two workflows may do (no token laundering)', () => {
  const callApi = allActions(loadWorkflow('call-api-with-token'));
  const verifyInbound = allActions(loadWorkflow('verify-inbound'));

  it('lets no workflow both verify and sign', () => {
    expect(callApi.filter(isFunctionCall).map(route)).toEqual(['sign']);
    expect(verifyInbound.filter(isFunctionCall).map(route)).toEqual(['verify']);
  });

  it('answers within 60 s in the worst case: call-api-with-token 2 x 15 s + 10 s + 20 s, verify-inbound 2 x 15 s + 10 s', () => {
    expect(worstCaseMs(loadWorkflow('call-api-with-token'))).toBe(60_000);
    expect(worstCaseMs(loadWorkflow('verify-inbound'))).toBe(40_000);
  });

  it('signs only from its own parameters: nothing from the request goes into a token', () => {
    const sign = callApi.find((a) => isFunctionCall(a) && route(a) === 'sign') as WorkflowAction;
    expect(sign.inputs?.body).toEqual({ claims: { aud: "@parameters('downstreamAudience')", sub: "@parameters('tokenSubject')" }, ttlSeconds: "@parameters('downstreamTokenTtlSeconds')" });
  });

  it('pins the verify-inbound audience, and checks it again on the answer', () => {
    const verify = verifyInbound.find((a) => isFunctionCall(a)) as WorkflowAction;
    expect(verify.inputs?.body).toEqual({ token: "@{triggerBody()?['token']}", audience: "@parameters('inboundAudience')" });
    const gate = verifyInbound.find((a) => a.runAfter[verify.name]?.includes('Succeeded')) as WorkflowAction;
    expect(gate.expression).toEqual({ and: [{ equals: ["@body('Verify_inbound_token')?['active']", true] }, { equals: ["@body('Verify_inbound_token')?['aud']", "@parameters('inboundAudience')"] }] });
    // The work happens only in the gate's true branch.
    expect(Object.keys(gate.actions ?? {})).toEqual(['Do_work', 'Respond_accepted']);
  });

  it('hides the inbound token in run history and never reads an Authorization header (SAS triggers refuse Bearer next to sig)', () => {
    const definition = loadWorkflow('verify-inbound');
    expect(definition.triggers.manual.runtimeConfiguration?.secureData?.properties).toEqual(['inputs', 'outputs']);
    for (const name of WORKFLOWS) expect(JSON.stringify(loadWorkflow(name))).not.toMatch(/triggerOutputs\(\)\?\['headers'\]/);
  });

  it('never sends a token back to the caller', () => {
    for (const actions of [callApi, verifyInbound]) {
      for (const response of actions.filter((a) => a.type === 'Response')) expect(JSON.stringify(response.inputs)).not.toMatch(/\['token'\]/);
    }
  });
});
