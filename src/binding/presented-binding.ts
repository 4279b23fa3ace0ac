import { ServiceError } from '../errors';
import { readStringField, type ParsedBody } from '../http/body';
import type { PresentedBinding } from './check-binding';
import { normalizeHttpUri } from './http-uri';

/** An HTTP method is a token (RFC 9110 §9.1, §5.6.2). */
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/;

/**
 * The binding fields of a verify request (JSON or form): `client_certificate`, `dpop`, and with a
 * proof the `htm` and `htu` of the client's request. Only their form is checked here (a 400 names
 * the field); what they prove is checked against the token by checkBinding, and only when the
 * token is bound.
 */
export function readPresentedBinding(body: ParsedBody): Omit<PresentedBinding, 'token'> {
  const clientCertificate = readStringField(body, 'client_certificate', false);
  const dpop = readStringField(body, 'dpop', false);
  const htm = readStringField(body, 'htm', false);
  const htu = readStringField(body, 'htu', false);
  if (dpop !== undefined) {
    if (htm === undefined || htu === undefined) {
      throw new ServiceError('invalid_request', '"htm" and "htu" are required with "dpop": the method and the URL of the request the client made.');
    }
    if (!METHOD.test(htm)) throw new ServiceError('invalid_request', '"htm" must be an HTTP method, such as GET.');
    if (normalizeHttpUri(htu) === undefined) throw new ServiceError('invalid_request', '"htu" must be the absolute http(s) URL the client called.');
  }
  return { clientCertificate, dpop, htm, htu };
}
