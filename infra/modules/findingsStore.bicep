// Where findings land: the two custom tables the scan writes, with columns generated from src/findings/schema.ts
// (`npm run generate`), and the DCR the scan sends them through with the Logs Ingestion API, one stream per table,
// declared from the same column files, so the tables always accept exactly what the function sends.

@description('Name of the Log Analytics workspace, in this resource group, that holds the tables.')
param workspaceName string

@minValue(4)
@maxValue(730)
@description('Interactive (Analytics) retention of both tables, in days.')
param retentionInDays int

@minValue(4)
@maxValue(4383)
@description('Total retention of both tables (interactive plus long-term), in days; main.bicep checks the values the Tables API accepts.')
param totalRetentionInDays int

@description('Name of the data collection rule.')
param dataCollectionRuleName string

@description('Tags for the DCR.')
param tags { *: string }

var columnFiles = [
  loadJsonContent('../generated/KeyVaultAuditFindings_CL.columns.json')
  loadJsonContent('../generated/KeyVaultAuditScans_CL.columns.json')
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' existing = {
  name: workspaceName
}

resource tables 'Microsoft.OperationalInsights/workspaces/tables@2026-03-01' = [for file in columnFiles: {
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

// The workspace function every shipped query reads findings through (infra/queries/functions): which resources are
// in scope as of a time, now that scans write only what changed. Its parameters are the file's first line; a test
// compares them with functionParameters below.
resource recordsFunction 'Microsoft.OperationalInsights/workspaces/savedSearches@2025-07-01' = {
  parent: workspace
  name: 'kv-audit-keyvaultauditrecords'
  properties: {
    category: 'kv-audit-monitor'
    displayName: 'KeyVaultAuditRecords'
    functionAlias: 'KeyVaultAuditRecords'
    functionParameters: 'asOf:datetime, lookback:timespan, triggers:dynamic'
    query: loadTextContent('../queries/functions/KeyVaultAuditRecords.kql')
  }
  dependsOn: [tables]
}

// A DCR is validated against its output tables when it is created: it depends on the tables themselves, and goes
// in the workspace's region. Brand-new tables can still take a moment to be visible to it (InvalidOutputTable, e.g.
// Azure/AzureMonitorStarterPacks#82); docs/operations.md says to run the deployment again, which is idempotent.
module dataCollectionRule 'dataCollectionRule.bicep' = {
  name: 'kvaudit-dcr-${uniqueString(dataCollectionRuleName)}'
  params: {
    name: dataCollectionRuleName
    location: workspace.location
    workspaceResourceId: workspace.id
    tags: tags
  }
  dependsOn: [
    tables
  ]
}

output workspaceResourceId string = workspace.id
output workspaceName string = workspace.name
output workspaceLocation string = workspace.location
output workspaceCustomerId string = workspace.properties.customerId
output dataCollectionRuleId string = dataCollectionRule.outputs.id
output dataCollectionRuleName string = dataCollectionRule.outputs.name
output dataCollectionRuleImmutableId string = dataCollectionRule.outputs.immutableId
output logsIngestionEndpoint string = dataCollectionRule.outputs.logsIngestionEndpoint
