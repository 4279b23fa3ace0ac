import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { ManualClock } from '../../src/clock';
import { algorithmSpec, type JwsAlgorithm } from '../../src/algorithms';
import { isKeyStoreError, type KeyStore, type KeyStoreFailure, type KeyVersion } from '../../src/keys/key-store';

export interface StoreUnderTest {
  store: KeyStore;
  cleanup(): Promise<void>;
}

export const CONTRACT_START_SECONDS = 1_800_000_000;

/** The store's refusal of a call, or 'none' when it succeeded. */
export async function failure(promise: Promise<unknown>): Promise<KeyStoreFailure | 'none'> {
  try {
    await promise;
    return 'none';
  } catch (error: unknown) {
    if (isKeyStoreError(error)) return error.failure;
    throw error;
  }
}

/** Checks a JWS signature over the original data with Node's own verifier and the version's public JWK. */
export function signatureVerifies(version: KeyVersion, data: string, signature: Buffer): boolean {
  const spec = algorithmSpec(version.alg);
  const key = createPublicKey({ key: version.publicJwk as never, format: 'jwk' });
  if (spec.family === 'RSA-PSS') return cryptoVerify(spec.hash, Buffer.from(data), { key, padding: 6, saltLength: spec.digestLength }, signature);
  if (spec.family === 'EC') return cryptoVerify(spec.hash, Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, signature);
  return cryptoVerify(spec.hash, Buffer.from(data), key, signature);
}

/**
 * The behaviour every KeyStore shares (embedded store, Key Vault through its double): one suite, so
 * the Key Vault adapter slots in where the embedded store was without surprises.
 */
export function describeKeyStoreContract(
  label: string,
  makeStore: (clock: ManualClock, alg: JwsAlgorithm) => Promise<StoreUnderTest>,
  algs: JwsAlgorithm[],
  options: {
    /**
     * Where the manual clock starts. Key Vault's client library also checks nbf/exp against the
     * machine's clock before calling, so the Key Vault run starts at the real time.
     */
    startSeconds?: number;
  } = {},
): void {
  const start = options.startSeconds ?? CONTRACT_START_SECONDS;
  describe(`KeyStore contract: ${label}`, () => {
    describe.each(algs.map((alg) => [alg]))('%s', (alg: JwsAlgorithm) => {
      let clock: ManualClock;
      let subject: StoreUnderTest;
      beforeAll(async () => {
        clock = new ManualClock(start * 1000);
        subject = await makeStore(clock, alg);
      });
      afterAll(async () => subject?.cleanup());

      it('creates a version, lists it, signs the signing input so that Node verifies it, and verifies it remotely', async () => {
        const version = await subject.store.createVersion({ notBefore: start, tags: { purpose: 'contract' } });
        expect(version).toMatchObject({ alg, enabled: true, notBefore: start, tags: { purpose: 'contract' } });
        expect(version.created).toBeGreaterThanOrEqual(start - 5);
        expect(version.kid).toMatch(/^[A-Za-z0-9_-]{8,}$/);
        expect(Object.keys(version.publicJwk ?? {})).not.toEqual(expect.arrayContaining(['d']));
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(version.publicJwk).not.toHaveProperty(member);
        expect(version.publicJwk).toMatchObject({ kid: version.kid, alg, use: 'sig', kty: algorithmSpec(alg).kty });
        const listed = (await subject.store.listVersions()).find((v) => v.kid === version.kid);
        expect(listed?.publicJwk).toEqual(version.publicJwk);

        const data = 'eyJhbGciOiJ0ZXN0In0.eyJzdWIiOiJjb250cmFjdCJ9';
        const signature = await subject.store.sign(version.kid, alg, Buffer.from(data));
        if (algorithmSpec(alg).signatureLength) expect(signature.length).toBe(algorithmSpec(alg).signatureLength);
        expect(signatureVerifies(version, data, signature)).toBe(true);
        if (subject.store.verify) {
          expect(await subject.store.verify(version.kid, alg, Buffer.from(data), signature)).toBe(true);
          const wrong = Buffer.from(signature);
          wrong[wrong.length - 1] ^= 1;
          expect(await subject.store.verify(version.kid, alg, Buffer.from(data), wrong)).toBe(false);
          expect(await subject.store.verify(version.kid, alg, Buffer.from(`${data}x`), signature)).toBe(false);
        }
      });

      it('refuses to sign before nbf and after exp, like Key Vault', async () => {
        const future = await subject.store.createVersion({ notBefore: start + 3600 });
        const input = Buffer.from('header.payload');
        expect(await failure(subject.store.sign(future.kid, alg, input))).toBe('not_yet_valid');
        const expiring = await subject.store.createVersion({ notBefore: start - 10, expires: start + 60 });
        expect(await failure(subject.store.sign(expiring.kid, alg, input))).toBe('none');
        clock.advance(61_000);
        expect(await failure(subject.store.sign(expiring.kid, alg, input))).toBe('expired');
        clock.advance(-61_000);
      });

      it('disables a version for good: no signing, still listed, still verifiable remotely', async () => {
        const version = await subject.store.createVersion({ notBefore: start - 10 });
        const input = Buffer.from('header.payload');
        const signature = await subject.store.sign(version.kid, alg, input);
        await subject.store.disableVersion(version.kid);
        expect(await failure(subject.store.sign(version.kid, alg, input))).toBe('disabled');
        expect((await subject.store.listVersions()).find((v) => v.kid === version.kid)?.enabled).toBe(false);
        if (subject.store.verify) expect(await subject.store.verify(version.kid, alg, input, signature)).toBe(true);
      });

      it('answers unknown versions with not_found and an algorithm the version is not for with bad_parameter', async () => {
        const version = await subject.store.createVersion({ notBefore: start - 10 });
        const input = Buffer.from('header.payload');
        expect(await failure(subject.store.sign('0123456789abcdef0123456789abcdef', alg, input))).toBe('not_found');
        const other = algorithmSpec(alg).kty === 'EC' ? (alg === 'ES256' ? 'ES384' : 'ES256') : 'ES256';
        expect(await failure(subject.store.sign(version.kid, other, input))).toBe('bad_parameter');
      });
    });
  });
}
