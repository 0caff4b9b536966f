// Entry point for `azd provision` / `azd up`: one resource group holding a Flex Consumption
// function app that reaches Microsoft Graph, its storage and Application Insights through a
// single user-assigned managed identity. No key, secret or connection string is created,
// stored or handed to the app.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; feeds the resource group name, the tags and the resource name suffix.')
param environmentName string

// The public cloud's regions that offer the Flex Consumption plan (FC1), as
// `az functionapp list-flexconsumption-locations` lists them; azd offers only these. For a
// region added later, or one of a national cloud that offers FC1, add it here.
@minLength(1)
@description('Azure region of every resource; only regions that offer the Flex Consumption plan.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
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

// Flex Consumption documents 40 as the floor of maximumInstanceCount (lower values only in some
// regions, in preview) and 1000 as the ceiling. The facade is bound by Graph, not by CPU: Intune
// allows 100 writes and 1000 requests per 20 s for the whole app, and one instance serves that
// rate, so the floor is the right cap. It also sets each instance's fallback share of the
// budget (the limit divided by this) when the shared budget's table cannot be reached.
@description('Upper bound of Flex Consumption instances (40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

// Requests one instance serves at once before Flex Consumption adds another (1 to 1000). A
// request waiting for its Graph turn costs a socket and a timer, not CPU, so the default is high:
// the budget's queue (at most the time budget × the rate) must not make instances that bring
// no more Graph capacity. The platform's own default is 16 at 2048 MB.
@description('HTTP requests per instance before Flex Consumption scales out (1 to 1000).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 100

// Intune allows 100 writes per 20 s per app per tenant, shared by every instance: the app keeps
// one budget for all of them in its storage account (GRAPH_WRITES_PER_20S). The default, with a
// burst of 4, leaves one write of margin in any 20 s.
@description('Writes the whole app sends to Graph per 20 s (1 to 96; with the burst of 4, Intune allows 100).')
@minValue(1)
@maxValue(96)
param graphWritesPer20Seconds int = 95

// Intune allows 1000 requests per 20 s per app, writes included (GRAPH_READS_PER_20S). With
// the bursts (4 writes, 40 reads) and 100 writes, 850 reads keep the worst 20 s under 1000.
@description('Reads the whole app sends to Graph per 20 s (1 to 850; Intune allows 1000 requests, writes included).')
@minValue(1)
@maxValue(850)
param graphReadsPer20Seconds int = 800

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('How callers prove who they are: function-key (the default), entra (Entra ID tokens with app roles; declares the API\'s app registration and App Service Authentication), or both while callers move from keys to tokens. Entra needs the public cloud here (the Graph Bicep extension).')
@allowed([
  'function-key'
  'entra'
  'both'
])
param callerAuth string = 'function-key'

@description('Object id of a Logic App\'s managed identity to grant the IntuneStatus.ReadWrite app role (entra or both); empty: none.')
param logicAppPrincipalId string = ''

@description('Where the operator\'s alerts are e-mailed (docs/operations.md); empty, the action group has no receiver.')
param alertEmailAddress string = ''

@description('Origins allowed to call the app from a browser. All, as Microsoft\'s guide for the Logic Apps Azure Functions action says: its designer reads the API definition from the browser, in any cloud\'s portal; no credentials are allowed, so none can be carried.')
param corsAllowedOrigins array = [
  '*'
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
// The table holding the Graph request budget (one row per request kind) that every instance shares.
var budgetTableName = 'graphbudget'
// Writes the app finishes itself (202 Accepted): the table of their records and the queue of their
// messages (its poison queue is `<name>-poison`). The app's defaults, written to the app settings
// too, so that what is created and what the app uses cannot drift apart.
var operationsTableName = 'writeoperations'
var writeQueueName = 'graph-writes'

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

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    location: location
    tags: tags
    alertEmailAddress: alertEmailAddress
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
    budgetTableName: budgetTableName
    operationsTableName: operationsTableName
    writeQueueName: writeQueueName
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
    tags: tags
    siteTags: union(tags, { 'azd-service-name': serviceName })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    idempotencyTableName: idempotencyTableName
    budgetTableName: budgetTableName
    operationsTableName: operationsTableName
    writeQueueName: writeQueueName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    graphCloud: graphCloud
    maximumInstanceCount: maximumInstanceCount
    graphWritesPer20Seconds: graphWritesPer20Seconds
    graphReadsPer20Seconds: graphReadsPer20Seconds
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    instanceMemoryMB: instanceMemoryMB
    corsAllowedOrigins: corsAllowedOrigins
    callerAuth: apiRegistrationDeployed ? callerAuth : 'function-key'
    apiClientId: apiRegistrationDeployed ? apiRegistration!.outputs.clientId : ''
    apiIdentifierUri: apiRegistrationDeployed ? apiRegistration!.outputs.identifierUri : ''
  }
  // The host starts as soon as the site exists: let it find its storage and telemetry
  // permissions in place instead of failing its first start.
  dependsOn: [
    rbac
  ]
}

// The grant goes last: Entra ID can refuse an app role assignment to a principal created
// seconds before ("Not a valid reference update", a known transient error of the Graph Bicep
// extension). Waiting for the app, which takes minutes, gives the new identity time to
// replicate; if the error still shows, `azd provision` again succeeds (README).
// The API's app registration, where callers sign in; the Graph Bicep extension runs in the public cloud only.
var apiRegistrationDeployed = callerAuth != 'function-key' && graphCloud == 'Global'

module apiRegistration 'app/api-registration.bicep' = if (apiRegistrationDeployed) {
  name: 'api-registration'
  scope: rg
  params: {
    name: 'intune-status-facade-${resourceToken}'
    logicAppPrincipalId: logicAppPrincipalId
    managedIdentityPrincipalId: identity.outputs.principalId
  }
}

module graphPermissions 'app/graph-permissions.bicep' = if (graphGrantDeployed) {
  name: 'graph-permissions'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
  }
  dependsOn: [
    api
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
// Client id and object id of the app's identity: identifiers, not credentials. An admin
// needs the object id to grant the Graph permissions by hand.
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output GRAPH_CLOUD string = graphCloud
output GRAPH_PERMISSIONS_GRANTED bool = graphGrantDeployed
output CALLER_AUTH string = apiRegistrationDeployed ? callerAuth : 'function-key'
output API_CLIENT_ID string = apiRegistrationDeployed ? apiRegistration!.outputs.clientId : ''
output API_IDENTIFIER_URI string = apiRegistrationDeployed ? apiRegistration!.outputs.identifierUri : ''
