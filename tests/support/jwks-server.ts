/**
 * An audience's own JWKS endpoint for tests: HTTPS on 127.0.0.1 with the test CA's server
 * certificate (the process trusts it through NODE_EXTRA_CA_CERTS, as for the Key Vault double),
 * with an RSA-OAEP-256 encryption key whose private half the test keeps to decrypt with. What it
 * answers can be changed (another body, a status, a redirect) and its requests are counted.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadTestCaModule } from './keyvault-double/test-ca';

export interface AudienceKeyPair {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
}

export function audienceKeyPair(modulusLength = 2048, extra: Record<string, unknown> = {}): AudienceKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  const kid = `audience-${randomBytes(6).toString('hex')}`;
  const { n, e } = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, publicKey, jwk: { kty: 'RSA', kid, use: 'enc', alg: 'RSA-OAEP-256', n, e, ...extra } };
}

export interface JwksServer {
  url: string;
  requests: number;
  /** What the next requests get: a JSON body (default `{ keys }`), a status, a redirect, or no answer at all. */
  answer: { status: number; body: unknown; location?: string; hang?: boolean };
  setKeys(keys: Array<Record<string, unknown>>): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: Array<Record<string, unknown>>): Promise<JwksServer> {
  const files = await loadTestCaModule().makeTestCa();
  const state: JwksServer = {
    url: '',
    requests: 0,
    answer: { status: 200, body: { keys } },
    setKeys(next) {
      state.answer = { status: 200, body: { keys: next } };
    },
    close: () => Promise.resolve(),
  };
  const server = https.createServer({ cert: fs.readFileSync(files.serverCert, 'utf8'), key: fs.readFileSync(files.serverKey, 'utf8') }, (request, response) => {
    state.requests += 1;
    if (state.answer.hang) return;
    const text = typeof state.answer.body === 'string' ? state.answer.body : JSON.stringify(state.answer.body);
    response.writeHead(state.answer.status, { 'content-type': 'application/json', ...(state.answer.location ? { location: state.answer.location } : {}) });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
