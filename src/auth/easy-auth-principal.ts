const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

/**
 * Reads the object id from App Service Authentication's `X-MS-CLIENT-PRINCIPAL` header (base64 JSON
 * `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`). Decoded by hand: `request.user` of
 * @azure/functions throws when X-MS-CLIENT-PRINCIPAL-NAME is absent (service principals).
 */
export function principalObjectId(headerValue: string, objectIdClaim = OBJECT_ID_CLAIM): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(headerValue, 'base64').toString('utf8')) as { claims?: Array<{ typ?: unknown; val?: unknown }> };
    const claim = parsed.claims?.find((c) => c.typ === objectIdClaim || c.typ === 'oid');
    return typeof claim?.val === 'string' ? claim.val.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the Easy Auth headers, when present, name `oid` (lower-case) — the caller of the already
 * validated token. They are trivially spoofed when Easy Auth is off, so they never grant anything:
 * absent they change nothing, present they may only agree.
 */
export function principalHeadersAgree(get: (name: string) => string | undefined, oid: string): boolean {
  const principalId = get('x-ms-client-principal-id');
  if (principalId !== undefined && principalId.toLowerCase() !== oid) return false;
  const principal = get('x-ms-client-principal');
  return principal === undefined || principalObjectId(principal) === oid;
}
