// The function app's Microsoft Entra application and its service principal (Microsoft Graph Bicep extension,
// Bicep >= 0.36.1). Deployed only when no registration is brought (FUNCTION_APP_CLIENT_ID empty).
// - identifierUris is api://<appId>: the one form no tenant policy blocks (identifier URI restrictions allow the
//   "default" URI even when nonDefaultUriAddition is enforced). appId exists only after creation, so the
//   application is declared twice under the same uniqueName: the second declaration (a PATCH of the same object)
//   adds the URI. Omitted properties are left as they are.
// - one delegated scope (user_impersonation) pre-authorized for the Azure CLI, so the deploying user can run
//   `az account get-access-token --resource api://<appId>` without a consent prompt (the postdeploy smoke test).
// - one app role for callers. With appRoleAssignmentRequired, Entra issues tokens for this API only to
//   principals assigned that role: every other user and workload in the tenant cannot even get a token.
extension microsoftGraphV1

param uniqueName string
param displayName string
@description('Object id of the deploying principal: made an owner (appended) so it can manage the registration.')
param ownerPrincipalId string = ''
param requireAppRoleAssignment bool = true

// The Azure CLI's well-known client id (first-party, the same in every tenant).
var azureCliClientId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'
var userImpersonationScopeId = guid(uniqueName, 'user_impersonation')
var callerAppRoleId = guid(uniqueName, 'KvJwt.Caller')
var owners = empty(ownerPrincipalId) ? null : { relationships: [ownerPrincipalId], relationshipSemantics: 'append' }

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  owners: owners
  api: {
    // v2 access tokens: iss is {login endpoint}/{tenant}/v2.0 in every cloud (the v1 issuer differs per
    // sovereign cloud) and aud is the client id; AUTH_AUDIENCE follows (main.bicep).
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: userImpersonationScopeId
        value: 'user_impersonation'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Call kv-jwt as the signed-in user'
        adminConsentDescription: 'Lets the app call kv-jwt as the signed-in user; what the user may do is decided by CALLER_POLICY.'
        userConsentDisplayName: 'Call kv-jwt as you'
        userConsentDescription: 'Lets the app call kv-jwt as you; what you may do is decided by CALLER_POLICY.'
      }
    ]
    preAuthorizedApplications: [
      { appId: azureCliClientId, delegatedPermissionIds: [userImpersonationScopeId] }
    ]
  }
  appRoles: [
    {
      id: callerAppRoleId
      value: 'KvJwt.Caller'
      displayName: 'kv-jwt caller'
      description: 'May obtain tokens for kv-jwt. What a caller may do (sign, verify, revoke, admin) is decided by CALLER_POLICY.'
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
  ]
}

// Second declaration of the same application: adds the identifier URI built from the appId.
resource applicationIdentifierUri 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: application.uniqueName
  displayName: displayName
  identifierUris: ['api://${application.appId}']
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
  appRoleAssignmentRequired: requireAppRoleAssignment
  owners: owners
}

output clientId string = application.appId
// Read after the second declaration has run: callers get the URI only once it exists.
output identifierUri string = 'api://${applicationIdentifierUri.appId}'
output servicePrincipalId string = servicePrincipal.id
output callerAppRoleId string = callerAppRoleId
