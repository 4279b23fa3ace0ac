import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWorkflow, WORKFLOWS } from '../logicapp/workflow-model';
import { at, callArguments, stripComments, type BicepValue } from './bicep-reader';
import { DEFAULTS as defaults, deployment, INFRA, main, MODULE_FILES, moduleFile, read, resourceNamed, STAND_INS, text } from './deployment-model';

/**
 * The resources Bicep declares, read as structure and evaluated for given parameters: the Entra registration,
 * the Logic Apps, role assignments, Key Vault, and the names every azd environment name produces.
 */
const resources = (path: string) => moduleFile(path).resources;

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
    expect([assignment.type, assignment.loop?.item, assignment.loop && text(assignment.loop.iterable), text(at(assignment.body, 'resourceId')), text(at(assignment.body, 'principalId'))]).toEqual(['Microsoft.Graph/appRoleAssignedTo', 'principalId', 'principalIds', 'servicePrincipalId', 'principalId']);
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
    keyVaultCryptoUserRoleId: '12338af0-0e69-4776-bea7-57ae8d297424',
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
    const scopes: Record<string, string> = { functionKeyCryptoOfficer: 'signingKey', functionAuditKeyCryptoUser: 'auditKey', functionEncryptionKeyCryptoOfficer: 'encryptionKey', functionReplayTableContributor: 'dpopReplayTable', functionVaultSecretsOfficer: 'vault', functionBlobOwner: 'storage', functionTableContributor: 'revocationTable', functionMetricsPublisher: 'appInsights', deployerBlobOwner: 'storage', deployerKeyCryptoOfficer: 'signingKey' };
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


describe('storage', () => {
  it('hands the app the tables\' own names: a child resource\'s .name is its full name (account/default/table)', () => {
    const storage = moduleFile('modules/storage.bicep');
    for (const [output, variable] of [['revocationTableName', 'revocationTableName'], ['dpopReplayTableName', 'dpopReplayTableName']]) {
      expect({ output, value: text(storage.outputs.get(output)?.value as BicepValue) }).toEqual({ output, value: variable });
    }
    expect(deployment(defaults).resource('functionSettings', 'appSettings')).toMatchObject({ REVOCATION_TABLE_NAME: 'revocations', DPOP_REPLAY_TABLE_NAME: 'dpopjti' });
  });
});

describe('Key Vault', () => {
  const vault = resourceNamed('modules/keyvault.bicep', 'vault');
  const key = resourceNamed('modules/keyvault.bicep', 'signingKey');

  it('has the audit-hash key the app derives its audit key from: RSA, sign/verify, never rotated, named by AUDIT_KEY_NAME', () => {
    const audit = resourceNamed('modules/keyvault.bicep', 'auditKey');
    expect([text(at(audit.body, 'name')), text(at(audit.body, 'properties', 'kty')), text(at(audit.body, 'properties', 'keyOps'))]).toEqual(['auditKeyName', "'RSA'", "['sign', 'verify']"]);
    expect(text(at(audit.body, 'properties'))).not.toContain('rotationPolicy');
    expect(deployment(defaults).resource('functionSettings', 'appSettings')).toMatchObject({ AUDIT_KEY_NAME: 'kv-jwt-audit' });
  });

  it('has the encryption key: RSA of JWT_KEY_SIZE bits, wrapKey/unwrapKey only, no rotation policy, in HMAC mode too, named by JWT_ENCRYPTION_KEY_NAME', () => {
    const encryption = resourceNamed('modules/keyvault.bicep', 'encryptionKey');
    expect([text(at(encryption.body, 'name')), text(at(encryption.body, 'properties', 'kty')), text(at(encryption.body, 'properties', 'keyOps'))]).toEqual(['encryptionKeyName', "'RSA'", "['wrapKey', 'unwrapKey']"]);
    expect(text(at(encryption.body, 'properties'))).not.toContain('rotationPolicy');
    expect(deployment({ ...defaults, jwtKeySize: 3072 }).resource('vault', 'encryptionKey')).toMatchObject({ kty: 'RSA', keySize: 3072, keyOps: ['wrapKey', 'unwrapKey'] });
    for (const jwtAlg of ['RS256', 'HS256']) {
      const deployed = deployment({ ...defaults, jwtAlg });
      expect(deployed.resource('functionSettings', 'appSettings')).toMatchObject({ JWT_ENCRYPTION_KEY_NAME: 'jwt-encryption' });
      expect(deployed.resource('vault', 'encryptionKey')).toMatchObject({ keyOps: ['wrapKey', 'unwrapKey'] });
    }
  });

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

