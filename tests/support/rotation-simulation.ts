import { localConfig } from './config';
import { silentLogger } from '../../src/audit';
import { nowSeconds, type ManualClock } from '../../src/clock';
import { createServices, type Services } from '../../src/app/services';
import { signToken } from '../../src/jwt/sign';
import { verifyToken } from '../../src/jwt/verify';
import { buildJwks } from '../../src/keys/jwks';
import { isHmac } from '../../src/algorithms';
import type { KeyStore } from '../../src/keys/key-store';
import { rotateKeys } from '../../src/rotation/rotate';

export interface SimulationResult {
  ticks: number;
  rotations: number;
  disabled: number;
  tokensSigned: number;
  verifications: number;
  falseRejections: string[];
  violations: string[];
}

interface IssuedToken {
  token: string;
  kid: string;
  exp: number;
}

/**
 * Runs the rotation timer every `tickSeconds` of simulated time, signs a token of maximum lifetime
 * at every tick, and checks every unexpired token on two instances (the one that rotates, and one
 * that only learns about keys through its own ring refresh) — the "zero false rejections" proof.
 */
export async function simulateRotation(options: {
  env: Record<string, string>;
  clock: ManualClock;
  makeStore: () => KeyStore;
  durationSeconds: number;
  tickSeconds: number;
}): Promise<SimulationResult> {
  const { clock } = options;
  const primary = await createServices(localConfig(options.env), { clock, logger: silentLogger, store: options.makeStore() });
  const secondary = await createServices(localConfig(options.env), { clock, logger: silentLogger, store: options.makeStore() });
  const maxTtl = Math.floor(primary.config.maxTtlMs / 1000);
  const skew = Math.floor(primary.config.clockSkewMs / 1000);
  const result: SimulationResult = { ticks: 0, rotations: 0, disabled: 0, tokensSigned: 0, verifications: 0, falseRejections: [], violations: [] };
  let live: IssuedToken[] = [];
  const end = nowSeconds(clock) + options.durationSeconds;

  const verifyAll = async (services: Services, label: string): Promise<void> => {
    await services.ring.ready();
    const options2 = { issuer: services.config.issuer, audiences: services.config.audiences, clockSkewSeconds: skew, maxTokenBytes: 16_384 };
    for (const issued of live) {
      const outcome = await verifyToken(issued.token, options2, { ring: services.ring, clock, revocations: { isRevoked: () => false } });
      result.verifications += 1;
      if (!outcome.active) result.falseRejections.push(`${label} t=${nowSeconds(clock)} kid=${issued.kid} ${outcome.error}`);
    }
  };

  while (nowSeconds(clock) < end) {
    clock.advance(options.tickSeconds * 1000);
    result.ticks += 1;
    const report = await rotateKeys(primary.rotation, 'timer');
    if (report.created) result.rotations += 1;
    result.disabled += report.disabled.length;
    const now = nowSeconds(clock);
    for (const kid of report.disabled) {
      const stillLive = live.filter((t) => t.kid === kid && t.exp + skew > now);
      if (stillLive.length > 0) result.violations.push(`disabled ${kid} with ${stillLive.length} live tokens`);
    }
    live = live.filter((t) => t.exp + skew > now + 1);

    const signed = await signToken(
      { claims: { sub: `user-${result.ticks}`, aud: primary.config.audiences[0] }, ttlSeconds: maxTtl, authorizedParty: 'simulation' },
      { issuer: primary.config.issuer, audiences: primary.config.audiences, allowedClaims: '*', maxClaimsBytes: 8192, defaultTtlMs: primary.config.defaultTtlMs, maxTtlMs: primary.config.maxTtlMs },
      primary,
    );
    result.tokensSigned += 1;
    const phase = primary.ring.phases().find((p) => p.version.kid === signed.kid)?.phase;
    if (phase !== 'active') result.violations.push(`token signed by a ${phase ?? 'missing'} key at ${now}`);
    live.push({ token: signed.token, kid: signed.kid, exp: signed.expiresAt });

    // Public keys must be published while any token they signed lives; HMAC secrets never are.
    if (!isHmac(primary.config.alg)) {
      const published = new Set(buildJwks(primary.ring.phases()).keys.map((k) => k.kid));
      for (const t of live) if (!published.has(t.kid)) result.violations.push(`live token kid ${t.kid} missing from the JWKS at ${now}`);
    }
    await verifyAll(primary, 'primary');
    await verifyAll(secondary, 'secondary');
  }
  await Promise.all([primary.close(), secondary.close()]);
  return result;
}
