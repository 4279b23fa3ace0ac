import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const POOL_BYTES = ID_BYTES * 256;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * A fresh `jti`: 128 random bits, base64url (22 characters). The bytes come from the CSPRNG 4 KB at
 * a time, as crypto.randomUUID does: one call per token cost a system call and ~50 µs on a cold
 * path that signs once per Key Vault round trip. A jti is public (it is in the token), so the
 * unspent pool holds nothing secret; every byte is handed out once.
 */
export function newTokenId(): string {
  if (offset === POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
