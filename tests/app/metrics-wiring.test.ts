import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { healthHandler } from '../../functions/health';
import { revokeHandler } from '../../functions/revoke';
import { revokeManyHandler } from '../../functions/revokeMany';
import { rotateKeysNowHandler } from '../../functions/rotateKeysNow';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';
import type { MetricsSnapshot } from '../../src/telemetry/metrics';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';
import { findSecretLeaks } from '../support/secret-scan';
import { useProcessSettings } from '../support/process-settings';

/**
 * The metrics are recorded where the events happen: the real handlers, in process, against the Key
 * Vault double (so every Key Vault HTTP attempt is seen by the transport), read back from the
 * counters an admin's /api/health shows. No attribute carries a token, a key or a subject.
 */
const context = (name: string): InvocationContext => new InvocationContext({ functionName: name, invocationId: `metrics-${name}`, logHandler: () => undefined });
const post = (route: string, body: unknown): HttpRequest =>
  new HttpRequest({ method: 'POST', url: `http://127.0.0.1:7071/api/${route}`, headers: { host: '127.0.0.1:7071', 'content-type': 'application/json' }, body: { string: JSON.stringify(body) } });
const get = (route: string): HttpRequest => new HttpRequest({ method: 'GET', url: `http://127.0.0.1:7071/api/${route}`, headers: { host: '127.0.0.1:7071' } });

let vault: KeyVaultDouble;
let restore: () => Promise<void>;

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble();
  restore = await useProcessSettings({ ...vault.environment(uniqueKeyName('metrics')), KEY_VAULT_CREATE_KEY: 'true', JWT_AUDIENCES: 'api://orders', JWT_ISSUER: 'https://jwt.metrics.test/api', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING, REVOCATION_TABLE_NAME: `rev${Date.now()}` });
});
afterAll(async () => {
  await restore();
  await vault.stop();
});

function count(snapshot: MetricsSnapshot, name: string, attributes: Record<string, string | number> = {}): number {
  return snapshot.series
    .filter((s) => s.name === name && Object.entries(attributes).every(([key, value]) => s.attributes[key] === value))
    .reduce((sum, s) => sum + s.count, 0);
}

it('counts signs, verifies by outcome, Key Vault attempts, revocations and rotations, and shows them to admins in /api/health', async () => {
  const signed = (await signHandler(post('sign', { claims: { sub: 'metrics-subject', aud: 'api://orders' } }), context('sign'))).jsonBody as { token: string };
  await signHandler(post('sign', { claims: { sub: 'metrics-subject', aud: 'api://other' } }), context('sign'));
  await verifyHandler(post('verify', { token: signed.token }), context('verify'));
  await verifyHandler(post('verify', { token: `${signed.token.slice(0, -4)}AAAA` }), context('verify'));
  await revokeHandler(post('revoke', { token: signed.token }), context('revoke'));
  await revokeManyHandler(post('revocations', { sub: 'metrics-subject' }), context('revokeMany'));
  await rotateKeysNowHandler(post('keys/rotate', { emergency: false }), context('rotateKeysNow'));

  const health: HttpResponseInit = await healthHandler(get('health'), context('health'));
  const snapshot = (health.jsonBody as { metrics: MetricsSnapshot }).metrics;
  expect(count(snapshot, 'kvjwt.tokens.signed', { 'kvjwt.alg': 'RS256', 'kvjwt.caller': 'local-developer' })).toBe(1);
  expect(count(snapshot, 'kvjwt.sign.failures', { 'error.type': 'audience_not_allowed' })).toBe(1);
  expect(count(snapshot, 'kvjwt.verify.answers', { 'kvjwt.outcome': 'active' })).toBe(1);
  expect(count(snapshot, 'kvjwt.verify.answers', { 'kvjwt.outcome': 'bad_signature' })).toBe(1);
  expect(count(snapshot, 'kvjwt.revocations', { 'kvjwt.revocation.kind': 'token' })).toBe(1);
  expect(count(snapshot, 'kvjwt.revocations', { 'kvjwt.revocation.kind': 'subject' })).toBe(1);
  expect(count(snapshot, 'kvjwt.rotations', { 'kvjwt.key.use': 'sig', 'kvjwt.rotation.trigger': 'admin', 'kvjwt.outcome': 'created' })).toBe(1);
  // Key Vault: the one sign call of the token (the audit key's sign at start counts too), and the create.
  expect(count(snapshot, 'kvjwt.keyvault.call.duration', { 'kvjwt.operation': 'sign', 'kvjwt.outcome': 'ok' })).toBeGreaterThanOrEqual(2);
  expect(count(snapshot, 'kvjwt.keyvault.call.duration', { 'kvjwt.operation': 'create', 'kvjwt.outcome': 'ok' })).toBeGreaterThanOrEqual(1);
  expect(count(snapshot, 'kvjwt.keyvault.call.duration', { 'kvjwt.operation': 'list' })).toBeGreaterThanOrEqual(1);
  // Nothing secret in any attribute: no token, no subject.
  const text = JSON.stringify(snapshot);
  expect(text).not.toContain('metrics-subject');
  expect(text).not.toContain(signed.token.split('.')[1]);
  expect(findSecretLeaks(text)).toEqual([]);
});

it('counts the encryption key too: unwrapKey attempts at the same transport, its rotations and its phase changes, by key', async () => {
  const before = (await healthHandler(get('health'), context('health'))).jsonBody as { metrics: MetricsSnapshot };
  const unwrapsBefore = count(before.metrics, 'kvjwt.keyvault.call.duration', { 'kvjwt.operation': 'unwrapKey', 'kvjwt.outcome': 'ok' });
  // Another subject: the first test revoked every token of its own.
  const sealed = (await signHandler(post('sign', { claims: { sub: 'metrics-encrypted-subject', aud: 'api://orders' }, encrypt: true }), context('sign'))).jsonBody as { token: string };
  expect(sealed.token.split('.')).toHaveLength(5);
  // An active answer is written as text (the claims as signed), an inactive one as JSON.
  const activeOf = (answer: HttpResponseInit): unknown => ((answer.jsonBody ?? JSON.parse(answer.body as string)) as { active: unknown }).active;
  const first = await verifyHandler(post('verify', { token: sealed.token }), context('verify'));
  const repeat = await verifyHandler(post('verify', { token: sealed.token }), context('verify'));
  expect([activeOf(first), activeOf(repeat)]).toEqual([true, true]);
  const rotated = await rotateKeysNowHandler(post('keys/rotate', { emergency: false, use: 'enc' }), context('rotateKeysNow'));
  expect(rotated.status ?? 200).toBe(200);

  const snapshot = ((await healthHandler(get('health'), context('health'))).jsonBody as { metrics: MetricsSnapshot }).metrics;
  // One unwrapKey for the distinct token (the repeat is served from the content key cache), seen by the transport.
  expect(count(snapshot, 'kvjwt.keyvault.call.duration', { 'kvjwt.operation': 'unwrapKey', 'kvjwt.outcome': 'ok' }) - unwrapsBefore).toBe(1);
  expect(count(snapshot, 'kvjwt.keyvault.call.duration', { 'kvjwt.operation': 'other' })).toBe(0);
  expect(count(snapshot, 'kvjwt.rotations', { 'kvjwt.key.use': 'enc', 'kvjwt.rotation.trigger': 'admin', 'kvjwt.outcome': 'created' })).toBe(1);
  // The announced successor, as the encryption ring's next listing saw it.
  expect(count(snapshot, 'kvjwt.key.phase_changes', { 'kvjwt.key.use': 'enc', 'kvjwt.key.phase.from': 'none', 'kvjwt.key.phase.to': 'announced' })).toBe(1);
  expect(count(snapshot, 'kvjwt.verify.answers', { 'kvjwt.outcome': 'active' })).toBeGreaterThanOrEqual(3);
  const text = JSON.stringify(snapshot);
  expect(text).not.toContain('metrics-encrypted-subject');
  expect(text).not.toContain(sealed.token.split('.')[1]);
  expect(findSecretLeaks(text)).toEqual([]);
});
