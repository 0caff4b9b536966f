// The one identity the function app uses for everything: Graph, its host and deployment
// storage, the app's tables and write queue, and Application Insights ingestion. User-assigned,
// so it exists (and can be granted Graph permissions) before the app does, and survives a
// re-creation of the app.

@description('Name of the user-assigned managed identity.')
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
@description('Client (application) id: what the app passes to ManagedIdentityCredential.')
output clientId string = identity.properties.clientId
@description('Object id of the identity\'s service principal: what role assignments and Graph app role assignments name.')
output principalId string = identity.properties.principalId
