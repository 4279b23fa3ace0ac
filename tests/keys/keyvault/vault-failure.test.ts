/**
 * How a failed Key Vault call becomes a KeyStoreError (vault-failure.ts): first the mapping itself,
 * from the RestError's data (status, inner code, Retry-After, error class) and never its text; then
 * the whole adapter against the double — bounded retries for 429 (without Retry-After) and 5xx,
 * bounded timeouts and quick 'unavailable' in an outage, 403s that name the missing role or the
 * key's state — and no secret in any message.
 */
import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { isKeyStoreError, KeyStoreError } from '../../../src/keys/key-store';
import type { KeyVersion } from '../../../src/keys/key-store';
import type { KeyVaultKeyStore } from '../../../src/keys/keyvault/keyvault-key-store';
import { ATTEMPT_TIMED_OUT, isTransient, retryAfterSeconds, toKeyStoreError, type FailureSubject } from '../../../src/keys/keyvault/vault-failure';
import { startKeyVaultDouble } from '../../support/keyvault-double';
import type { KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, FAST_RETRY, storeOnDouble, uniqueKeyName } from '../../support/keyvault-double/adapter-fixture';

const NOW_MS = Date.UTC(2027, 0, 1);
const SIGN: FailureSubject = { operation: 'sign', keyName: 'jwt-signing', version: '0123abcd' };
const VAULT_TEXT = 'Caller oid=11111111-2222-3333-4444-555555555555 is not authorized';

/** A RestError as the SDK raises it: status, the parsed error body in `details`, the response headers. */
function restError(statusCode: number | undefined, options: { innerCode?: string; retryAfter?: string; code?: string } = {}): RestError {
  const request = createPipelineRequest({ url: 'https://kv.vault.azure.net/keys/jwt-signing/0123abcd/sign', method: 'POST' });
  const headers = createHttpHeaders(options.retryAfter === undefined ? {} : { 'retry-after': options.retryAfter });
  const error = new RestError(VAULT_TEXT, { code: options.code, statusCode, request, response: statusCode === undefined ? undefined : { status: statusCode, headers, request } });
  error.details = { error: { code: 'Forbidden', message: VAULT_TEXT, innerError: options.innerCode === undefined ? undefined : { code: options.innerCode } } };
  return error;
}

const mapped = (error: unknown, subject: FailureSubject = SIGN): KeyStoreError => toKeyStoreError(error, subject, NOW_MS);

describe('toKeyStoreError (the mapping, from data only)', () => {
  it.each<[number, string]>([
    [400, 'bad_parameter'],
    [401, 'forbidden'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [429, 'throttled'],
    [500, 'unavailable'],
    [503, 'unavailable'],
  ])('maps status %i to %s', (status, failure) => {
    expect(mapped(restError(status)).failure).toBe(failure);
  });

  it('reads a 403 by its inner error code: the version\'s state or key_ops, not a missing role', () => {
    expect(mapped(restError(403, { innerCode: 'KeyDisabled' })).failure).toBe('disabled');
    expect(mapped(restError(403, { innerCode: 'SecretDisabled' }), { ...SIGN, resource: 'secret' }).failure).toBe('disabled');
    expect(mapped(restError(403, { innerCode: 'KeyNotYetValid' })).failure).toBe('not_yet_valid');
    expect(mapped(restError(403, { innerCode: 'KeyExpired' })).failure).toBe('expired');
    const keyOps = mapped(restError(403, { innerCode: 'KeyOperationForbidden' }));
    expect([keyOps.failure, keyOps.message]).toEqual(['bad_parameter', expect.stringContaining('key_ops')]);
    expect(mapped(restError(403, { innerCode: 'SomethingNew' })).failure).toBe('forbidden');
  });

  it('names the role a 403 lacks: Crypto User or Officer for keys, Secrets User or Officer for secrets, with a 60 s Retry-After', () => {
    const role = (subject: FailureSubject): string => mapped(restError(403), subject).message;
    expect(role({ ...SIGN, operation: 'sign' })).toContain("'Key Vault Crypto User'");
    expect(role({ ...SIGN, operation: 'unwrapKey' })).toContain("'Key Vault Crypto User'");
    expect(role({ ...SIGN, operation: 'create' })).toContain("'Key Vault Crypto Officer'");
    expect(role({ ...SIGN, operation: 'update' })).toContain("'Key Vault Crypto Officer'");
    expect(role({ ...SIGN, operation: 'get', resource: 'secret' })).toContain("'Key Vault Secrets User'");
    expect(role({ ...SIGN, operation: 'create', resource: 'secret' })).toContain("'Key Vault Secrets Officer'");
    expect(role({ operation: 'list', keyName: 'hs', resource: 'secret' })).toContain("secret 'hs'");
    expect(mapped(restError(403)).retryAfterSeconds).toBe(60);
  });

  it('takes Retry-After as seconds or as an HTTP date, rounds up, and falls back to 5 s', () => {
    expect(mapped(restError(429, { retryAfter: '12' })).retryAfterSeconds).toBe(12);
    expect(mapped(restError(429, { retryAfter: '0.2' })).retryAfterSeconds).toBe(1);
    expect(toKeyStoreError(restError(503, { retryAfter: new Date(NOW_MS + 31_000).toUTCString() }), SIGN, NOW_MS + 500).retryAfterSeconds).toBe(31);
    expect(mapped(restError(503, { retryAfter: new Date(NOW_MS - 60_000).toUTCString() })).retryAfterSeconds).toBe(0);
    expect(mapped(restError(429, { retryAfter: 'soon' })).retryAfterSeconds).toBe(5);
    expect(mapped(restError(429, { retryAfter: '-3' })).retryAfterSeconds).toBe(5); // not a delay, and not a date either
    expect(mapped(restError(429)).retryAfterSeconds).toBe(5);
    expect(retryAfterSeconds(restError(undefined), NOW_MS)).toBeUndefined();
  });

  it('gives a caller error (400, 401, 404) no Retry-After', () => {
    for (const status of [400, 401, 404]) expect(mapped(restError(status, { retryAfter: '9' })).retryAfterSeconds).toBeUndefined();
  });

  it('answers no answer, our attempt deadline, an abort, a credential failure and a stranger as unavailable', () => {
    expect(mapped(restError(undefined)).failure).toBe('unavailable');
    expect(mapped(restError(undefined, { code: ATTEMPT_TIMED_OUT })).message).toMatch(/in time/);
    expect(mapped(Object.assign(new Error('aborted'), { name: 'AbortError' })).message).toMatch(/in time/);
    for (const name of ['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError']) {
      const failure = mapped(Object.assign(new Error(`${name}: token endpoint said ${VAULT_TEXT}`), { name }));
      expect([failure.failure, failure.message]).toEqual(['unavailable', expect.stringContaining('No access token')]);
    }
    expect(mapped(new TypeError(VAULT_TEXT)).failure).toBe('unavailable');
    expect(mapped('a string').failure).toBe('unavailable');
  });

  it("never repeats the vault's own text (it can carry caller ids) and keeps the original as the cause", () => {
    for (const error of [restError(400), restError(403), restError(403, { innerCode: 'KeyDisabled' }), restError(404), restError(429), restError(500), new TypeError(VAULT_TEXT)]) {
      const failure = mapped(error);
      expect(failure.message).not.toContain('oid=');
      expect(failure.cause).toBe(error);
    }
    expect(mapped(restError(404)).message).toBe("Key Vault has no version 0123abcd of key 'jwt-signing'.");
  });

  it('passes a KeyStoreError through unchanged', () => {
    const own = new KeyStoreError('expired', 'already decided');
    expect(mapped(own)).toBe(own);
  });
});

describe('isTransient (what another attempt may cure)', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries %i', (status) => expect(isTransient(restError(status))).toBe(true));
  it.each([400, 401, 403, 404, 409, 501, 505])('does not retry %i', (status) => expect(isTransient(restError(status))).toBe(false));
  it('retries a request that got no answer, and nothing that is not a RestError', () => {
    expect(isTransient(restError(undefined))).toBe(true);
    expect(isTransient(new Error('ECONNRESET'))).toBe(false);
  });
});

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

describe('messages', () => {


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
