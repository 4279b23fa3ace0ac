import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../../src/http/openapi';
import { VERIFY_ERROR_CODES } from '../../src/jwt/verify-errors';

/**
 * The closed list of `active: false` codes is public contract (clients and the Logic App branch on
 * it): distinct codes, none that reads as an outcome of its own, and documented where clients read it.
 */
describe('VERIFY_ERROR_CODES', () => {
  it('are distinct snake_case codes, and none is "active" (the metrics label a verify outcome by code or "active")', () => {
    expect(new Set(VERIFY_ERROR_CODES).size).toBe(VERIFY_ERROR_CODES.length);
    for (const code of VERIFY_ERROR_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(VERIFY_ERROR_CODES).not.toContain('active');
  });

  it('are each documented in the README, in the order of the list', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('Verify `error` codes');
    expect(start).toBeGreaterThan(-1);
    const paragraph = readme.slice(start, readme.indexOf('\n\n', start));
    const positions = VERIFY_ERROR_CODES.map((code) => paragraph.indexOf(`\`${code}\``));
    expect(VERIFY_ERROR_CODES.filter((_code, i) => positions[i] === -1)).toEqual([]);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('are the enum of the verify answer\'s error in the OpenAPI document', () => {
    expect(JSON.stringify(openApiDocument('https://kv-jwt.example/api'))).toContain(JSON.stringify([...VERIFY_ERROR_CODES]));
  });
});
