import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost } from '../support/host';
import { findSecretLeaks } from '../support/secret-scan';

describe('log hygiene', () => {
  it('recognises what must never be logged', () => {
    expect(findSecretLeaks('{"token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln"}')).toHaveLength(1);
    expect(findSecretLeaks('-----BEGIN PRIVATE KEY-----')).toHaveLength(1);
    expect(findSecretLeaks('{"d":"AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}')).toHaveLength(1);
    expect(findSecretLeaks('authorization: Bearer abcdefghijklmnopqrstuvwxyz')).toHaveLength(1);
    expect(findSecretLeaks('{"message":"audit.sign","kid":"0123456789abcdef0123456789abcdef","jti":"R3wrvklu-CUm54NSrjJeTA"}')).toEqual([]);
  });

  it('a host that signs, verifies, refuses and revokes logs one audit event each and no secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-logs-'));
    const host = await startHost({ env: { LOCAL_KEYSTORE_DIR: dir, AUTH_MODE: 'none', HOST: '0.0.0.0', JWT_AUDIENCES: 'api://orders' } });
    try {
      // AUTH_MODE=none binds to loopback whatever HOST says.
      expect(host.baseUrl.startsWith('http://127.0.0.1:')).toBe(true);
      const post = (path: string, body: unknown) => fetch(`${host.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln' }, body: JSON.stringify(body) });
      const { token } = (await (await post('/api/sign', { claims: { sub: 'alice', aud: 'api://orders' } })).json()) as { token: string };
      await post('/api/verify', { token });
      await post('/api/verify', { token: `${token}x` });
      await post('/api/revoke', { token });
      await post('/api/sign', { claims: { aud: 'api://orders', secret: token } });
    } finally {
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const events = host.logs().split('\n').filter((line) => line.includes('"audit":true'));
    const kinds = events.map((line) => (JSON.parse(line.slice(line.indexOf('{'))) as { operation: string; outcome: string }))
      .map((e) => `${e.operation}:${e.outcome}`);
    expect(kinds).toEqual(expect.arrayContaining(['sign:success', 'verify:failure', 'revoke:success']));
    expect(findSecretLeaks(host.logs())).toEqual([]);
  });
});
