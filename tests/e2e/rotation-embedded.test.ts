import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost } from '../support/host';
import { FAST_ROTATION_ENV, runRotationLoad } from '../support/rotation-load';

/** Issue 5 in real time: two embedded hosts share one key folder and both run the rotation timer. */
const AUDIENCE = 'api://orders';
let dir: string;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-rotation-'));
  const env = { ...FAST_ROTATION_ENV, LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: AUDIENCE };
  hosts.push(await startHost({ env }));
  hosts.push(await startHost({ env }));
}, 60_000);

afterAll(async () => {
  for (const host of hosts) await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('keeps signing and verifying through several rotations for a minute with zero false rejections', async () => {
  const result = await runRotationLoad(hosts, AUDIENCE, 60_000);
   
  console.log(`real-time rotation (embedded, 2 hosts, 60 s): signed=${result.signed} verified=${result.verified} keys=${result.kidsSeen.length} falseRejections=${result.falseRejections.length}`);
  expect(result.falseRejections).toEqual([]);
  expect(result.signFailures).toEqual([]);
  expect(result.unpublished).toEqual([]);
  expect(result.kidsSeen.length).toBeGreaterThanOrEqual(3);
  // Both timers ran every 2 s for a minute; the lock let only one of them create each key:
  // one bootstrap key plus one per 20-second interval.
  expect(readdirSync(join(dir, 'versions')).length).toBeLessThanOrEqual(Math.ceil(60 / 20) + 2);
}, 120_000);
