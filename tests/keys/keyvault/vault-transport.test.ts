import { createHttpHeaders, createPipelineRequest, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, keyVaultHttpClient, vaultOperationOf } from '../../../src/keys/keyvault/vault-transport';
import { operationLabel } from '../../../src/telemetry/metrics';

/**
 * The operation each Key Vault attempt is counted under (kvjwt.keyvault.call.duration), from the
 * request the SDK sends: Key Vault's paths are lower case (`/unwrapkey`), the metric names the
 * operations as Key Vault's API does (`unwrapKey`), and every one is in the metric's closed list.
 */
const VAULT = 'https://kv.vault.azure.net';
const requests: Array<[method: string, path: string, operation: string]> = [
  ['POST', '/keys/jwt-signing/0123abcd/sign', 'sign'],
  ['POST', '/keys/jwt-signing/0123abcd/verify', 'verify'],
  ['POST', '/keys/jwt-encryption/0123abcd/unwrapkey', 'unwrapKey'],
  ['POST', '/keys/jwt-encryption/0123abcd/wrapkey', 'wrapKey'],
  ['POST', '/keys/jwt-encryption/create', 'create'],
  ['GET', '/keys/jwt-encryption/versions', 'list'],
  ['GET', '/keys/jwt-encryption/0123abcd', 'get'],
  ['PATCH', '/keys/jwt-encryption/0123abcd', 'update'],
  ['PUT', '/secrets/jwt-signing', 'create'],
];

it.each(requests)('%s %s is counted as %s, a known operation', (method, path, operation) => {
  const named = vaultOperationOf({ method: method as 'GET', url: `${VAULT}${path}?api-version=7.6` });
  expect(named).toBe(operation);
  expect(operationLabel(named)).toBe(operation);
});

it('counts a POST it does not know as other, never as a name taken from the path', () => {
  const named = vaultOperationOf({ method: 'POST', url: `${VAULT}/keys/k/v/constructor` });
  expect(operationLabel(named)).toBe('other');
});

describe('retries and deadlines', () => {
  it('backs off with jitter, growing and capped', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(policy, 0, () => 1)).toBe(100);
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(800);
    expect(backoffDelayMs(policy, 10, () => 1)).toBe(1000);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(400);
  });

  it('gives each attempt what is left of the budget, and turns its own deadline into a retryable failure', async () => {
    const policy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 400, totalBudgetMs: 1000 };
    const timeouts: number[] = [];
    // A transport that never answers before the attempt's deadline, and aborts then, as the SDK's does.
    const hanging: HttpClient = {
      sendRequest: (request: PipelineRequest) => {
        timeouts.push(request.timeout);
        return new Promise((_resolve, reject) => setTimeout(() => reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })), request.timeout));
      },
    };
    const request = createPipelineRequest({ url: 'https://vault.example/keys/k/v/sign', method: 'POST', headers: createHttpHeaders() });
    const error: unknown = await keyVaultHttpClient(policy, hanging).sendRequest(request).catch((e: unknown) => e);
    expect(timeouts).toHaveLength(3);
    expect(timeouts[0]).toBe(400);
    expect(timeouts[2]).toBeLessThanOrEqual(1000 - 800 + 5);
    expect(error).toMatchObject({ name: 'RestError', code: 'KVJWT_ATTEMPT_TIMEOUT' });
    // A caller's own abort stays an abort and is not retried.
    const controller = new AbortController();
    controller.abort();
    const aborted = createPipelineRequest({ url: 'https://vault.example/keys/k/v/sign', method: 'POST', headers: createHttpHeaders(), abortSignal: controller.signal });
    timeouts.length = 0;
    await expect(keyVaultHttpClient(policy, hanging).sendRequest(aborted)).rejects.toMatchObject({ name: 'AbortError' });
    expect(timeouts).toHaveLength(1);
  });
});
