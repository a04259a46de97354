// The DCR the scan sends findings and scan rows to through the Logs Ingestion API: one stream per table, declared
// from the same generated column files as the tables, passed through unchanged.

@description('Name of the data collection rule.')
param name string

@description('Region of the DCR: the region of the workspace it sends to.')
param location string

@description('Resource id of the workspace that holds the findings tables.')
param workspaceResourceId string

@description('Tags for the DCR.')
param tags { *: string }

var columnFiles = [
  loadJsonContent('../generated/KeyVaultAuditFindings_CL.columns.json')
  loadJsonContent('../generated/KeyVaultAuditScans_CL.columns.json')
]
var destinationName = 'findingsWorkspace'

resource dataCollectionRule 'Microsoft.Insights/dataCollectionRules@2024-03-11' = {
  name: name
  location: location
  tags: tags
  // Direct: the DCR gets its own logs ingestion endpoint, so no data collection endpoint is needed.
  kind: 'Direct'
  properties: {
    description: 'kv-audit-monitor: findings and scan rows written by the scan function.'
    streamDeclarations: toObject(columnFiles, file => file.streamName, file => {
      columns: map(file.columns, column => {
        name: column.name
        type: column.type
      })
    })
    destinations: {
      logAnalytics: [
        {
          name: destinationName
          workspaceResourceId: workspaceResourceId
        }
      ]
    }
    dataFlows: map(columnFiles, file => {
      streams: [file.streamName]
      destinations: [destinationName]
      transformKql: 'source'
      outputStream: 'Custom-${file.tableName}'
    })
  }
}

output id string = dataCollectionRule.id
output name string = dataCollectionRule.name
output immutableId string = dataCollectionRule.properties.immutableId
output logsIngestionEndpoint string = dataCollectionRule.properties.endpoints.logsIngestion
