import { compiledRegistrations } from '../support/registrations';
import { SUPPORTED_FUNCTIONS, functionsCalled } from './expressions';
import { allActions, loadWorkflow, predecessors, strings } from './workflow-model';

/** Static checks of the token-broker workflow: what Logic Apps would refuse or get wrong at run time. */
const definition = loadWorkflow();
const actions = allActions(definition);
const byName = new Map(actions.map((a) => [a.name, a]));
const functionActions = actions.filter((a) => a.type === 'Http' && strings(a.inputs?.uri).some((u) => u.includes("parameters('functionBaseUrl')")));

describe('token-broker workflow definition', () => {
  it('has the 2016-06-01 schema and only its top-level keys', () => {
    expect(definition.$schema).toBe('https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#');
    expect(Object.keys(definition).sort()).toEqual(['$schema', 'actions', 'contentVersion', 'outputs', 'parameters', 'staticResults', 'triggers']);
    expect(actions.length).toBeLessThanOrEqual(250);
    expect(Object.keys(definition.parameters).length).toBeLessThanOrEqual(50);
  });

  it('declares every parameter with an allowed type and a default', () => {
    for (const [name, parameter] of Object.entries(definition.parameters)) {
      expect(['int', 'float', 'string', 'securestring', 'bool', 'array', 'object', 'secureobject']).toContain(parameter.type);
      expect(parameter.defaultValue).toBeDefined();
      expect(name).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
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

  it('uses only declared parameters, and body()/outputs() of actions that ran before', () => {
    for (const action of actions) {
      for (const text of strings({ inputs: action.inputs, expression: action.expression })) {
        for (const match of text.matchAll(/parameters\('([^']+)'\)/g)) expect(Object.keys(definition.parameters)).toContain(match[1]);
        for (const match of text.matchAll(/(?:body|outputs)\('([^']+)'\)/g)) {
          expect(byName.has(match[1])).toBe(true);
          expect({ action: action.name, uses: match[1], before: predecessors(actions, action).has(match[1]) }).toEqual({ action: action.name, uses: match[1], before: true });
        }
        for (const name of functionsCalled(text)) expect(SUPPORTED_FUNCTIONS).toContain(name);
      }
    }
  });

  it('calls the function app only with the managed identity, on existing routes and methods', () => {
    const http = compiledRegistrations().filter((f) => f.trigger === 'http');
    expect(functionActions.length).toBeGreaterThanOrEqual(2);
    for (const action of functionActions) {
      const inputs = action.inputs as { method: string; uri: string; authentication: Record<string, unknown>; retryPolicy: Record<string, unknown> };
      // System-assigned identity: no `identity` property; the audience comes from a parameter.
      expect(inputs.authentication).toEqual({ type: 'ManagedServiceIdentity', audience: "@parameters('functionAudience')" });
      const route = inputs.uri.replace("@{parameters('functionBaseUrl')}/api/", '');
      const target = http.find((f) => f.route === route);
      expect(target).toBeDefined();
      expect(target?.methods).toContain(inputs.method);
      expect(inputs.retryPolicy.type).toBe('exponential');
      // Tokens travel in these actions: run history must not show them.
      expect(action.runtimeConfiguration?.secureData?.properties).toEqual(expect.arrayContaining(['inputs', 'outputs']));
    }
  });

  it('sends bodies the sign and verify contracts accept', () => {
    const verify = functionActions.find((a) => String(a.inputs?.uri).endsWith('/api/verify'));
    expect(Object.keys(verify?.inputs?.body as object)).toEqual(['token']);
    const sign = functionActions.find((a) => String(a.inputs?.uri).endsWith('/api/sign'));
    const body = sign?.inputs?.body as { claims: Record<string, unknown>; ttlSeconds: unknown };
    expect(Object.keys(body).sort()).toEqual(['claims', 'ttlSeconds']);
    expect(body.claims.aud).toBeDefined();
    expect(Object.keys(body.claims).every((c) => !['iss', 'iat', 'exp', 'jti'].includes(c))).toBe(true);
  });

  it('ends every failure in a response, never a silent failed run', () => {
    for (const action of actions.filter((a) => a.type === 'Http')) {
      const handlers = actions.filter((a) => a.type === 'Response' && (a.runAfter[action.name] ?? []).includes('Failed'));
      expect({ action: action.name, handled: handlers.length > 0 }).toEqual({ action: action.name, handled: true });
    }
    const downstream = byName.get('Call_downstream_API');
    expect(downstream?.runtimeConfiguration?.secureData?.properties).toContain('inputs');
  });
});
