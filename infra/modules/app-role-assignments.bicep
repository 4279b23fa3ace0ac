// Assigns the kv-jwt caller app role to the Logic Apps' identities and the deploying principal. Needed only
// when the service principal requires assignment; then nobody else in the tenant can obtain a token for the API.
extension microsoftGraphV1

param servicePrincipalId string
param appRoleId string
@description('Object ids to assign: the Logic Apps\' managed identities and, when known, the deploying principal.')
param principalIds array

resource assignments 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for principalId in principalIds: {
  resourceId: servicePrincipalId
  appRoleId: appRoleId
  principalId: principalId
}]
