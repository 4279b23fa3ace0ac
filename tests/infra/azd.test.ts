import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { at } from './bicep-reader';
import { DEFAULTS as defaults, deployment, INFRA, main, MODULE_FILES, moduleFile, read, resourceNamed, ROOT, text } from './deployment-model';
import { parseYamlMap } from './yaml-lite';

/** What azd reads: azure.yaml, main.parameters.json, the outputs it stores, and what it expects of a Flex app. */
describe('azd', () => {
  it('runs on Flex Consumption with Node 22 and a system-assigned identity, as azd expects', () => {
    const site = resourceNamed('modules/function-app.bicep', 'site');
    const plan = resourceNamed('modules/function-app.bicep', 'plan');
    expect(text(at(plan.body, 'sku'))).toBe("{ tier: 'FlexConsumption', name: 'FC1' }");
    expect(text(at(site.body, 'properties', 'functionAppConfig', 'runtime'))).toBe("{ name: 'node', version: '22' }");
    expect([text(at(site.body, 'kind')), text(at(site.body, 'identity')), text(at(site.body, 'tags'))]).toEqual(["'functionapp,linux'", "{ type: 'SystemAssigned' }", "union(tags, { 'azd-service-name': 'api' })"]);
    expect(site.body.text).not.toMatch(/FUNCTIONS_WORKER_RUNTIME|linuxFxVersion|FUNCTIONS_EXTENSION_VERSION/);
  });

  it('uses no registry module (only the Graph extension, restored by azd from its alias)', () => {
    for (const file of [main, ...MODULE_FILES.map(moduleFile)]) for (const module of file.modules) expect(module.path).toMatch(/^modules\/[\w-]+\.bicep$/);
    for (const path of ['main.bicep', ...MODULE_FILES]) expect(readFileSync(join(INFRA, path), 'utf8')).not.toMatch(/'br[:/]/);
    for (const module of main.modules) expect(existsSync(join(INFRA, module.path))).toBe(true);
  });

  it('passes every entry of main.parameters.json to a declared parameter', () => {
    const parameters = (JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;
    for (const name of Object.keys(parameters)) expect({ name, declared: main.params.has(name) }).toEqual({ name, declared: true });
    for (const variable of ['${AZURE_ENV_NAME}', '${AZURE_LOCATION}', '${AZURE_PRINCIPAL_ID}', '${FUNCTION_APP_CLIENT_ID=}', '${JWT_KEY_SIZE=2048}']) expect(Object.values(parameters).map((p) => p.value)).toContain(variable);
  });

  it('never writes an output into an azd variable that feeds a parameter with another value on the next azd up', () => {
    const feeds = new Map<string, string>();
    const parameters = (JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;
    for (const [param, { value }] of Object.entries(parameters)) for (const m of value.matchAll(/\$\{(\w+)/g)) feeds.set(m[1], param);
    const deployed = deployment({ ...defaults, inboundAudience: 'api://in', downstreamAudience: 'api://down' });
    for (const output of main.outputs.keys()) {
      const param = feeds.get(output);
      if (param) expect({ output, value: deployed.output(output) }).toEqual({ output, value: deployed.value(param) });
    }
    expect(main.outputs.has('FUNCTION_APP_CLIENT_ID')).toBe(false);
  });
});


describe('azure.yaml', () => {
  const azure = parseYamlMap(read('azure.yaml'));

  it('deploys the project as a TypeScript function app without a build on the server', () => {
    expect(azure.services).toEqual({ api: { project: '.', language: 'ts', host: 'function', remoteBuild: 'false' } });
    expect(azure.infra).toEqual({ provider: 'bicep', path: 'infra' });
  });

  it('runs the smoke test after every deployment, with sh on Linux and macOS and pwsh on Windows', () => {
    expect(azure.hooks).toEqual({ postdeploy: { posix: { shell: 'sh', run: './scripts/postdeploy.sh' }, windows: { shell: 'pwsh', run: './scripts/postdeploy.ps1' } } });
    for (const script of ['scripts/postdeploy.sh', 'scripts/postdeploy.ps1']) expect(existsSync(join(ROOT, script))).toBe(true);
    const mode = spawnSync('git', ['ls-files', '--stage', 'scripts/postdeploy.sh'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    expect(mode).toMatch(/^100755 /);
  });
});
