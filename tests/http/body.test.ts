import { ServiceError } from '../../src/errors';
import { parseBody, readStringField, requireJsonObject } from '../../src/http/body';

function code(run: () => unknown): string {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ServiceError) return error.code;
    throw error;
  }
  return 'none';
}

describe('request bodies', () => {
  it('parses JSON and, where the route takes it, forms', () => {
    expect(parseBody('application/json; charset=utf-8', '{"a":1}')).toEqual({ kind: 'json', value: { a: 1 } });
    expect(parseBody('Application/JSON', '{"a":1}')).toEqual({ kind: 'json', value: { a: 1 } });
    const form = parseBody('application/x-www-form-urlencoded', 'token=abc&token_type_hint=access_token', 'json-or-form');
    expect(readStringField(form, 'token', true)).toBe('abc');
    expect(parseBody('application/json', '  ')).toEqual({ kind: 'empty' });
  });

  it('refuses what it can not read with 4xx codes', () => {
    expect(code(() => parseBody('application/json', '{'))).toBe('invalid_json');
    expect(code(() => parseBody('text/xml', '<a/>'))).toBe('unsupported_media_type');
    expect(code(() => parseBody(undefined, '{"a":1}'))).toBe('unsupported_media_type');
    expect(code(() => parseBody('text/plain', '{"a":1}', 'json-or-form'))).toBe('unsupported_media_type');
    expect(code(() => parseBody('application/x-www-form-urlencoded', 'token=a'))).toBe('unsupported_media_type');
    expect(code(() => parseBody('application/vnd.evil+json', '{"a":1}'))).toBe('unsupported_media_type');
    expect(code(() => requireJsonObject({ kind: 'json', value: [1] }))).toBe('invalid_request');
    expect(code(() => requireJsonObject({ kind: 'empty' }))).toBe('invalid_request');
    expect(code(() => readStringField({ kind: 'json', value: { token: 5 } }, 'token', true))).toBe('invalid_request');
    expect(code(() => readStringField({ kind: 'json', value: {} }, 'token', true))).toBe('invalid_request');
    expect(code(() => readStringField(parseBody('application/x-www-form-urlencoded', 'token=a&token=b', 'json-or-form'), 'token', true))).toBe('invalid_request');
    expect(code(() => readStringField({ kind: 'json', value: { audience: '' } }, 'audience', false, true))).toBe('invalid_request');
    expect(readStringField({ kind: 'json', value: { hint: '' } }, 'hint', false)).toBeUndefined();
    expect(readStringField({ kind: 'json', value: {} }, 'audience', false)).toBeUndefined();
  });
});
