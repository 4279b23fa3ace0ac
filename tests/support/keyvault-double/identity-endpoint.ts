/**
 * The App Service / Functions managed identity endpoint (api-version 2019-08-01), on plain HTTP
 * loopback as on App Service itself (`http://localhost:8081/msi/token`): `ManagedIdentityCredential`
 * reads IDENTITY_ENDPOINT / IDENTITY_HEADER and calls it for real. Issued tokens are opaque strings
 * the vault side accepts until they expire.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallCounters } from './faults';

export const VAULT_RESOURCE = 'https://vault.azure.net';
const TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

export class TokenIssuer {
  private readonly issued = new Map<string, number>();
  readonly identityHeader = randomBytes(16).toString('hex');
  readonly clientId = randomUUID();
  /** The client_id of the last token request (user-assigned identities send one). */
  lastRequestedClientId?: string;

  issue(nowSeconds: number): { token: string; expiresOn: number } {
    const token = randomBytes(32).toString('base64url');
    const expiresOn = nowSeconds + TOKEN_LIFETIME_SECONDS;
    this.issued.set(token, expiresOn);
    return { token, expiresOn };
  }

  isValid(token: string, nowSeconds: number): boolean {
    const expiresOn = this.issued.get(token);
    return expiresOn !== undefined && nowSeconds < expiresOn;
  }

  /** Every token still accepted (tests check that none leaks into a message or log). */
  issuedTokens(): string[] {
    return [...this.issued.keys()];
  }

  /** Forgets every token, as if they had all expired: clients must fetch new ones. */
  revokeAll(): void {
    this.issued.clear();
  }
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export interface IdentityEndpoint {
  url: string;
  close(): Promise<void>;
}

export async function startIdentityEndpoint(issuer: TokenIssuer, counters: CallCounters): Promise<IdentityEndpoint> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method !== 'GET' || url.pathname !== '/msi/token') {
      send(response, 404, { error: 'not_found' });
      return;
    }
    counters.increment('token');
    const secret = request.headers['x-identity-header'];
    if (secret === undefined) {
      send(response, 400, { statusCode: 400, message: 'Missing X-IDENTITY-HEADER header.' });
      return;
    }
    if (secret !== issuer.identityHeader) {
      send(response, 401, { statusCode: 401, message: 'X-IDENTITY-HEADER does not match.' });
      return;
    }
    const resource = url.searchParams.get('resource');
    if (url.searchParams.get('api-version') !== '2019-08-01' || !resource) {
      send(response, 400, { statusCode: 400, message: 'api-version 2019-08-01 and resource are required.' });
      return;
    }
    issuer.lastRequestedClientId = url.searchParams.get('client_id') ?? undefined;
    const { token, expiresOn } = issuer.issue(Math.floor(Date.now() / 1000));
    send(response, 200, {
      access_token: token,
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: url.searchParams.get('client_id') ?? issuer.clientId,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/msi/token`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
