// A Log Analytics workspace for the findings, created when the deployment is not given an existing one.

@description('Name of the workspace.')
param name string

@description('Region of the workspace; the DCR and the alert rules follow it.')
param location string

@description('Tags for the workspace.')
param tags { *: string }

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    // Tables override this for the findings; it applies to what else lands here (Application Insights telemetry).
    retentionInDays: 30
    features: {
      // Microsoft Entra ID only: no shared workspace keys for ingestion or queries.
      disableLocalAuth: true
    }
  }
}

output id string = workspace.id
