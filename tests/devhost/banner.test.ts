import { banner, baseUrlFor, listeningLine } from '../../devhost/banner';
import type { Registration } from '../../devhost/registry';

describe('start-up banner', () => {
  const handler = (): undefined => undefined;
  const registrations: Registration[] = [
    { name: 'sign', trigger: 'http', route: 'sign', methods: ['POST'], authLevel: 'anonymous', handler },
    { name: 'jwks', trigger: 'http', route: '.well-known/jwks.json', methods: ['GET'], authLevel: 'anonymous', handler },
    { name: 'rotateKeys', trigger: 'timer', rawSchedule: '%ROTATION_SCHEDULE%', schedule: '0 0 * * * *', runOnStartup: false, handler },
    { name: 'cleanup', trigger: 'timer', rawSchedule: '0 */15 * * * *', schedule: '0 */15 * * * *', runOnStartup: false, handler },
  ];

  it('starts with the machine-readable listening line and lists every function', () => {
    const text = banner('http://127.0.0.1:7071', 'api', registrations, { JWT_AUDIENCES: ' api://orders , api://billing' });
    const lines = text.split('\n');
    expect(lines[0]).toBe(listeningLine('http://127.0.0.1:7071'));
    expect(lines[0]).toBe('kv-jwt host listening on http://127.0.0.1:7071');
    expect(text).toContain('sign: [POST] http://127.0.0.1:7071/api/sign');
    expect(text).toContain('jwks: [GET] http://127.0.0.1:7071/api/.well-known/jwks.json');
    expect(text).toContain('rotateKeys: timer, schedule "0 0 * * * *" UTC (from %ROTATION_SCHEDULE%)\n');
    expect(text).toContain('cleanup: timer, schedule "0 */15 * * * *" UTC\n');
    expect(text).toContain(`-d '{"claims":{"sub":"demo","aud":"api://orders"}}'`);
    expect(text).toContain('http://127.0.0.1:7071/api/verify');
    expect(text).not.toContain('Authorization');
  });

  it('uses api://local-dev without JWT_AUDIENCES and adds the caller token with AUTH_MODE=entra', () => {
    const text = banner('http://127.0.0.1:7071', 'api', registrations, { AUTH_MODE: 'entra' });
    expect(text).toContain('"aud":"api://local-dev"');
    expect(text).toContain('-H "Authorization: Bearer $CALLER_TOKEN"');
  });

  it('brackets IPv6 addresses', () => {
    expect(baseUrlFor('::1', 80)).toBe('http://[::1]:80');
    expect(baseUrlFor('127.0.0.1', 80)).toBe('http://127.0.0.1:80');
  });
});
