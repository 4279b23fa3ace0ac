/**
 * ECDSA over a ready-made digest, as Key Vault does it (the client hashes, the vault signs the
 * digest). Node's crypto always hashes its input itself, so the embedded store (and the test double of Key Vault) do the curve arithmetic
 * with BigInt: Jacobian coordinates, random nonces. Slow compared with OpenSSL but exact, and the
 * signatures are checked against Node's own verifier in the tests.
 */
import { randomBytes } from 'node:crypto';

export type CurveName = 'P-256' | 'P-384' | 'P-521';

interface CurveParams {
  p: bigint;
  a: bigint;
  n: bigint;
  gx: bigint;
  gy: bigint;
  /** Byte length of a coordinate and of r and s. */
  size: number;
}

const CURVES: Record<CurveName, CurveParams> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    size: 32,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    size: 48,
  },
  'P-521': {
    p: (1n << 521n) - 1n,
    a: (1n << 521n) - 4n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    gx: 0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
    gy: 0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
    size: 66,
  },
};

type Jacobian = [bigint, bigint, bigint];

const mod = (value: bigint, m: bigint): bigint => ((value % m) + m) % m;

function modInverse(value: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(value, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function double([x, y, z]: Jacobian, c: CurveParams): Jacobian {
  if (y === 0n || z === 0n) return [0n, 1n, 0n];
  const { p } = c;
  const ysq = mod(y * y, p);
  const s = mod(4n * x * ysq, p);
  const z2 = mod(z * z, p);
  const m = mod(3n * x * x + c.a * z2 * z2, p);
  const nx = mod(m * m - 2n * s, p);
  const ny = mod(m * (s - nx) - 8n * ysq * ysq, p);
  const nz = mod(2n * y * z, p);
  return [nx, ny, nz];
}

function add(a: Jacobian, b: Jacobian, c: CurveParams): Jacobian {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const { p } = c;
  const z1z1 = mod(a[2] * a[2], p);
  const z2z2 = mod(b[2] * b[2], p);
  const u1 = mod(a[0] * z2z2, p);
  const u2 = mod(b[0] * z1z1, p);
  const s1 = mod(a[1] * b[2] * z2z2, p);
  const s2 = mod(b[1] * a[2] * z1z1, p);
  if (u1 === u2) return s1 === s2 ? double(a, c) : [0n, 1n, 0n];
  const h = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  const h2 = mod(h * h, p);
  const h3 = mod(h * h2, p);
  const u1h2 = mod(u1 * h2, p);
  const nx = mod(r * r - h3 - 2n * u1h2, p);
  const ny = mod(r * (u1h2 - nx) - s1 * h3, p);
  const nz = mod(h * a[2] * b[2], p);
  return [nx, ny, nz];
}

function multiply(k: bigint, x: bigint, y: bigint, c: CurveParams): Jacobian {
  let result: Jacobian = [0n, 1n, 0n];
  let addend: Jacobian = [x, y, 1n];
  for (let rest = k; rest > 0n; rest >>= 1n) {
    if (rest & 1n) result = add(result, addend, c);
    addend = double(addend, c);
  }
  return result;
}

function affineX([x, , z]: Jacobian, c: CurveParams): bigint {
  const zInv = modInverse(z, c.p);
  return mod(x * zInv * zInv, c.p);
}

const toBigInt = (bytes: Buffer): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`));
const toFixedBytes = (value: bigint, size: number): Buffer => Buffer.from(value.toString(16).padStart(size * 2, '0'), 'hex');

/** The digest as an integer, truncated to the order's bit length (SEC 1, 4.1.3 step 5). */
function digestToInteger(digest: Buffer, c: CurveParams): bigint {
  const orderBits = c.n.toString(2).length;
  const e = toBigInt(digest);
  const excess = digest.length * 8 - orderBits;
  return excess > 0 ? e >> BigInt(excess) : e;
}

function randomScalar(c: CurveParams): bigint {
  for (;;) {
    const k = mod(toBigInt(randomBytes(c.size + 8)), c.n);
    if (k !== 0n) return k;
  }
}

/** Signs a digest with private scalar d; returns r‖s, each padded to the curve size (JWS form). */
export function ecdsaSignDigest(curve: CurveName, d: Buffer, digest: Buffer): Buffer {
  const c = CURVES[curve];
  const privateScalar = toBigInt(d);
  const e = digestToInteger(digest, c);
  for (;;) {
    const k = randomScalar(c);
    const r = mod(affineX(multiply(k, c.gx, c.gy, c), c), c.n);
    if (r === 0n) continue;
    const s = mod(modInverse(k, c.n) * (e + r * privateScalar), c.n);
    if (s === 0n) continue;
    return Buffer.concat([toFixedBytes(r, c.size), toFixedBytes(s, c.size)]);
  }
}

/** Verifies r‖s over a digest with the public point (x, y). */
export function ecdsaVerifyDigest(curve: CurveName, x: Buffer, y: Buffer, digest: Buffer, signature: Buffer): boolean {
  const c = CURVES[curve];
  if (signature.length !== c.size * 2) return false;
  const r = toBigInt(signature.subarray(0, c.size));
  const s = toBigInt(signature.subarray(c.size));
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const w = modInverse(s, c.n);
  const e = digestToInteger(digest, c);
  const point = add(multiply(mod(e * w, c.n), c.gx, c.gy, c), multiply(mod(r * w, c.n), toBigInt(x), toBigInt(y), c), c);
  if (point[2] === 0n) return false;
  return mod(affineX(point, c), c.n) === r;
}
