import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices, readyServices, type Services } from '../../src/app/services';
import { audit } from '../../src/audit';
import type { Caller } from '../../src/auth/caller';
import type { Operation } from '../../src/config/caller-policy';
import { ConfigError, ServiceError, toProblem, toServiceError } from '../../src/errors';
import { andThen, recover, type NowOrLater } from '../../src/async/now-or-later';
import { isBufferedBody, parseBody, type ParsedBody } from '../../src/http/body';

export interface PublicInput {
  request: HttpRequest;
  context: InvocationContext;
  services: Services;
}

export interface CallerInput extends PublicInput {
  /** The authenticated caller, already allowed the route's operation. */
  caller: Caller;
}

/** What a route answers: at once when nothing needed waiting for, as a promise otherwise (the worker awaits either). */
type Answer = NowOrLater<HttpResponseInit>;
type HttpFunction = (request: HttpRequest, context: InvocationContext) => Answer;

const NO_STORE = { 'Cache-Control': 'no-store' };
/** The headers of most answers, shared (HttpResponse copies what it is given). */
const JSON_NO_STORE: Readonly<Record<string, string>> = Object.freeze({ 'Content-Type': 'application/json', ...NO_STORE });

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit {
  return { status, jsonBody: body, headers: headers === undefined ? JSON_NO_STORE : { 'Content-Type': 'application/json', ...headers } };
}

/** Like json(), for a body that is JSON text already. */
export function jsonText(status: number, text: string): HttpResponseInit {
  return { status, body: text, headers: JSON_NO_STORE };
}

export function problem(error: ServiceError): HttpResponseInit {
  const headers: Record<string, string> = { 'Content-Type': 'application/problem+json', ...NO_STORE };
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  const challenge = error.details?.wwwAuthenticate;
  if (typeof challenge === 'string') headers['WWW-Authenticate'] = challenge;
  const { wwwAuthenticate: _omit, ...document } = toProblem(error);
  return { status: error.status, body: JSON.stringify(document), headers };
}

/**
 * Reads the body with a size cap before anything parses it: the declared length first, then the
 * bytes actually received (as UTF-8, what the body is decoded as anyway). A body the host has in
 * memory is read in this turn.
 */
export function readBody(request: HttpRequest, maxBytes: number): NowOrLater<ParsedBody> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new ServiceError('payload_too_large', `The request body may be at most ${maxBytes} bytes.`);
  const text = (isBufferedBody(request) ? request.textNow() : undefined) ?? request.text();
  return andThen(text, (received) => {
    // A string has at most as many UTF-16 units as UTF-8 bytes; only a long one needs counting.
    if (received.length > maxBytes / 3 && Buffer.byteLength(received) > maxBytes) throw new ServiceError('payload_too_large', `The request body may be at most ${maxBytes} bytes.`);
    return parseBody(request.headers.get('content-type'), received);
  });
}

/**
 * A route for callers allowed `operation` (authenticated and authorized before the handler runs).
 * Services, caller and handler are chained without an await of their own: when each answers at
 * once (services loaded, AUTH_MODE=none or a cached key, a cached verify) so does the route.
 */
export function httpHandler(operation: Operation, handler: (input: CallerInput) => Answer): HttpFunction {
  return (request, context) =>
    recover(
      () =>
        andThen(readyServices() ?? getServices(), (services) =>
          andThen(authorize(services, request, context, operation), (caller) => handler({ request, context, services, caller })),
        ),
      (error) => failure(context, error),
    );
}

/** A route anyone may read (JWKS, discovery, health). */
export function publicHandler(handler: (input: PublicInput) => Answer): HttpFunction {
  return (request, context) =>
    recover(
      () => andThen(readyServices() ?? getServices(), (services) => handler({ request, context, services })),
      (error) => failure(context, error),
    );
}

function authorize(services: Services, request: HttpRequest, context: InvocationContext, operation: Operation): NowOrLater<Caller> {
  return recover(
    () => services.authenticator.authenticate({ headers: request.headers }, operation),
    (error) => {
      throw refused(services, context, operation, error);
    },
  );
}

/** An authentication or authorization failure, audited with the route and operation (never the token). */
function refused(services: Services, context: InvocationContext, operation: Operation, error: unknown): ServiceError {
  const serviceError = toServiceError(error);
  audit(services.logger, { operation: 'auth', outcome: 'refused', code: serviceError.code, detail: `${context.functionName}:${operation}` });
  return serviceError;
}

/**
 * Maps every failure to problem+json. Unexpected errors are logged by class name only (their
 * messages can quote input).
 */
function failure(context: InvocationContext, error: unknown): HttpResponseInit {
  const serviceError = toServiceError(error);
  if (serviceError.status >= 500) {
    const cause = serviceError.cause;
    context.error(
      JSON.stringify({
        message: 'request.failed',
        function: context.functionName,
        code: serviceError.code,
        cause: cause instanceof Error ? cause.name : typeof cause,
        // Configuration errors quote setting names only and say what to do (e.g. a missing Key Vault key).
        ...(cause instanceof ConfigError ? { detail: cause.message } : {}),
      }),
    );
  }
  return problem(serviceError);
}
