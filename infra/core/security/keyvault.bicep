// Key Vault for the Google client secret, the token-encryption key and tenants' keys. Access is Azure RBAC only;
// soft delete and purge protection keep a deleted or rotated encryption key recoverable (tokens depend on it).
param name string
param location string
param tags object

@description('Principal (the app identity) that reads secrets: Key Vault Secrets User, read only.')
param readerPrincipalId string

@description('Principal that sets secrets after deployment (the person running azd); empty for none.')
param officerPrincipalId string = ''

@allowed(['User', 'ServicePrincipal'])
param officerPrincipalType string = 'User'

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, readerPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(officerPrincipalId)) {
  name: guid(vault.id, officerPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: officerPrincipalId
    principalType: officerPrincipalType
  }
}

output name string = vault.name
output id string = vault.id
output endpoint string = vault.properties.vaultUri
