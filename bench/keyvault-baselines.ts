/**
 * The baselines the Key Vault sign benchmark measures beside the service, against the same double
 * and key version: one bare node:https keep-alive POST of the sign request (the floor for any
 * client: one HTTPS round trip on this machine), and the SDK's CryptographyClient.sign alone.
 */
import { request, Agent } from 'node:https';
import { CryptographyClient, type KeyVaultKey } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';

export type SignCall = () => Promise<unknown>;

/** What Key Vault's REST API takes for a sign: POST {kid}/sign?api-version=… { alg, value: base64url digest }. */
export function rawSignCall(keyId: string, accessToken: string, digest: Buffer): SignCall {
  const agent = new Agent({ keepAlive: true });
  const url = new URL(`${keyId}/sign?api-version=2025-07-01`);
  const body = JSON.stringify({ alg: 'RS256', value: digest.toString('base64url') });
  const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  return () =>
    new Promise((resolve, reject) => {
      const outgoing = request(url, { method: 'POST', agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`raw sign: ${response.statusCode}`))));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
}

/** The SDK alone, configured as the key store configures it (its retries off, the double's challenge host allowed). */
export function sdkSignCall(key: KeyVaultKey, credential: TokenCredential, digest: Buffer): SignCall {
  const client = new CryptographyClient(key, credential, { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
  return () => client.sign('RS256', digest);
}
