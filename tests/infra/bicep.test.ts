import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCallerPolicy } from '../../src/config/caller-policy';
import { BicepFail } from './bicep-eval';
import { at, parseBicep, type BicepValue } from './bicep-reader';
import { DEFAULTS as defaults, defaultAppSettings, deployment, INFRA, main, MODULE_FILES, moduleFile, read, resourceNamed, ROOT, STAND_INS, text, TYPE_CHECKER } from './deployment-model';

/**
 * The Bicep, read as a structure (comments stripped, resources, parameters, values) and evaluated where it
 * matters (app settings, CALLER_POLICY, Easy Auth), plus the offline type check against Azure's and Microsoft
 * Graph's published resource types. No Bicep compiler runs here; what only ARM can tell is listed in the README
 * (Deployment, "What the tests can not show"). resources.test.ts and azd.test.ts read the rest.
 */

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

describe('module parameters (the type checker does not follow modules)', () => {
  const jsType = (value: unknown): string => (Array.isArray(value) ? 'array' : typeof value === 'number' && Number.isInteger(value) ? 'int' : typeof value === 'boolean' ? 'bool' : typeof value);

  it('passes each module only parameters it declares, every one it requires, each of its declared type', () => {
    const deployed = deployment(defaults);
    for (const module of main.modules) {
      const declared = moduleFile(module.path).params;
      const passed = [...(at(module.body, 'params') as Extract<BicepValue, { kind: 'object' }>).entries.keys()];
      const required = [...declared.values()].filter((p) => p.defaultValue === undefined).map((p) => p.name);
      expect({ module: module.symbol, unknown: passed.filter((name) => !declared.has(name)), missing: required.filter((name) => !passed.includes(name)) }).toEqual({ module: module.symbol, unknown: [], missing: [] });
      for (const [name, value] of Object.entries(deployed.moduleParams(module.symbol))) {
        expect({ module: module.symbol, name, type: jsType(value) }).toEqual({ module: module.symbol, name, type: declared.get(name)?.type });
      }
    }
  });
});

describe('offline type check (Azure and Microsoft Graph resource types)', () => {
  it('finds nothing wrong in infra/ with the shared checker, or the vendored copy on a clean clone', () => {
    const run = spawnSync(process.execPath, [TYPE_CHECKER, 'infra'], { cwd: ROOT, encoding: 'utf8' });
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
      expect({ name, read: parser.includes(`'${name}'`) }).toEqual({ name, read: true });
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
