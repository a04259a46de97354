// The alert rules' identity may read the findings workspace, which is what a log search alert's query needs.

@description('Name of the Log Analytics workspace, in this resource group.')
param workspaceName string

@description('Principal id of the alert rules identity.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: workspaceName
}

resource alertsWorkspaceReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, roles.Reader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.Reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
