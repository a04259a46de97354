// A principal may send rows through this DCR, and through nothing else: the Logs Ingestion API checks Monitoring
// Metrics Publisher on the DCR itself. Granted to the function identity, and optionally to a developer.

@description('Name of the data collection rule, in this resource group.')
param dataCollectionRuleName string

@description('Principal (object) id that may send rows.')
param principalId string

@description('Type of that principal.')
param principalType 'User' | 'Group' | 'ServicePrincipal'

var roles = loadJsonContent('../roleDefinitions.json')

resource dataCollectionRule 'Microsoft.Insights/dataCollectionRules@2024-03-11' existing = {
  name: dataCollectionRuleName
}

resource ingestionPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataCollectionRule.id, principalId, roles.MonitoringMetricsPublisher)
  scope: dataCollectionRule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.MonitoringMetricsPublisher)
    principalId: principalId
    principalType: principalType
  }
}
