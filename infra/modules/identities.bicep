// User-assigned identities: one the function runs as, one the alert rules query the workspace with. Created before
// the function app and the rules, so their roles are in place when these start.

@description('Name of the identity the function app runs as.')
param functionIdentityName string

@description('Name of the identity the log alert rules query the workspace with.')
param alertsIdentityName string

@description('Region of the identities.')
param location string

@description('Tags for the identities.')
param tags { *: string }

resource functionIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: functionIdentityName
  location: location
  tags: tags
}

resource alertsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: alertsIdentityName
  location: location
  tags: tags
}

output functionIdentityId string = functionIdentity.id
output functionClientId string = functionIdentity.properties.clientId
output functionPrincipalId string = functionIdentity.properties.principalId
output alertsIdentityId string = alertsIdentity.id
output alertsPrincipalId string = alertsIdentity.properties.principalId
