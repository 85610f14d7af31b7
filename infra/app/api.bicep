// The broker's Function App on Flex Consumption (Linux, .NET 10 isolated worker), running as the user-assigned
// identity: host storage, the deployment package, Key Vault and Application Insights are all reached with it,
// so no app setting holds a key.
param name string
param planName string
param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Client id of that identity (what DefaultAzureCredential and the host need to pick it).')
param identityClientId string

param storageAccountName string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainerName string

param applicationInsightsConnectionString string
param keyVaultUri string

param maximumInstanceCount int = 100
param instanceMemoryMB int = 2048

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
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd deploy finds the app to publish `services.api` to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  // Publishing goes through Entra ID (azd); basic-auth FTP and SCM credentials stay off.
  resource ftpCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }

  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }

  // Every setting the app reads. tests/CreatioGoogle.Tests/Deployment/ConfigurationContractTests.cs compares
  // these names with the settings the code requires; keep the keys literal so the test can read them.
  // Flex Consumption sets the worker runtime and version from functionAppConfig: FUNCTIONS_WORKER_RUNTIME and
  // FUNCTIONS_EXTENSION_VERSION must not appear here.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Functions host storage through the managed identity (no connection string, shared keys are off).
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
      AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
      AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
      // Application Insights with Entra ID auth (the component has local auth disabled).
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // DefaultAzureCredential in the broker picks the user-assigned identity by this client id.
      AZURE_CLIENT_ID: identityClientId
      KeyVault__VaultUri: keyVaultUri
      // The broker builds its Google redirect URI on this address (Broker:PublicBaseUrl).
      Broker__PublicBaseUrl: 'https://${site.properties.defaultHostName}'
      // Timer schedules (NCRONTAB with seconds) and the queue name that the functions' %...% bindings read;
      // the host resolves them from app settings only.
      RenewTokensSchedule: '0 */5 * * * *'
      ScheduleSyncsSchedule: '0 */5 * * * *'
      SyncQueueName: 'sync-jobs'
      StatusCallbackQueueName: 'status-callbacks'
      RenewPushChannelsSchedule: '0 */10 * * * *'
    }
  }
}

output name string = site.name
output id string = site.id
output uri string = 'https://${site.properties.defaultHostName}'
