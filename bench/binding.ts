/**
 * Bound tokens (issue 18): verify of a certificate-bound and of a DPoP-bound token against the same
 * bearer token, in process, with the same RS256 key and rules. The DPoP path adds one proof check
 * (jose: header, embedded JWK import, one ES256 signature, claims, RFC 7638 thumbprint) and one
 * insert into the shared replay table; it is measured with the replay records in memory and on a
 * real Azurite table. Proofs come from the `dpop` client package, one fresh proof per verify. jose
 * checks a signature asynchronously (node:crypto's one-shot verify on libuv's thread pool), so a
 * loop of one verify at a time pays a thread hand-off per proof; the "in flight" rows let them overlap.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { silentLogger } from '../src/audit';
import { checkBinding } from '../src/binding/check-binding';
import type { BindingDependencies } from '../src/binding/dependencies';
import type { ReplayCache } from '../src/binding/replay-cache';
import { SeenProofs } from '../src/binding/seen-proofs';
import { TableReplayCache } from '../src/binding/table-replay-cache';
import { systemClock } from '../src/clock';
import { verifyToken } from '../src/jwt/verify';
import { KeyRing } from '../src/keys/key-ring';
import { RevocationSnapshot } from '../src/revocation/revocation-view';
import { selfSignedCertificate } from '../tests/support/binding-client';
import { makeTestKey, signRaw, StaticKeyStore } from '../tests/support/token-factory';
import { measureAll, row, type Measurement } from './measure';
import { startAzuriteOnFreePorts } from './processes';

const ISSUER = 'https://jwt.bench/api';
const AUDIENCE = 'api://orders';
const API = 'https://orders.example/api/orders/42';
/** More proofs than the interleaved rounds can use (about 2 s of each candidate); running dry fails the bench. */
const MEMORY_POOL = 40_000;
/** Verifies in flight at once in the concurrent candidates: jose runs the proof's signature check on libuv's thread pool. */
const IN_FLIGHT = 8;
const TABLE_POOL = 10_000;

/** Replay records in this process only: what the table adds is measured by the next candidate. */
function memoryReplayCache(): ReplayCache {
  const seen = new SeenProofs(MEMORY_POOL * 2);
  return {
    remember: (jkt, jti, expiresAt) => {
      const key = `${jkt}.${jti}`;
      if (seen.has(key, 0)) return Promise.resolve('replayed');
      seen.add(key, expiresAt);
      return Promise.resolve('fresh');
    },
  };
}

function pool(proofs: string[], what: string): () => string {
  let next = 0;
  return () => {
    if (next >= proofs.length) throw new Error(`The ${what} proof pool ran dry: raise its size.`);
    return proofs[next++];
  };
}

export async function benchBinding(): Promise<string[]> {
  const key = makeTestKey('RS256', 'bench-binding');
  const now = Math.floor(Date.now() / 1000);
  const ring = new KeyRing(new StaticKeyStore([key.version]), systemClock, { alg: 'RS256', retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 60_000 });
  await ring.ready();
  const options = { issuer: ISSUER, audiences: [AUDIENCE], clockSkewSeconds: 60, maxTokenBytes: 16_384 };
  const verifyDeps = { ring, clock: systemClock, revocations: new RevocationSnapshot([]) };
  const claims = { iss: ISSUER, sub: 'bench-user', aud: AUDIENCE, iat: now, nbf: now, exp: now + 3600, jti: 'bench-binding-0001' };
  const header = { alg: 'RS256', typ: 'JWT', kid: key.version.kid };

  const certificate = await selfSignedCertificate('bench.example');
  const keyPair = await generateKeyPair('ES256');
  const jkt = await calculateThumbprint(keyPair.publicKey);
  const bearer = signRaw(key, header, claims);
  const certBound = signRaw(key, header, { ...claims, cnf: { 'x5t#S256': certificate.x5t } });
  const dpopBound = signRaw(key, header, { ...claims, cnf: { jkt } });
  const makeProofs = async (count: number): Promise<string[]> => Promise.all(Array.from({ length: count }, () => generateProof(keyPair, API, 'GET', undefined, dpopBound)));
  const [memoryProofs, tableProofs] = [await makeProofs(MEMORY_POOL), await makeProofs(TABLE_POOL)];

  const azurite = await startAzuriteOnFreePorts();
  try {
    const table = new TableReplayCache({ client: TableClient.fromConnectionString(azurite.connectionString, 'benchdpop', { allowInsecureConnection: true }), clock: systemClock, logger: silentLogger });
    const binding = (replayCache: ReplayCache): BindingDependencies => ({ clock: systemClock, replayCache, proofWindowSeconds: 600, clockSkewSeconds: 60, signUri: `${ISSUER}/sign` });
    const inMemory = binding(memoryReplayCache());
    const onTable = binding(table);
    const nextMemoryProof = pool(memoryProofs, 'in-memory');
    const nextTableProof = pool(tableProofs, 'table');
    let tableVerifies = 0;

    /** Verify, then the binding check, as functions/verify.ts does; anything but active stops the bench. */
    const boundVerify = async (token: string, presented: () => Record<string, string>, deps: BindingDependencies): Promise<void> => {
      const result = await verifyToken(token, options, verifyDeps);
      if (!result.active) throw new Error(`bench token inactive: ${result.error}`);
      const refusal = await checkBinding(result.claims, { token, ...presented() }, deps);
      if (refusal) throw new Error(`bench binding refused: ${refusal.error} (${refusal.detail})`);
    };

    // The physical floor of the DPoP path: the token's RS256 signature plus the proof's ES256 one.
    const signingInput = Buffer.from(dpopBound.slice(0, dpopBound.lastIndexOf('.')));
    const signature = Buffer.from(dpopBound.slice(dpopBound.lastIndexOf('.') + 1), 'base64url');
    const rsaKey = createPublicKey({ key: key.version.publicJwk as never, format: 'jwk' });
    const sample = memoryProofs[memoryProofs.length - 1];
    const proofInput = Buffer.from(sample.slice(0, sample.lastIndexOf('.')));
    const proofSignature = Buffer.from(sample.slice(sample.lastIndexOf('.') + 1), 'base64url');
    const proofKey = createPublicKey({ key: (JSON.parse(Buffer.from(sample.split('.')[0], 'base64url').toString()) as { jwk: never }).jwk, format: 'jwk' });

    const inFlight = (verify: () => Promise<void>) => () => Promise.all(Array.from({ length: IN_FLIGHT }, verify));
    const [plain, raw, cert, memory, onAzurite, plainConcurrent, memoryConcurrent, tableConcurrent] = await measureAll([
      { name: 'verify, bearer token (RS256)', run: () => verifyToken(bearer, options, verifyDeps) },
      {
        name: 'raw crypto.verify RS256 + ES256 (the two signatures)',
        run: () => cryptoVerify('sha256', signingInput, rsaKey, signature) && cryptoVerify('sha256', proofInput, { key: proofKey, dsaEncoding: 'ieee-p1363' }, proofSignature),
      },
      { name: 'verify + binding, certificate-bound (x5t#S256)', run: () => boundVerify(certBound, () => ({ clientCertificate: certificate.der }), inMemory) },
      { name: 'verify + binding, DPoP-bound, replay records in memory', run: () => boundVerify(dpopBound, () => ({ dpop: nextMemoryProof(), htm: 'GET', htu: API }), inMemory) },
      {
        name: 'verify + binding, DPoP-bound, replay table on Azurite',
        run: () => {
          tableVerifies += 1;
          return boundVerify(dpopBound, () => ({ dpop: nextTableProof(), htm: 'GET', htu: API }), onTable);
        },
      },
      { name: `verify, bearer token, ${IN_FLIGHT} in flight`, run: inFlight(async () => void (await verifyToken(bearer, options, verifyDeps))) },
      { name: `verify + binding, DPoP-bound, in memory, ${IN_FLIGHT} in flight`, run: inFlight(() => boundVerify(dpopBound, () => ({ dpop: nextMemoryProof(), htm: 'GET', htu: API }), inMemory)) },
      {
        name: `verify + binding, DPoP-bound, Azurite table, ${IN_FLIGHT} in flight`,
        run: inFlight(() => {
          tableVerifies += 1;
          return boundVerify(dpopBound, () => ({ dpop: nextTableProof(), htm: 'GET', htu: API }), onTable);
        }),
      },
    ]);
    // A concurrent candidate's run is IN_FLIGHT verifies.
    const perVerify = (measurement: Measurement): Measurement => ({ ...measurement, opsPerSecond: measurement.opsPerSecond * IN_FLIGHT });
    await table.close();
    const writesPerVerify = table.counts.inserts / tableVerifies;

    // A replay on the same instance is answered from memory: no write.
    const replayed = tableProofs[0];
    const before = table.counts.inserts;
    for (let i = 0; i < 1000; i += 1) {
      const refusal = await checkBinding({ cnf: { jkt } }, { token: dpopBound, dpop: replayed, htm: 'GET', htu: API }, onTable);
      if (refusal?.error !== 'dpop_replayed') throw new Error('a replay went through');
    }
    const replayWrites = (table.counts.inserts - before) / 1000;

    return [
      row(plain, plain),
      row(raw, plain),
      row(cert, plain),
      row(memory, plain),
      row(onAzurite, plain),
      row(perVerify(plainConcurrent), perVerify(plainConcurrent)),
      row(perVerify(memoryConcurrent), perVerify(plainConcurrent)),
      row(perVerify(tableConcurrent), perVerify(plainConcurrent)),
      '',
      `Replay-table writes per verify: DPoP-bound ${writesPerVerify.toFixed(2)} (${table.counts.inserts} inserts for ${tableVerifies} verifies), ` +
        `a replay on the same instance ${replayWrites.toFixed(2)} (caught in memory), certificate-bound and bearer 0. ` +
        `Expired records deleted in the background: ${table.counts.deletes}.`,
    ];
  } finally {
    await azurite.stop();
  }
}
