import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/audit';
import { createServices, type Services } from '../../src/app/services';
import { createTokenVerifier } from '../../src/app/token-verifier';
import { ManualClock, nowSeconds } from '../../src/clock';
import { signToken } from '../../src/jwt/sign';
import { buildJwks } from '../../src/keys/jwks';
import { noRevocations } from '../../src/revocation/revocation';
import { emergencyRotate, rotateKeys } from '../../src/rotation/rotate';
import { localConfig } from '../support/config';
import { joseJwe, publicKeyOf } from '../support/jwe';

/**
 * The encryption key on the signing key's lifecycle, with an injected clock: rotation under load
 * with zero false rejections — tokens this service encrypts to itself, and tokens a partner
 * encrypts to whatever JWKS it fetched up to one cache lifetime ago — on an instance that rotates
 * and one that only learns of new keys through its own ring. Plus one successor per interval on
 * many instances, and the emergency rotation of the encryption key alone.
 */
const AUDIENCE = 'api://orders';
const DAY = 86_400;
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-enc-rotation-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const envFor = (dir: string): Record<string, string> => ({
  LOCAL_KEYSTORE_DIR: dir,
  JWT_AUDIENCES: AUDIENCE,
  JWT_ISSUER: 'https://jwt.test/api',
  ROTATION_INTERVAL: 'P7D',
  ROTATION_PROPAGATION: 'P1D',
  AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? '',
});

async function signedToken(services: Services, ttlSeconds: number): Promise<{ token: string; exp: number }> {
  const signed = await signToken(
    { claims: { sub: 'load', aud: AUDIENCE }, ttlSeconds, authorizedParty: 'simulation' },
    { issuer: services.config.issuer, audiences: [AUDIENCE], allowedClaims: '*', maxClaimsBytes: 8192, defaultTtlMs: services.config.defaultTtlMs, maxTtlMs: services.config.maxTtlMs },
    services,
  );
  return { token: signed.token, exp: signed.expiresAt };
}

/**
 * Opens and verifies as /api/verify does, without the revocation view: days of an injected clock
 * outrun the view's real-time synchronisation, and it fails closed beyond REVOCATION_MAX_STALENESS.
 * Revocation is not what these tests measure (the signing key's simulation does the same).
 */
async function verifyEncrypted(services: Services, token: string): Promise<string | undefined> {
  const opened = await services.encryption.open(token);
  const verifier = createTokenVerifier(services.config, services.ring, services.store, services.clock, noRevocations);
  const result = opened.active === false ? opened : await verifier.verify(opened.token, [AUDIENCE]);
  return result.active ? undefined : result.error;
}

describe('encryption key rotation', () => {
  it('rotates through 60 days of hourly ticks with zero false rejections, self-encrypted and partner-encrypted alike', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const primary = await createServices(localConfig(envFor(dir)), { clock, logger: silentLogger });
    const secondary = await createServices(localConfig(envFor(dir)), { clock, logger: silentLogger });
    const maxTtl = Math.floor(primary.config.maxTtlMs / 1000);
    const jwksMaxAge = primary.config.jwksMaxAgeSeconds;
    let partnerJwks = buildJwks(primary.ring.phases(), primary.encryption.ring.phases());
    let partnerFetchedAt = nowSeconds(clock);
    let live: Array<{ token: string; exp: number; kid: string }> = [];
    const falseRejections: string[] = [];
    const violations: string[] = [];
    const encryptionKids = new Set<string>();
    let disabledEncryptionKeys = 0;
    for (let tick = 0; tick < 60 * 24; tick += 1) {
      clock.advance(3600 * 1000);
      const now = nowSeconds(clock);
      await rotateKeys(primary.rotation, 'timer');
      const report = await rotateKeys(primary.encryption.rotation, 'timer');
      disabledEncryptionKeys += report.disabled.length;
      for (const kid of report.disabled) if (live.some((t) => t.kid === kid && t.exp > now)) violations.push(`disabled ${kid} with live tokens at ${now}`);
      live = live.filter((t) => t.exp > now + 1);
      // A partner refreshes its copy of our JWKS once per cache lifetime and encrypts to the first use:enc key in it.
      if (now - partnerFetchedAt >= jwksMaxAge) {
        partnerJwks = buildJwks(primary.ring.phases(), primary.encryption.ring.phases());
        partnerFetchedAt = now;
      }
      const ours = await signedToken(primary, maxTtl);
      const sealing = await primary.encryption.plan({ encrypt: true, claims: { aud: AUDIENCE } }, { operations: ['sign'], audiences: [AUDIENCE], verifyAudiences: [AUDIENCE], claims: [] });
      const self = await sealing?.seal({ token: ours.token });
      const partnerKey = partnerJwks.keys.find((k) => k.use === 'enc');
      const fromPartner = await joseJwe(ours.token, publicKeyOf(partnerKey as never), String(partnerKey?.kid));
      for (const [token, kid] of [[String(self?.token), String(self?.encryption.kid)], [fromPartner, String(partnerKey?.kid)]]) {
        live.push({ token, exp: ours.exp, kid });
        encryptionKids.add(kid);
      }
      const published = new Set(buildJwks(primary.ring.phases(), primary.encryption.ring.phases()).keys.map((k) => k.kid));
      for (const t of live) if (!published.has(t.kid)) violations.push(`live token's encryption key ${t.kid} unpublished at ${now}`);
      for (const [label, services] of [['primary', primary], ['secondary', secondary]] as const) {
        await Promise.all([services.ring.ready(), services.encryption.ring.ready()]);
        for (const t of live) {
          const error = await verifyEncrypted(services, t.token);
          if (error) falseRejections.push(`${label} t=${now} kid=${t.kid} ${error}`);
        }
      }
    }
    await Promise.all([primary.close(), secondary.close()]);
    console.log(`encryption key rotation (embedded, 60 days hourly, 2 instances): encryption keys=${encryptionKids.size} disabled=${disabledEncryptionKeys} falseRejections=${falseRejections.length}`);
    expect(falseRejections).toEqual([]);
    expect(violations).toEqual([]);
    expect(encryptionKids.size).toBeGreaterThanOrEqual(8); // a new key every 7 days
    expect(disabledEncryptionKeys).toBeGreaterThanOrEqual(7); // and each replaced one disabled once its retention ended
  }, 120_000);

  it('creates exactly one encryption key successor when many instances sharing a folder run the timer at once', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const instances = await Promise.all([1, 2, 3].map(() => createServices(localConfig(envFor(dir)), { clock, logger: silentLogger })));
    expect((await instances[0].encryption.store.listVersions()).length).toBe(1); // one bootstrap key, not one per instance
    clock.advance(6 * DAY * 1000); // due: interval 7 days − propagation 1 day
    const reports = await Promise.all(instances.flatMap((s) => [rotateKeys(s.encryption.rotation, 'timer'), rotateKeys(s.encryption.rotation, 'timer')]));
    expect(reports.filter((r) => r.created).length).toBe(1);
    await instances[0].encryption.ring.refresh();
    expect(instances[0].encryption.ring.phases().map((p) => p.phase).sort()).toEqual(['active', 'announced']);
    await Promise.all(instances.map((s) => s.close()));
  });

  it('replaces the encryption key in an emergency without touching the signing key', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const services = await createServices(localConfig(envFor(dir)), { clock, logger: silentLogger });
    const signingKid = services.ring.phases().find((p) => p.phase === 'active')?.version.kid;
    const inner = await signedToken(services, 600);
    const before = await joseJwe(inner.token, services.encryption.ring.current()?.publicKey as never, String(services.encryption.ring.current()?.version.kid));
    expect(await verifyEncrypted(services, before)).toBeUndefined();
    const result = await emergencyRotate(services.encryption.rotation, 'test', 'admin-test');
    expect(await verifyEncrypted(services, before)).toBe('key_disabled');
    expect(services.encryption.ring.current()?.version.kid).toBe(result.kid);
    expect(await verifyEncrypted(services, inner.token)).toBeUndefined(); // the signed JWT itself is untouched
    expect(services.ring.phases().find((p) => p.phase === 'active')?.version.kid).toBe(signingKid);
    await services.close();
  });
});
