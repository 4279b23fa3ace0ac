import { principalHeadersAgree, principalObjectId } from '../../src/auth/easy-auth-principal';

const OID = '0b9d6c1e-2f4a-4e8b-9c3d-5a7f1e2d4c6b';
const OTHER = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const principal = (claims: Array<{ typ: string; val: string }>): string => Buffer.from(JSON.stringify({ auth_typ: 'aad', claims })).toString('base64');
const objectId = (val: string): string => principal([{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val }]);
const reader = (values: Record<string, string>) => (name: string) => values[name];

describe('Easy Auth principal headers', () => {
  it('reads the object id claim (long or short name), in lower case', () => {
    expect(principalObjectId(objectId(OID.toUpperCase()))).toBe(OID);
    expect(principalObjectId(principal([{ typ: 'oid', val: OID }]))).toBe(OID);
    expect(principalObjectId(principal([{ typ: 'name', val: OID }]))).toBeUndefined();
    expect(principalObjectId('not base64 json')).toBeUndefined();
  });

  it('agree when absent or naming the caller; disagree when naming anyone else or unreadable', () => {
    expect(principalHeadersAgree(reader({}), OID)).toBe(true);
    expect(principalHeadersAgree(reader({ 'x-ms-client-principal-id': OID.toUpperCase(), 'x-ms-client-principal': objectId(OID) }), OID)).toBe(true);
    expect(principalHeadersAgree(reader({ 'x-ms-client-principal-id': OTHER }), OID)).toBe(false);
    expect(principalHeadersAgree(reader({ 'x-ms-client-principal': objectId(OTHER) }), OID)).toBe(false);
    expect(principalHeadersAgree(reader({ 'x-ms-client-principal-id': OID, 'x-ms-client-principal': objectId(OTHER) }), OID)).toBe(false);
    expect(principalHeadersAgree(reader({ 'x-ms-client-principal': 'garbage' }), OID)).toBe(false);
  });
});
