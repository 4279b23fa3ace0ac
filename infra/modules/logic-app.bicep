// The token-broker workflow (Consumption) with a system-assigned identity. It needs no Azure role:
// it authenticates to the function app with its managed identity token.
param name string
param location string
param tags object
param functionBaseUrl string
param functionAudience string
param downstreamApiUrl string
param downstreamAudience string
param downstreamTokenTtlSeconds int = 300

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    state: 'Enabled'
    definition: loadJsonContent('../../logicapp/token-broker.workflow.json')
    parameters: {
      functionBaseUrl: { value: functionBaseUrl }
      functionAudience: { value: functionAudience }
      downstreamApiUrl: { value: downstreamApiUrl }
      downstreamAudience: { value: downstreamAudience }
      downstreamTokenTtlSeconds: { value: downstreamTokenTtlSeconds }
    }
  }
}

output name string = workflow.name
output id string = workflow.id
output principalId string = workflow.identity.principalId
