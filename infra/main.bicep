// Entry point for `azd provision` / `azd up`: one resource group holding a Flex Consumption
// function app that reaches Microsoft Graph, its storage and Application Insights through a
// single user-assigned managed identity. No key, secret or connection string is created,
// stored or handed to the app.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; feeds the resource group name, the tags and the resource name suffix.')
param environmentName string

@minLength(1)
@description('Azure region of every resource. It must offer the Flex Consumption plan (`az functionapp list-flexconsumption-locations`).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

// Flex Consumption availability differs by cloud: at the time of writing it is offered in
// the public cloud, and may be missing, or limited to a few regions, in Azure Government and
// Azure China. The template stays valid for every value below; the region you pick must
// offer FC1 in the cloud you deploy to.
@description('Microsoft Graph national cloud the app calls: it sets the GRAPH_CLOUD app setting (Graph root, token scope, authority).')
@allowed([
  'Global'
  'USGov'
  'USGovDoD'
  'China'
])
param graphCloud string = 'Global'

// Granting application permissions writes to Entra ID: the deployer needs Privileged Role
// Administrator (or Global Administrator). Set to false when you lack it and have an admin
// grant the two permissions afterwards (see "Deploying without the Entra role" in README.md).
@description('Grant the identity the Graph application permissions DeviceManagementApps.ReadWrite.All and DeviceManagementConfiguration.ReadWrite.All with the Microsoft Graph Bicep extension.')
param grantGraphPermissions bool = true

@description('Name of the resource group to create; empty means rg-<environmentName>.')
param resourceGroupName string = ''

@description('Upper bound of Flex Consumption instances; caps the cost of a burst and the load on Graph.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// Intune allows 100 writes per 20 s per app per tenant, shared by every instance; each instance
// holds its writes to this rate (GRAPH_WRITES_PER_20S). Lower it if the app really scales out.
@minValue(1)
@maxValue(200)
param graphWritesPer20Seconds int = 90

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Origins allowed to call the app from a browser. The Azure portal origins let the Logic Apps designer read the API definition; add the origin of any web page that calls the facade.')
param corsAllowedOrigins array = [
  'https://portal.azure.com'
  'https://ms.portal.azure.com'
]

var serviceName = 'api'
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${serviceName}-${resourceToken}'
// The Flex deployment container holds the packages that `azd deploy` uploads.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'
// The table where the app records idempotency keys, so a retried POST cannot create a duplicate.
var idempotencyTableName = 'idempotencykeys'

// The Graph Bicep extension only runs in the public cloud (Microsoft Graph Bicep
// limitation), so in a national cloud the grant is always left to an administrator.
var graphGrantDeployed = grantGraphPermissions && graphCloud == 'Global'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${serviceName}-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    idempotencyTableName: idempotencyTableName
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module api 'app/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    // azd finds the deployment target through this tag.
    tags: union(tags, { 'azd-service-name': serviceName })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    idempotencyTableName: idempotencyTableName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    graphCloud: graphCloud
    maximumInstanceCount: maximumInstanceCount
    graphWritesPer20Seconds: graphWritesPer20Seconds
    instanceMemoryMB: instanceMemoryMB
    corsAllowedOrigins: corsAllowedOrigins
  }
  // The host starts as soon as the site exists: let it find its storage and telemetry
  // permissions in place instead of failing its first start.
  dependsOn: [
    rbac
  ]
}

module graphPermissions 'app/graph-permissions.bicep' = if (graphGrantDeployed) {
  name: 'graph-permissions'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
// Client id and object id of the app's identity: identifiers, not credentials. An admin
// needs the object id to grant the Graph permissions by hand.
output AZURE_CLIENT_ID string = identity.outputs.clientId
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output GRAPH_CLOUD string = graphCloud
output GRAPH_PERMISSIONS_GRANTED bool = graphGrantDeployed
