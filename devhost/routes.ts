import type { Registration } from './registry';

export interface RouteMatch {
  registration: Registration;
  params: Record<string, string>;
}

interface CompiledRoute {
  registration: Registration;
  pattern: RegExp;
  names: string[];
}

/** Turns a Functions route template (`keys/{kid}`, `{name?}`, `{id:int}`) into a case-insensitive matcher. */
function compile(prefix: string, registration: Registration): CompiledRoute {
  const names: string[] = [];
  const template = [prefix, registration.route ?? registration.name].filter((part) => part !== '').join('/');
  const source = template
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)(?::[^}?]+)?(\?)?\}$/.exec(segment);
      if (!param) return `/${segment.replace(/[.*+^${}()|[\]\\]/g, '\\$&')}`;
      names.push(param[1]);
      return param[2] ? '(?:/([^/]+))?' : '/([^/]+)';
    })
    .join('');
  return { registration, pattern: new RegExp(`^${source}/?$`, 'i'), names };
}

/** Route values, percent-decoded; undefined when one is malformed (`%E0%A4%A`), so the route does not match. */
function decodeParams(names: readonly string[], result: RegExpExecArray): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const value = result[i + 1];
    if (value === undefined) continue;
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return params;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(prefix: string, registrations: readonly Registration[]) {
    this.routes = registrations.filter((r) => r.trigger === 'http').map((r) => compile(prefix, r));
  }

  /** The route for a path and method; `allowed` lists the methods of routes matching the path only. */
  match(path: string, method: string): { found?: RouteMatch; allowed: string[] } {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const result = route.pattern.exec(path);
      if (!result) continue;
      const methods = route.registration.methods ?? [];
      if (!methods.includes(method.toUpperCase())) {
        allowed.push(...methods);
        continue;
      }
      const params = decodeParams(route.names, result);
      if (!params) continue;
      return { found: { registration: route.registration, params }, allowed };
    }
    return { allowed };
  }
}
