// Grants the app's managed identity the Microsoft Graph application permissions (app
// roles) its operations need, and nothing else:
//   DeviceManagementApps.ReadWrite.All           mobile app configurations, user statuses,
//                                                mobile app install summaries
//   DeviceManagementConfiguration.ReadWrite.All  device compliance policy user status overview
// A managed identity cannot be consented to interactively; an app role assignment on the
// Microsoft Graph service principal is the grant. Writing one needs a deployer with
// Privileged Role Administrator (or Global Administrator) in Entra ID. The Microsoft Graph
// Bicep extension works in the public cloud only.
extension microsoftGraphV1

@description('Object id of the managed identity\'s service principal.')
param principalId string

// Microsoft Graph's application id: the same in every tenant and cloud.
var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'

var graphAppRoles = [
  'DeviceManagementApps.ReadWrite.All'
  'DeviceManagementConfiguration.ReadWrite.All'
]

resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: microsoftGraphAppId
}

// The app role id is looked up by its value on the tenant's Graph service principal, so no
// GUID is copied by hand and a misspelt name fails the deployment instead of granting
// something else.
resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for appRole in graphAppRoles: {
    principalId: principalId
    resourceId: microsoftGraph.id
    appRoleId: filter(microsoftGraph.appRoles, role => role.value == appRole)[0].id
  }
]

output grantedAppRoles array = graphAppRoles
