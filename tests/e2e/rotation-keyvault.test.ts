import { startHost, type RunningHost } from '../support/host';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';
import { FAST_ROTATION_ENV, runRotationLoad } from '../support/rotation-load';

/** Issue 5 through the Key Vault double: two hosts on one vault key, both running the timer. */
const AUDIENCE = 'api://orders';
let vault: KeyVaultDouble;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble({ pageSize: 5 });
  const env = { ...FAST_ROTATION_ENV, ...vault.environment(uniqueKeyName()), KEY_VAULT_CREATE_KEY: 'true', JWT_AUDIENCES: AUDIENCE };
  hosts.push(await startHost({ env }));
  // The second instance starts once the first has made the key, as in a deployment where Bicep made it: two
  // instances that each create a first version at the same moment (KEY_VAULT_CREATE_KEY, no cross-process lock
  // in Key Vault) both sign at once, and each publishes the other's version only at its next ring refresh.
  expect((await fetch(`${hosts[0].baseUrl}/api/health`)).status).toBe(200);
  hosts.push(await startHost({ env }));
}, 60_000);

afterAll(async () => {
  for (const host of hosts) await host.stop();
  await vault?.stop();
});

it('rotates through Key Vault for 45 s with zero false rejections and at most one signing key per interval', async () => {
  const result = await runRotationLoad(hosts, AUDIENCE, 45_000);
   
  console.log(`real-time rotation (Key Vault double, 2 hosts, 45 s): signed=${result.signed} verified=${result.verified} keys=${result.kidsSeen.length} falseRejections=${result.falseRejections.length}`);
  expect(result.falseRejections).toEqual([]);
  expect(result.signFailures).toEqual([]);
  expect(result.unpublished).toEqual([]);
  expect(result.kidsSeen.length).toBeGreaterThanOrEqual(2);
  const keys = (await (await fetch(`${hosts[0].baseUrl}/api/keys`)).json()) as { keys: Array<{ phase: string }> };
  expect(keys.keys.filter((k) => k.phase === 'announced').length).toBeLessThanOrEqual(1);
  expect(keys.keys.filter((k) => k.phase === 'active')).toHaveLength(1);
}, 120_000);
