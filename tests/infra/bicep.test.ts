import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadWorkflow } from '../logicapp/workflow-model';

/**
 * No Bicep compiler can be installed here, so these checks read the files themselves; the Bicep is
 * kept plain (no registry modules, literal settings) so that they mean something.
 */
const ROOT = resolve(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const modules = Object.fromEntries(readdirSync(join(ROOT, 'infra', 'modules')).map((f) => [f, read(join('infra', 'modules', f))]));
const main = read('infra/main.bicep');
const allBicep = [main, ...Object.values(modules)].join('\n');

function appSettings(): Record<string, string> {
  const block = /name: 'appsettings'\s*properties: \{([\s\S]*?)\n {2}\}\n\}/.exec(modules['function-settings.bicep']);
  if (!block) throw new Error('appsettings block not found');
  return Object.fromEntries([...block[1].matchAll(/^\s{4}([A-Za-z_][A-Za-z0-9_]*): (.+)$/gm)].map((m) => [m[1], m[2].trim()]));
}

describe('infrastructure (Bicep, azd)', () => {
  it('sets every app setting the configuration parser requires in Azure', () => {
    const settings = appSettings();
    for (const required of ['JWT_AUDIENCES', 'AUTH_MODE', 'AUTH_TENANT_ID', 'AUTH_AUDIENCE', 'KEY_VAULT_URL', 'JWT_KEY_NAME', 'JWT_ALG', 'ROTATION_SCHEDULE', 'CALLER_POLICY', 'AzureWebJobsStorage__accountName', 'REVOCATION_TABLE_URL']) {
      expect(settings).toHaveProperty(required);
    }
    expect(settings.AUTH_MODE).toBe("'entra'");
    // Every setting named in Bicep is one the code reads (no typos that would silently be ignored).
    const parser = read('src/config/settings.ts');
    for (const name of Object.keys(settings).filter((n) => !n.startsWith('APPLICATIONINSIGHTS_'))) expect({ name, read: parser.includes(`'${name}'`) }).toEqual({ name, read: true });
  });

  it('puts no secret, key or connection string in app settings or outputs', () => {
    const settings = appSettings();
    for (const [name, value] of Object.entries(settings)) {
      expect({ name, value }).not.toEqual(expect.objectContaining({ value: expect.stringMatching(/AccountKey=|SharedAccessSignature|listKeys\(|listSecrets\(|password|secret\(/i) }));
    }
    expect(settings).not.toHaveProperty('AzureWebJobsStorage');
    for (const output of allBicep.matchAll(/^output (\w+) \w+ = (.+)$/gm)) expect(output[2]).not.toMatch(/listKeys|listSecrets|primaryKey|AccountKey/i);
    // The deployment's own outputs (shown by azd) carry no connection string at all.
    for (const output of main.matchAll(/^output (\w+) \w+ = (.+)$/gm)) expect(output[2]).not.toMatch(/connectionString/i);
    expect(modules['storage.bicep']).toMatch(/allowSharedKeyAccess: false/);
    expect(modules['monitoring.bicep']).toMatch(/DisableLocalAuth: true/);
  });

  it('supplies every workflow parameter and loads the definition with loadJsonContent', () => {
    const logic = modules['logic-app.bicep'];
    expect(logic).toContain("loadJsonContent('../../logicapp/token-broker.workflow.json')");
    const supplied = /parameters: \{([\s\S]*?)\n {4}\}/.exec(logic)?.[1] ?? '';
    for (const name of Object.keys(loadWorkflow().parameters)) expect(supplied).toContain(`${name}: { value:`);
    expect(logic).toMatch(/identity: \{ type: 'SystemAssigned' \}/);
    expect(logic).toMatch(/Microsoft\.Logic\/workflows@2019-05-01/);
  });

  it('names role GUIDs in variables that match their roles', () => {
    const expected: Record<string, string> = {
      keyVaultCryptoOfficerRoleId: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
      keyVaultSecretsOfficerRoleId: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
      storageBlobDataOwnerRoleId: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      storageTableDataContributorRoleId: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
      monitoringMetricsPublisherRoleId: '3913510d-42f4-4e42-8a64-420c390055eb',
    };
    const roles = modules['role-assignments.bicep'];
    for (const [name, id] of Object.entries(expected)) expect(roles).toContain(`var ${name} = '${id}'`);
    // No bare GUID anywhere else: every role is used through its named variable.
    const guids = allBicep.match(/'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/g) ?? [];
    expect(guids.length).toBe(Object.keys(expected).length);
    // Crypto Officer is scoped to the signing key, not the vault; the table role to the table.
    expect(/functionKeyCryptoOfficer[\s\S]*?scope: signingKey/.test(roles)).toBe(true);
    expect(/functionTableContributor[\s\S]*?scope: revocationTable/.test(roles)).toBe(true);
    for (const assignment of roles.matchAll(/name: guid\(([^)]*)\)/g)) expect(assignment[1].split(',').length).toBe(3);
  });

  it('lets only the Logic App (and admins) through App Service Authentication, keeping verifier routes open', () => {
    const settings = modules['function-settings.bicep'];
    expect(settings).toMatch(/unauthenticatedClientAction: 'Return401'/);
    expect(settings).toMatch(/requireAuthentication: true/);
    expect(settings).toMatch(/identities: concat\(\[logicAppPrincipalId\], adminPrincipalIds\)/);
    expect(main).toMatch(/logicAppPrincipalId: logicApp\.outputs\.principalId/);
    for (const path of ['/api/.well-known/jwks.json', '/api/.well-known/openid-configuration', '/api/health']) expect(settings).toContain(`'${path}'`);
    expect(settings).toMatch(/allowedAudiences: \[functionAppIdUri\]/);
  });

  it('deploys Key Vault with RBAC, soft delete, purge protection and a sign/verify key with a notify-only policy', () => {
    const vault = modules['keyvault.bicep'];
    for (const rule of [/enableRbacAuthorization: true/, /enableSoftDelete: true/, /enablePurgeProtection: true/, /keyOps: \['sign', 'verify'\]/, /action: \{ type: 'notify' \}/]) expect(vault).toMatch(rule);
    expect(vault).not.toMatch(/type: 'rotate'/i);
  });

  it('runs on Flex Consumption with Node 22 and a system-assigned identity, as azd expects', () => {
    const site = modules['function-app.bicep'];
    for (const rule of [/tier: 'FlexConsumption', name: 'FC1'/, /runtime: \{ name: 'node', version: '22' \}/, /kind: 'functionapp,linux'/, /'azd-service-name': 'api'/, /identity: \{ type: 'SystemAssigned' \}/]) expect(site).toMatch(rule);
    expect(site).not.toMatch(/FUNCTIONS_WORKER_RUNTIME|linuxFxVersion|FUNCTIONS_EXTENSION_VERSION/);
    expect(allBicep).not.toMatch(/br\/public:|br:/);
    const azure = read('azure.yaml');
    expect(azure).toMatch(/host: function/);
    expect(azure).toMatch(/language: ts/);
    const parameters = read('infra/main.parameters.json');
    for (const variable of ['${AZURE_ENV_NAME}', '${AZURE_LOCATION}', '${AZURE_PRINCIPAL_ID}']) expect(parameters).toContain(variable);
  });

  it('passes every parameter of main.parameters.json to a declared parameter of main.bicep', () => {
    const parameters = Object.keys((JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, unknown> }).parameters);
    for (const name of parameters) expect(main).toMatch(new RegExp(`^param ${name} `, 'm'));
    for (const module of main.matchAll(/module \w+ '([^']+)'/g)) expect(Object.keys(modules)).toContain(module[1].replace('modules/', ''));
  });
});
