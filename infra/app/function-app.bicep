// Flex Consumption plan (FC1, Linux) and the Node.js 22 function app. Every connection the
// app makes is identity-based with the user-assigned identity: the app settings below hold
// endpoints and a client id, never a key, secret or storage connection string.

param name string
param planName string
param location string
param tags object

@description('Tags of the site alone (azd finds the service by its azd-service-name tag there).')
param siteTags object

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

param storageAccountName string
param deploymentContainerName string
param idempotencyTableName string
param budgetTableName string

@description('Table holding the records of the writes the app finishes itself (OPERATIONS_TABLE_NAME).')
param operationsTableName string

@description('Queue of the writes the app finishes itself (WRITE_QUEUE_NAME); its poison queue is <name>-poison.')
param writeQueueName string

param applicationInsightsName string

@allowed([
  'Global'
  'USGov'
  'USGovDoD'
  'China'
])
param graphCloud string

param maximumInstanceCount int

@description('Writes the whole app sends to Graph per 20 seconds, shared by every instance.')
param graphWritesPer20Seconds int

@description('Reads the whole app sends to Graph per 20 seconds, shared by every instance.')
param graphReadsPer20Seconds int

@description('HTTP requests one instance serves at once before another is added.')
param httpPerInstanceConcurrency int
param instanceMemoryMB int

@description('How callers prove who they are (the app\'s CALLER_AUTH): function-key, entra, or both.')
@allowed([
  'function-key'
  'entra'
  'both'
])
param callerAuth string

@description('Client id of the API\'s app registration (callers\' token audience); empty with function keys.')
param apiClientId string

@description('Identifier URI of the API\'s app registration; empty with function keys.')
param apiIdentifierUri string

@description('Origins allowed to call the app from a browser: all by default, as Microsoft\'s guide for the Logic Apps Functions action says (no credentials are allowed, so none can be carried).')
param corsAllowedOrigins array

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: siteTags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // siteConfig: set below (apiDefinition), once the site's host name is known.
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // HTTP is the only trigger this object configures (FunctionsScaleAndConcurrencyTriggers
        // has `http` alone). The queue functions (FinishWrite, AbandonWrite) each scale on their
        // own instances by queue length (target-based scaling: one instance per host.json
        // `batchSize` messages, 8), within maximumInstanceCount, and each instance runs at most
        // `batchSize` + `newBatchThreshold` = 12 of them at once: host.json sets that, not this.
        // More instances bring no more Graph writes: every attempt takes its turn from the one
        // shared budget, and a write that gets no turn within its time budget goes back on the
        // queue with a delay rather than holding an instance. At the default 95 writes per 20 s
        // (4.75/s), 12 in flight cover Graph answers of up to 2.5 s, so one instance can already
        // use the whole budget: the budget, not the instance count, paces the writes.
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Flex Consumption takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME,
  // FUNCTIONS_EXTENSION_VERSION and the WEBSITE_* content settings are not set there.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage, identity-based: service URIs + credential + client id. No queue URI: the
      // host keeps nothing in queues of its own (no blob trigger, no Durable Functions); the
      // app's queue triggers use the `IdempotencyStorage` connection below.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: storageAccount.properties.primaryEndpoints.blob
      AzureWebJobsStorage__tableServiceUri: storageAccount.properties.primaryEndpoints.table

      // Application Insights. The connection string names the ingestion endpoint and the
      // resource; with local auth disabled on the resource it grants nothing by itself:
      // ingestion needs an Entra token, which the host gets with the identity named here.
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

      // Read by the app (src/config.ts): which Graph cloud, and which identity to use.
      GRAPH_CLOUD: graphCloud
      // How callers prove who they are; with entra or both, App Service Authentication (below) checks tokens.
      CALLER_AUTH: callerAuth
      AZURE_CLIENT_ID: identityClientId
      // On-Behalf-Of (src/graph/on-behalf-of.ts): the API's registration, which trusts the identity
      // above as its federated credential, exchanges a signed-in user's token for Graph. Empty
      // with function keys only: then no user signs in, and the install summary's update is refused.
      API_CLIENT_ID: apiClientId
      AZURE_TENANT_ID: tenant().tenantId
      // No languageWorkers__node__arguments: with any, the host skips its pre-warmed placeholder
      // worker and starts a new Node.js process on every cold start. The 192 MB heap cap it once
      // set was measured at 32 connections, not at the 100 an instance is given; V8's default
      // sizing within the instance's memory (instanceMemoryMB) is kept instead.

      // One Graph budget for the app, kept in the table service below (src/budget): every
      // instance takes its turns from it; the instance cap sets the share each falls back to.
      GRAPH_WRITES_PER_20S: string(graphWritesPer20Seconds)
      GRAPH_READS_PER_20S: string(graphReadsPer20Seconds)
      GRAPH_MAX_INSTANCES: string(maximumInstanceCount)
      GRAPH_BUDGET_TABLE_NAME: budgetTableName

      // Idempotency-key table: its name and an identity-based table connection named
      // `IdempotencyStorage`, in the same form the Functions host uses for its own storage.
      IDEMPOTENCY_TABLE_NAME: idempotencyTableName
      // Writes the app finishes itself (202 Accepted): their records in a table beside the keys,
      // their messages in a queue of the same account (both created by storage.bicep under these
      // names). The same `IdempotencyStorage` connection reaches the queue service: the app sends
      // with it, and the Functions host's queue triggers (FinishWrite on the queue, AbandonWrite
      // on `<queue>-poison`) read with it, from the same three settings. Without the queue URI
      // the app answers every write synchronously and registers no queue trigger.
      OPERATIONS_TABLE_NAME: operationsTableName
      WRITE_QUEUE_NAME: writeQueueName
      IdempotencyStorage__tableServiceUri: storageAccount.properties.primaryEndpoints.table
      IdempotencyStorage__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
      IdempotencyStorage__credential: 'managedidentity'
      IdempotencyStorage__clientId: identityClientId
    }
  }
}

// The site's configuration. The Logic Apps designer's Azure Functions action lists functions
// with custom routes only from the app's API definition, which it reads as Swagger 2.0 from the
// browser: the app serves it (src/api-description), and CORS lets the designer fetch it. Its URL
// needs the site's host name (the domain differs per cloud), which the site's own declaration
// cannot read: so the configuration is set once the site exists.
resource apiDefinition 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'web'
  properties: {
    minTlsVersion: '1.2'
    scmMinTlsVersion: '1.2'
    http20Enabled: true
    cors: {
      allowedOrigins: corsAllowedOrigins
      supportCredentials: false
    }
    apiDefinition: {
      url: 'https://${functionApp.properties.defaultHostName}/api/swagger.json'
    }
  }
}

// App Service Authentication, for callers who sign in with Entra ID: the platform validates the
// token (401 without a valid one, unless both keys and tokens are accepted) and passes the caller
// to the app, which checks its app roles (src/identity/caller-roles.ts). Health and the API
// descriptions stay open.
resource authentication 'Microsoft.Web/sites/config@2024-04-01' = if (callerAuth != 'function-key') {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: callerAuth == 'entra'
      unauthenticatedClientAction: callerAuth == 'entra' ? 'Return401' : 'AllowAnonymous'
      excludedPaths: [
        '/api/health'
        '/api/openapi.json'
        '/api/swagger.json'
        '/api/docs'
        // The reference page's assets: a path with /* covers what is under it.
        '/api/docs/*'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            apiClientId
            apiIdentifierUri
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

// Basic (user name + password) publishing credentials off for FTP and for the SCM site:
// deployments authenticate with Entra ID (azd does).
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
