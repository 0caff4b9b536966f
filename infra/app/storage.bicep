// The app's only storage account: Functions host state (AzureWebJobsStorage), the Flex
// Consumption deployment container, the idempotency-key table and the Graph budget table. Reached with the
// managed identity only: shared keys (and so connection strings and SAS) are disabled.

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
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
