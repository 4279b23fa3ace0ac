import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { DataPoint } from '@opentelemetry/sdk-metrics';
import { findSecretLeaks } from '../support/secret-scan';
import { harness, recordEverything, type Harness } from './metrics-fixture';

/**
 * The closed lists of src/telemetry/metrics.ts: whatever an integration hands the port by mistake,
 * no exported attribute and no counter since start carries a token, key material, a secret or a subject.
 */
describe('metric attributes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  it('carries no token, key material, secret or raw subject in any attribute, even when handed one by mistake', async () => {
    const subject = `alice.${randomUUID()}@contoso.example`;
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64({ sub: subject, aud: 'api://orders' })}.${randomBytes(256).toString('base64url')}`;
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    recordEverything(h.metrics);
    // Mistakes an integration could make: a token, a subject or key material where an id or a code belongs.
    h.metrics.tokenSigned({ alg: 'RS256', caller: token });
    h.metrics.tokenSigned({ alg: 'RS256', caller: `Bearer ${token}` });
    h.metrics.tokenSigned({ alg: 'RS256', caller: subject });
    h.metrics.signFailed({ alg: 'RS256', code: pem });
    h.metrics.rotationRan({ key: 'sig', trigger: 'admin', outcome: 'failed', code: subject });
    h.metrics.keyVaultCall({ operation: token, outcome: 'other', durationSeconds: 0.1 });
    const values = (await h.collect()).flatMap((metric) => (metric.dataPoints as Array<DataPoint<unknown>>).flatMap((point) => Object.values(point.attributes).map(String)));
    const snapshotValues = h.metrics.snapshot().series.flatMap((series) => Object.values(series.attributes).map(String));
    for (const value of [...values, ...snapshotValues]) {
      expect(findSecretLeaks(value)).toEqual([]);
      expect(value).not.toContain(subject);
      expect(value).not.toContain(token.split('.')[2]);
      expect(value).not.toMatch(/-----BEGIN|eyJ/);
    }
    expect(values).toContain('other'); // what the mistakes were recorded as
  });
});
