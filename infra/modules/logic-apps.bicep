// Two Consumption workflows, each with its own system-assigned identity, so each identity gets exactly the
// CALLER_POLICY operations its workflow needs (function-settings.bicep):
// - call-api-with-token signs (only for the downstream audience) and calls the downstream API;
// - verify-inbound verifies (only tokens for its own, inbound audience) and never signs.
// Neither needs an Azure role: they authenticate to the function app with managed identity tokens.
param callApiName string
param verifyInboundName string
param location string
param tags object
param functionBaseUrl string
@description('Application ID URI of the function app (the managed identity token\'s resource).')
param functionAudience string
param downstreamApiUrl string
param downstreamAudience string
param inboundAudience string
param downstreamTokenTtlSeconds int = 300

resource callApi 'Microsoft.Logic/workflows@2019-05-01' = {
  name: callApiName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    state: 'Enabled'
    definition: loadJsonContent('../../logicapp/call-api-with-token.workflow.json')
    parameters: {
      functionBaseUrl: { value: functionBaseUrl }
      functionAudience: { value: functionAudience }
      downstreamApiUrl: { value: downstreamApiUrl }
      downstreamAudience: { value: downstreamAudience }
      downstreamTokenTtlSeconds: { value: downstreamTokenTtlSeconds }
      tokenSubject: { value: 'logic-app:${callApiName}' }
    }
  }
}

resource verifyInbound 'Microsoft.Logic/workflows@2019-05-01' = {
  name: verifyInboundName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    state: 'Enabled'
    definition: loadJsonContent('../../logicapp/verify-inbound.workflow.json')
    parameters: {
      functionBaseUrl: { value: functionBaseUrl }
      functionAudience: { value: functionAudience }
      inboundAudience: { value: inboundAudience }
    }
  }
}

output callApiName string = callApi.name
output callApiId string = callApi.id
output callApiPrincipalId string = callApi.identity.principalId
output verifyInboundName string = verifyInbound.name
output verifyInboundId string = verifyInbound.id
output verifyInboundPrincipalId string = verifyInbound.identity.principalId
