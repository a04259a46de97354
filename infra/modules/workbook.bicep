// The Azure Monitor workbook over the findings: posture, trend, failures, new failures, expiring exemptions and scan
// health. Its JSON is generated from the query files under infra/queries (`npm run generate`, src/workbook/), and
// test/infra/workbook.test.ts fails when the committed file drifts from them. It is deployed where the workspace is and
// linked to it (sourceId), so it is listed under the workspace's Workbooks.

@description('Resource id of the findings workspace: the workbook is listed under it and queries it.')
param workspaceResourceId string

@description('Region of the workbook: the workspace region.')
param location string

@description('Tags for the workbook.')
param tags { *: string }

// Shared workbooks are ARM resources named by a GUID (Microsoft.Insights/workbooks, 2023-06-01: kind 'shared',
// category 'workbook', sourceId the resource it belongs to; azure-rest-api-specs, WorkbookManagedAdd.json). Deriving
// the GUID from the workspace keeps one workbook per workspace, updated in place by every deployment.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(workspaceResourceId, 'kv-audit-monitor-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Key Vault audit logging (${last(split(workspaceResourceId, '/'))})'
    category: 'workbook'
    sourceId: workspaceResourceId
    version: 'Notebook/1.0'
    // Opened from anywhere but the workspace (the resource group, a link), the workbook queries its fallback resource.
    serializedData: string(union(loadJsonContent('../generated/kv-audit-monitor.workbook.json'), {
      fallbackResourceIds: [workspaceResourceId]
    }))
  }
}

output id string = workbook.id
