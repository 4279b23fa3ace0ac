import { Router } from '../../devhost/routes';
import { resolveAppSettings, type Registration } from '../../devhost/registry';

const handler = (): undefined => undefined;
const registrations: Registration[] = [
  { name: 'sign', trigger: 'http', route: 'sign', methods: ['POST'], handler },
  { name: 'jwks', trigger: 'http', route: '.well-known/jwks.json', methods: ['GET'], handler },
  { name: 'key', trigger: 'http', route: 'keys/{kid}/{part?}', methods: ['GET'], handler },
];

describe('embedded host routing', () => {
  const router = new Router('api', registrations);

  it('matches routes under the prefix, case-insensitively, with parameters', () => {
    expect(router.match('/api/sign', 'POST').found?.registration.name).toBe('sign');
    expect(router.match('/API/Sign/', 'post').found?.registration.name).toBe('sign');
    expect(router.match('/api/.well-known/jwks.json', 'GET').found?.registration.name).toBe('jwks');
    expect(router.match('/api/keys/abc', 'GET').found?.params).toEqual({ kid: 'abc' });
    expect(router.match('/api/keys/abc/public', 'GET').found?.params).toEqual({ kid: 'abc', part: 'public' });
  });

  it('tells 404 from 405', () => {
    expect(router.match('/api/sign', 'GET')).toEqual({ allowed: ['POST'], template: 'api/sign' });
    expect(router.match('/api/nothing', 'GET')).toEqual({ allowed: [] });
    expect(router.match('/sign', 'POST')).toEqual({ allowed: [] });
    expect(router.match('/api/.well-known/jwksXjson', 'GET')).toEqual({ allowed: [] });
  });
});

describe('embedded host routing edge cases', () => {
  const router = new Router('api', registrations);

  it('serves routes at the root when the prefix is empty', () => {
    const root = new Router('', registrations);
    expect(root.match('/sign', 'POST').found?.registration.name).toBe('sign');
    expect(root.match('/api/sign', 'POST').found).toBeUndefined();
  });

  it('leaves optional parameters out when absent and percent-decodes values', () => {
    expect(router.match('/api/keys/a%2Fb', 'GET').found?.params).toEqual({ kid: 'a/b' });
    expect(router.match('/api/keys/k%C3%A9', 'GET').found?.params).toEqual({ kid: 'ké' });
    expect(router.match('/api/keys/', 'GET').found).toBeUndefined();
  });

  it('does not match (404) a malformed percent-encoding instead of failing', () => {
    expect(router.match('/api/keys/%E0%A4%A', 'GET')).toEqual({ allowed: [] });
  });

  it('ignores route constraints in templates but keeps the parameter name', () => {
    const constrained = new Router('api', [{ name: 'item', trigger: 'http', route: 'items/{id:int}', methods: ['GET'], handler }]);
    expect(constrained.match('/api/items/42', 'GET').found?.params).toEqual({ id: '42' });
  });

  it('lists the methods of every route on the path for 405', () => {
    const two = new Router('api', [
      { name: 'read', trigger: 'http', route: 'thing', methods: ['GET'], handler },
      { name: 'write', trigger: 'http', route: 'thing', methods: ['POST', 'PUT'], handler },
    ]);
    expect(two.match('/api/thing', 'PUT').found?.registration.name).toBe('write');
    expect(two.match('/api/thing', 'DELETE')).toEqual({ allowed: ['GET', 'POST', 'PUT'], template: 'api/thing' });
  });
});

describe('what a log line may say of a path', () => {
  const router = new Router('api', registrations);
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';

  it('names the template of the matched route, never the values in it', () => {
    expect(router.match(`/api/keys/${jwt}/public`, 'GET').template).toBe('api/keys/{kid}/{part?}');
    expect(router.match(`/api/keys/${jwt}`, 'DELETE').template).toBe('api/keys/{kid}/{part?}');
    expect(new Router('', registrations).match('/sign', 'POST').template).toBe('sign');
  });

  it('keeps of an unmatched path only its leading route words, then cuts', () => {
    expect(router.unmatchedPath(`/api/verify/${jwt}`)).toBe('/api/…');
    expect(router.unmatchedPath(`/api/sign/${jwt}`)).toBe('/api/sign/…');
    expect(router.unmatchedPath(`/API/Keys/${jwt}/public/x`)).toBe('/API/Keys/…');
    expect(router.unmatchedPath(`/${jwt}`)).toBe('/…');
    expect(router.unmatchedPath('/')).toBe('/…');
    expect(router.unmatchedPath('/api/sign/api/sign')).toBe('/api/sign/api/sign');
    // Parameter names are not words: `{kid}` in a path is whatever the client sent.
    expect(router.unmatchedPath('/api/keys/{kid}')).toBe('/api/keys/…');
  });
});

describe('app settings for the host', () => {
  it('resolves %SETTING% in schedules, with the documented default when unset', () => {
    expect(resolveAppSettings('%ROTATION_SCHEDULE%', { ROTATION_SCHEDULE: '*/2 * * * * *' })).toBe('*/2 * * * * *');
    expect(resolveAppSettings('%ROTATION_SCHEDULE%', {})).toBe('0 0 * * * *');
    expect(() => resolveAppSettings('%NOT_SET%', {})).toThrow(/NOT_SET/);
  });
});
