// The API's app registration, for callers who sign in with Entra ID (CALLER_AUTH entra or both):
// its identifier URI, the app roles the app checks per operation, a delegated scope for the Power
// Automate connector, and its service principal. Optionally grants IntuneStatus.ReadWrite to a
// Logic App's managed identity. The deployer needs Cloud Application Administrator (or
// Application Administrator) in Entra ID: to create the registration and to assign its roles.
// The Microsoft Graph Bicep extension works in the public cloud only.
//
// On-Behalf-Of, for the operations Graph accepts only from a signed-in user (the install
// summary's update): the registration asks for the delegated Graph permission they need, an
// administrator's consent for every user is granted here (oauth2PermissionGrants, which needs
// Privileged Role Administrator or Global Administrator, as the app's Graph app roles do), and the
// app's user-assigned managed identity is trusted as the registration's federated identity
// credential: its token is the client assertion of the exchange, so no secret or certificate exists.
extension microsoftGraphV1

@description('The registration\'s unique name, also the last segment of its identifier URI.')
param name string

@description('Object id of a Logic App\'s managed identity to grant IntuneStatus.ReadWrite; empty: no grant.')
param logicAppPrincipalId string = ''

@description('Object (principal) id of the function app\'s user-assigned managed identity: the subject the federated credential trusts.')
param managedIdentityPrincipalId string

// Microsoft Graph's application id: the same in every tenant and cloud.
var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'

// The delegated Graph permission of the operations Graph accepts only from a signed-in user.
var delegatedGraphPermission = 'DeviceManagementApps.ReadWrite.All'

resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: microsoftGraphAppId
}

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
  // Looked up by value on the tenant's Graph service principal: no GUID copied by hand.
  requiredResourceAccess: [
    {
      resourceAppId: microsoftGraphAppId
      resourceAccess: [
        {
          id: filter(microsoftGraph.oauth2PermissionScopes, scope => scope.value == delegatedGraphPermission)[0].id
          type: 'Scope'
        }
      ]
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

// The app's managed identity as the registration's credential: Entra accepts the identity's token
// for this audience, from this issuer and subject, as the registration's client assertion.
resource managedIdentityCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {
  name: '${api.uniqueName}/function-app-identity'
  description: 'The function app\'s managed identity, for the On-Behalf-Of exchange of signed-in users\' tokens.'
  audiences: ['api://AzureADTokenExchange']
  issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  subject: managedIdentityPrincipalId
}

// Admin consent, for all users, to the delegated permission the exchange asks for.
resource delegatedGraphConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = {
  clientId: apiServicePrincipal.id
  resourceId: microsoftGraph.id
  consentType: 'AllPrincipals'
  scope: delegatedGraphPermission
}

resource logicAppGrant 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (!empty(logicAppPrincipalId)) {
  principalId: logicAppPrincipalId
  resourceId: apiServicePrincipal.id
  appRoleId: readWriteRoleId
}

output clientId string = api.appId
output identifierUri string = identifierUri
