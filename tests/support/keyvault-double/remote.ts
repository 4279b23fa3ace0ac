/**
 * Starts the compiled Key Vault double in a child process and drives it through its control API,
 * so a benchmark's client and the double do not share one event loop.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CounterReport, FaultSettings } from './control-server';
import { DOUBLE_PROCESS_SCRIPT } from './main';

export interface RemoteAddresses {
  vaultUrl: string;
  identityEndpoint: string;
  identityHeader: string;
  controlUrl: string;
}

export class RemoteKeyVaultDouble {
  private constructor(
    private readonly child: ChildProcess,
    readonly addresses: RemoteAddresses,
  ) {}

  static async spawn(options: { pageSize?: number } = {}): Promise<RemoteKeyVaultDouble> {
    const script = DOUBLE_PROCESS_SCRIPT;
    const args = [script, '--exit-with-parent', ...(options.pageSize ? ['--page-size', String(options.pageSize)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the Key Vault double exited (${String(code)})`)));
    });
    lines.close();
    return new RemoteKeyVaultDouble(child, JSON.parse(first) as RemoteAddresses);
  }

  environment(keyName: string): Record<string, string> {
    return {
      KEY_VAULT_URL: this.addresses.vaultUrl,
      JWT_KEY_NAME: keyName,
      // Each test's own encryption key too (the app's default name would be shared by every test on this vault).
      JWT_ENCRYPTION_KEY_NAME: `${keyName}-enc`,
      IDENTITY_ENDPOINT: this.addresses.identityEndpoint,
      IDENTITY_HEADER: this.addresses.identityHeader,
      KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
    };
  }

  async counters(): Promise<CounterReport> {
    const response = await fetch(`${this.addresses.controlUrl}/counters`);
    return (await response.json()) as CounterReport;
  }

  async resetCounters(): Promise<void> {
    await fetch(`${this.addresses.controlUrl}/counters/reset`, { method: 'POST' });
  }

  async setFaults(settings: FaultSettings): Promise<void> {
    await fetch(`${this.addresses.controlUrl}/faults`, { method: 'POST', body: JSON.stringify(settings) });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }
}
