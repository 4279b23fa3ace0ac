import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntraIssuer } from '../support/entra-issuer';
import { useProcessSettings } from '../support/process-settings';

/**
 * Handlers of functions/ in process, as tests/functions/verify.test.ts runs them: the request and
 * context objects of @azure/functions (what the worker hands a handler), the process settings the
 * app reads once, an embedded key store in a temporary folder and the jest run's Azurite.
 */
export const AUDIENCES = ['api://orders', 'api://billing'] as const;
export const ISSUER = 'https://jwt.functions.test/api';

export interface Logged {
  level: 'log' | 'error';
  text: string;
}

/** An InvocationContext whose log lines are kept in `logged`. */
export function context(functionName: string, logged: Logged[] = []): InvocationContext {
  return new InvocationContext({
    functionName,
    invocationId: `test-${functionName}`,
    logHandler: (level, ...args) => logged.push({ level: level === 'error' ? 'error' : 'log', text: args.map(String).join(' ') }),
  });
}

export function post(route: string, body: unknown, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1:7071/api/${route}`,
    headers: { host: '127.0.0.1:7071', 'content-type': 'application/json', ...headers },
    body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
  });
}

export function get(route: string, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'GET', url: `http://127.0.0.1:7071/api/${route}`, headers: { host: '127.0.0.1:7071', ...headers } });
}

/** The JSON body of an answer, whichever way the handler wrote it. */
export function answer(response: HttpResponseInit): Record<string, unknown> {
  return (response.jsonBody ?? JSON.parse(response.body as string)) as Record<string, unknown>;
}

/** `<status> <code>` of a problem answer, `<status>` of any other. */
export function outcome(response: HttpResponseInit): string {
  const status = response.status ?? 200;
  const type = (response.headers as Record<string, string> | undefined)?.['Content-Type'];
  return type === 'application/problem+json' ? `${status} ${String(answer(response).code)}` : String(status);
}

export interface LocalApp {
  dir: string;
  close(): Promise<void>;
}

/**
 * The app as a local developer runs it (AUTH_MODE=none): every call is the local developer,
 * allowed every operation. A fresh key folder and revocation table per call.
 */
export async function useLocalApp(env: Record<string, string | undefined> = {}): Promise<LocalApp> {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-handler-'));
  const restore = await useProcessSettings({
    AUTH_MODE: 'none',
    LOCAL_KEYSTORE_DIR: dir,
    KEY_VAULT_URL: undefined,
    JWT_AUDIENCES: AUDIENCES.join(','),
    JWT_ISSUER: ISSUER,
    AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING,
    REVOCATION_TABLE_NAME: `rev${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    ...env,
  });
  return {
    dir,
    close: async () => {
      await restore();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface EntraApp extends LocalApp {
  issuer: EntraIssuer;
  /** `Authorization` headers of a caller with this object id. */
  as(oid: string): Record<string, string>;
}

/** The app as in Azure (AUTH_MODE=entra) against the local Entra stand-in, with this CALLER_POLICY. */
export async function useEntraApp(policy: Record<string, unknown>, env: Record<string, string | undefined> = {}): Promise<EntraApp> {
  const issuer = await new EntraIssuer().start();
  const audience = 'api://kv-jwt-functions-test';
  const app = await useLocalApp({
    AUTH_MODE: 'entra',
    AUTH_TENANT_ID: issuer.tenantId,
    AUTH_AUDIENCE: audience,
    AUTH_AUTHORITY_HOST: issuer.baseUrl,
    AUTH_AUTHORITY_HOST_ALLOW_HTTP: 'true',
    CALLER_POLICY: JSON.stringify(policy),
    ...env,
  });
  return {
    ...app,
    issuer,
    as: (oid) => ({ authorization: `Bearer ${issuer.token({ oid, audience })}` }),
    close: async () => {
      await app.close();
      await issuer.stop();
    },
  };
}
