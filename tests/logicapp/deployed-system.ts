import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntraIssuer } from '../support/entra-issuer';
import { startHost, type RunningHost } from '../support/host';
import { deployment, STAND_INS, type Deployment } from '../infra/deployment-model';

/**
 * What `azd up` deploys, rehearsed on this machine: the embedded host in AUTH_MODE=entra with the app settings
 * the Bicep writes (CALLER_POLICY, audiences, AUTH_AUDIENCE, the authority host), a local stand-in for Entra
 * that issues v2 access tokens for the created registration (aud = its client id, as requestedAccessTokenVersion
 * 2 asks), and the identities of the two workflows and the deploying user. Only Azure-only settings (Key Vault,
 * storage account, Application Insights) are left out: the host uses its embedded key store and Azurite.
 */
export interface DeployedSystem {
  host: RunningHost;
  deployment: Deployment;
  clientId: string;
  identifierUri: string;
  audiences: { downstream: string; inbound: string };
  oids: { callApi: string; verifyInbound: string; deployer: string };
  issuer: string;
  /** The access token Entra would issue to `oid` for this API. */
  accessToken(oid: string): string;
  /** What Logic Apps does for a system-assigned identity: a token for `resource`, which must be the API's URI. */
  managedIdentity(oid: string): (resource: string) => string;
  /** Parameters Bicep gives a workflow (logic-apps.bicep), with the function's URL pointed at this host. */
  workflowParameters(workflow: 'callApi' | 'verifyInbound'): Record<string, unknown>;
  stop(): Promise<void>;
}

const AZURE_ONLY = ['KEY_VAULT_URL', 'KEY_VAULT_CREATE_KEY', 'AzureWebJobsStorage__accountName', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'REVOCATION_TABLE_URL', 'REVOCATION_TABLE_NAME', 'DPOP_REPLAY_TABLE_NAME'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startDeployedSystem(): Promise<DeployedSystem> {
  const entra = await new EntraIssuer().start();
  const oids = { callApi: randomUUID(), verifyInbound: randomUUID(), deployer: randomUUID() };
  const clientId = randomUUID();
  const port = await freePort();
  const deployed = deployment(
    { environmentName: 'rehearsal', location: 'westeurope', principalId: oids.deployer },
    { ...STAND_INS, callApiPrincipalId: oids.callApi, verifyInboundPrincipalId: oids.verifyInbound, createdClientId: clientId, defaultHostName: `localhost:${port}` },
    { subscriptionId: randomUUID(), tenantId: entra.tenantId, loginEndpoint: `${entra.baseUrl}/` },
  );
  const settings = deployed.resource('functionSettings', 'appSettings') as Record<string, string>;
  const env = Object.fromEntries(Object.entries(settings).filter(([name]) => !AZURE_ONLY.includes(name)));
  const keys = mkdtempSync(join(tmpdir(), 'kvjwt-deployed-'));
  // The local Entra stand-in is plain http on loopback, which the app accepts only when told so.
  const host = await startHost({ env: { ...env, AUTH_AUTHORITY_HOST_ALLOW_HTTP: 'true', PORT: String(port), LOCAL_KEYSTORE_DIR: keys, REVOCATION_TABLE_NAME: `rev${randomUUID().replace(/-/g, '').slice(0, 12)}` } });
  const logicApps = deployed.moduleParams('logicApps') as Record<string, string>;
  const identifierUri = logicApps.functionAudience;
  const accessToken = (oid: string): string =>
    entra.token({ oid, audience: clientId, overrides: { iss: `${entra.baseUrl}/${entra.tenantId}/v2.0`, ver: '2.0', azp: randomUUID(), appid: undefined, idtyp: undefined } });
  return {
    host,
    deployment: deployed,
    clientId,
    identifierUri,
    audiences: { downstream: logicApps.downstreamAudience, inbound: logicApps.inboundAudience },
    oids,
    issuer: `http://localhost:${port}/api`,
    accessToken,
    managedIdentity: (oid) => (resource) => {
      if (resource !== identifierUri) throw new Error(`Entra has no application with the identifier URI ${resource}`);
      return accessToken(oid);
    },
    workflowParameters: (workflow) => {
      const parameters = deployed.resource('logicApps', workflow, 'parameters') as Record<string, { value: unknown }>;
      return { ...Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, v.value])), functionBaseUrl: host.baseUrl };
    },
    stop: async () => {
      await host.stop();
      await entra.stop();
      rmSync(keys, { recursive: true, force: true });
    },
  };
}
