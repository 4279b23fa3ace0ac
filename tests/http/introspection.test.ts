import { activeIntrospectionJson } from '../../src/http/introspection';

/** The introspection answer must mean exactly `{ ...claims, active: true }`, whichever way it is built. */
function answer(payloadJson: string): unknown {
  return JSON.parse(activeIntrospectionJson(JSON.parse(payloadJson) as Record<string, unknown>, payloadJson));
}

describe('active introspection answers', () => {
  it.each([
    '{"iss":"https://jwt.example/api","sub":"s","aud":["a","b"],"iat":1,"exp":2,"jti":"j","nested":{"x":[1,{"y":null}]}}',
    '{"exp":2}',
    '{"active":false,"exp":2}',
    '{"active":"yes","exp":2}',
    '{}',
    ' {"exp":2} ',
    '{"exp":2,"text":"quote \\" brace } and ✓"}',
  ])('%s means the claims plus active: true', (payloadJson) => {
    const claims = JSON.parse(payloadJson) as Record<string, unknown>;
    expect(answer(payloadJson)).toEqual({ ...claims, active: true });
  });

  it('reuses the signer’s own JSON text rather than serialising the claims again', () => {
    expect(activeIntrospectionJson({ exp: 2, sub: 's' }, '{"exp":2,"sub":"s"}')).toBe('{"active":true,"exp":2,"sub":"s"}');
  });

  it('lets the service’s active win over an active claim of the token’s own', () => {
    expect(activeIntrospectionJson({ active: false, exp: 2 }, '{"active":false,"exp":2}')).toBe('{"active":true,"exp":2}');
  });
});
