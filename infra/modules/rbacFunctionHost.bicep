// What the Functions host itself needs, on its own resources only: blob data on the host storage account (package,
// timer schedule status and lease) and telemetry publishing on Application Insights (Entra ID ingestion).

@description('Name of the host storage account, in this resource group.')
param storageAccountName string

@description('Name of the Application Insights component, in this resource group.')
param applicationInsightsName string

@description('Principal id of the function identity.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource hostStorageBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.StorageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.StorageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.MonitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.MonitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
