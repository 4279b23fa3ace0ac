/**
 * How every Key Vault call goes over the wire: the SDK's own HTTP client and its `retryPolicy`,
 * with one retry strategy that knows Key Vault. The SDK's default retry does not do the job here:
 * it does not retry a 429 without Retry-After (how Key Vault usually throttles), and it would retry
 * a create after a dropped connection (which may have made a version already). So the clients get
 * `retryOptions: { maxRetries: 0 }` and this transport instead, which
 * - retries 408, 429, 5xx (but 501/505), a connection that broke and an attempt that timed out,
 *   with exponential backoff and full jitter, honouring a Retry-After the vault sends;
 * - retries a create (POST …/create, or a secret PUT) only after a 429, which the vault refused
 *   before doing anything;
 * - gives every attempt a deadline and the whole call a budget, so no request path waits long.
 */
import { createDefaultHttpClient, retryPolicy, RestError, type HttpClient, type PipelineRequest, type PipelineResponse, type RetryStrategy } from '@azure/core-rest-pipeline';
import { systemClock } from '../../clock';
import { ATTEMPT_TIMED_OUT, isTransient, retryAfterSeconds } from './vault-failure';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Deadline of one attempt (until the vault's answer starts). */
  attemptTimeoutMs: number;
  /** Upper bound of the whole call, retries and waits included. */
  totalBudgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  attemptTimeoutMs: 5000,
  totalBudgetMs: 10000,
};

/** Full jitter: a uniform delay in [0, min(max, base·2^retry)], so a crowd of callers spreads out. */
export function backoffDelayMs(policy: RetryPolicy, retryIndex: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.round(ceiling * random());
}

/** One HTTP attempt, as telemetry sees it: the operation, the vault's status or the error, and how long it took. */
export interface VaultAttempt {
  operation: string;
  status?: number;
  error?: unknown;
  durationMs: number;
}

/** Key Vault's paths are lower case (`…/unwrapkey`); the operations are named as in its API (`unwrapKey`). */
const POST_OPERATIONS: ReadonlyMap<string, string> = new Map([['create', 'create'], ['sign', 'sign'], ['verify', 'verify'], ['wrapkey', 'wrapKey'], ['unwrapkey', 'unwrapKey']]);

/**
 * The Key Vault operation a request is (its path and method): `…/sign`, `…/unwrapkey`, `…/create`,
 * `…/versions` (list), a PATCH (update), a PUT (a secret version created), a GET of a version.
 */
export function vaultOperationOf(request: Pick<PipelineRequest, 'method' | 'url'>): string {
  const last = new URL(request.url).pathname.split('/').filter(Boolean).pop() ?? '';
  if (request.method === 'POST') return POST_OPERATIONS.get(last.toLowerCase()) ?? last;
  if (request.method === 'PATCH') return 'update';
  if (request.method === 'PUT') return 'create';
  return last === 'versions' ? 'list' : 'get';
}

/** Creating a version is the one call that is not idempotent: keys are created by POST …/create, secret versions by PUT. */
function createsSomething(request: PipelineRequest): boolean {
  return request.method === 'PUT' || (request.method === 'POST' && new URL(request.url).pathname.endsWith('/create'));
}

function keyVaultStrategy(policy: RetryPolicy, startedMs: number, now: () => number): RetryStrategy {
  return {
    name: 'kvJwtKeyVaultRetry',
    retry({ retryCount, response, responseError }) {
      const failed = responseError ?? (response && response.status >= 400 ? new RestError('', { statusCode: response.status, response, request: response.request }) : undefined);
      const request = response?.request ?? responseError?.request;
      if (!failed || !request || !isTransient(failed)) return { skipStrategy: true };
      if (createsSomething(request) && failed.statusCode !== 429) return { skipStrategy: true };
      const asked = retryAfterSeconds(failed, systemClock.nowMs());
      const wait = asked !== undefined ? asked * 1000 : backoffDelayMs(policy, retryCount);
      // Out of budget: the last answer stands (a 429 then carries the vault's Retry-After to our caller).
      if (now() - startedMs + wait >= policy.totalBudgetMs) return { skipStrategy: true };
      return { retryAfterInMs: wait };
    },
  };
}

/**
 * The HTTP client for KeyClient, CryptographyClient and SecretClient (their `httpClient` option):
 * the SDK's default transport under the SDK's retryPolicy with the strategy above. It sits below
 * the SDK's authentication policy, so a retry reuses the token the first attempt carried.
 */
export function keyVaultHttpClient(policy: RetryPolicy, transport: HttpClient = createDefaultHttpClient(), observe?: (attempt: VaultAttempt) => void): HttpClient {
  const now = (): number => performance.now();
  return {
    sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const startedMs = now();
      const retrying = retryPolicy([keyVaultStrategy(policy, startedMs, now)], { maxRetries: policy.maxAttempts - 1 });
      return retrying.sendRequest(request, async (attempt) => {
        // An attempt gets at most what is left of the budget, so the whole call stays bounded.
        attempt.timeout = Math.max(1, Math.ceil(Math.min(policy.attemptTimeoutMs, policy.totalBudgetMs - (now() - startedMs))));
        const attemptStartedMs = now();
        const report = (outcome: { status?: number; error?: unknown }): void =>
          observe?.({ operation: vaultOperationOf(attempt), ...outcome, durationMs: now() - attemptStartedMs });
        try {
          const response = await transport.sendRequest(attempt);
          report({ status: response.status });
          return response;
        } catch (error: unknown) {
          // The transport aborts a late attempt with a plain AbortError, which retryPolicy would not
          // retry; a caller's own abort stays an abort.
          const failure = error instanceof Error && error.name === 'AbortError' && !attempt.abortSignal?.aborted ? new RestError('Key Vault did not answer in time.', { code: ATTEMPT_TIMED_OUT, request: attempt }) : error;
          report({ error: failure });
          throw failure;
        }
      });
    },
  };
}
