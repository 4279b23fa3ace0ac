import type { KeyVersion } from '../../src/keys/key-store';
import { computePhases } from '../../src/keys/phases';
import { nextRotation, rotationCheck } from '../../src/rotation/health';
import { RotationStatus } from '../../src/rotation/status';
import { ServiceError } from '../../src/errors';

/** Rotation health warns before anything breaks, from the computed phases, the policy and the last runs. */
const DAY = 86_400;
const policy = { alg: 'RS256' as const, intervalSeconds: 90 * DAY, propagationSeconds: 2 * DAY };
const phasePolicy = { alg: 'RS256' as const, retentionSeconds: 7200 };

function version(kid: string, notBefore: number, extra: Partial<KeyVersion> = {}): KeyVersion {
  return { kid, alg: 'RS256', created: notBefore, notBefore, enabled: true, tags: {}, ...extra };
}

function check(versions: KeyVersion[], now: number, status = new RotationStatus()) {
  return rotationCheck({ phased: computePhases(versions, now, phasePolicy), policy, status, now });
}

describe('rotationCheck', () => {
  it('is ok with the kids, the next rotation and the last run while the active key is young', () => {
    const status = new RotationStatus();
    status.recordSuccess(Date.parse('2026-01-02T00:00:00Z'), {});
    expect(check([version('a', 0)], DAY, status)).toEqual({
      status: 'ok',
      detail: undefined,
      activeKid: 'a',
      announcedKid: undefined,
      nextRotation: new Date(88 * DAY * 1000).toISOString(),
      lastRun: '2026-01-02T00:00:00.000Z',
    });
  });

  it('names the announced successor and has no next rotation while one is announced', () => {
    expect(check([version('a', 0), version('b', 90 * DAY)], 89 * DAY)).toMatchObject({ status: 'ok', activeKid: 'a', announcedKid: 'b', nextRotation: undefined });
  });

  it('warns when no successor was announced in time: a grace of the propagation after the announcement was due', () => {
    const v = [version('a', 0)];
    // Announcement due at 88 days; the grace is max(propagation, 60 s) = 2 days.
    expect(check(v, 90 * DAY).status).toBe('ok');
    const late = check(v, 90 * DAY + 1);
    expect(late.status).toBe('warning');
    expect(late.detail).toBe('no successor was announced in time');
  });

  it('warns when the active key is past the rotation interval plus the grace', () => {
    const v = [version('a', 0)];
    expect(check(v, 92 * DAY).detail).not.toMatch(/past the rotation interval/);
    expect(check(v, 92 * DAY + 1).detail).toMatch(`the active key is ${92 * DAY + 1} s old, past the rotation interval`);
  });

  it('warns when the active key expires before a successor could be announced', () => {
    expect(check([version('a', 0, { expires: 10 * DAY })], 8 * DAY).status).toBe('ok');
    const soon = check([version('a', 0, { expires: 10 * DAY })], 8 * DAY + 1);
    expect(soon).toMatchObject({ status: 'warning', detail: 'the active key expires before a successor could be announced' });
  });

  it('warns after a failed run with its code and message, and no longer after a successful one', () => {
    const status = new RotationStatus();
    status.recordFailure(1000, new ServiceError('key_store_forbidden', 'The identity lacks Key Vault Crypto Officer.'));
    expect(check([version('a', 0)], DAY, status)).toMatchObject({
      status: 'warning',
      detail: 'the last rotation failed (key_store_forbidden): The identity lacks Key Vault Crypto Officer.',
      lastRun: new Date(1000).toISOString(),
    });
    status.recordSuccess(2000, {});
    expect(check([version('a', 0)], DAY, status).status).toBe('ok');
  });

  it('joins several warnings into one detail', () => {
    const status = new RotationStatus();
    status.recordFailure(1000, new ServiceError('key_store_unavailable', 'down'));
    const detail = check([version('a', 0)], 200 * DAY, status).detail ?? '';
    expect(detail.split('; ')).toHaveLength(3);
  });

  it('has no active kid and no next rotation when nothing can sign', () => {
    expect(check([version('off', 0, { enabled: false })], DAY)).toMatchObject({ status: 'ok', activeKid: undefined, nextRotation: undefined });
  });
});

describe('nextRotation', () => {
  it('is when the successor is announced: activation + interval − propagation', () => {
    expect(nextRotation(computePhases([version('a', 1000)], 2000, phasePolicy), policy)).toBe(1000 + 88 * DAY);
  });

  it('is undefined while a successor is announced or when no key is active', () => {
    expect(nextRotation(computePhases([version('a', 0), version('b', 90 * DAY)], DAY, phasePolicy), policy)).toBeUndefined();
    expect(nextRotation(computePhases([], DAY, phasePolicy), policy)).toBeUndefined();
  });
});
