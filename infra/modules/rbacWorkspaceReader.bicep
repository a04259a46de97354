// An identity may read the findings workspace: the alert rules' (what a log search alert's query needs), and the
// function's (an incremental scan asks whether the last scan's rows arrived).

@description('Name of the Log Analytics workspace, in this resource group.')
param workspaceName string

@description('Principal id of the identity that reads the workspace.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: workspaceName
}

resource workspaceReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, roles.Reader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.Reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
