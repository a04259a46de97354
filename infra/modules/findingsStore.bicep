// The two custom tables the scan writes, with columns generated from src/findings/schema.ts (`npm run generate`),
// so the tables always accept exactly what the function sends.

@description('Name of the Log Analytics workspace, in this resource group, that holds the tables.')
param workspaceName string

@minValue(4)
@maxValue(730)
@description('Interactive (Analytics) retention of both tables, in days.')
param retentionInDays int

@minValue(4)
@maxValue(4383)
@description('Total retention of both tables (interactive plus long-term), in days; at least retentionInDays.')
param totalRetentionInDays int

var columnFiles = [
  loadJsonContent('../generated/KeyVaultAuditFindings_CL.columns.json')
  loadJsonContent('../generated/KeyVaultAuditScans_CL.columns.json')
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource tables 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = [for file in columnFiles: {
  parent: workspace
  name: file.tableName
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    totalRetentionInDays: totalRetentionInDays
    schema: {
      name: file.tableName
      columns: map(file.columns, column => {
        name: column.name
        // The Tables API spells the DCR stream type 'datetime' as 'dateTime'.
        type: column.type == 'datetime' ? 'dateTime' : column.type
        description: column.?description
      })
    }
  }
}]

output workspaceResourceId string = workspace.id
output workspaceName string = workspace.name
output workspaceLocation string = workspace.location
output workspaceCustomerId string = workspace.properties.customerId
