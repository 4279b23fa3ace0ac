import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getServices, type Services } from '../../src/app/services';
import { audit } from '../../src/audit';
import type { Caller } from '../../src/auth/caller';
import type { Operation } from '../../src/config/caller-policy';
import { ConfigError, ServiceError, toProblem, toServiceError } from '../../src/errors';
import { parseBody, type ParsedBody } from '../../src/http/body';

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

export function problem(error: ServiceError): HttpResponseInit {
  const headers: Record<string, string> = { 'Content-Type': 'application/problem+json', ...NO_STORE };
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  const challenge = error.details?.wwwAuthenticate;
  if (typeof challenge === 'string') headers['WWW-Authenticate'] = challenge;
  const { wwwAuthenticate: _omit, ...document } = toProblem(error);
  return { status: error.status, body: JSON.stringify(document), headers };
}

/** Reads the body with a size cap before anything parses it. */
export async function readBody(request: HttpRequest, maxBytes: number): Promise<ParsedBody> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new ServiceError('payload_too_large', `The request body may be at most ${maxBytes} bytes.`);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > maxBytes) throw new ServiceError('payload_too_large', `The request body may be at most ${maxBytes} bytes.`);
  return parseBody(request.headers.get('content-type'), bytes.toString('utf8'));
}

/** A route for callers allowed `operation` (authenticated and authorized before the handler runs). */
export function httpHandler(operation: Operation, handler: (input: CallerInput) => Promise<HttpResponseInit>): HttpFunction {
  return guarded(async (request, context, services) => {
    let caller: Caller;
    try {
      caller = await services.authenticator.authenticate({ headers: request.headers }, operation);
    } catch (error: unknown) {
      const refused = toServiceError(error);
      audit(services.logger, { operation: 'auth', outcome: 'refused', code: refused.code, detail: `${context.functionName}:${operation}` });
      throw refused;
    }
    return handler({ request, context, services, caller });
  });
}

/** A route anyone may read (JWKS, discovery, health). */
export function publicHandler(handler: (input: PublicInput) => Promise<HttpResponseInit>): HttpFunction {
  return guarded((request, context, services) => handler({ request, context, services }));
}

/**
 * Builds the services and maps every failure to problem+json. Unexpected errors are logged by
 * class name only (their messages can quote input).
 */
function guarded(run: (request: HttpRequest, context: InvocationContext, services: Services) => Promise<HttpResponseInit>): HttpFunction {
  return async (request, context) => {
    try {
      return await run(request, context, await getServices());
    } catch (error: unknown) {
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
  };
}
