/**
 * What a client of a bound token holds, made with libraries that are not ours: X.509 certificates
 * from `selfsigned` (self-signed, or issued by a small test CA), DPoP keys and proofs from the `dpop`
 * package (RFC 9449 client). Thumbprints are computed here with node:crypto and dpop's own
 * calculateThumbprint, as an oracle independent of src/binding. Hostile proofs (alg none, HS256, a
 * private key in jwk, a header/signature mismatch) are put together by hand, since no honest client
 * library makes them.
 */
import { createHash, createHmac, generateKeyPairSync, randomUUID, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { calculateThumbprint, generateKeyPair, generateProof, type JWSAlgorithm, type KeyPair } from 'dpop';
import { generate } from 'selfsigned';

export interface ClientCertificate {
  pem: string;
  /** base64 DER on one line: what App Service's X-ARR-ClientCert and APIM's Convert.ToBase64String(RawData) carry. */
  der: string;
  /** RFC 8705 x5t#S256, computed with node:crypto. */
  x5t: string;
}

export interface TestCa {
  key: string;
  cert: string;
}

function described(pem: string): ClientCertificate {
  const raw = new X509Certificate(pem).raw;
  return { pem, der: raw.toString('base64'), x5t: createHash('sha256').update(raw).digest('base64url') };
}

export async function selfSignedCertificate(cn = 'client.example'): Promise<ClientCertificate> {
  const pems = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256', extensions: [{ name: 'extKeyUsage', clientAuth: true }] });
  return described(pems.cert);
}

export async function testCa(): Promise<TestCa> {
  const pems = await generate([{ name: 'commonName', value: 'kv-jwt test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true }],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function issuedCertificate(ca: TestCa, cn = 'client.example'): Promise<ClientCertificate> {
  const pems = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256', ca, extensions: [{ name: 'extKeyUsage', clientAuth: true }] });
  return described(pems.cert);
}

export interface DpopClient {
  keyPair: KeyPair;
  /** RFC 7638 thumbprint as the dpop package computes it. */
  jkt: string;
  /** A proof for one request; with an access token it carries ath. */
  proof(htm: string, htu: string, accessToken?: string): Promise<string>;
}

export async function dpopClient(alg: JWSAlgorithm = 'ES256'): Promise<DpopClient> {
  const keyPair = await generateKeyPair(alg);
  return {
    keyPair,
    jkt: await calculateThumbprint(keyPair.publicKey),
    proof: (htm, htu, accessToken) => generateProof(keyPair, htu, htm, undefined, accessToken),
  };
}

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS put together by hand: `sign` gets the signing input and returns the signature bytes. */
export function handMadeProof(header: Record<string, unknown>, payload: Record<string, unknown>, sign: (input: string) => Buffer): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${sign(input).toString('base64url')}`;
}

export function es256Signer(privateKey: KeyObject): (input: string) => Buffer {
  return (input) => cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

export function hs256Signer(secret: Buffer): (input: string) => Buffer {
  return (input) => createHmac('sha256', secret).update(input).digest();
}

/** A P-256 key pair for hand-made proofs. */
export function ecKeyPair(): { privateKey: KeyObject; publicJwk: Record<string, unknown>; privateJwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }), privateJwk: privateKey.export({ format: 'jwk' }) };
}

/** The claims an honest proof carries, for hand-made ones. */
export function proofClaims(htm: string, htu: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...extra };
}

/** base64url SHA-256 of an access token: a proof's ath. */
export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}
