import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { findSecretLeaks } from '../support/secret-scan';
import { replay } from '../logicapp/replay';
import { startDeployedSystem, type DeployedSystem } from '../logicapp/deployed-system';
import { loadWorkflow } from '../logicapp/workflow-model';
import { main } from './deployment-model';

/**
 * The azd postdeploy smoke test (scripts/postdeploy.sh), run for real: against the embedded host configured as
 * Bicep configures the app (AUTH_MODE=entra, the Bicep CALLER_POLICY), with stand-ins for az and azd on PATH
 * (tests/fixtures/fake-cli) and, behind the callback URL `az rest ... listCallbackUrl` returns, the verify-inbound
 * workflow itself, replayed against the same host with its own managed identity. Only Azure stays out: the
 * tokens come from a local Entra stand-in and the Logic App runtime is the replay.
 * scripts/postdeploy.ps1 (no PowerShell here) is checked for the same steps, endpoints and failure handling.
 */
const ROOT = resolve(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'postdeploy.sh');
const FAKE_CLI = join(ROOT, 'tests', 'fixtures', 'fake-cli');
const SIG = 'sIgNaTuRe-of-the-callback-url-0123456789';
const WORKFLOW_ID = '/subscriptions/0000/resourceGroups/rg-rehearsal/providers/Microsoft.Logic/workflows/logic-verify-inbound-rehearsal';

let system: DeployedSystem;
let callback: Server;
let callbackUrl: string;
let acceptEverything = false;
const callbackAnswers: number[] = [];
let dir: string;

beforeAll(async () => {
  system = await startDeployedSystem();
  callback = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      void (async () => {
        // The SAS signature is the trigger's only credential, as in Azure.
        if (new URL(request.url ?? '/', 'http://x').searchParams.get('sig') !== SIG) {
          response.writeHead(401).end();
          return;
        }
        const run = await replay({ definition: loadWorkflow('verify-inbound'), parameters: system.workflowParameters('verifyInbound'), trigger: { body: body ? (JSON.parse(body) as unknown) : undefined }, managedIdentityToken: system.managedIdentity(system.oids.verifyInbound) });
        const answer = acceptEverything ? { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: { status: 'accepted', sub: 'azd-smoke-test' } } : run.response;
        callbackAnswers.push(answer?.statusCode ?? 0);
        response.writeHead(answer?.statusCode ?? 502, answer?.headers).end(JSON.stringify(answer?.body));
      })();
    });
  });
  await new Promise<void>((done) => callback.listen(0, '127.0.0.1', () => done()));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`;
}, 60_000);

afterAll(async () => {
  await system?.stop();
  await new Promise<void>((done) => callback?.close(() => done()));
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-postdeploy-'));
  acceptEverything = false;
  callbackAnswers.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The azd environment values the hook reads, as `azd provision` would have stored them. */
function azdValues(): Record<string, string> {
  const port = new URL(system.host.baseUrl).port;
  return {
    FUNCTION_BASE_URL: system.host.baseUrl,
    JWT_ISSUER: system.issuer,
    JWKS_URI: `http://localhost:${port}/api/.well-known/jwks.json`,
    ENTRA_APP_ID_URI: system.identifierUri,
    INBOUND_AUDIENCE: system.audiences.inbound,
    VERIFY_INBOUND_WORKFLOW_ID: WORKFLOW_ID,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  cli: string;
}

async function runHook(options: { values?: Record<string, string>; env?: Record<string, string>; viaAzd?: boolean } = {}): Promise<Run> {
  const log = join(dir, 'cli.log');
  writeFileSync(log, '');
  const values = options.values ?? azdValues();
  const azdEnvFile = join(dir, 'azd.env');
  writeFileSync(azdEnvFile, Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n'));
  const env: NodeJS.ProcessEnv = {
    PATH: [FAKE_CLI, ...String(process.env.PATH).split(delimiter)].join(delimiter),
    HOME: dir,
    FAKE_CLI_LOG: log,
    FAKE_AZD_ENV_FILE: azdEnvFile,
    FAKE_AZ_ACCESS_TOKEN: system.accessToken(system.oids.deployer),
    FAKE_AZ_CALLBACK_URL: callbackUrl,
    SMOKE_TEST_RETRY_SECONDS: '0',
    SMOKE_TEST_TIMEOUT_SECONDS: '3',
    ...(options.viaAzd ? {} : values),
    ...options.env,
  };
  const child = spawn('sh', [SCRIPT], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, stderr, cli: readFileSync(log, 'utf8') };
}

function expectNoSecrets(run: Run): void {
  const all = run.stdout + run.stderr;
  expect(findSecretLeaks(all)).toEqual([]);
  expect(all).not.toContain(SIG);
  expect(all).not.toContain(system.accessToken(system.oids.deployer).split('.')[2]);
}

describe('postdeploy smoke test (sh)', () => {
  it('checks health, discovery, JWKS, sign, verify and verify-inbound with a valid and a tampered token', async () => {
    const run = await runHook();
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout.split('\n').filter((l) => /^\[\d\/7\]/.test(l)).map((l) => l.slice(0, 5))).toEqual(['[1/7]', '[2/7]', '[3/7]', '[4/7]', '[5/7]', '[6/7]', '[7/7]']);
    expect(run.stdout).toContain('200, status healthy');
    expect(run.stdout).toContain('200 accepted, sub azd-smoke-test');
    expect(run.stdout).toContain('401, reason bad_signature');
    expect(run.stdout).toMatch(/postdeploy smoke test passed/);
    expect(callbackAnswers).toEqual([200, 401]);
    expect(run.cli.split('\n').filter(Boolean)).toEqual([
      `az account get-access-token --resource ${system.identifierUri} --query accessToken --output tsv`,
      `az rest --method post --uri ${WORKFLOW_ID}/triggers/manual/listCallbackUrl?api-version=2019-05-01 --query value --output tsv`,
    ]);
    expectNoSecrets(run);
  });

  it('reads the azd environment through azd when run by hand', async () => {
    const run = await runHook({ viaAzd: true });
    expect(run.code).toBe(0);
    expect(run.cli).toContain('azd env get-value FUNCTION_BASE_URL');
    expect(run.cli).toContain('azd env get-value VERIFY_INBOUND_WORKFLOW_ID');
  });

  it('waits for role assignments to reach Entra: retries the token until it comes', async () => {
    const run = await runHook({ env: { FAKE_AZ_TOKEN_FAILURES: '2' } });
    expect(run.code).toBe(0);
    expect(run.stderr.match(/no token for .* yet/g)).toHaveLength(2);
  });

  it('fails loudly when verify-inbound accepts a tampered token', async () => {
    acceptEverything = true;
    const run = await runHook();
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('postdeploy smoke test FAILED: verify-inbound answered 200 to a tampered token (not 401)\n');
    expectNoSecrets(run);
  });

  it('fails loudly when discovery names another issuer', async () => {
    const run = await runHook({ values: { ...azdValues(), JWT_ISSUER: 'https://elsewhere.example/api' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('discovery issuer is not JWT_ISSUER');
  });

  it('fails loudly, after retrying, when the app does not answer', async () => {
    const run = await runHook({ values: { ...azdValues(), FUNCTION_BASE_URL: 'http://127.0.0.1:9' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/health answered 000, retrying/);
    expect(run.stderr).toMatch(/FAILED: \/api\/health answered 000/);
  });

  it('fails loudly when no token can be had, or a value is missing', async () => {
    const noToken = await runHook({ env: { FAKE_AZ_ACCESS_TOKEN: '' } });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('FAILED: az account get-access-token --resource');
    const { INBOUND_AUDIENCE: _dropped, ...partial } = azdValues();
    const missing = await runHook({ values: partial });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('FAILED: INBOUND_AUDIENCE is not set in the azd environment');
  });

  it('says so when it is skipped', async () => {
    const run = await runHook({ env: { SMOKE_TEST_SKIP: 'true' } });
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('SKIPPED') });
    expect(run.cli).toBe('');
  });
});

describe('postdeploy smoke test scripts', () => {
  const sh = readFileSync(SCRIPT, 'utf8');
  const ps1 = readFileSync(join(ROOT, 'scripts', 'postdeploy.ps1'), 'utf8');

  it('read only values the deployment writes into the azd environment', () => {
    const shNames = [...sh.matchAll(/\$\(setting (\w+)\)/g)].map((m) => m[1]);
    const psNames = [...ps1.matchAll(/Setting '(\w+)'/g)].map((m) => m[1]);
    expect(psNames).toEqual(shNames);
    for (const name of shNames) expect({ name, output: main.outputs.has(name) }).toEqual({ name, output: true });
  });

  it('take the same seven steps in PowerShell, against the same endpoints and commands', () => {
    const shSteps = [...sh.matchAll(/^step (\d) "([^"]*)"/gm)].map((m) => m[1]);
    const psSteps = [...ps1.matchAll(/^Step (\d) ['"]/gm)].map((m) => m[1]);
    expect(psSteps).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(shSteps).toEqual(psSteps);
    for (const fragment of ['/api/health', '/api/.well-known/openid-configuration', '/api/sign', '/api/verify', 'account get-access-token --resource', 'rest --method post --uri', '/triggers/manual/listCallbackUrl?api-version=2019-05-01', 'ttlSeconds', 'azd-smoke-test', 'SMOKE_TEST_SKIP', 'SMOKE_TEST_RETRY_SECONDS', 'SMOKE_TEST_TIMEOUT_SECONDS', "'accepted'", 'not 401']) {
      expect({ fragment, sh: sh.includes(fragment.replace(/'/g, '')), ps1: ps1.includes(fragment) }).toEqual({ fragment, sh: true, ps1: true });
    }
  });

  it('stop PowerShell at the first error and check every az and azd call', () => {
    expect(ps1).toMatch(/^Set-StrictMode -Version Latest$/m);
    expect(ps1).toMatch(/^\$ErrorActionPreference = 'Stop'$/m);
    expect(ps1).toMatch(/function Fail\([^)]*\) \{\s+\[Console\]::Error\.WriteLine\([^)]*\)\s+exit 1\s+\}/);
    const calls = ps1.split('\n').filter((line) => /& az(d)? /.test(line));
    expect(calls.length).toBe(3);
    for (const [i, line] of ps1.split('\n').entries()) {
      if (!/& az(d)? /.test(line)) continue;
      expect({ line, checked: /\$LASTEXITCODE/.test(ps1.split('\n').slice(i, i + 3).join('\n')) }).toEqual({ line, checked: true });
    }
    expect(ps1).toContain('if ($refused.Status -ne 401)');
    expect(ps1).toContain("if ((Field $accepted.Json 'status') -ne 'accepted')");
    expect(ps1).toContain('SkipHttpErrorCheck = $true');
  });

  it('stop sh at the first error', () => {
    expect(sh).toMatch(/^set -eu$/m);
    expect(sh.startsWith('#!/bin/sh\n')).toBe(true);
  });
});
