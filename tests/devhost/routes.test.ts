import { Router } from '../../devhost/routes';
import { resolveAppSettings, type Registration } from '../../devhost/registry';
import { applyLocalSettings } from '../../devhost/local-settings';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    expect(router.match('/api/sign', 'GET')).toEqual({ allowed: ['POST'] });
    expect(router.match('/api/nothing', 'GET')).toEqual({ allowed: [] });
    expect(router.match('/sign', 'POST')).toEqual({ allowed: [] });
    expect(router.match('/api/.well-known/jwksXjson', 'GET')).toEqual({ allowed: [] });
  });
});

describe('app settings for the host', () => {
  it('resolves %SETTING% in schedules, with the documented default when unset', () => {
    expect(resolveAppSettings('%ROTATION_SCHEDULE%', { ROTATION_SCHEDULE: '*/2 * * * * *' })).toBe('*/2 * * * * *');
    expect(resolveAppSettings('%ROTATION_SCHEDULE%', {})).toBe('0 0 * * * *');
    expect(() => resolveAppSettings('%NOT_SET%', {})).toThrow(/NOT_SET/);
  });

  it('reads local.settings.json Values, letting the environment win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-settings-'));
    try {
      writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ Values: { JWT_ALG: 'ES256', PORT: '9000' } }));
      const env: NodeJS.ProcessEnv = { PORT: '7000' };
      expect(applyLocalSettings(dir, env)).toEqual(['JWT_ALG']);
      expect(env).toEqual({ PORT: '7000', JWT_ALG: 'ES256' });
      writeFileSync(join(dir, 'local.settings.json'), '{ broken');
      expect(() => applyLocalSettings(dir, {})).toThrow(/local\.settings\.json is not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
