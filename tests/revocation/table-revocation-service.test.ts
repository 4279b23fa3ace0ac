import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../src/audit';
import { ManualClock } from '../../src/clock';
import { RevocationSnapshot } from '../../src/revocation/revocation-view';
import { TableRevocationService } from '../../src/revocation/table-revocation-service';

const NOW = Math.floor(Date.now() / 1000);

function table(name = `rev${randomUUID().replace(/-/g, '').slice(0, 16)}`): TableClient {
  const connection = process.env.AZURITE_CONNECTION_STRING;
  if (!connection) throw new Error('AZURITE_CONNECTION_STRING is set by the jest global setup.');
  return TableClient.fromConnectionString(connection, name, { allowInsecureConnection: true });
}

function service(client: TableClient, clock: ManualClock): TableRevocationService {
  return new TableRevocationService({ client, clock, logger: silentLogger, coverSeconds: 3660, syncIntervalMs: 60_000 });
}

describe('RevocationSnapshot', () => {
  const view = new RevocationSnapshot([
    { kind: 'jti', jti: 'stolen', expires: NOW + 600 },
    { kind: 'sub', sub: 'alice', before: NOW - 10, expires: NOW + 3600 },
    { kind: 'all', before: NOW - 1000, expires: NOW + 3600 },
  ]);
  it.each([
    [{ jti: 'stolen', sub: 'bob', iat: NOW }, true],
    [{ jti: 'fine', sub: 'alice', iat: NOW - 10 }, true],
    [{ jti: 'fine', sub: 'alice', iat: NOW - 9 }, false],
    [{ jti: 'fine', sub: 'bob', iat: NOW - 1000 }, true],
    [{ jti: 'fine', sub: 'bob', iat: NOW - 999 }, false],
    [{ jti: 'fine', sub: 'alice' }, true], // no iat: can not prove it came after the cut-off
    [{ jti: 'fine' }, true],
  ])('%j revoked: %s', (token, expected) => {
    expect(view.isRevoked(token)).toBe(expected);
  });
});

it('revokes nothing when nothing was revoked, even a token without iat', () => {
  expect(new RevocationSnapshot([]).isRevoked({ jti: 'a' })).toBe(false);
  expect(new RevocationSnapshot([{ kind: 'sub', sub: 'alice', before: NOW, expires: NOW + 60 }]).isRevoked({ jti: 'a', sub: 'bob' })).toBe(false);
});

describe('TableRevocationService on Azurite', () => {
  it('shares revocations between instances and survives a new instance (restart)', async () => {
    const name = `rev${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const clock = new ManualClock(NOW * 1000);
    const first = service(table(name), clock);
    const second = service(table(name), clock);
    await first.start();
    await second.start();
    await first.revokeToken('jti-1', NOW + 600, 'test');
    await first.revokeSubject('user/with#odd?chars', NOW, 'test');
    expect(first.isRevoked({ jti: 'jti-1' })).toBe(true);
    await second.sync();
    expect(second.isRevoked({ jti: 'jti-1' })).toBe(true);
    expect(second.isRevoked({ jti: 'x', sub: 'user/with#odd?chars', iat: NOW })).toBe(true);
    const restarted = service(table(name), clock);
    await restarted.start();
    expect(restarted.isRevoked({ jti: 'jti-1' })).toBe(true);
    expect(restarted.health()).toMatchObject({ ready: true });
    await Promise.all([first.close(), second.close(), restarted.close()]);
  });

  it('forgets and cleans up entries once their tokens have expired', async () => {
    const clock = new ManualClock(NOW * 1000);
    const revocations = service(table(), clock);
    await revocations.start();
    await revocations.revokeToken('short', NOW + 60, 'test');
    await revocations.revokeToken('long', NOW + 6000, 'test');
    clock.advance(120_000);
    await revocations.sync();
    expect(revocations.isRevoked({ jti: 'short' })).toBe(false);
    expect(await revocations.removeExpired()).toBe(1);
    expect(revocations.isRevoked({ jti: 'long' })).toBe(true);
    await revocations.close();
  });

  it('keeps serving the last view and reports staleness when the table is unreachable', async () => {
    const clock = new ManualClock(NOW * 1000);
    const name = `rev${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const revocations = service(table(name), clock);
    await revocations.start();
    await revocations.revokeToken('kept', NOW + 600, 'test');
    // Point a second instance at a port where nothing listens, seeded from the same view.
    const dead = new TableRevocationService({
      client: TableClient.fromConnectionString('DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1', name, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } }),
      clock,
      logger: silentLogger,
      coverSeconds: 3660,
      syncIntervalMs: 60_000,
    });
    await dead.start();
    expect(dead.health()).toMatchObject({ ready: false });
    clock.advance(30_000);
    await expect(revocations.sync()).resolves.toBeUndefined();
    expect(revocations.health().ready).toBe(true);
    await expect(dead.revokeToken('x', NOW + 60, 'test')).rejects.toMatchObject({ code: 'revocation_unavailable', status: 503 });
    await Promise.all([revocations.close(), dead.close()]);
  });
});
