import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { RevocationTable, stateRow, toEntry } from '../../src/revocation/revocation-table';

/**
 * The revocation table's rows and every read and write of them, on the real storage emulator
 * (Azurite, started by the jest global setup): hashed keys, a cut-off that only moves later, a
 * numbered change log that spans partitions, and a clean-up that keeps what is still needed.
 */
const NOW = 1_700_000_000;
const NOW_MS = NOW * 1000;

function client(): TableClient {
  const connection = process.env.AZURITE_CONNECTION_STRING;
  if (!connection) throw new Error('AZURITE_CONNECTION_STRING is set by the jest global setup.');
  return TableClient.fromConnectionString(connection, `rt${randomUUID().replace(/-/g, '').slice(0, 16)}`, { allowInsecureConnection: true });
}

async function freshTable(): Promise<{ table: RevocationTable; client: TableClient }> {
  const tableClient = client();
  const table = new RevocationTable(tableClient);
  await table.ensureTable();
  return { table, client: tableClient };
}

async function rows(tableClient: TableClient): Promise<Array<Record<string, unknown> & { partitionKey: string; rowKey: string }>> {
  const all = [];
  for await (const row of tableClient.listEntities<Record<string, unknown>>()) all.push({ ...row, partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '' });
  return all;
}

describe('rows', () => {
  it('keys a token or a subject by a SHA-256 of its kind and value, keeping the value itself for audit', () => {
    const token = stateRow({ kind: 'jti', jti: 'j/1#?', expires: NOW }, 'admin');
    const subject = stateRow({ kind: 'sub', sub: 'j/1#?', before: NOW, expires: NOW + 60 }, 'admin');
    expect(token).toMatchObject({ partitionKey: 'jti', jti: 'j/1#?', expires: NOW, by: 'admin' });
    expect(subject).toMatchObject({ partitionKey: 'sub', sub: 'j/1#?', before: NOW, expires: NOW + 60, by: 'admin' });
    for (const row of [token, subject]) expect(row.rowKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The kind is part of what is hashed: a jti and a subject with the same text never share a key.
    expect(token.rowKey).not.toBe(subject.rowKey);
    expect(stateRow({ kind: 'sub', sub: 'x'.repeat(5000), before: NOW, expires: NOW }, 'a').rowKey).toHaveLength(43);
    expect(stateRow({ kind: 'all', before: NOW, expires: NOW + 1 }, 'a')).toMatchObject({ partitionKey: 'all', rowKey: 'all', before: NOW });
  });

  it('reads rows back into entries, including subjects of rows written before subjects were hashed', () => {
    for (const entry of [
      { kind: 'jti', jti: 'j', expires: NOW },
      { kind: 'sub', sub: 'alice', before: NOW, expires: NOW + 1 },
      { kind: 'all', before: NOW, expires: NOW + 1 },
    ] as const) {
      expect(toEntry(stateRow(entry, 'x'))).toEqual(entry);
      // A change-log row carries the state row's fields under its own keys: the kind comes from them.
      expect(toEntry({ ...stateRow(entry, 'x'), partitionKey: 'log-000000000000', rowKey: '000000000000001' })).toEqual(entry);
    }
    expect(toEntry({ partitionKey: 'sub', rowKey: Buffer.from('legacy-user').toString('base64url'), before: NOW, expires: NOW + 1 })).toEqual({ kind: 'sub', sub: 'legacy-user', before: NOW, expires: NOW + 1 });
    expect(toEntry({ partitionKey: 'jti', rowKey: 'legacy-jti', expires: NOW })).toEqual({ kind: 'jti', jti: 'legacy-jti', expires: NOW });
    expect(toEntry({ partitionKey: 'meta', rowKey: 'changes' })).toBeUndefined();
  });
});

describe('RevocationTable on Azurite', () => {
  it('creates its table once and carries on when it exists already', async () => {
    const { table, client: tableClient } = await freshTable();
    await expect(table.ensureTable()).resolves.toBeUndefined();
    await expect(new RevocationTable(tableClient).ensureTable()).resolves.toBeUndefined();
    expect(await table.readAll()).toEqual([]);
  });

  it('answers change number 0 while nothing was ever written, counting the point read', async () => {
    const { table } = await freshTable();
    expect(await table.lastChange()).toEqual({ seq: 0 });
    expect(table.reads.entities).toBe(1);
  });

  it('records a token once: revoking it again changes nothing', async () => {
    const { table, client: tableClient } = await freshTable();
    await table.addToken({ kind: 'jti', jti: 'twice', expires: NOW + 60 }, 'first');
    await table.addToken({ kind: 'jti', jti: 'twice', expires: NOW + 999 }, 'second');
    const stored = await rows(tableClient);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ jti: 'twice', expires: NOW + 60, by: 'first' });
  });

  it.each(['sub', 'all'] as const)('moves a %s cut-off later, never earlier, and returns the one in force', async (kind) => {
    const { table } = await freshTable();
    const raise = (before: number): Promise<number> =>
      table.raiseCutoff(kind === 'sub' ? { kind, sub: 'alice', before, expires: before + 3600 } : { kind, before, expires: before + 3600 }, 'test');
    expect(await raise(NOW)).toBe(NOW);
    expect(await raise(NOW - 10)).toBe(NOW);
    expect(await raise(NOW)).toBe(NOW);
    expect(await raise(NOW + 5)).toBe(NOW + 5);
    const entries = await table.readAll();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind, before: NOW + 5, expires: NOW + 5 + 3600 });
  });

  it('numbers changes one by one and hands back exactly those after a number, across log partitions', async () => {
    const { table, client: tableClient } = await freshTable();
    await table.announce({ kind: 'jti', jti: 'first', expires: NOW + 60 }, NOW_MS, 'test');
    expect((await table.lastChange()).seq).toBe(1);
    // Jump the marker to just below a partition boundary (1000 changes a partition).
    const marker = await tableClient.getEntity('meta', 'changes');
    await tableClient.updateEntity({ partitionKey: 'meta', rowKey: 'changes', seq: 998 }, 'Replace', { etag: marker.etag });
    await table.announce({ kind: 'jti', jti: 'c999', expires: NOW + 60 }, NOW_MS, 'test');
    await table.announce({ kind: 'sub', sub: 'c1000', before: NOW, expires: NOW + 60 }, NOW_MS, 'test');
    await table.announce({ kind: 'all', before: NOW, expires: NOW + 60 }, NOW_MS, 'test');
    expect((await table.lastChange()).seq).toBe(1001);
    const partitions = new Set((await rows(tableClient)).map((r) => r.partitionKey).filter((p) => p.startsWith('log-')));
    expect([...partitions].sort()).toEqual(['log-000000000000', 'log-000000000001']);
    expect(await table.changesAfter(998, 1001)).toEqual([
      { seq: 999, entry: { kind: 'jti', jti: 'c999', expires: NOW + 60 } },
      { seq: 1000, entry: { kind: 'sub', sub: 'c1000', before: NOW, expires: NOW + 60 } },
      { seq: 1001, entry: { kind: 'all', before: NOW, expires: NOW + 60 } },
    ]);
    expect((await table.changesAfter(999, 1001)).map((c) => c.seq)).toEqual([1000, 1001]);
    // `upTo` bounds the partitions read, not the rows: a later change in a partition read anyway comes along (applying it early is harmless).
    expect((await table.changesAfter(0, 1)).map((c) => c.seq)).toEqual([1, 999]);
    expect(await table.changesAfter(1001, 1001)).toEqual([]);
  });

  it('takes a distinct number for each racing writer on other instances (compare-and-set on the marker)', async () => {
    const { table, client: tableClient } = await freshTable();
    // Four instances, one announcement each at the same moment (an instance queues its own).
    const instances = [1, 2, 3, 4].map(() => new RevocationTable(tableClient));
    await Promise.all(instances.map((instance, i) => instance.announce({ kind: 'jti', jti: `r${i}`, expires: NOW + 60 }, NOW_MS, 'test')));
    expect((await table.lastChange()).seq).toBe(4);
    const changes = await table.changesAfter(0, 4);
    expect(changes.map((c) => c.seq)).toEqual([1, 2, 3, 4]);
    expect(changes.map((c) => (c.entry.kind === 'jti' ? c.entry.jti : '')).sort()).toEqual(['r0', 'r1', 'r2', 'r3']);
  });

  it('reads every state row in full, and only state rows (not the marker, not the change log)', async () => {
    const { table } = await freshTable();
    await table.addToken({ kind: 'jti', jti: 't', expires: NOW + 60 }, 'x');
    await table.raiseCutoff({ kind: 'sub', sub: 's', before: NOW, expires: NOW + 60 }, 'x');
    await table.raiseCutoff({ kind: 'all', before: NOW, expires: NOW + 60 }, 'x');
    await table.announce({ kind: 'jti', jti: 't', expires: NOW + 60 }, NOW_MS, 'x');
    const before = table.reads.entities;
    const entries = await table.readAll();
    expect(entries.map((e) => e.kind).sort()).toEqual(['all', 'jti', 'sub']);
    expect(table.reads.entities - before).toBe(3);
  });

  it('removes state rows whose tokens have all expired and log rows past retention; keeps the marker and the rest', async () => {
    const { table, client: tableClient } = await freshTable();
    await table.addToken({ kind: 'jti', jti: 'expired', expires: NOW }, 'x');
    await table.addToken({ kind: 'jti', jti: 'live', expires: NOW + 1 }, 'x');
    await table.raiseCutoff({ kind: 'sub', sub: 'gone', before: NOW - 100, expires: NOW - 1 }, 'x');
    await table.announce({ kind: 'jti', jti: 'old-log', expires: NOW + 1 }, NOW_MS - 7_200_001, 'x');
    await table.announce({ kind: 'jti', jti: 'recent-log', expires: NOW + 1 }, NOW_MS - 7_200_000, 'x');
    expect(await table.removeExpired(NOW, NOW_MS, 7_200_000)).toBe(3);
    const left = await rows(tableClient);
    expect(left.map((r) => (r.partitionKey === 'meta' ? 'marker' : String(r.jti ?? r.sub))).sort()).toEqual(['live', 'marker', 'recent-log']);
    expect((await table.lastChange()).seq).toBe(2);
  });
});
