import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost } from '../support/host';
import { buildCorpus } from './attack-corpus';

/** Issue 8: the attack corpus against /api/verify over real HTTP. Zero accepted, zero 5xx. */
let dir: string;
let host: RunningHost;
let listener: Server;
let listenerUrl: string;
let listenerHits = 0;

async function verify(body: string, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${host.baseUrl}/api/verify`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-attack-'));
  listener = createServer((_request, response) => {
    listenerHits += 1;
    response.end('{}');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  host = await startHost({ env: { AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://orders', JWT_ISSUER: 'https://jwt.test/api' } });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('attack corpus against /api/verify', () => {
  it('accepts none of the hostile tokens, answers none with a 5xx, and never fetches a key from a token', async () => {
    const signed = (await (await fetch(`${host.baseUrl}/api/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: { sub: 'victim', aud: 'api://orders' } }) })).json()) as { token: string; kid: string };
    const jwks = (await (await fetch(`${host.baseUrl}/api/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const jwk = jwks.keys.find((k) => k.kid === signed.kid) as Record<string, string>;
    expect((await verify(JSON.stringify({ token: signed.token }))).body.active).toBe(true);

    const corpus = buildCorpus(signed.token, jwk, listenerUrl);
    expect(corpus.length).toBeGreaterThan(80);
    const outcomes: string[] = [];
    for (const attack of corpus) {
      const answer = await verify(JSON.stringify({ token: attack.token }));
      if (answer.status >= 500 || answer.body.active === true) outcomes.push(`${attack.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
      else if (answer.status === 200) expect(typeof answer.body.error).toBe('string');
      else expect(answer.status).toBeLessThan(500);
    }
    expect(outcomes).toEqual([]);
    expect(listenerHits).toBe(0);
  }, 60_000);

  it('handles a 1 MB token and hostile bodies with 4xx, and stays healthy', async () => {
    const huge = await verify(JSON.stringify({ token: `${'a'.repeat(1024 * 1024)}.b.c` }));
    expect(huge.status).toBe(413);
    const withinBody = await verify(JSON.stringify({ token: `${'a'.repeat(20_000)}.b.c` }));
    expect(withinBody.body).toEqual({ active: false, error: 'token_too_large' });
    for (const body of ['{"token": ', '[]', '{"token": {"$ne": null}}', '{"token": ["a","b"]}', 'token=a&token=b', '\u0000\u0001']) {
      const answer = await verify(body, body.startsWith('token=') ? 'application/x-www-form-urlencoded' : 'application/json');
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(typeof answer.body.code).toBe('string');
    }
    expect((await fetch(`${host.baseUrl}/api/health`)).status).toBe(200);
  });
});
