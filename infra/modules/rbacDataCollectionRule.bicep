// The function identity may send rows through this DCR, and through nothing else: the Logs Ingestion API checks
// Monitoring Metrics Publisher on the DCR itself.

@description('Name of the data collection rule, in this resource group.')
param dataCollectionRuleName string

@description('Principal id of the function identity.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource dataCollectionRule 'Microsoft.Insights/dataCollectionRules@2023-03-11' existing = {
  name: dataCollectionRuleName
}

resource ingestionPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataCollectionRule.id, principalId, roles.MonitoringMetricsPublisher)
  scope: dataCollectionRule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.MonitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
