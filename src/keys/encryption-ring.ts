import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Logger } from '../audit';
import type { Clock } from '../clock';
import type { KeyWrapAlgorithm } from '../algorithms';
import type { EncryptionKeyStore } from './key-store';
import type { PhasedKey } from './phases';
import { jwkForNode } from './key-ring';
import { VersionRing, type RingEntry, type RingKeyFactory, type RingOptions } from './version-ring';

/** An encryption key version ready for the hot path. */
export interface EncryptionRingKey extends RingEntry<KeyWrapAlgorithm> {
  /** The public key: content keys are wrapped to it locally, so encrypting to this service costs no store call. */
  readonly publicKey: KeyObject;
  /** An RSA-OAEP ciphertext is exactly as long as the modulus: any other encrypted key is refused before unwrapping. */
  readonly encryptedKeyLength: number;
}

export type EncryptionRingOptions = RingOptions<KeyWrapAlgorithm>;

const encryptionKeys: RingKeyFactory<KeyWrapAlgorithm, EncryptionRingKey> = {
  build(version, window) {
    if (!version.publicJwk || version.publicJwk.kty !== 'RSA') return Promise.reject(new Error(`Encryption key version ${version.kid} has no RSA public key.`));
    const publicKey = createPublicKey({ key: jwkForNode(version.publicJwk), format: 'jwk' });
    const encryptedKeyLength = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    return Promise.resolve({ version, publicKey, encryptedKeyLength, ...window });
  },
};

/**
 * The cached view of the encryption key's versions, on the same lifecycle as the signing key's:
 * the active version is the one this service encrypts to and lists first in the JWKS; announced
 * and retired versions still unwrap (a partner may hold either for a while); disabled ones do not.
 */
export class EncryptionKeyRing extends VersionRing<KeyWrapAlgorithm, EncryptionRingKey> {
  constructor(store: EncryptionKeyStore, clock: Clock, options: EncryptionRingOptions, logger?: Logger, onListed?: (phased: PhasedKey<KeyWrapAlgorithm>[]) => void) {
    super(store, clock, options, encryptionKeys, logger, onListed);
  }

  /** The version tokens are encrypted to now; undefined while none is active. */
  current(): EncryptionRingKey | undefined {
    const active = this.phases().find((p) => p.phase === 'active');
    return active ? this.get(active.version.kid) : undefined;
  }
}
