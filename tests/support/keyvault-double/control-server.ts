/**
 * A small loopback control API for a Key Vault double running in its own process (benchmarks):
 * read and reset the counters, set latency and faults. Not part of the Key Vault protocol.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyVaultDouble, VaultOperation } from './index';
import { VAULT_OPERATIONS, type ServiceLimit } from './faults';

export interface FaultSettings {
  latencyMs?: number;
  outage?: boolean;
  throttle?: { times: number; operation?: VaultOperation };
  serverError?: { times: number; status?: number; operation?: VaultOperation };
  forbid?: { operation: VaultOperation; on: boolean };
  /** Key Vault's service limit (e.g. 4,000 operations per 10,000 ms); null lifts it. */
  serviceLimit?: ServiceLimit | null;
  clear?: boolean;
}

export interface CounterReport {
  counts: Record<string, number>;
  serviceMs: Record<string, number>;
  waitedMs: Record<string, number>;
  /** Each answered call's time in the vault (arrival to answer sent), oldest first. */
  callMs: Record<string, number[]>;
}

export function counterReport(vault: KeyVaultDouble): CounterReport {
  const counts = vault.counters.snapshot();
  const serviceMs = Object.fromEntries(VAULT_OPERATIONS.map((operation) => [operation, vault.counters.serviceTimeMs(operation)]));
  const waitedMs = Object.fromEntries(VAULT_OPERATIONS.map((operation) => [operation, vault.counters.waitTimeMs(operation)]));
  const callMs = Object.fromEntries(VAULT_OPERATIONS.map((operation) => [operation, vault.counters.calls(operation)]));
  return { counts, serviceMs, waitedMs, callMs };
}

function applyFaults(vault: KeyVaultDouble, settings: FaultSettings): void {
  if (settings.clear) vault.faults.clear();
  if (settings.latencyMs !== undefined) vault.faults.latencyMs = settings.latencyMs;
  if (settings.outage !== undefined) vault.faults.setOutage(settings.outage);
  if (settings.throttle) vault.faults.throttle(settings.throttle.times, settings.throttle.operation);
  if (settings.serverError) vault.faults.serverError(settings.serverError.times, settings.serverError.status, settings.serverError.operation);
  if (settings.forbid) vault.faults.forbid(settings.forbid.operation, settings.forbid.on);
  if (settings.serviceLimit !== undefined) vault.faults.setServiceLimit(settings.serviceLimit ?? undefined);
}

async function readBody(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function startControlServer(vault: KeyVaultDouble): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const route = `${request.method ?? ''} ${request.url ?? ''}`;
    readBody(request)
      .then((body) => {
        if (route === 'GET /counters') return reply(200, counterReport(vault));
        if (route === 'POST /counters/reset') {
          vault.counters.reset();
          return reply(200, {});
        }
        if (route === 'POST /faults') {
          applyFaults(vault, body as FaultSettings);
          return reply(200, {});
        }
        return reply(404, { error: 'unknown control route' });
      })
      .catch((error: unknown) => reply(400, { error: error instanceof Error ? error.message : 'bad request' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
