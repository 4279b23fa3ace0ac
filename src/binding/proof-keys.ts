import { calculateJwkThumbprint, EmbeddedJWK, type FlattenedJWSInput, type JWK, type JWSHeaderParameters, type KeyLike } from 'jose';

export interface ProofKey {
  key: KeyLike;
  /** RFC 7638 SHA-256 thumbprint. */
  jkt: string;
}

/**
 * A DPoP client signs every proof with the same key, so the key imported from a proof's `jwk`
 * header (jose's EmbeddedJWK) and its thumbprint are kept, by the exact header text of that key and
 * the alg: importing a JWK cost more than the rest of the proof check together (bench/binding.ts).
 * An entry is what EmbeddedJWK makes of the very same input, so a hit decides nothing a miss would
 * not. Bounded (the input is attacker-controlled): when full, the oldest entry goes first.
 */
const imported = new Map<string, ProofKey>();
const MAX_KEYS = 1000;

export async function proofKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<ProofKey> {
  const cacheKey = `${String(header.alg)}\n${JSON.stringify(header.jwk)}`;
  const known = imported.get(cacheKey);
  if (known) return known;
  const key = await EmbeddedJWK(header, token);
  const entry = { key, jkt: await calculateJwkThumbprint(header.jwk as JWK, 'sha256') };
  if (imported.size >= MAX_KEYS) imported.delete(imported.keys().next().value as string);
  imported.set(cacheKey, entry);
  return entry;
}
