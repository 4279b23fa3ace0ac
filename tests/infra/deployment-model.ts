import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evaluateExpression, evaluateValue, loopScopes, type Environment } from './bicep-eval';
import { fileScope } from './bicep-scope';
import { at, readBicep, type BicepFile, type BicepResource, type BicepValue } from './bicep-reader';

/**
 * What `azd up` would deploy for given parameters, evaluated from the Bicep itself: main.bicep's variables and
 * module parameters, then the modules' resources with those parameters, and module outputs from the modules.
 * Values ARM only knows at deploy time (principal ids, the registration's appId, host names, connection strings)
 * are stand-ins given by the caller.
 */
export const ROOT = resolve(__dirname, '..', '..');
export const INFRA = join(ROOT, 'infra');
export const MODULE_FILES = readdirSync(join(INFRA, 'modules')).map((f) => `modules/${f}`);
/**
 * The offline Bicep type checker: the team's shared one next to the repository when it is there (it may be
 * fresher), else the copy vendored in tests/infra/bicep-types/ (a clean clone, CI).
 */
const SHARED_TYPE_CHECKER = resolve(ROOT, '..', 'shared', 'bicep-types', 'check.mjs');
export const TYPE_CHECKER = existsSync(SHARED_TYPE_CHECKER) ? SHARED_TYPE_CHECKER : join(__dirname, 'bicep-types', 'check.mjs');
export const main = readBicep(join(INFRA, 'main.bicep'));
const modules = new Map<string, BicepFile>();
export function moduleFile(path: string): BicepFile {
  const file = modules.get(path) ?? readBicep(join(INFRA, path));
  modules.set(path, file);
  return file;
}
/** A file of the repository, as text. */
export const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
/** The source text of a value read from Bicep. */
export const text = (value: BicepValue): string => value.text;
export function resourceNamed(path: string, symbol: string): BicepResource {
  const found = moduleFile(path).resources.find((r) => r.symbol === symbol);
  if (!found) throw new Error(`${path} has no resource ${symbol}`);
  return found;
}
/** main.bicep's parameters for a plain environment, with a deploying principal. */
export const DEFAULTS = { environmentName: 'dev', location: 'westeurope', principalId: '77777777-7777-4777-8777-777777777777' };

export interface DeployTimeValues {
  callApiPrincipalId: string;
  verifyInboundPrincipalId: string;
  functionPrincipalId: string;
  /** The created registration's appId (ignored when functionAppClientId brings one). */
  createdClientId: string;
  defaultHostName: string;
}

export const STAND_INS: DeployTimeValues = {
  callApiPrincipalId: '11111111-1111-4111-8111-111111111111',
  verifyInboundPrincipalId: '22222222-2222-4222-8222-222222222222',
  functionPrincipalId: '33333333-3333-4333-8333-333333333333',
  createdClientId: '44444444-4444-4444-8444-444444444444',
  defaultHostName: 'func-dev-abc.azurewebsites.net',
};

export interface Deployment {
  /** main.bicep's value of a variable or parameter. */
  value(name: string): unknown;
  /** Whether main.bicep deploys a module (its `if` holds). */
  deploys(module: string): boolean;
  /** The parameters main.bicep passes to a module. */
  moduleParams(module: string): Record<string, unknown>;
  /** A resource's `properties` (or a value below them) in a module, evaluated with the parameters main passes. */
  resource(module: string, symbol: string, ...path: string[]): Record<string, unknown>;
  /**
   * Every resource a declaration in a module deploys, whole (name, location, tags, kind, properties …): none
   * when its `if` is false, one, or one per item of a loop that its condition keeps.
   */
  instances(module: string, symbol: string): Array<Record<string, unknown>>;
  output(name: string): unknown;
}

export function deployment(params: Record<string, unknown>, deployTime: DeployTimeValues = STAND_INS, env?: Environment): Deployment {
  // Module outputs main reads: these stand-ins, else the output evaluated from the module (a name, say).
  const standIns: Record<string, Record<string, unknown>> = {
    appRegistration: { clientId: deployTime.createdClientId, identifierUri: `api://${deployTime.createdClientId}`, servicePrincipalId: '55555555-5555-4555-8555-555555555555', callerAppRoleId: '66666666-6666-4666-8666-666666666666' },
    monitoring: { connectionString: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.in.applicationinsights.azure.com/' },
    storage: { name: 'ststandin', deploymentContainerName: 'app-package', revocationTableName: 'revocations', dpopReplayTableName: 'dpopjti' },
    vault: { name: 'kvstandin', uri: 'https://kvstandin.vault.azure.net/' },
    functionApp: { name: 'func-stand-in', defaultHostName: deployTime.defaultHostName, principalId: deployTime.functionPrincipalId },
    logicApps: {
        callApiName: 'logic-call-api-stand-in',
        callApiId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Logic/workflows/logic-call-api-stand-in',
        callApiPrincipalId: deployTime.callApiPrincipalId,
        verifyInboundName: 'logic-verify-inbound-stand-in',
        verifyInboundId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Logic/workflows/logic-verify-inbound-stand-in',
        verifyInboundPrincipalId: deployTime.verifyInboundPrincipalId,
    },
  };
  const symbols: Record<string, unknown> = {};
  const lookup = fileScope(main, params, symbols, env);
  const moduleDeclaration = (symbol: string) => {
    const declaration = main.modules.find((m) => m.symbol === symbol);
    if (!declaration) throw new Error(`main.bicep has no module ${symbol}`);
    return declaration;
  };
  const moduleParams = (symbol: string): Record<string, unknown> => evaluateValue(at(moduleDeclaration(symbol).body, 'params'), lookup, env) as Record<string, unknown>;
  /** A module's file and the scope its resources are evaluated in: main's parameters for it, its resource group. */
  const moduleContext = (symbol: string): { file: BicepFile; scope: (name: string) => unknown } => {
    const declaration = moduleDeclaration(symbol);
    const resourceGroup = (evaluateValue(at(declaration.body, 'scope'), lookup, env) as { name: string }).name;
    const file = moduleFile(declaration.path);
    return { file, scope: fileScope(file, moduleParams(symbol), {}, env, { resourceGroup }) };
  };
  for (const declaration of main.modules) {
    const given = standIns[declaration.symbol] ?? {};
    const declared = moduleFile(declaration.path).outputs;
    for (const name of Object.keys(given)) if (!declared.has(name)) throw new Error(`stand-in for ${declaration.symbol}.outputs.${name}, an output ${declaration.path} does not declare`);
    const outputs = {};
    for (const [name, output] of declared) {
      Object.defineProperty(outputs, name, { enumerable: true, get: () => (name in given ? given[name] : evaluateValue(output.value, moduleContext(declaration.symbol).scope, env)) });
    }
    symbols[declaration.symbol] = { outputs };
  }
  return {
    value: lookup,
    deploys: (symbol) => {
      const condition = moduleDeclaration(symbol).condition;
      return condition === undefined || evaluateValue({ kind: 'expression', text: condition }, lookup, env) === true;
    },
    moduleParams,
    resource: (symbol, resourceSymbol, ...path) => {
      const { file, scope } = moduleContext(symbol);
      const resource = file.resources.find((r) => r.symbol === resourceSymbol);
      if (!resource) throw new Error(`${symbol} has no resource ${resourceSymbol}`);
      if (resource.loop) throw new Error(`${symbol}.${resourceSymbol} is a loop: read its items with instances()`);
      return evaluateValue(at(resource.body, 'properties', ...path), scope, env) as Record<string, unknown>;
    },
    instances: (symbol, resourceSymbol) => {
      const { file, scope } = moduleContext(symbol);
      const resource = file.resources.find((r) => r.symbol === resourceSymbol);
      if (!resource) throw new Error(`${symbol} has no resource ${resourceSymbol}`);
      const scopes = resource.loop
        ? loopScopes(resource.loop, resource.condition, scope, env)
        : resource.condition === undefined || evaluateExpression(resource.condition, scope, env) === true
          ? [scope]
          : [];
      return scopes.map((itemScope) => evaluateValue(resource.body, itemScope, env) as Record<string, unknown>);
    },
    output: (name) => {
      const output = main.outputs.get(name);
      if (!output) throw new Error(`main.bicep has no output ${name}`);
      return evaluateValue(output.value, lookup, env);
    },
  };
}

/** The app settings Bicep writes, for an environment with the default parameters. */
export function defaultAppSettings(params: Record<string, unknown> = {}, deployTime: DeployTimeValues = STAND_INS): Record<string, string> {
  return deployment({ ...DEFAULTS, ...params }, deployTime).resource('functionSettings', 'appSettings') as Record<string, string>;
}
