import { createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Logger } from '../audit';
import type { Clock } from '../clock';
import { algorithmSpec, isHmac, nodeSignatureOptions, signatureLengthOf, type JwsAlgorithm, type NodeSignatureOptions } from '../algorithms';
import type { KeyStore, KeyVersion, PublicJwk } from './key-store';
import type { PhasedKey } from './phases';
import { VersionRing, type ActiveWindow, type RingKeyFactory, type RingOptions } from './version-ring';

export { describeError, type KeyRingHealth } from './version-ring';

/** A version ready for use on the hot path: key objects are built once per version, not per token. */
export interface RingKey extends ActiveWindow {
  readonly version: KeyVersion;
  /** Public key (asymmetric) or secret (HMAC) for local verification and, for HMAC, signing. */
  readonly key: KeyObject;
  /** Options for crypto.verify, prebuilt so verification allocates nothing per token for them. */
  readonly verifyOptions: NodeSignatureOptions;
  /** The exact length of a valid signature by this key (the RSA modulus, r‖s, the HMAC). */
  readonly signatureLength: number;
  /**
   * Bumped whenever a refresh finds the version's `enabled` changed: whatever was concluded about
   * this kid before (a verified-token cache entry) is stale from then on.
   */
  readonly generation: number;
}

export type KeyRingOptions = RingOptions<JwsAlgorithm>;

/** A public JWK in the form Node's createPublicKey reads (only the members it knows). */
export function jwkForNode(jwk: PublicJwk<JwsAlgorithm> | PublicJwk<'RSA-OAEP-256'>): { kty: string; n?: string; e?: string; crv?: string; x?: string; y?: string } {
  return { kty: jwk.kty, n: jwk.n, e: jwk.e, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

/** 0 for a version seen the first time; one more than before when its `enabled` changed. */
function generationAfter(previous: RingKey | undefined, version: KeyVersion): number {
  if (previous === undefined) return 0;
  return previous.version.enabled === version.enabled ? previous.generation : previous.generation + 1;
}

function signingKeys(store: KeyStore): RingKeyFactory<JwsAlgorithm, RingKey> {
  return {
    async build(version, window, previous) {
      const spec = algorithmSpec(version.alg);
      let key: KeyObject;
      if (isHmac(version.alg)) {
        if (!store.getSecret) throw new Error(`The key store cannot provide HMAC secrets (${version.alg}).`);
        // A disabled version verifies nothing, and Key Vault refuses to read a disabled secret:
        // it gets a random stand-in that is never used (verify refuses disabled keys first).
        key = createSecretKey(version.enabled ? await store.getSecret(version.kid) : randomBytes(spec.digestLength));
      } else {
        if (!version.publicJwk) throw new Error(`Version ${version.kid} has no public key.`);
        key = createPublicKey({ key: jwkForNode(version.publicJwk), format: 'jwk' });
      }
      const generation = generationAfter(previous, version);
      return { version, key, verifyOptions: nodeSignatureOptions(version.alg, key), signatureLength: signatureLengthOf(version.alg, key), ...window, generation };
    },
    // An HMAC secret re-enabled after it was cached disabled is read now (it had a stand-in).
    rebuild: (cached, version) => isHmac(version.alg) && !cached.version.enabled && version.enabled,
    relist: (cached, version, window) => ({ ...cached, version, ...window, generation: generationAfter(cached, version) }),
  };
}

/**
 * The cached view of the signing key's versions. Signing and local verification read only this
 * cache: after warm-up a token costs no key store call (except Key Vault's `sign` itself).
 */
export class KeyRing extends VersionRing<JwsAlgorithm, RingKey> {
  constructor(store: KeyStore, clock: Clock, options: KeyRingOptions, logger?: Logger, onListed?: (phased: PhasedKey[]) => void) {
    super(store, clock, options, signingKeys(store), logger, onListed);
  }

  /**
   * Keys that may sign now, best first: the active key, then the previous signer. The fallback
   * matters when this instance's clock runs ahead of Key Vault's, which then refuses the new key's
   * nbf for a moment.
   */
  signingCandidates(): RingKey[] {
    const phased = this.phases();
    const active = phased.find((p) => p.phase === 'active');
    if (!active) return [];
    const previous = phased
      .filter((p) => p.phase === 'retired' && p.version.alg === this.policy.alg && p.retiresAt === active.activatesAt)
      .map((p) => p.version.kid);
    return [active.version.kid, ...previous]
      .map((kid) => this.get(kid))
      .filter((k): k is RingKey => k !== undefined);
  }
}
