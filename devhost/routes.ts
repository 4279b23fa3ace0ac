import type { Registration } from './registry';

/** A route's template with its prefix, as written (`api/keys/{kid}`), and a case-insensitive matcher for it. */
type CompiledRoute = { registration: Registration; template: string; pattern: RegExp; names: string[] };

/** Turns a Functions route template (`keys/{kid}`, `{name?}`, `{id:int}`) into a matcher. */
function compile(prefix: string, registration: Registration): CompiledRoute {
  const names: string[] = [];
  const template = [prefix, registration.route ?? registration.name].filter((part) => part !== '').join('/');
  const source = template.split('/').map((segment) => {
    const param = /^\{([A-Za-z0-9_]+)(?::[^}?]+)?(\?)?\}$/.exec(segment);
    if (!param) return `/${segment.replace(/[.*+^${}()|[\]\\]/g, '\\$&')}`;
    names.push(param[1]);
    return param[2] ? '(?:/([^/]+))?' : '/([^/]+)';
  });
  return { registration, template, pattern: new RegExp(`^${source.join('')}/?$`, 'i'), names };
}

/** Route values, percent-decoded; undefined when one is malformed (`%E0%A4%A`), so the route does not match. */
function decodeParams(names: readonly string[], values: readonly (string | undefined)[]): Record<string, string> | undefined {
  try {
    return Object.fromEntries(names.flatMap((name, i) => (values[i] === undefined ? [] : [[name, decodeURIComponent(values[i])]])));
  } catch {
    return undefined;
  }
}

export class Router {
  private readonly routes: CompiledRoute[];
  /** The templates' literal segments, lower-cased: the only segments of an unmatched path a log line repeats. */
  private readonly words: Set<string>;

  constructor(prefix: string, registrations: readonly Registration[]) {
    this.routes = registrations.filter((r) => r.trigger === 'http').map((r) => compile(prefix, r));
    this.words = new Set(this.routes.flatMap((route) => route.template.toLowerCase().split('/').filter((segment) => !segment.startsWith('{'))));
  }

  /** The route for a path and method; `allowed` has the methods of the routes matching the path only (405), `template` the first such route. */
  match(path: string, method: string): { found?: { registration: Registration; params: Record<string, string> }; allowed: string[]; template?: string } {
    const allowed: string[] = [];
    let template: string | undefined;
    for (const route of this.routes) {
      const result = route.pattern.exec(path);
      const params = result ? decodeParams(route.names, result.slice(1)) : undefined;
      if (!params) continue;
      template ??= route.template;
      const methods = route.registration.methods ?? [];
      if (methods.includes(method.toUpperCase())) return { found: { registration: route.registration, params }, allowed, template: route.template };
      allowed.push(...methods);
    }
    return { allowed, template };
  }

  /** An unmatched path for a log line: its leading segments that are route words, then `/…` (a mistyped URL may carry a token). */
  unmatchedPath(path: string): string {
    const segments = path.split('/').slice(1);
    const firstUnknown = segments.findIndex((segment) => !this.words.has(segment.toLowerCase()));
    return firstUnknown < 0 ? path : `/${[...segments.slice(0, firstUnknown), '…'].join('/')}`;
  }
}
