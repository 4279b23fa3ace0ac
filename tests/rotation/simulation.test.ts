import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { simulateRotation } from '../support/rotation-simulation';

const YEAR = 365 * 86_400;

describe('rotation simulation (injected clock)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('two years of hourly ticks with the defaults: zero false rejections, nothing signed early, nothing disabled early', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-sim-'));
    dirs.push(dir);
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const env = { LOCAL_KEYSTORE_DIR: dir, JWT_ISSUER: 'https://jwt.test/api', JWT_AUDIENCES: 'api://orders', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? '' };
    const result = await simulateRotation({
      env,
      clock,
      makeStore: () => new EmbeddedKeyStore({ dir, alg: 'RS256', clock }),
      durationSeconds: 2 * YEAR,
      tickSeconds: 3600,
    });
     
    console.log(`rotation simulation (embedded, 2 years hourly): ${JSON.stringify({ ...result, falseRejections: result.falseRejections.length, violations: result.violations.length })}`);
    expect(result.falseRejections).toEqual([]);
    expect(result.violations).toEqual([]);
    expect(result.ticks).toBe(2 * 365 * 24);
    expect(result.rotations).toBeGreaterThanOrEqual(8); // every 90 days
    expect(result.disabled).toBe(result.rotations); // every replaced key, the bootstrap one included, once its retention ended
  }, 240_000);

  it('the same two years in HMAC mode (HS256 secrets): zero false rejections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-sim-hs-'));
    dirs.push(dir);
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const env = { LOCAL_KEYSTORE_DIR: dir, JWT_ALG: 'HS256', JWT_ISSUER: 'https://jwt.test/api', JWT_AUDIENCES: 'api://orders', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? '' };
    const result = await simulateRotation({
      env,
      clock,
      makeStore: () => new EmbeddedKeyStore({ dir, alg: 'HS256', clock }),
      durationSeconds: 2 * YEAR,
      tickSeconds: 3600,
    });
     
    console.log(`rotation simulation (embedded HS256, 2 years hourly): ${JSON.stringify({ ...result, falseRejections: result.falseRejections.length, violations: result.violations.length })}`);
    expect(result.falseRejections).toEqual([]);
    expect(result.violations).toEqual([]);
    expect(result.rotations).toBeGreaterThanOrEqual(8);
    expect(result.disabled).toBe(result.rotations);
  }, 240_000);
});
