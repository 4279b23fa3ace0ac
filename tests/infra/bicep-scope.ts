import { AZURE_CLOUD, type Environment } from './bicep-functions';
import { evaluateValue, loopScopes } from './bicep-eval';
import { at, type BicepFile, type BicepResource } from './bicep-reader';

type Value = unknown;

/** Where a file deploys: a resource group (its name), or the subscription when absent. */
export interface DeploymentScope {
  resourceGroup?: string;
}

/**
 * What a resource symbol reads as: its name (a child's `parent/child`), type, apiVersion and the id ARM
 * gives it (`/subscriptions/…[/resourceGroups/…]/providers/<namespace>/<type>/<name>[/<type>/<name>…]`).
 * Properties only ARM knows (a principal id, a connection string) are not modelled.
 */
function resourceReference(resource: BicepResource, lookup: (name: string) => Value, env: Environment, scope: DeploymentScope): Value {
  const own = String(evaluateValue(at(resource.body, 'name'), lookup, env));
  const parent = resource.body.entries.get('parent');
  const name = parent ? `${String((evaluateValue(parent, lookup, env) as { name: string }).name)}/${own}` : own;
  const [namespace, ...types] = resource.type.split('/');
  const names = name.split('/');
  if (names.length !== types.length) throw new Error(`${resource.symbol}: name ${name} does not fit type ${resource.type}`);
  const path = types.map((type, k) => `${type}/${names[k]}`).join('/');
  const prefix = `/subscriptions/${env.subscriptionId}${scope.resourceGroup === undefined ? '' : `/resourceGroups/${scope.resourceGroup}`}`;
  return { id: `${prefix}/providers/${namespace}/${path}`, name, type: resource.type, apiVersion: resource.apiVersion };
}

/**
 * A scope for one Bicep file: parameters from `params` (else their defaults), vars evaluated on first use,
 * other symbols (module outputs, stand-ins) from `symbols`, and the file's own resources as references
 * (a loop as the array of its items' references).
 */
export function fileScope(file: BicepFile, params: Record<string, Value>, symbols: Record<string, Value> = {}, env: Environment = AZURE_CLOUD, scope: DeploymentScope = {}): (name: string) => Value {
  const cache = new Map<string, Value>();
  const lookup = (name: string): Value => {
    if (name in params) return params[name];
    if (cache.has(name)) return cache.get(name);
    const param = file.params.get(name);
    if (param) {
      if (!param.defaultValue) throw new Error(`parameter ${name} has no value and no default`);
      return evaluateValue(param.defaultValue, lookup, env);
    }
    const variable = file.vars.get(name);
    if (variable) {
      const value = evaluateValue(variable, lookup, env);
      cache.set(name, value);
      return value;
    }
    if (name in symbols) return symbols[name];
    const resource = file.resources.find((r) => r.symbol === name);
    if (resource) {
      const reference = resource.loop
        ? loopScopes(resource.loop, undefined, lookup, env).map((itemScope) => resourceReference(resource, itemScope, env, scope))
        : resourceReference(resource, lookup, env, scope);
      cache.set(name, reference);
      return reference;
    }
    throw new Error(`unknown symbol ${name}`);
  };
  return lookup;
}

