import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost } from '../support/host';
import { FAST_ROTATION_ENV, runRotationLoad } from '../support/rotation-load';

/**
 * Issue 19 in real time: the encryption key rotates on the signing key's timer (a new key every
 * 20 s here) while two embedded hosts sharing one key folder issue and verify encrypted tokens —
 * their own (`"encrypt": true`) and a partner's (jose, to the first use:enc key of the JWKS).
 */
const AUDIENCE = 'api://orders';
let dir: string;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-rotation-enc-'));
  const env = { ...FAST_ROTATION_ENV, LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: AUDIENCE };
  hosts.push(...(await Promise.all([startHost({ env }), startHost({ env })])));
}, 60_000);

afterAll(async () => {
  for (const host of hosts) await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('keeps issuing and opening encrypted tokens through encryption key rotations with zero false rejections', async () => {
  const result = await runRotationLoad(hosts, AUDIENCE, 30_000, { encrypted: true });
  console.log(`real-time encryption key rotation (embedded, 2 hosts, 30 s): tokens=${result.signed} verified=${result.verified} encryptionKeys=${result.kidsSeen.length} falseRejections=${result.falseRejections.length}`);
  expect(result.falseRejections).toEqual([]);
  expect(result.signFailures).toEqual([]);
  expect(result.unpublished).toEqual([]);
  expect(result.kidsSeen.length).toBeGreaterThanOrEqual(2);
  // Both timers ran every 2 s; the lock let one of them create each encryption key.
  expect(readdirSync(join(dir, 'encryption-versions')).length).toBeLessThanOrEqual(Math.ceil(30 / 20) + 2);
}, 90_000);
