import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices, type Services } from '../../src/app/services';
import { audit } from '../../src/audit';
import type { Caller } from '../../src/auth/caller';
import type { Operation } from '../../src/config/caller-policy';
import { ConfigError, ServiceError, toProblem, toServiceError } from '../../src/errors';
import { parseBody, type BodyMediaTypes, type ParsedBody } from '../../src/http/body';
import { loopbackRefusal } from '../../src/http/loopback';

export interface PublicInput {
  request: HttpRequest;
  context: InvocationContext;
  services: Services;
}

export interface CallerInput extends PublicInput {
  /** The authenticated caller, already allowed the route's operation. */
  caller: Caller;
}

type HttpFunction = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

const NO_STORE = { 'Cache-Control': 'no-store' };

export function json(status: number, body: unknown, headers: Record<string, string> = NO_STORE): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Content-Type': 'application/json', ...headers } };
}

/** Like json(), for a body that is JSON text already. */
export function jsonText(status: number, text: string): HttpResponseInit {
  return { status, body: text, headers: { 'Content-Type': 'application/json', ...NO_STORE } };
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
 * bytes actually received (as UTF-8, what the body is decoded as anyway). Only the media types the
 * route takes are parsed (415 otherwise).
 */
export async function readBody(request: HttpRequest, maxBytes: number, accepted: BodyMediaTypes = 'json'): Promise<ParsedBody> {
  const tooLarge = (): ServiceError => new ServiceError('payload_too_large', `The request body may be at most ${maxBytes} bytes.`);
  if (Number(request.headers.get('content-length') ?? '0') > maxBytes) throw tooLarge();
  const received = await request.text();
  // A string has at most as many UTF-16 units as UTF-8 bytes; only a long one needs counting.
  if (received.length > maxBytes / 3 && Buffer.byteLength(received) > maxBytes) throw tooLarge();
  return parseBody(request.headers.get('content-type'), received, accepted);
}

/** AUTH_MODE=none answers the developer's own machine only (see src/http/loopback.ts). */
function guardLocalMode(services: Services, request: HttpRequest): void {
  if (services.config.authMode !== 'none') return;
  const refusal = loopbackRefusal(request.headers.get('host') ?? new URL(request.url).host, request.headers.get('origin'));
  if (refusal) throw new ServiceError('loopback_only', refusal);
}

/** A route for callers allowed `operation` (authenticated and authorized before the handler runs). */
export function httpHandler(operation: Operation, handler: (input: CallerInput) => Promise<HttpResponseInit>): HttpFunction {
  return async (request, context) => {
    let services: Services | undefined;
    try {
      services = await getServices();
      guardLocalMode(services, request);
      const caller = await authorize(services, request, context, operation);
      return await handler({ request, context, services, caller });
    } catch (error: unknown) {
      const answer = failure(context, error);
      // Sign failures are counted by code (the alerts watch the 5xx ones); a success is counted by the handler.
      if (operation === 'sign' && services) services.metrics.signFailed({ alg: services.config.alg, code: toServiceError(error).code });
      return answer;
    }
  };
}

/** A route anyone may read (JWKS, discovery, health). */
export function publicHandler(handler: (input: PublicInput) => Promise<HttpResponseInit>): HttpFunction {
  return async (request, context) => {
    try {
      const services = await getServices();
      guardLocalMode(services, request);
      return await handler({ request, context, services });
    } catch (error: unknown) {
      return failure(context, error);
    }
  };
}

async function authorize(services: Services, request: HttpRequest, context: InvocationContext, operation: Operation): Promise<Caller> {
  try {
    return await services.authenticator.authenticate({ headers: request.headers }, operation);
  } catch (error: unknown) {
    // An authentication or authorization failure, audited with the route and operation (never the token).
    const serviceError = toServiceError(error);
    audit(services.logger, { operation: 'auth', outcome: 'refused', code: serviceError.code, detail: `${context.functionName}:${operation}` });
    throw serviceError;
  }
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
