/**
 * In-process signing on the embedded store: the store's own signature (what issue 14 moved onto
 * crypto.sign) and our whole signToken (claims checks, JSON, base64url, jti, the store's signature)
 * against raw crypto.sign over the same signing input with the same key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { systemClock } from '../src/clock';
import { algorithmSpec, type JwsAlgorithm } from '../src/algorithms';
import { signToken } from '../src/jwt/sign';
import { EmbeddedKeyStore } from '../src/keys/embedded/embedded-key-store';
import { KeyRing } from '../src/keys/key-ring';
import { readFileSync } from 'node:fs';
import { unseal } from '../src/keys/embedded/at-rest';
import { measureAll, row } from './measure';

export async function benchSign(alg: JwsAlgorithm): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-bench-'));
  try {
    const secret = 'bench passphrase, not a real one';
    const store = new EmbeddedKeyStore({ dir, alg, clock: systemClock, secret });
    const version = await store.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 10 });
    const ring = new KeyRing(store, systemClock, { alg, retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 60_000 });
    await ring.ready();
    const rules = { issuer: 'https://jwt.bench/api', audiences: ['api://orders'], allowedClaims: '*' as const, maxClaimsBytes: 8192, defaultTtlMs: 900_000, maxTtlMs: 3_600_000 };
    const deps = { ring, store, clock: systemClock };
    const sample = await signToken({ claims: { sub: 'bench', aud: 'api://orders' }, authorizedParty: 'bench' }, rules, deps);
    const input = sample.token.slice(0, sample.token.lastIndexOf('.'));
    // The same private key, unsealed here only to give raw crypto.sign the identical key.
    const stored = JSON.parse(readFileSync(join(dir, 'versions', `${version.kid}.json`), 'utf8')) as { privateKey: never };
    const sealingKey = (store as unknown as { sealingKey: Buffer }).sealingKey;
    const privateKey = createPrivateKey({ key: unseal(sealingKey, stored.privateKey, version.kid, 'bench'), format: 'der', type: 'pkcs8' });
    const spec = algorithmSpec(alg);
    const options = spec.family === 'RSA-PSS' ? { key: privateKey, padding: 6, saltLength: spec.digestLength } : spec.family === 'EC' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
    const inputBytes = Buffer.from(input);
    const [raw, storeSign, ours] = await measureAll(
      [
        { name: `raw crypto.sign (${alg})`, run: () => cryptoSign(spec.hash, Buffer.from(input), options) },
        { name: `EmbeddedKeyStore.sign alone (${alg})`, run: () => store.sign(version.kid, alg, inputBytes) },
        { name: `kv-jwt signToken, embedded store (${alg})`, run: () => signToken({ claims: { sub: 'bench', aud: 'api://orders' }, authorizedParty: 'bench' }, rules, deps) },
      ],
      { rounds: 5 },
    );
    return [row(raw, raw), row(storeSign, raw), row(ours, raw)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
