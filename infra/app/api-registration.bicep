// The API's app registration, for callers who sign in with Entra ID (CALLER_AUTH entra or both):
// its identifier URI, the app roles the app checks per operation, a delegated scope for the Power
// Automate connector, and its service principal. Optionally grants IntuneStatus.ReadWrite to a
// Logic App's managed identity. The deployer needs Cloud Application Administrator (or
// Application Administrator) in Entra ID: to create the registration and to assign its roles.
// The Microsoft Graph Bicep extension works in the public cloud only.
extension microsoftGraphV1

@description('The registration\'s unique name, also the last segment of its identifier URI.')
param name string

@description('Object id of a Logic App\'s managed identity to grant IntuneStatus.ReadWrite; empty: no grant.')
param logicAppPrincipalId string = ''

// An app cannot name its own appId in its identifier URI at creation; the tenant id can be named.
var identifierUri = 'api://${tenant().tenantId}/${name}'

// Stable ids, derived from the name, so that a redeployment keeps each role and scope.
var readRoleId = guid(name, 'IntuneStatus.Read')
var readWriteRoleId = guid(name, 'IntuneStatus.ReadWrite')
var scopeId = guid(name, 'user_impersonation')

resource api 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: name
  displayName: name
  signInAudience: 'AzureADMyOrg'
  identifierUris: [identifierUri]
  appRoles: [
    {
      id: readRoleId
      value: 'IntuneStatus.Read'
      displayName: 'Read Intune reporting status'
      description: 'Read the user status summaries, install summaries and user status overviews the facade exposes.'
      allowedMemberTypes: ['Application', 'User']
      isEnabled: true
    }
    {
      id: readWriteRoleId
      value: 'IntuneStatus.ReadWrite'
      displayName: 'Read and write Intune reporting status'
      description: 'Read, update and create the Intune reporting statuses the facade exposes.'
      allowedMemberTypes: ['Application', 'User']
      isEnabled: true
    }
  ]
  api: {
    // v2 tokens: issuer https://login.microsoftonline.com/<tenant>/v2.0, audience the client id.
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: scopeId
        value: 'user_impersonation'
        type: 'User'
        adminConsentDisplayName: 'Call the Intune status facade as the signed-in user'
        adminConsentDescription: 'Lets a client (the Power Automate connector) call the facade on behalf of the signed-in user, within the app roles the user holds.'
        userConsentDisplayName: 'Call the Intune status facade as you'
        userConsentDescription: 'Lets the client call the facade on your behalf, within the app roles you hold.'
        isEnabled: true
      }
    ]
  }
}

resource apiServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: api.appId
}

resource logicAppGrant 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (!empty(logicAppPrincipalId)) {
  principalId: logicAppPrincipalId
  resourceId: apiServicePrincipal.id
  appRoleId: readWriteRoleId
}

output clientId string = api.appId
output identifierUri string = identifierUri
