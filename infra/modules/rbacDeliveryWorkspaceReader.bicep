// KV_AUDIT_VERIFY_DELIVERY: the function identity may query one destination workspace for the vaults' latest AuditEvent
// (Log Analytics Reader: read the workspace and run queries), and nothing else there.

@description('Name of the destination Log Analytics workspace, in this resource group.')
param workspaceName string

@description('Principal id of the function identity.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: workspaceName
}

resource deliveryReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, roles.LogAnalyticsReader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.LogAnalyticsReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
