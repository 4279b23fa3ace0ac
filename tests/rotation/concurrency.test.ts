import { localConfig } from '../support/config';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/audit';
import { createServices, type Services } from '../../src/app/services';
import { ManualClock, systemClock } from '../../src/clock';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { computePhases } from '../../src/keys/phases';
import { emergencyRotate, rotateKeys } from '../../src/rotation/rotate';
import { signToken } from '../../src/jwt/sign';
import { verifyToken } from '../../src/jwt/verify';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, uniqueKeyName, useDoubleManagedIdentity } from '../support/keyvault-double/adapter-fixture';

const DAY = 86_400_000;
const STORAGE = process.env.AZURITE_CONNECTION_STRING ?? '';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-conc-'));
  dirs.push(dir);
  return dir;
}

async function signAndVerify(services: Services, token?: string): Promise<{ token: string; active: boolean; error?: string }> {
  const issued =
    token ??
    (
      await signToken(
        { claims: { aud: services.config.audiences[0], sub: 's' }, authorizedParty: 'test' },
        { issuer: services.config.issuer, audiences: services.config.audiences, allowedClaims: '*', maxClaimsBytes: 4096, defaultTtlMs: services.config.defaultTtlMs, maxTtlMs: services.config.maxTtlMs },
        services,
      )
    ).token;
  const result = await verifyToken(
    issued,
    { issuer: services.config.issuer, audiences: services.config.audiences, clockSkewSeconds: 60, maxTokenBytes: 16_384 },
    { ring: services.ring, clock: services.clock, revocations: { isRevoked: () => false } },
  );
  return { token: issued, active: result.active, error: result.active ? undefined : result.error };
}

describe('rotation on many instances', () => {
  it('embedded: concurrent runs on instances sharing a folder create exactly one successor', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const env = { LOCAL_KEYSTORE_DIR: dir, AzureWebJobsStorage: STORAGE };
    const instances = await Promise.all(
      [1, 2, 3].map(() => createServices(localConfig(env), { clock, logger: silentLogger, store: new EmbeddedKeyStore({ dir, alg: 'RS256', clock }) })),
    );
    clock.advance(89 * DAY); // due: interval 90 days − propagation 2 days
    const reports = await Promise.all(instances.flatMap((s) => [rotateKeys(s.rotation, 'timer'), rotateKeys(s.rotation, 'timer')]));
    expect(reports.filter((r) => r.created).length).toBe(1);
    await instances[0].ring.refresh();
    const phases = instances[0].ring.phases().map((p) => p.phase).sort();
    expect(phases).toEqual(['active', 'announced']);
    // Running again right away changes nothing (idempotent).
    const again = await rotateKeys(instances[1].rotation, 'timer');
    expect(again).toMatchObject({ ran: true, created: undefined, disabled: [] });
  });

  it('embedded: emergency rotation invalidates the old key at once and keeps signing', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const services = await createServices(localConfig({ LOCAL_KEYSTORE_DIR: dir, AzureWebJobsStorage: STORAGE }), { clock, logger: silentLogger, store: new EmbeddedKeyStore({ dir, alg: 'RS256', clock }) });
    const before = await signAndVerify(services);
    expect(before.active).toBe(true);
    const result = await emergencyRotate(services.rotation, 'private key exposed in a log', 'admin-test');
    expect(result.disabled).toHaveLength(1);
    expect(await signAndVerify(services, before.token)).toMatchObject({ active: false, error: 'key_disabled' });
    const after = await signAndVerify(services);
    expect(after.active).toBe(true);
    expect(JSON.parse(Buffer.from(after.token.split('.')[0], 'base64url').toString()).kid).toBe(result.kid);
    // The timer never disables anything that still verifies live tokens on its own.
    const report = await rotateKeys(services.rotation, 'timer');
    expect(report.disabled).toEqual([]);
  });

  describe('Key Vault double', () => {
    let vault: KeyVaultDouble;
    beforeAll(async () => {
      assertTestCaTrusted();
      vault = await startKeyVaultDouble({ pageSize: 3 });
      useDoubleManagedIdentity(vault);
    });
    afterAll(async () => vault?.stop());

    it('concurrent runs on separate instances leave exactly one announced successor and never touch the active key', async () => {
      const keyName = uniqueKeyName('rotation');
      const env = { ...vault.environment(keyName), KEY_VAULT_CREATE_KEY: 'true', AzureWebJobsStorage: STORAGE, ROTATION_INTERVAL: 'PT20S', ROTATION_PROPAGATION: 'PT5S', JWT_MAX_TTL: 'PT10S', JWT_DEFAULT_TTL: 'PT5S' };
      const offset = { ms: 0 };
      const clock = { nowMs: () => systemClock.nowMs() + offset.ms };
      const first = await createServices(localConfig(env), { clock, logger: silentLogger });
      const others = await Promise.all([1, 2].map(() => createServices(localConfig(env), { clock, logger: silentLogger })));
      const instances = [first, ...others];
      const active = first.ring.phases().find((p) => p.phase === 'active')?.version.kid;
      // Make a rotation due: the vault's clock and ours move 16 s ahead (interval 20 s − propagation 5 s).
      vault.clockOffsetSeconds = 16;
      offset.ms = 16_000;
      await Promise.all(instances.map((s) => rotateKeys(s.rotation, 'timer')));
      await first.ring.refresh();
      const truth = computePhases(await first.store.listVersions(), Math.floor(clock.nowMs() / 1000), first.ring.policy);
      expect(truth.length).toBeGreaterThanOrEqual(2);
      expect(truth.filter((p) => p.phase === 'announced')).toHaveLength(1);
      expect(truth.find((p) => p.version.kid === active)?.phase).toBe('active');
      expect(truth.find((p) => p.version.kid === active)?.version.enabled).toBe(true);
    });
  });
});
