/**
 * A Key Vault (keys data plane, api-version 7.5+) double for tests and benchmarks: HTTPS on
 * 127.0.0.1 with a certificate from the test CA, the bearer challenge, tokens from an App Service
 * managed identity endpoint, real key material and real signatures, fault injection and counters.
 *
 * The process that talks to it must trust the test CA through NODE_EXTRA_CA_CERTS (set by
 * `npm test`, see tests/support/tls/jest-with-test-ca.js).
 */
import fs from 'node:fs';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CallCounters, FaultPlan } from './faults';
import { startIdentityEndpoint, TokenIssuer } from './identity-endpoint';
import type { IdentityEndpoint } from './identity-endpoint';
import { createVaultServer } from './vault-server';
import { VaultState } from './vault-state';
import { loadTestCaModule } from './test-ca';


export type { VaultOperation, CountedOperation } from './faults';

export interface KeyVaultDoubleOptions {
  /** Versions per page of `/keys/{name}/versions` (Key Vault: at most 25). */
  pageSize?: number;
  tenantId?: string;
}

export class KeyVaultDouble {
  readonly faults = new FaultPlan();
  readonly counters = new CallCounters();
  readonly state = new VaultState();
  readonly tokens = new TokenIssuer();
  readonly tenantId: string;
  pageSize: number;
  /** Seconds added to the vault's clock (to test nbf/exp without waiting). */
  clockOffsetSeconds = 0;
  private server?: https.Server;
  private identity?: IdentityEndpoint;
  private vaultUrlValue = '';

  constructor(options: KeyVaultDoubleOptions = {}) {
    this.pageSize = options.pageSize ?? 25;
    this.tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  }

  /** `https://127.0.0.1:<port>` — what KEY_VAULT_URL is set to. */
  get vaultUrl(): string {
    return this.vaultUrlValue;
  }

  /** IDENTITY_ENDPOINT for ManagedIdentityCredential. */
  get identityEndpoint(): string {
    if (!this.identity) throw new Error('the Key Vault double is not started');
    return this.identity.url;
  }

  /** IDENTITY_HEADER for ManagedIdentityCredential. */
  get identityHeader(): string {
    return this.tokens.identityHeader;
  }

  /** The settings a process needs to use this vault with managed identity. */
  environment(keyName: string): Record<string, string> {
    return {
      KEY_VAULT_URL: this.vaultUrl,
      JWT_KEY_NAME: keyName,
      // Each test's own encryption key too (the app's default name would be shared by every test on this vault).
      JWT_ENCRYPTION_KEY_NAME: `${keyName}-enc`,
      IDENTITY_ENDPOINT: this.identityEndpoint,
      IDENTITY_HEADER: this.identityHeader,
      KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
      // The adapters under test need no caller authentication; the app's own default is entra.
      AUTH_MODE: 'none',
    };
  }

  /** Milliseconds since the epoch as the vault sees them; tests may tie it to a ManualClock. */
  clock: () => number = () => Date.now();

  nowSeconds(): number {
    return Math.floor(this.clock() / 1000) + this.clockOffsetSeconds;
  }

  async start(): Promise<this> {
    const files = await loadTestCaModule().makeTestCa();
    this.identity = await startIdentityEndpoint(this.tokens, this.counters);
    const server = createVaultServer({
      state: this.state,
      issuer: this.tokens,
      faults: this.faults,
      counters: this.counters,
      tenantId: this.tenantId,
      pageSize: () => this.pageSize,
      nowSeconds: () => this.nowSeconds(),
      tls: { cert: fs.readFileSync(files.serverCert, 'utf8'), key: fs.readFileSync(files.serverKey, 'utf8') },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.vaultUrlValue = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.faults.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.identity?.close();
  }
}

export async function startKeyVaultDouble(options: KeyVaultDoubleOptions = {}): Promise<KeyVaultDouble> {
  return new KeyVaultDouble(options).start();
}
