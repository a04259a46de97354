// Read access for the scan function on a management group, for scans that set KV_AUDIT_MANAGEMENT_GROUPS. A
// subscription deployment cannot assign roles at a management group, so this is deployed on its own, once per group:
//   az deployment mg create --management-group-id <group> --location <region> \
//     --template-file infra/scope/management-group-reader.bicep --parameters principalId=<FUNCTION_IDENTITY_PRINCIPAL_ID>
targetScope = 'managementGroup'

@description('Principal id of the function identity: the FUNCTION_IDENTITY_PRINCIPAL_ID output of infra/main.bicep.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource scanReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, roles.Reader)
  properties: {
    // Built-in roles are defined at the tenant root, so a management group refers to them by tenant-level id.
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', roles.Reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
