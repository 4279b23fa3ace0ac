/**
 * Reads the object id from App Service Authentication's `X-MS-CLIENT-PRINCIPAL` header (base64 JSON
 * `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`). Decoded by hand: `request.user` of
 * @azure/functions throws when X-MS-CLIENT-PRINCIPAL-NAME is absent (service principals).
 */
export function principalObjectId(headerValue: string, objectIdClaim: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(headerValue, 'base64').toString('utf8')) as { claims?: Array<{ typ?: unknown; val?: unknown }> };
    const claim = parsed.claims?.find((c) => c.typ === objectIdClaim || c.typ === 'oid');
    return typeof claim?.val === 'string' ? claim.val.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
