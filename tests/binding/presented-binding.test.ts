import { readPresentedBinding } from '../../src/binding/presented-binding';
import { parseBody } from '../../src/http/body';

/** The binding fields of a verify request: only their form is checked here, a 400 naming the field. */
const json = (value: Record<string, unknown>) => parseBody('application/json', JSON.stringify(value), 'json-or-form');
const form = (value: string) => parseBody('application/x-www-form-urlencoded', value, 'json-or-form');

function refusal(read: () => unknown): { code?: string; status?: number; message: string } {
  try {
    read();
  } catch (error: unknown) {
    const { code, status, message } = error as { code?: string; status?: number; message: string };
    return { code, status, message };
  }
  throw new Error('expected a refusal');
}

describe('readPresentedBinding', () => {
  it('reads nothing from a bearer request', () => {
    expect(readPresentedBinding(json({ token: 't' }))).toEqual({ clientCertificate: undefined, dpop: undefined, htm: undefined, htu: undefined });
    expect(readPresentedBinding(form('token=t'))).toEqual({ clientCertificate: undefined, dpop: undefined, htm: undefined, htu: undefined });
  });

  it('reads a client certificate and a DPoP proof with its method and URL, from JSON or a form', () => {
    const fields = { client_certificate: 'MIIB', dpop: 'eyJ.proof.sig', htm: 'GET', htu: 'https://api.example/orders?x=1' };
    const expected = { clientCertificate: 'MIIB', dpop: 'eyJ.proof.sig', htm: 'GET', htu: 'https://api.example/orders?x=1' };
    expect(readPresentedBinding(json({ token: 't', ...fields }))).toEqual(expected);
    expect(readPresentedBinding(form(new URLSearchParams({ token: 't', ...fields }).toString()))).toEqual(expected);
  });

  it('requires htm and htu with a proof: the request the client made', () => {
    for (const body of [{ dpop: 'p' }, { dpop: 'p', htm: 'GET' }, { dpop: 'p', htu: 'https://api.example/' }, { dpop: 'p', htm: '', htu: 'https://api.example/' }]) {
      expect(refusal(() => readPresentedBinding(json(body)))).toMatchObject({ code: 'invalid_request', status: 400, message: expect.stringMatching(/^"htm" and "htu" are required with "dpop"/) });
    }
  });

  it.each(['GET /x', 'G\u00c9T', 'POST\n', 'x'.repeat(33)])('refuses htm %p: not an HTTP method token', (htm) => {
    expect(refusal(() => readPresentedBinding(json({ dpop: 'p', htm, htu: 'https://api.example/' })))).toMatchObject({ code: 'invalid_request', message: '"htm" must be an HTTP method, such as GET.' });
  });

  it('takes any method token, not only the common ones', () => {
    for (const htm of ['GET', 'patch', 'M-SEARCH', 'x'.repeat(32)]) expect(readPresentedBinding(json({ dpop: 'p', htm, htu: 'https://api.example/' })).htm).toBe(htm);
  });

  it.each(['/orders', 'ftp://api.example/', 'https://user:pw@api.example/', 'not a url', `https://api.example/${'a'.repeat(4100)}`])('refuses htu %p: not the absolute http(s) URL the client called', (htu) => {
    expect(refusal(() => readPresentedBinding(json({ dpop: 'p', htm: 'GET', htu })))).toMatchObject({ code: 'invalid_request', message: '"htu" must be the absolute http(s) URL the client called.' });
  });

  it('checks htm and htu only with a proof (without one they prove nothing and are passed on as given)', () => {
    expect(readPresentedBinding(json({ htm: 'not a method', htu: 'not a url' }))).toMatchObject({ dpop: undefined, htm: 'not a method', htu: 'not a url' });
  });

  it('refuses a field that is not a string, or given twice in a form, naming it', () => {
    expect(refusal(() => readPresentedBinding(json({ dpop: 42 })))).toMatchObject({ code: 'invalid_request', message: '"dpop" must be a string.' });
    expect(refusal(() => readPresentedBinding(json({ client_certificate: ['a'] })))).toMatchObject({ code: 'invalid_request', message: '"client_certificate" must be a string.' });
    expect(refusal(() => readPresentedBinding(form('dpop=a&dpop=b')))).toMatchObject({ code: 'invalid_request', message: '"dpop" must be given once.' });
  });
});
