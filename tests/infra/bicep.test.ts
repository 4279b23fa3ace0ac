import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCallerPolicy } from '../../src/config/caller-policy';
import { loadWorkflow, WORKFLOWS } from '../logicapp/workflow-model';
import { BicepFail } from './bicep-eval';
import { at, callArguments, parseBicep, stripComments, type BicepResource, type BicepValue } from './bicep-reader';
import { defaultAppSettings, deployment, INFRA, main, moduleFile, STAND_INS } from './deployment-model';
import { parseYamlMap } from './yaml-lite';

/**
 * The Bicep, read as a structure (comments stripped, resources, parameters, values) and evaluated where it
 * matters (names, app settings, CALLER_POLICY, Easy Auth), plus the offline type check against Azure's and
 * Microsoft Graph's published resource types. No Bicep compiler runs here; what only ARM can tell is listed in
 * the README (Deployment, "What the tests can not show").
 */
const ROOT = resolve(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const MODULE_FILES = readdirSync(join(INFRA, 'modules')).map((f) => `modules/${f}`);
const defaults = { environmentName: 'dev', location: 'westeurope', principalId: '77777777-7777-4777-8777-777777777777' };
const text = (value: BicepValue): string => value.text;

/** Settings Bicep writes that src/config/settings.ts reads only after a merge the integrator is doing now. */
const SETTINGS_READ_AFTER_MERGE = ['JWT_KEY_SIZE'];

function resources(path: string): BicepResource[] {
  return moduleFile(path).resources;
}
function resourceNamed(path: string, symbol: string): BicepResource {
  const found = resources(path).find((r) => r.symbol === symbol);
  if (!found) throw new Error(`${path} has no resource ${symbol}`);
  return found;
}

describe('Bicep reader', () => {
  it('reads every Bicep file to its last statement', () => {
    for (const path of MODULE_FILES) expect(() => moduleFile(path)).not.toThrow();
    expect(main.targetScope).toBe('subscription');
  });

  it('does not see resources, settings or values that are commented out', () => {
    const file = parseBicep(["// resource a 'Microsoft.Web/sites@2024-04-01' = {}", '/* resource b', "'x' */", "var s = '// not a comment'", 'var o = {', "  kept: 'yes' // dropped", '  // gone: true', '}'].join('\n'));
    expect(file.resources).toEqual([]);
    expect(file.vars.get('s')).toMatchObject({ kind: 'string', value: '// not a comment' });
    expect([...(file.vars.get('o') as { entries: Map<string, unknown> }).entries.keys()]).toEqual(['kept']);
  });
});

describe('offline type check (Azure and Microsoft Graph resource types)', () => {
  it('finds nothing wrong in infra/ with the shared checker, or the vendored copy on a clean clone', () => {
    const shared = resolve(ROOT, '..', 'shared', 'bicep-types', 'check.mjs');
    const checker = existsSync(shared) ? shared : join(__dirname, 'bicep-types', 'check.mjs');
    const run = spawnSync(process.execPath, [checker, 'infra'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringMatching(/resources checked, 0 findings/) });
  });
});

describe('app settings', () => {
  const settings = defaultAppSettings();

  it('sets every setting the configuration parser requires in Azure, and only settings the code reads', () => {
    for (const required of ['JWT_AUDIENCES', 'AUTH_MODE', 'AUTH_TENANT_ID', 'AUTH_AUDIENCE', 'KEY_VAULT_URL', 'JWT_KEY_NAME', 'JWT_ALG', 'ROTATION_SCHEDULE', 'CALLER_POLICY', 'AzureWebJobsStorage__accountName', 'REVOCATION_TABLE_URL']) {
      expect(settings).toHaveProperty(required);
    }
    expect(settings.AUTH_MODE).toBe('entra');
    const parser = read('src/config/settings.ts');
    for (const name of Object.keys(settings).filter((n) => !n.startsWith('APPLICATIONINSIGHTS_'))) {
      const readByCode = parser.includes(`'${name}'`);
      // A pending name that the code now reads must leave the list, or the list would hide the next typo.
      const state = SETTINGS_READ_AFTER_MERGE.includes(name) ? (readByCode ? 'read: remove it from SETTINGS_READ_AFTER_MERGE' : 'pending') : readByCode ? 'read' : 'NOT read by src/config/settings.ts';
      expect({ name, state }).toEqual({ name, state: SETTINGS_READ_AFTER_MERGE.includes(name) ? 'pending' : 'read' });
    }
  });

  it('drives the key size from one parameter: the key resource and JWT_KEY_SIZE', () => {
    expect(main.params.has('rsaKeySize')).toBe(false);
    expect(main.params.get('jwtKeySize')?.decorators.join(' ')).toContain('@allowed([2048, 3072, 4096])');
    const deployed = deployment({ ...defaults, jwtKeySize: 3072 });
    expect(deployed.resource('vault', 'signingKey')).toMatchObject({ kty: 'RSA', keySize: 3072, keyOps: ['sign', 'verify'] });
    expect(deployed.resource('functionSettings', 'appSettings').JWT_KEY_SIZE).toBe('3072');
    expect(deployment({ ...defaults, jwtAlg: 'ES256' }).resource('vault', 'signingKey')).toMatchObject({ kty: 'EC', keySize: null, curveName: 'P-256' });
  });

  it('puts no secret, key or connection string in app settings or outputs', () => {
    for (const [name, value] of Object.entries(settings)) expect({ name, value }).not.toEqual(expect.objectContaining({ value: expect.stringMatching(/AccountKey=|SharedAccessSignature|sig=|password|secret/i) }));
    expect(settings).not.toHaveProperty('AzureWebJobsStorage');
    const written = [...main.outputs.values()].map((o) => text(o.value)).join('\n') + MODULE_FILES.flatMap((p) => [...moduleFile(p).outputs.values()].map((o) => text(o.value))).join('\n');
    expect(written).not.toMatch(/listKeys|listSecrets|listCallbackUrl|primaryKey|AccountKey/i);
    for (const [name, output] of main.outputs) expect({ name, value: text(output.value) }).not.toEqual(expect.objectContaining({ value: expect.stringMatching(/connectionString/i) }));
    expect(at(resourceNamed('modules/storage.bicep', 'account').body, 'properties', 'allowSharedKeyAccess').text).toBe('false');
    expect(at(resourceNamed('modules/monitoring.bicep', 'appInsights').body, 'properties', 'DisableLocalAuth').text).toBe('true');
  });
});

describe('CALLER_POLICY', () => {
  const policy = JSON.parse(defaultAppSettings().CALLER_POLICY) as Record<string, { operations: string[]; audiences: string[]; verifyAudiences?: string[]; maxTtl?: string }>;
  const downstream = 'api://orders';
  const inbound = 'api://logic-app-inbound';

  it('is accepted by the parser the app runs', () => {
    expect(() => parseCallerPolicy(defaultAppSettings().CALLER_POLICY)).not.toThrow();
  });

  it('lets call-api-with-token only sign, only for the downstream audience, for ten minutes at most', () => {
    expect(policy[STAND_INS.callApiPrincipalId]).toEqual({ operations: ['sign'], audiences: [downstream], maxTtl: 'PT10M', claims: [] });
  });

  it('lets verify-inbound only verify, only tokens for its own audience, and sign nothing', () => {
    expect(policy[STAND_INS.verifyInboundPrincipalId]).toEqual({ operations: ['verify'], audiences: [], verifyAudiences: [inbound], claims: [] });
  });

  it('gives the deploying principal sign, verify and admin for the inbound audience only (the smoke test)', () => {
    expect(policy[defaults.principalId]).toEqual({ operations: ['sign', 'verify', 'admin'], audiences: [inbound], maxTtl: 'PT5M', claims: [] });
    const withoutDeployer = JSON.parse(deployment({ ...defaults, principalId: '' }).resource('functionSettings', 'appSettings').CALLER_POLICY as string) as object;
    expect(Object.keys(withoutDeployer).sort()).toEqual([STAND_INS.callApiPrincipalId, STAND_INS.verifyInboundPrincipalId].sort());
  });

  it('never lets one identity verify tokens and sign downstream ones, nor anyone verify the downstream audience', () => {
    for (const entry of Object.values(policy)) {
      if (entry.operations.includes('verify')) expect(entry.verifyAudiences ?? entry.audiences).not.toContain(downstream);
      if (entry.operations.includes('sign') && entry.audiences.includes(downstream)) expect(entry.operations).toEqual(['sign']);
    }
  });

  it('refuses an inbound audience equal to the downstream one before anything is deployed', () => {
    expect(() => deployment({ ...defaults, inboundAudience: downstream }).value('jwtAudiences')).toThrow(BicepFail);
    expect(() => deployment({ ...defaults, inboundAudience: downstream }).moduleParams('logicApps')).toThrow(BicepFail);
    // Every consumer of the two audiences reads them through the guarded variable.
    for (const module of ['logicApps', 'functionSettings']) {
      const params = at(main.modules.find((m) => m.symbol === module)?.body as BicepValue, 'params');
      expect([text(at(params, 'downstreamAudience')), text(at(params, 'inboundAudience'))]).toEqual(['distinctAudiences[0]', 'distinctAudiences[1]']);
    }
  });

  it('lists both audiences and any extra ones in JWT_AUDIENCES', () => {
    expect(defaultAppSettings().JWT_AUDIENCES).toBe(`${downstream},${inbound}`);
    expect(defaultAppSettings({ extraJwtAudiences: ' api://a, ,api://orders,api://b ' }).JWT_AUDIENCES).toBe(`${downstream},${inbound},api://a,api://b`);
  });
});

describe('App Service Authentication', () => {
  const auth = deployment(defaults).resource('functionSettings', 'authentication') as {
    globalValidation: { requireAuthentication: boolean; unauthenticatedClientAction: string; excludedPaths: string[] };
    identityProviders: { azureActiveDirectory: { registration: { clientId: string; openIdIssuer: string }; validation: { allowedAudiences: string[]; defaultAuthorizationPolicy: { allowedPrincipals: { identities: string[] } } } } };
  };
  const aad = auth.identityProviders.azureActiveDirectory;

  it('requires a token everywhere but the verifier routes, and admits only the two workflows and the deployer', () => {
    expect(auth.globalValidation).toEqual({ requireAuthentication: true, unauthenticatedClientAction: 'Return401', excludedPaths: ['/api/.well-known/jwks.json', '/api/.well-known/openid-configuration', '/api/health', '/api/openapi.json'] });
    expect(aad.validation.defaultAuthorizationPolicy.allowedPrincipals.identities).toEqual([STAND_INS.callApiPrincipalId, STAND_INS.verifyInboundPrincipalId, defaults.principalId]);
    expect(aad.validation.allowedAudiences).toEqual([`api://${STAND_INS.createdClientId}`, STAND_INS.createdClientId]);
    expect(aad.registration.clientId).toBe(STAND_INS.createdClientId);
  });

  it("takes the issuer from the cloud's own login endpoint (sovereign clouds too)", () => {
    expect(aad.registration.openIdIssuer).toBe('https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000bb/v2.0');
    const china = deployment(defaults, STAND_INS, { subscriptionId: 's', tenantId: 't', loginEndpoint: 'https://login.chinacloudapi.cn/' });
    expect((china.resource('functionSettings', 'authentication') as typeof auth).identityProviders.azureActiveDirectory.registration.openIdIssuer).toBe('https://login.chinacloudapi.cn/t/v2.0');
    expect(china.resource('functionSettings', 'appSettings').AUTH_AUTHORITY_HOST).toBe('https://login.chinacloudapi.cn/');
    for (const path of ['main.bicep', ...MODULE_FILES]) expect(readFileSync(join(INFRA, path), 'utf8')).not.toMatch(/sts\.windows\.net|login\.microsoftonline\.com/);
  });
});

describe('the Entra registration (Microsoft Graph Bicep)', () => {
  const registration = 'modules/app-registration.bicep';
  const [application, identifierUri] = resources(registration);
  const servicePrincipal = resourceNamed(registration, 'servicePrincipal');

  it('uses the Graph extension through the bicepconfig.json alias, in the modules that need it only', () => {
    expect(JSON.parse(read('infra/bicepconfig.json'))).toEqual({ extensions: { microsoftGraphV1: 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0' } });
    for (const path of ['main.bicep', ...MODULE_FILES]) {
      const file = path === 'main.bicep' ? main : moduleFile(path);
      const usesGraph = file.resources.some((r) => r.type.startsWith('Microsoft.Graph/'));
      expect({ path, extension: file.extensions }).toEqual({ path, extension: usesGraph ? ['microsoftGraphV1'] : [] });
    }
  });

  it('creates an idempotent single-tenant application exposing a user_impersonation scope pre-authorized for the Azure CLI', () => {
    expect([application.type, application.apiVersion, text(at(application.body, 'uniqueName')), text(at(application.body, 'signInAudience'))]).toEqual(['Microsoft.Graph/applications', 'v1.0', 'uniqueName', "'AzureADMyOrg'"]);
    const scope = at(application.body, 'api', 'oauth2PermissionScopes') as Extract<BicepValue, { kind: 'array' }>;
    expect(scope.items.map((s) => [text(at(s, 'value')), text(at(s, 'type')), text(at(s, 'id'))])).toEqual([["'user_impersonation'", "'User'", 'userImpersonationScopeId']]);
    expect(text(at(application.body, 'api', 'preAuthorizedApplications'))).toBe('[\n      { appId: azureCliClientId, delegatedPermissionIds: [userImpersonationScopeId] }\n    ]');
    expect(moduleFile(registration).vars.get('azureCliClientId')?.text).toBe("'04b07795-8ddb-461a-bbee-02f9e1bf7b46'");
    expect(text(at(application.body, 'api', 'requestedAccessTokenVersion'))).toBe('2');
    const roles = at(application.body, 'appRoles') as Extract<BicepValue, { kind: 'array' }>;
    expect(roles.items.map((r) => [text(at(r, 'id')), text(at(r, 'value')), text(at(r, 'allowedMemberTypes')), text(at(r, 'isEnabled'))])).toEqual([['callerAppRoleId', "'KvJwt.Caller'", "['User', 'Application']", 'true']]);
    expect(text(moduleFile(registration).outputs.get('callerAppRoleId')?.value as BicepValue)).toBe('callerAppRoleId');
  });

  it('sets identifierUris to api://<appId> in a second declaration of the same application', () => {
    expect([identifierUri.type, text(at(identifierUri.body, 'uniqueName')), text(at(identifierUri.body, 'identifierUris'))]).toEqual(['Microsoft.Graph/applications', 'application.uniqueName', "['api://${application.appId}']"]);
    expect(text(moduleFile(registration).outputs.get('identifierUri')?.value as BicepValue)).toBe("'api://${applicationIdentifierUri.appId}'");
  });

  it('keys the service principal by appId and requires app role assignment unless told otherwise', () => {
    expect([servicePrincipal.type, text(at(servicePrincipal.body, 'appId')), text(at(servicePrincipal.body, 'appRoleAssignmentRequired'))]).toEqual(['Microsoft.Graph/servicePrincipals', 'application.appId', 'requireAppRoleAssignment']);
    const [assignment] = resources('modules/app-role-assignments.bicep');
    expect([assignment.type, assignment.loop, text(at(assignment.body, 'resourceId')), text(at(assignment.body, 'principalId'))]).toEqual(['Microsoft.Graph/appRoleAssignedTo', '[for principalId in principalIds:', 'servicePrincipalId', 'principalId']);
  });

  it('assigns the caller role to both workflows and the deployer, and wires the registration into the app', () => {
    const deployed = deployment(defaults);
    expect([deployed.deploys('appRegistration'), deployed.deploys('appRoleAssignments')]).toEqual([true, true]);
    expect(deployed.moduleParams('appRoleAssignments').principalIds).toEqual([STAND_INS.callApiPrincipalId, STAND_INS.verifyInboundPrincipalId, defaults.principalId]);
    expect(deployed.moduleParams('logicApps').functionAudience).toBe(`api://${STAND_INS.createdClientId}`);
    expect(deployed.resource('functionSettings', 'appSettings').AUTH_AUDIENCE).toBe(STAND_INS.createdClientId);
    expect(deployment({ ...defaults, requireAppRoleAssignment: false }).deploys('appRoleAssignments')).toBe(false);
  });

  it('deploys no Graph resource when a registration is brought (FUNCTION_APP_CLIENT_ID)', () => {
    // appRegistration's outputs are absent from this model's symbols only in spirit: the evaluation must never
    // read them, which the ternaries guarantee and this checks through the values.
    const byo = deployment({ ...defaults, functionAppClientId: 'aaaaaaaa-0000-4000-8000-000000000001' });
    expect([byo.deploys('appRegistration'), byo.deploys('appRoleAssignments')]).toEqual([false, false]);
    expect([byo.value('clientId'), byo.value('identifierUri'), byo.value('authAudience')]).toEqual(['aaaaaaaa-0000-4000-8000-000000000001', 'api://aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001']);
    const v1 = deployment({ ...defaults, functionAppClientId: 'b', functionAppIdUri: 'api://tenant/kv-jwt', functionAppAccessTokenVersion: 1 });
    expect([v1.value('identifierUri'), v1.value('authAudience')]).toEqual(['api://tenant/kv-jwt', 'api://tenant/kv-jwt']);
    expect(text(at(main.modules.find((m) => m.symbol === 'appRegistration')?.body as BicepValue, 'name'))).toBe("'app-registration'");
    expect(main.modules.find((m) => m.symbol === 'appRegistration')?.condition).toBe('createRegistration');
    expect(text(main.vars.get('createRegistration') as BicepValue)).toBe('empty(functionAppClientId)');
  });
});

describe('the Logic Apps', () => {
  const [callApi, verifyInbound] = resources('modules/logic-apps.bicep');

  it('loads each workflow definition with loadJsonContent and supplies exactly its parameters', () => {
    for (const [resource, name] of [[callApi, WORKFLOWS[0]], [verifyInbound, WORKFLOWS[1]]] as const) {
      expect([resource.type, resource.apiVersion, text(at(resource.body, 'identity'))]).toEqual(['Microsoft.Logic/workflows', '2019-05-01', "{ type: 'SystemAssigned' }"]);
      expect(text(at(resource.body, 'properties', 'definition'))).toBe(`loadJsonContent('../../logicapp/${name}.workflow.json')`);
      expect(existsSync(join(INFRA, 'modules', '../../logicapp', `${name}.workflow.json`))).toBe(true);
      const supplied = at(resource.body, 'properties', 'parameters') as Extract<BicepValue, { kind: 'object' }>;
      expect([...supplied.entries.keys()].sort()).toEqual(Object.keys(loadWorkflow(name).parameters).sort());
      for (const value of supplied.entries.values()) expect(value.kind === 'object' && value.entries.has('value')).toBe(true);
    }
  });

  it('gives each workflow its own identity and no Azure role', () => {
    const roles = moduleFile('modules/role-assignments.bicep');
    expect(roles.params.has('logicAppPrincipalId')).toBe(false);
    const settings = at(main.modules.find((m) => m.symbol === 'functionSettings')?.body as BicepValue, 'params');
    expect([text(at(settings, 'callApiPrincipalId')), text(at(settings, 'verifyInboundPrincipalId'))]).toEqual(['logicApps.outputs.callApiPrincipalId', 'logicApps.outputs.verifyInboundPrincipalId']);
  });
});

describe('role assignments', () => {
  const roles = moduleFile('modules/role-assignments.bicep');
  const expected: Record<string, string> = {
    keyVaultCryptoOfficerRoleId: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603',
    keyVaultSecretsOfficerRoleId: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    storageBlobDataOwnerRoleId: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    storageTableDataContributorRoleId: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    monitoringMetricsPublisherRoleId: '3913510d-42f4-4e42-8a64-420c390055eb',
  };
  const assignments = roles.resources.filter((r) => r.type === 'Microsoft.Authorization/roleAssignments');

  it('names role GUIDs in variables that match their roles, and writes no bare GUID anywhere else', () => {
    for (const [name, id] of Object.entries(expected)) expect(roles.vars.get(name)?.text).toBe(`'${id}'`);
    for (const path of ['main.bicep', ...MODULE_FILES]) {
      const file = path === 'main.bicep' ? main : moduleFile(path);
      const named = [...file.vars].filter(([, v]) => /^'[0-9a-f-]{36}'$/.test(v.text)).map(([n]) => n);
      for (const n of named) expect(n).toMatch(/(RoleId|ClientId)$/);
      const elsewhere = [...file.resources.map((r) => r.body.text), ...file.modules.map((m) => m.body.text), ...[...file.outputs.values()].map((o) => o.value.text)].join('\n');
      expect(elsewhere).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    }
  });

  it('scopes every assignment to what it protects, named guid(scope, principal, role)', () => {
    const scopes: Record<string, string> = { functionKeyCryptoOfficer: 'signingKey', functionVaultSecretsOfficer: 'vault', functionBlobOwner: 'storage', functionTableContributor: 'revocationTable', functionMetricsPublisher: 'appInsights', deployerBlobOwner: 'storage', deployerKeyCryptoOfficer: 'signingKey' };
    expect(assignments.map((a) => a.symbol).sort()).toEqual(Object.keys(scopes).sort());
    for (const assignment of assignments) {
      const scope = text(at(assignment.body, 'scope'));
      const [scopeId, principal, role] = callArguments(text(at(assignment.body, 'name')), 'guid');
      const roleVariable = /subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', (\w+)\)/.exec(text(at(assignment.body, 'properties', 'roleDefinitionId')))?.[1];
      expect({ assignment: assignment.symbol, scope, scopeId, principal: text(at(assignment.body, 'properties', 'principalId')), role: roleVariable }).toEqual({ assignment: assignment.symbol, scope: scopes[assignment.symbol], scopeId: `${scopes[assignment.symbol]}.id`, principal, role });
      expect(Object.keys(expected)).toContain(role);
    }
  });

  it("takes the deployer's principal type from azd (AZURE_PRINCIPAL_TYPE), service principals for managed identities", () => {
    for (const assignment of assignments) {
      const type = text(at(assignment.body, 'properties', 'principalType'));
      expect({ assignment: assignment.symbol, type }).toEqual({ assignment: assignment.symbol, type: assignment.symbol.startsWith('deployer') ? 'deployerPrincipalType' : "'ServicePrincipal'" });
    }
    expect(deployment({ ...defaults, principalType: 'ServicePrincipal' }).moduleParams('roles').deployerPrincipalType).toBe('ServicePrincipal');
    expect(main.params.get('principalType')?.decorators).toContain("@allowed(['User', 'ServicePrincipal'])");
    expect(JSON.parse(read('infra/main.parameters.json')).parameters.principalType).toEqual({ value: '${AZURE_PRINCIPAL_TYPE=User}' });
  });
});

describe('Key Vault', () => {
  const vault = resourceNamed('modules/keyvault.bicep', 'vault');
  const key = resourceNamed('modules/keyvault.bicep', 'signingKey');

  it('has RBAC, soft delete and purge protection, and a sign/verify key with no rotation policy (the timer rotates)', () => {
    expect([text(at(vault.body, 'properties', 'enableRbacAuthorization')), text(at(vault.body, 'properties', 'enableSoftDelete')), text(at(vault.body, 'properties', 'enablePurgeProtection'))]).toEqual(['true', 'true', 'true']);
    expect(text(at(key.body, 'properties', 'keyOps'))).toBe("['sign', 'verify']");
    expect((at(key.body, 'properties') as Extract<BicepValue, { kind: 'object' }>).entries.has('rotationPolicy')).toBe(false);
    expect(stripComments(readFileSync(join(INFRA, 'modules/keyvault.bicep'), 'utf8'))).not.toMatch(/notify|rotationPolicy|lifetimeActions/i);
  });

  it('keeps the vault name per environment and salt, so a redeploy after azd down only needs a new salt', () => {
    const name = (salt: string): unknown => deployment({ ...defaults, keyVaultNameSalt: salt }).value('keyVaultName');
    expect(name('')).toBe(name(''));
    expect(name('2')).not.toBe(name(''));
    expect(deployment({ ...defaults, keyVaultNameSalt: '2' }).value('storageAccountName')).toBe(deployment(defaults).value('storageAccountName'));
    expect(JSON.parse(read('infra/main.parameters.json')).parameters.keyVaultNameSalt).toEqual({ value: '${KEY_VAULT_NAME_SALT=}' });
  });
});

describe('names and region', () => {
  const rules: Record<string, RegExp> = {
    storageAccountName: /^[a-z0-9]{3,24}$/,
    keyVaultName: /^(?=.{3,24}$)[a-zA-Z](?:-?[a-zA-Z0-9])*$/,
    resourceGroupName: /^[-\w.()]{1,89}[-\w()]$/,
  };

  it.each(['dev', 'my_env', 'a.b', 'x(1)', '(', ')', '_', '-', '.', 'prod.', 'A-B_C.D(E)', 'x'.repeat(64), '(.)_-'])('produces valid names for the environment %p', (environmentName) => {
    const deployed = deployment({ ...defaults, environmentName });
    for (const [name, rule] of Object.entries(rules)) expect({ name, value: deployed.value(name) }).toEqual({ name, value: expect.stringMatching(rule) });
    const site = deployed.moduleParams('functionApp').name as string;
    expect(site).toMatch(/^(?=.{2,60}$)[a-z0-9][a-z0-9-]*[a-z0-9]$/);
    for (const workflow of [deployed.moduleParams('logicApps').callApiName, deployed.moduleParams('logicApps').verifyInboundName] as string[]) expect(workflow).toMatch(/^[-\w.()]{1,80}$/);
  });

  it('allows only regions where Flex Consumption runs, and lets azd prompt for one', () => {
    const location = main.params.get('location');
    const allowed = /@allowed\(\[([\s\S]*)\]\)/.exec(location?.decorators.join('\n') ?? '')?.[1].match(/'[a-z0-9]+'/g) ?? [];
    expect(allowed.length).toBeGreaterThan(25);
    expect(allowed).toEqual(expect.arrayContaining(["'westeurope'", "'eastus'", "'eastus2'", "'swedencentral'", "'australiaeast'"]));
    expect(allowed).not.toContain("'eastus2euap'");
    expect(location?.decorators).toContain("@metadata({ azd: { type: 'location' } })");
  });
});

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
