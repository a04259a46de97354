// A query pack with every query under infra/queries, so they show up in Log Analytics under Queries.

@description('Name of the query pack.')
param name string

@description('Region of the query pack.')
param location string

@description('Tags for the query pack.')
param tags { *: string }

var workspaceType = 'microsoft.operationalinsights/workspaces'
var vaultTypes = ['microsoft.keyvault/vaults', 'microsoft.keyvault/managedhsms']

var queries = [
  {
    file: 'current-posture'
    displayName: 'Key Vault audit logging: current posture'
    description: 'Every Key Vault and Managed HSM with its latest finding from a complete scan.'
    body: loadTextContent('../queries/current-posture.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'new-failures'
    displayName: 'Key Vault audit logging: new failures'
    description: 'Resources that fail now but did not fail as of the previous complete scheduled scan.'
    body: loadTextContent('../queries/new-failures.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'fail-trend-by-day'
    displayName: 'Key Vault audit logging: fail trend by day'
    description: 'Failing resources at the end of each of the last 30 days, next to the other statuses.'
    body: loadTextContent('../queries/fail-trend-by-day.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'failures-by-subscription-and-reason'
    displayName: 'Key Vault audit logging: failures by subscription and reason'
    description: 'Failing resources grouped by subscription and Fail reason.'
    body: loadTextContent('../queries/failures-by-subscription-and-reason.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'exemptions-expiring'
    displayName: 'Key Vault audit logging: exemptions expiring within 30 days'
    description: 'Resources whose active exemption tag ends within 30 days.'
    body: loadTextContent('../queries/exemptions-expiring.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'audit-logs-stopped'
    displayName: 'Key Vault audit logging: audit logs that stopped'
    description: 'Resources whose AuditEvent stopped arriving after their audit setting changed (KV_AUDIT_VERIFY_DELIVERY).'
    body: loadTextContent('../queries/audit-logs-stopped.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'scan-health'
    displayName: 'Key Vault audit logging: scan health'
    description: 'The scans of the last 7 days: completeness, counts, findings landed, duration, errors.'
    body: loadTextContent('../queries/scan-health.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'posture-by-status'
    displayName: 'Key Vault audit logging: posture by status'
    description: 'How many resources pass, fail, are exempt or could not be read, by their latest finding: the workbook tiles.'
    body: loadTextContent('../queries/posture-by-status.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'scan-health-summary'
    displayName: 'Key Vault audit logging: scan health at a glance'
    description: 'The latest complete scheduled scan, its Error findings, and how many scans of the last 7 days were incomplete.'
    body: loadTextContent('../queries/scan-health-summary.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'subscriptions-with-findings'
    displayName: 'Key Vault audit logging: subscriptions with findings'
    description: 'Subscriptions with findings in the last 30 days and how many resources each: the workbook Subscription choices.'
    body: loadTextContent('../queries/subscriptions-with-findings.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'secrets-read'
    displayName: 'Key Vault: which secrets were read (AZKVAuditLogs)'
    description: 'Successful SecretGet calls of the last 7 days per vault, secret and caller, from the resource-specific audit table.'
    body: loadTextContent('../queries/secrets-read.kql')
    resourceTypes: concat([workspaceType], vaultTypes)
  }
  {
    file: 'secrets-read-azurediagnostics'
    displayName: 'Key Vault: which secrets were read (AzureDiagnostics)'
    description: 'Successful SecretGet calls of the last 7 days per vault, secret and caller, from the legacy AzureDiagnostics table.'
    body: loadTextContent('../queries/secrets-read-azurediagnostics.kql')
    resourceTypes: concat([workspaceType], vaultTypes)
  }
  {
    file: 'alert-new-failure'
    displayName: 'Key Vault audit logging alert: failing now'
    description: 'The query of the new-failure alert: resources failing as of the latest complete scheduled scan.'
    body: loadTextContent('../queries/alert-new-failure.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'alert-scan-heartbeat'
    displayName: 'Key Vault audit logging alert: scan heartbeat'
    description: 'The query of the heartbeat alert (hourly-scan default window): a row when no complete scheduled scan landed.'
    body: loadTextContent('../queries/alert-scan-heartbeat.kql')
    resourceTypes: [workspaceType]
  }
  {
    file: 'alert-scan-errors'
    displayName: 'Key Vault audit logging alert: scan errors'
    description: 'The query of the scan-errors alert (default threshold and window): incomplete scans and scans with Error findings.'
    body: loadTextContent('../queries/alert-scan-errors.kql')
    resourceTypes: [workspaceType]
  }
]

resource queryPack 'Microsoft.OperationalInsights/queryPacks@2026-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {}
}

resource packQueries 'Microsoft.OperationalInsights/queryPacks/queries@2026-03-01' = [for query in queries: {
  parent: queryPack
  // Query ids are GUIDs; deriving them from the file name keeps each query's id stable across deployments.
  name: guid(queryPack.id, query.file)
  properties: {
    displayName: query.displayName
    description: query.description
    body: query.body
    related: {
      categories: ['security']
      resourceTypes: query.resourceTypes
    }
    tags: {
      labels: ['kv-audit-monitor']
    }
  }
}]

output name string = queryPack.name
