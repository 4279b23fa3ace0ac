import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/**
 * A local stand-in for Microsoft Entra: serves `/{tenant}/discovery/v2.0/keys` like
 * login.microsoftonline.com and mints RS256 access tokens shaped like a managed identity's
 * (v1 issuer `https://sts.windows.net/{tenant}/`, `oid`, `tid`, `appid`, `aud`).
 */
export class EntraIssuer {
  readonly tenantId = randomUUID();
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject; kid: string };
  private server?: Server;
  keyRequests = 0;
  /** When set, the keys endpoint answers 503 (an outage of login.microsoftonline.com); still counted. */
  failKeyRequests = false;
  baseUrl = '';

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.key = { ...pair, kid: `entra-${randomUUID().slice(0, 8)}` };
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      if (request.url === `/${this.tenantId}/discovery/v2.0/keys`) {
        this.keyRequests += 1;
        if (this.failKeyRequests) {
          response.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
          return;
        }
        const jwk = this.key.publicKey.export({ format: 'jwk' });
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ keys: [{ kty: 'RSA', use: 'sig', kid: this.key.kid, x5t: this.key.kid, n: jwk.n, e: jwk.e, issuer: `https://login.microsoftonline.com/${this.tenantId}/v2.0` }] }));
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The public half of the tenant's signing key (what an attacker may try as an HMAC secret). */
  get publicKey(): KeyObject {
    return this.key.publicKey;
  }

  /**
   * A managed-identity-like access token; `overrides` may replace or remove (undefined) any claim.
   * RS256 with the tenant's key unless `signWith` (another RSA key), `digest` (RS384/RS512 with a
   * matching header) or `signature` (any signer of the signing input) says otherwise.
   */
  token(options: {
    oid: string;
    audience: string;
    overrides?: Record<string, unknown>;
    header?: Record<string, unknown>;
    signWith?: KeyObject;
    digest?: 'sha256' | 'sha384' | 'sha512';
    signature?: (signingInput: Buffer) => Buffer;
  }): string {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: options.audience,
      iss: `https://sts.windows.net/${this.tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      appid: randomUUID(),
      oid: options.oid,
      sub: options.oid,
      tid: this.tenantId,
      idtyp: 'app',
      ...options.overrides,
    };
    const header = { typ: 'JWT', alg: 'RS256', kid: this.key.kid, ...options.header };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = options.signature ?? ((data: Buffer) => sign(options.digest ?? 'sha256', data, options.signWith ?? this.key.privateKey));
    return `${input}.${signature(Buffer.from(input)).toString('base64url')}`;
  }
}
