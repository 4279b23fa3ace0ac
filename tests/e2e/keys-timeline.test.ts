/**
 * Issue 21: GET /api/keys/timeline over HTTP from the embedded host as a real process, once with the
 * embedded key store and once with the real Key Vault SDK against the Key Vault double. Each ring
 * gets a scheduled rotation and an emergency rotation, then the picture is parsed and compared with
 * GET /api/keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';
import { startHost, type RunningHost } from '../support/host';
import { allElements, byClass, parseSvg, textOf } from '../support/svg';

const BASE_ENV = {
  AUTH_MODE: 'none',
  JWT_AUDIENCES: 'api://orders',
  JWT_ISSUER: 'https://jwt.test/api',
  ROTATION_INTERVAL: 'P1D',
  ROTATION_PROPAGATION: 'PT1H',
  // No timer run during the test: every version is made by the calls below.
  ROTATION_SCHEDULE: '0 0 0 1 1 *',
};

interface KeyEntry {
  kid: string;
  phase: string;
}

async function postJson(host: RunningHost, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${host.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** Announces a successor, then replaces the active key in an emergency; returns the emergency answer. */
async function rotateTwice(host: RunningHost): Promise<{ kid: string; disabled: string[] }> {
  const scheduled = await postJson(host, '/api/keys/rotate', { emergency: false });
  expect(scheduled).toMatchObject({ emergency: false, created: true });
  const emergency = await postJson(host, '/api/keys/rotate', { emergency: true, reason: 'timeline end-to-end test' });
  return { kid: String(emergency.kid), disabled: emergency.disabled as string[] };
}

async function checkTimeline(host: RunningHost, emergency: { kid: string; disabled: string[] }, expectedTitle: string): Promise<void> {
  const listing = (await (await fetch(`${host.baseUrl}/api/keys`)).json()) as { keys: KeyEntry[]; encryption: { keys: KeyEntry[] } };
  const response = await fetch(`${host.baseUrl}/api/keys/timeline`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
  const svg = await response.text();
  const root = parseSvg(svg);
  expect(svg).not.toMatch(/<script/i);
  expect(allElements(root).map((element) => element.tag)).not.toContain('script');
  expect(textOf(root)).toContain(expectedTitle);

  const allLanes = byClass(root, 'lane').map((lane) => ({ kid: lane.attributes['data-kid'], phase: lane.attributes['data-phase'], use: lane.attributes['data-use'] }));
  const lanes = allLanes.filter((lane) => lane.use === 'sig').map(({ kid, phase }) => ({ kid, phase }));
  expect(lanes).toEqual(listing.keys.map(({ kid, phase }) => ({ kid, phase })));
  // The encryption key's lanes below the signing key's (its bootstrap version, active).
  expect(allLanes.filter((lane) => lane.use === 'enc').map(({ kid, phase }) => ({ kid, phase }))).toEqual(listing.encryption.keys.map(({ kid, phase }) => ({ kid, phase })));
  expect(allLanes.map((lane) => lane.use)).toEqual([...lanes.map(() => 'sig'), ...listing.encryption.keys.map(() => 'enc')]);
  // bootstrap key (disabled by the emergency), announced successor, emergency key (active)
  expect(lanes.map((lane) => lane.phase).sort()).toEqual(['active', 'announced', 'disabled']);
  expect(lanes.find((lane) => lane.phase === 'active')?.kid).toBe(emergency.kid);
  expect(byClass(root, 'emergency').map((marker) => marker.attributes)).toEqual([
    expect.objectContaining({ 'data-kid': emergency.kid, 'data-replaced': emergency.disabled.join(' ') }),
  ]);
  const now = byClass(root, 'now').find((element) => element.tag === 'line');
  expect(Math.abs(Number(now?.attributes['data-time']) - Date.now() / 1000)).toBeLessThan(60);
  // An announced successor exists: the next rotation is its activation + interval − propagation.
  const next = byClass(root, 'next-rotation').find((element) => element.tag === 'line');
  const announced = byClass(root, 'lane').find((lane) => lane.attributes['data-phase'] === 'announced' && lane.attributes['data-use'] === 'sig');
  const activates = Number(byClass(announced ?? root, 'span').find((span) => span.attributes['data-phase'] === 'active')?.attributes['data-from']);
  expect(Number(next?.attributes['data-time'])).toBe(activates + 86400 - 3600);
}

describe('GET /api/keys/timeline with the embedded key store', () => {
  let dir: string;
  let host: RunningHost;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-timeline-'));
    host = await startHost({ env: { ...BASE_ENV, LOCAL_KEYSTORE_DIR: dir } });
  }, 60_000);
  afterAll(async () => {
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the ring GET /api/keys lists, with the emergency rotation marked', async () => {
    const emergency = await rotateTwice(host);
    await checkTimeline(host, emergency, 'embedded key store');
  });
});

describe('GET /api/keys/timeline through the Key Vault double', () => {
  const keyName = uniqueKeyName('timeline');
  let vault: KeyVaultDouble;
  let host: RunningHost;
  beforeAll(async () => {
    assertTestCaTrusted();
    vault = await startKeyVaultDouble();
    host = await startHost({ env: { ...BASE_ENV, ...vault.environment(keyName), KEY_VAULT_CREATE_KEY: 'true' } });
  }, 60_000);
  afterAll(async () => {
    await host?.stop();
    await vault?.stop();
  });

  it('draws the versions Key Vault holds, with the emergency rotation marked', async () => {
    const emergency = await rotateTwice(host);
    expect(vault.state.listByVersionId(keyName)).toHaveLength(3);
    await checkTimeline(host, emergency, 'Azure Key Vault');
  });
});
