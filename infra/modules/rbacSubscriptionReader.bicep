// Read access to one subscription the scan covers: Resource Graph inventory and ARM diagnostic settings reads.
targetScope = 'subscription'

@description('Principal id of the function identity.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource scanReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roles.Reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.Reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
