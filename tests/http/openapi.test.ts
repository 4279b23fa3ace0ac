import { openApiDocument } from '../../src/http/openapi';
import { compiledRegistrations } from '../support/registrations';

describe('OpenAPI document', () => {
  it('describes exactly the registered HTTP routes and methods', () => {
    const document = openApiDocument('https://example.test/api') as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const registered = compiledRegistrations()
      .filter((f) => f.trigger === 'http')
      .flatMap((f) => (f.methods ?? []).map((m) => `${m} /${f.route}`))
      .sort();
    expect(documented).toEqual(registered);
  });

  it('names operations after the functions', () => {
    const document = openApiDocument('https://example.test/api') as { paths: Record<string, Record<string, { operationId: string }>> };
    const ids = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId)).sort();
    expect(ids).toEqual(compiledRegistrations().filter((f) => f.trigger === 'http').map((f) => f.name).sort());
  });

  it('documents the binding fields of sign and verify, and not on revoke', () => {
    type Schema = { properties: Record<string, unknown> };
    type Body = { content: Record<string, { schema: Schema }> };
    const paths = (openApiDocument('https://example.test/api') as { paths: Record<string, { post: { requestBody: Body } }> }).paths;
    const sign = paths['/sign'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(sign.properties)).toEqual(expect.arrayContaining(['claims', 'client_certificate', 'dpop']));
    expect((sign.properties.claims as Schema).properties).toHaveProperty('cnf');
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      expect(Object.keys(paths['/verify'].post.requestBody.content[type].schema.properties)).toEqual(expect.arrayContaining(['token', 'client_certificate', 'dpop', 'htm', 'htu']));
      expect(Object.keys(paths['/revoke'].post.requestBody.content[type].schema.properties)).not.toContain('dpop');
    }
  });
});
