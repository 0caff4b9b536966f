// Azure RBAC for the app's identity: data-plane roles only, each on the narrowest resource
// that serves its purpose. No control-plane role (Contributor, Storage Account Contributor,
// ...) is granted; the app never manages resources.

@description('Object id of the identity\'s service principal.')
param principalId string
param storageAccountName string
param applicationInsightsName string

// Built-in role definition ids (the same in every Azure cloud).
var roles = {
  // Storage Blob Data Owner: the Functions host creates and leases its own containers
  // (azure-webjobs-hosts, azure-webjobs-secrets) in AzureWebJobsStorage, and Flex
  // Consumption reads the deployment package from the deployment container.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Storage Table Data Contributor: read/write of the app's entities (idempotency keys, the
  // Graph budget, write operations) and the host's diagnostic-events table; no right to change
  // the account or its ACLs.
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Storage Queue Data Contributor: the queue of writes the app finishes itself. The app creates
  // it if missing (Create Queue, at each instance's first send) and sends to it; the Functions
  // host's queue triggers read the queue's length, receive and delete messages, release a failed
  // one (Update Message) and move it to the poison queue (creating that if missing). Message
  // Processor + Sender grant peek, receive, delete and add only: neither Create Queue nor
  // Update Message.
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Monitoring Metrics Publisher: lets the identity send telemetry to an Application
  // Insights resource whose local (key) authentication is disabled.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Storage Blob Data Owner on the app's own storage account (host storage + deployment container).
resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, roles.storageBlobDataOwner)
  scope: storageAccount
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

// Storage Table Data Contributor on the same account (keys, budget and operations tables).
resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, roles.storageTableDataContributor)
  scope: storageAccount
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

// Storage Queue Data Contributor on the same account, scoped as the table role is (the write
// queue and its poison queue; the host's own storage needs no queue).
resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, roles.storageQueueDataContributor)
  scope: storageAccount
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
  }
}

// Monitoring Metrics Publisher on the Application Insights resource only.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}
