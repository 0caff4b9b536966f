// The app's only storage account: Functions host state (AzureWebJobsStorage), the Flex
// Consumption deployment container, the idempotency-key table, the Graph budget table, and the
// queue and table of the writes the app finishes itself. Reached with the managed identity only:
// shared keys (and so connection strings and SAS) are disabled.

@minLength(3)
@maxLength(24)
param name string
param location string
param tags object

@description('Blob container that receives the packages `azd deploy` uploads.')
param deploymentContainerName string

@description('Table where the app records idempotency keys.')
param idempotencyTableName string

@description('Table holding the Graph request budget every instance shares.')
param budgetTableName string

@description('Table holding the records of the writes the app finishes itself (202 Accepted).')
param operationsTableName string

// The app's own limit for WRITE_QUEUE_NAME (src/config.ts), which also leaves room for the
// `-poison` suffix within Queue Storage's 63 characters.
@description('Queue of the writes the app finishes itself; the Functions host moves messages that keep failing to <name>-poison.')
@minLength(3)
@maxLength(50)
param writeQueueName string

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource idempotencyTable 'tables' = {
      name: idempotencyTableName
    }

    resource budgetTable 'tables' = {
      name: budgetTableName
    }

    resource operationsTable 'tables' = {
      name: operationsTableName
    }
  }

  // Both queues exist before the app starts: the app sends to the first, FinishWrite reads it,
  // and AbandonWrite reads the poison queue, where the Functions host moves a message after
  // host.json's maxDequeueCount failed runs (the host names it `<queue>-poison` itself).
  resource queueService 'queueServices' = {
    name: 'default'

    resource writeQueue 'queues' = {
      name: writeQueueName
    }

    resource writePoisonQueue 'queues' = {
      name: '${writeQueueName}-poison'
    }
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
output queueEndpoint string = account.properties.primaryEndpoints.queue
