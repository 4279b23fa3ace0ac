/**
 * The vault's HTTPS front: routing, the bearer challenge, fault injection and counters around the
 * key operations.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CallCounters, FaultPlan } from './faults';
import type { VaultOperation } from './faults';
import { createKey, getKey, listVersions, rotateKey, signDigest, updateKey, verifyDigest } from './key-operations';
import { unwrapKey, wrapKey } from './key-wrapping';
import type { OperationContext } from './key-operations';
import { VAULT_RESOURCE } from './identity-endpoint';
import type { TokenIssuer } from './identity-endpoint';
import { badParameter, forbiddenByRbac, serverError, throttled, vaultError } from './vault-errors';
import type { VaultAnswer } from './vault-errors';
import type { VaultState } from './vault-state';
import { secretRoute, SecretState } from './secret-operations';

export interface VaultServerOptions {
  state: VaultState;
  issuer: TokenIssuer;
  faults: FaultPlan;
  counters: CallCounters;
  tenantId: string;
  pageSize: () => number;
  /** Unix seconds as the vault sees them (tests may shift the vault's clock). */
  nowSeconds: () => number;
  tls: { cert: string; key: string };
  /** The secrets data plane's state (HS* mode). */
  secrets?: SecretState;
}

interface Route {
  operation: VaultOperation;
  run: (ctx: OperationContext, body: Record<string, unknown>, query: URLSearchParams) => VaultAnswer | Promise<VaultAnswer>;
}

const RBAC_ACTIONS: Record<VaultOperation, string> = {
  get: 'read', list: 'read', create: 'create', update: 'update', rotate: 'rotate', sign: 'sign', verify: 'verify', wrapKey: 'wrap', unwrapKey: 'unwrap',
};

function route(method: string, segments: string[]): Route | undefined {
  if (segments[0] !== 'keys' || segments.length < 2 || segments.length > 4) return undefined;
  const name = segments[1];
  const third = segments[2] ?? '';
  if (segments.length === 4) {
    const action = segments[3];
    if (method === 'POST' && action === 'sign') return { operation: 'sign', run: (ctx, body) => signDigest(ctx, name, third, body) };
    if (method === 'POST' && action === 'verify') return { operation: 'verify', run: (ctx, body) => verifyDigest(ctx, name, third, body) };
    // Key Vault's paths are /wrapkey and /unwrapkey; it matches them without regard to case.
    if (method === 'POST' && action.toLowerCase() === 'wrapkey') return { operation: 'wrapKey', run: (ctx, body) => wrapKey(ctx, name, third, body) };
    if (method === 'POST' && action.toLowerCase() === 'unwrapkey') return { operation: 'unwrapKey', run: (ctx, body) => unwrapKey(ctx, name, third, body) };
    return undefined;
  }
  if (method === 'POST' && third === 'create') return { operation: 'create', run: (ctx, body) => createKey(ctx, name, body) };
  if (method === 'POST' && third === 'rotate') return { operation: 'rotate', run: (ctx) => rotateKey(ctx, name) };
  if (method === 'GET' && third === 'versions') return { operation: 'list', run: (ctx, _body, query) => listVersions(ctx, name, query) };
  if (method === 'GET') return { operation: 'get', run: (ctx) => getKey(ctx, name, third) };
  if (method === 'PATCH' && third !== '') return { operation: 'update', run: (ctx, body) => updateKey(ctx, name, third, body) };
  return undefined;
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, answer: VaultAnswer): void {
  const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-ms-keyvault-service-version': '1.9.0.0',
    'x-ms-request-id': randomUUID(),
    ...(answer.headers ?? {}),
  });
  response.end(text);
}


export function createVaultServer(options: VaultServerOptions): https.Server {
  const { faults, counters, issuer } = options;
  const sockets = new Set<Socket>();
  const secrets = options.secrets ?? new SecretState();
  // Injected latency must not outlive the server (a 60 s spike would keep the test process alive).
  const closing = new AbortController();
  setMaxListeners(0, closing.signal); // one listener per delayed request, however many
  let vaultUrl = '';

  const challenge = (): VaultAnswer => ({
    ...vaultError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'),
    headers: { 'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${options.tenantId}", resource="${VAULT_RESOURCE}"` },
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const arrived = performance.now();
    const url = new URL(request.url ?? '/', vaultUrl);
    const body = await readJson(request);
    const apiVersion = url.searchParams.get('api-version');
    const authorization = request.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(authorization)?.[1];
    if (!token || !issuer.isValid(token, options.nowSeconds())) {
      counters.increment('challenge');
      send(response, challenge());
      return;
    }
    if (!apiVersion || !/^(7\.\d+|20\d\d-\d\d-\d\d)(-preview)?$/.test(apiVersion)) {
      send(response, badParameter('The api-version query parameter is missing or not supported.'));
      return;
    }
    const segments = url.pathname.split('/').filter((segment, index, all) => segment !== '' || (index === 3 && all.length === 4));
    const decoded = segments.map(decodeURIComponent);
    const matched = route(request.method ?? 'GET', decoded) ?? secretRoute(secrets, request.method ?? 'GET', decoded);
    if (!matched) {
      send(response, vaultError(404, 'NotFound', 'The requested resource does not exist.'));
      return;
    }
    counters.increment(matched.operation);
    const operation = matched.operation;
    // 'prefinish': emitted within end(), so the figure is in before the client can ask for it.
    response.once('prefinish', () => counters.recordCall(operation, performance.now() - arrived));
    const wait = faults.takeDelay(matched.operation);
    if (wait > 0) {
      const sleepStarted = performance.now();
      await sleep(wait, undefined, { signal: closing.signal });
      counters.addWaitTime(matched.operation, performance.now() - sleepStarted);
    }
    if (faults.outage) {
      request.socket.destroy();
      return;
    }
    if (faults.isForbidden(matched.operation)) {
      send(response, forbiddenByRbac(RBAC_ACTIONS[matched.operation]));
      return;
    }
    const fault = faults.takeFault(matched.operation);
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'throttle' || !faults.withinServiceLimit()) {
      send(response, throttled());
      return;
    }
    if (fault?.kind === 'server_error') {
      send(response, serverError(fault.status));
      return;
    }
    if (body === undefined) {
      send(response, badParameter('The request body is not valid JSON.'));
      return;
    }
    const ctx: OperationContext = { state: options.state, vaultUrl, apiVersion, pageSize: options.pageSize(), nowSeconds: options.nowSeconds() };
    const started = performance.now();
    send(response, await matched.run(ctx, body, url.searchParams));
    counters.addServiceTime(matched.operation, performance.now() - started);
  }

  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (closing.signal.aborted) {
        request.socket.destroy();
        return;
      }
      if (!response.headersSent) send(response, vaultError(500, 'InternalServerError', error instanceof Error ? error.message : 'error'));
    });
  });
  server.on('connection', (socket: Socket) => {
    if (faults.outage) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  faults.onOutage(() => sockets.forEach((socket) => socket.destroy()));
  server.on('close', () => closing.abort());
  server.on('listening', () => {
    const address = server.address();
    if (address && typeof address === 'object') vaultUrl = `https://127.0.0.1:${address.port}`;
  });
  return server;
}
