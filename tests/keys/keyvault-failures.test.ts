/**
 * How the Key Vault adapter fails: bounded retries with backoff for 429 (without Retry-After) and
 * 5xx, bounded timeouts and quick 'unavailable' in an outage, 403s that name the missing role or
 * the key's state, start-up with a missing key, the emulator setting — and no secret in messages.
 */
import { systemClock } from '../../src/clock';
import { ConfigError } from '../../src/errors';
import { isKeyStoreError } from '../../src/keys/key-store';
import type { KeyStoreError, KeyVersion } from '../../src/keys/key-store';
import { openKeyVaultKeyStore } from '../../src/keys/keyvault/create-keyvault-key-store';
import type { KeyVaultKeyStore } from '../../src/keys/keyvault/keyvault-key-store';
import { createHttpHeaders, createPipelineRequest, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, keyVaultHttpClient } from '../../src/keys/keyvault/vault-transport';
import { startKeyVaultDouble } from '../support/keyvault-double';
import type { KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, FAST_RETRY, storeOnDouble, uniqueKeyName, useDoubleManagedIdentity } from '../support/keyvault-double/adapter-fixture';

let vault: KeyVaultDouble;
let store: KeyVaultKeyStore;
let version: KeyVersion;
const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0');
const seenErrors: KeyStoreError[] = [];

async function failureOf(promise: Promise<unknown>): Promise<KeyStoreError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (isKeyStoreError(error)) {
      seenErrors.push(error);
      return error;
    }
    throw error;
  }
  throw new Error('expected a KeyStoreError');
}

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble();
  store = storeOnDouble(vault, uniqueKeyName());
  version = await store.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 60 });
  await store.sign(version.kid, 'RS256', input); // warm: token and challenge done
});
afterAll(async () => vault.stop());
afterEach(() => {
  vault.faults.clear();
  vault.clockOffsetSeconds = 0;
});

describe('throttling and server errors', () => {
  it('retries a 429 without Retry-After and succeeds when throttling stops', async () => {
    vault.faults.throttle(2, 'sign');
    const before = vault.counters.get('sign');
    await expect(store.sign(version.kid, 'RS256', input)).resolves.toBeInstanceOf(Buffer);
    expect(vault.counters.get('sign') - before).toBe(3);
  });

  it("surfaces 'throttled' with a Retry-After hint once its attempts are spent", async () => {
    vault.faults.throttle(100, 'sign');
    const before = vault.counters.get('sign');
    const failure = await failureOf(store.sign(version.kid, 'RS256', input));
    expect(failure.failure).toBe('throttled');
    expect(failure.retryAfterSeconds).toBeGreaterThan(0);
    expect(vault.counters.get('sign') - before).toBe(FAST_RETRY.maxAttempts);
  });

  it("past the vault's service limit: bounded retries, then 'throttled' with Retry-After within the retry budget, never a hang", async () => {
    vault.faults.setServiceLimit({ operations: 4, windowMs: 60_000 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.sign(version.kid, 'RS256', input)));
    const signed = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' && isKeyStoreError(r.reason) ? [r.reason] : []));
    expect(signed).toHaveLength(4);
    expect(refused).toHaveLength(6);
    for (const failure of refused) {
      expect(failure.failure).toBe('throttled');
      expect(failure.retryAfterSeconds).toBeGreaterThan(0);
    }
  });

  it("retries 5xx, then reports 'unavailable' with Retry-After", async () => {
    vault.faults.serverError(1, 503, 'list');
    await expect(store.listVersions()).resolves.toHaveLength(1);
    vault.faults.serverError(100, 500, 'sign');
    const failure = await failureOf(store.sign(version.kid, 'RS256', input));
    expect(failure.failure).toBe('unavailable');
    expect(failure.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('retries a dropped connection', async () => {
    vault.faults.resetConnections(1, 'sign');
    await expect(store.sign(version.kid, 'RS256', input)).resolves.toBeInstanceOf(Buffer);
  });

  it('retries a create only after a 429, never after a dropped connection (it may have succeeded)', async () => {
    vault.faults.throttle(1, 'create');
    let before = vault.counters.get('create');
    await expect(store.createVersion({ notBefore: vault.nowSeconds() })).resolves.toEqual(expect.objectContaining({ enabled: true }));
    expect(vault.counters.get('create') - before).toBe(2);
    vault.faults.resetConnections(1, 'create');
    before = vault.counters.get('create');
    expect((await failureOf(store.createVersion({ notBefore: vault.nowSeconds() }))).failure).toBe('unavailable');
    expect(vault.counters.get('create') - before).toBe(1);
  });

  it('backs off with jitter, growing and capped', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(policy, 0, () => 1)).toBe(100);
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(800);
    expect(backoffDelayMs(policy, 10, () => 1)).toBe(1000);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(400);
  });
});

describe('outage and timeouts', () => {
  it("answers 'unavailable' during a full outage and recovers by itself", async () => {
    vault.faults.setOutage(true);
    const failure = await failureOf(store.sign(version.kid, 'RS256', input));
    expect(failure.failure).toBe('unavailable');
    expect(failure.retryAfterSeconds).toBeGreaterThan(0);
    vault.faults.setOutage(false);
    await expect(store.sign(version.kid, 'RS256', input)).resolves.toBeInstanceOf(Buffer);
  });

  // Deadlines are generous enough for a loaded CI machine's warm-up call; the spike is far longer.
  it('bounds every call by its timeout and its attempts', async () => {
    const slow = storeOnDouble(vault, store.keyName, { retry: { ...FAST_RETRY, attemptTimeoutMs: 1000, maxAttempts: 2 } });
    await slow.sign(version.kid, 'RS256', input);
    vault.faults.latencySpike(60_000, 10, 'sign');
    const before = vault.counters.get('sign');
    const failure = await failureOf(slow.sign(version.kid, 'RS256', input));
    expect(failure.failure).toBe('unavailable');
    expect(failure.message).toMatch(/in time/);
    expect(vault.counters.get('sign') - before).toBe(2);
  }, 10_000);

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

  it('stops at the total budget even when attempts remain', async () => {
    const budgeted = storeOnDouble(vault, store.keyName, { retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 10, attemptTimeoutMs: 5000, totalBudgetMs: 1500 } });
    await budgeted.sign(version.kid, 'RS256', input);
    vault.faults.latencySpike(60_000, 10, 'sign');
    const before = vault.counters.get('sign');
    expect((await failureOf(budgeted.sign(version.kid, 'RS256', input))).failure).toBe('unavailable');
    expect(vault.counters.get('sign') - before).toBe(1);
  }, 10_000);
});

describe('403, 404 and 400', () => {
  it('names the Crypto User role when sign or verify is forbidden, without retrying', async () => {
    vault.faults.forbid('sign');
    const before = vault.counters.get('sign');
    const failure = await failureOf(store.sign(version.kid, 'RS256', input));
    expect(failure.failure).toBe('forbidden');
    expect(failure.message).toContain('Key Vault Crypto User');
    expect(vault.counters.get('sign') - before).toBe(1);
    vault.faults.forbid('verify');
    expect((await failureOf(store.verify(version.kid, 'RS256', input, Buffer.alloc(256)))).message).toContain('Key Vault Crypto User');
  });

  it('names the Crypto Officer role when creating or disabling is forbidden', async () => {
    vault.faults.forbid('create');
    expect((await failureOf(store.createVersion({ notBefore: 0 }))).message).toContain('Key Vault Crypto Officer');
    vault.faults.forbid('update');
    expect((await failureOf(store.disableVersion(version.kid))).message).toContain('Key Vault Crypto Officer');
  });

  it("maps a disabled version to 'disabled' while verify keeps working", async () => {
    const own = storeOnDouble(vault, uniqueKeyName());
    const v = await own.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 60 });
    const signature = await own.sign(v.kid, 'RS256', input);
    await own.disableVersion(v.kid);
    expect((await failureOf(own.sign(v.kid, 'RS256', input))).failure).toBe('disabled');
    await expect(own.verify(v.kid, 'RS256', input, signature)).resolves.toBe(true);
  });

  it("maps the vault's nbf/exp refusals to 'not_yet_valid' and 'expired'", async () => {
    const own = storeOnDouble(vault, uniqueKeyName());
    const nowSeconds = Math.floor(Date.now() / 1000);
    const v = await own.createVersion({ notBefore: nowSeconds - 60, expires: nowSeconds + 3600 });
    await own.sign(v.kid, 'RS256', input);
    vault.clockOffsetSeconds = -600; // the vault's clock says: before nbf
    expect((await failureOf(own.sign(v.kid, 'RS256', input))).failure).toBe('not_yet_valid');
    vault.clockOffsetSeconds = 7200; // after exp
    expect((await failureOf(own.sign(v.kid, 'RS256', input))).failure).toBe('expired');
  });

  it("refuses to sign with a key whose key_ops lack 'sign' (created outside the app), without calling", async () => {
    const name = uniqueKeyName('verify-only');
    const created = await vault.state.create(name, { kty: 'RSA', keyOps: ['verify'] }, vault.nowSeconds() - 60);
    const own = storeOnDouble(vault, name);
    await own.listVersions();
    const before = vault.counters.get('sign');
    const failure = await failureOf(own.sign(created.version, 'RS256', input));
    expect(failure.failure).toBe('bad_parameter');
    expect(failure.message).toContain('key_ops');
    expect(vault.counters.get('sign')).toBe(before);
  });

  it("maps 404 to 'not_found' and a refused algorithm (400 BadParameter) to 'bad_parameter', neither retried", async () => {
    expect((await failureOf(store.sign('0123456789abcdef0123456789abcdef', 'RS256', input))).failure).toBe('not_found');
    const before = vault.counters.get('sign');
    expect((await failureOf(store.sign(version.kid, 'ES256', input))).failure).toBe('bad_parameter');
    expect(vault.counters.get('sign') - before).toBe(1);
  });
});

describe('start-up and settings', () => {
  it('refuses to start with a missing key unless KEY_VAULT_CREATE_KEY=true, saying what to do', async () => {
    const name = uniqueKeyName('missing');
    useDoubleManagedIdentity(vault);
    const before = vault.counters.get('create');
    const refusal = await openKeyVaultKeyStore(doubleConfig(vault, name), systemClock, { retry: FAST_RETRY }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as Error).message).toMatch(/does not exist.*az keyvault key create.*KEY_VAULT_CREATE_KEY=true/s);
    expect(vault.counters.get('create')).toBe(before);

    const created = await openKeyVaultKeyStore(doubleConfig(vault, name, { KEY_VAULT_CREATE_KEY: 'true' }), systemClock, { retry: FAST_RETRY });
    const versions = await created.listVersions();
    expect(versions).toEqual([expect.objectContaining({ enabled: true, alg: 'RS256' })]);
    await openKeyVaultKeyStore(doubleConfig(vault, name, { KEY_VAULT_CREATE_KEY: 'true' }), systemClock, { retry: FAST_RETRY });
    expect(vault.counters.get('create')).toBe(before + 1);
  });

  it('needs KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION for a vault whose host is not a Key Vault host, and says so before any call', () => {
    const before = vault.counters.get('list');
    let refusal: unknown;
    try {
      storeOnDouble(vault, store.keyName, { env: { KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'false' } });
    } catch (error: unknown) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).setting).toBe('KEY_VAULT_URL');
    expect((refusal as Error).message).toContain('KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true');
    expect(vault.counters.get('list')).toBe(before);
  });

  it('never puts a token or the identity secret in a failure message', () => {
    expect(seenErrors.length).toBeGreaterThan(10);
    const secrets = [...vault.tokens.issuedTokens(), vault.identityHeader];
    for (const error of seenErrors) {
      for (const secret of secrets) {
        expect(error.message).not.toContain(secret);
        expect(error.stack ?? '').not.toContain(secret);
      }
    }
  });
});
