// Log search alert rules on the findings workspace. Each runs its query file, infra/queries/alert-*.kql; where a
// threshold or window varies, the rule sets it in the text (test/infra/bicepDeployment.test.ts checks the result).

@description('Region of the alert rules and the action group: the workspace region.')
param location string

@description('Tags for the alert rules and the action group.')
param tags { *: string }

@description('Suffix that makes the rule and action group names unique to this deployment.')
param nameSuffix string

@description('Resource id of the workspace the rules query.')
param workspaceResourceId string

@description('Resource id of the user-assigned identity the rules query with; it has Reader on the workspace.')
param identityResourceId string

@description('Email address that receives notifications. Empty: no action group; alerts still show in Azure Monitor.')
param alertEmail string

@description('Minutes between scheduled scans.')
param scanIntervalMinutes int

@minValue(0)
@description('Error findings a complete scan may have before the scan-errors alert fires.')
param scanErrorThreshold int

@allowed([5, 10, 15])
@description('Minutes between evaluations of the new-failure rule.')
param newFailureEvaluationMinutes int

// Heartbeat and scan-error windows: two scan intervals, so that one late scan does not raise a heartbeat alert.
var scanWindowMinutes = 2 * scanIntervalMinutes

var newFailureQuery = loadTextContent('../queries/alert-new-failure.kql')
// Log search alerts accept ago() with timespan literals only (Microsoft's "Create or edit a log search alert rule",
// query limitations): a window bound by `let` and passed to ago() is rendered into the ago() call instead.
var heartbeatQuery = replace(
  replace(loadTextContent('../queries/alert-scan-heartbeat.kql'), 'let heartbeatWindow = 120m;\n', ''),
  'ago(heartbeatWindow)',
  'ago(${scanWindowMinutes}m)'
)
var scanErrorsQuery = replace(
  replace(
    replace(loadTextContent('../queries/alert-scan-errors.kql'), 'let lookback = 120m;\n', ''),
    'ago(lookback)',
    'ago(${scanWindowMinutes}m)'
  ),
  'let errorThreshold = 0;',
  'let errorThreshold = ${scanErrorThreshold};'
)

var ruleIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${identityResourceId}': {}
  }
}
// Every rule reads up to two days, the longest a log search alert reads: each query picks its own time span (the
// latest complete scan, the heartbeat window) and returns no TimeGenerated column for the alert to bin rows by, so the
// window only has to cover the evaluation period. The new-failure rule is evaluated as often as its parameter says, so
// that a Fail the event path writes alerts at the next evaluation; heartbeat and scan errors follow hourly scans, and
// every 15 minutes is enough for them.
var evaluationFrequency = 'PT15M'
var windowSize = 'PT15M'
var newFailureEvaluationFrequency = 'PT${newFailureEvaluationMinutes}M'
var queryTimeRange = 'P2D'
// A new rule's query is validated against the workspace, and the two custom tables created in the same deployment
// are often not resolvable yet: creation then fails (Azure/bicep#11378; mspnp/aks-baseline#422, on the Azure Monitor
// team's advice). The queries are checked instead by Microsoft's Kusto parser against the table schemas, in
// test/infra/kqlQueries.test.ts and test/infra/bicepDeployment.test.ts.
var skipQueryValidation = true

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-kvaudit-${nameSuffix}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'kv-audit'
    enabled: true
    emailReceivers: [
      {
        name: 'kv-audit-email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = empty(alertEmail) ? [] : [actionGroup.id]

resource newFailureAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'kv-audit-new-failure-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: ruleIdentity
  properties: {
    displayName: 'Key Vault audit logging: new failure'
    description: 'A Key Vault or Managed HSM fails the audit-logging control in the latest complete scheduled scan. One alert per resource; it resolves when the resource passes again, is exempted, or is no longer scanned.'
    severity: 2
    enabled: true
    scopes: [workspaceResourceId]
    evaluationFrequency: newFailureEvaluationFrequency
    windowSize: newFailureEvaluationFrequency
    overrideQueryTimeRange: queryTimeRange
    criteria: {
      allOf: [
        {
          query: newFailureQuery
          timeAggregation: 'Count'
          // One alert per resource: raised when it enters the failing list, resolved when it leaves it.
          dimensions: [
            {
              name: 'ResourceId'
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    skipQueryValidation: skipQueryValidation
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

resource heartbeatAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'kv-audit-scan-heartbeat-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: ruleIdentity
  properties: {
    displayName: 'Key Vault audit logging: no complete scan'
    description: 'No complete scheduled scan landed within two scan intervals: findings are stale and new failures go unnoticed. Resolves when a complete scan lands.'
    severity: 1
    enabled: true
    scopes: [workspaceResourceId]
    evaluationFrequency: evaluationFrequency
    windowSize: windowSize
    overrideQueryTimeRange: queryTimeRange
    criteria: {
      allOf: [
        {
          query: heartbeatQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    skipQueryValidation: skipQueryValidation
    actions: {
      actionGroups: actionGroupIds
    }
  }
}

resource scanErrorsAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'kv-audit-scan-errors-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: ruleIdentity
  properties: {
    displayName: 'Key Vault audit logging: scan incomplete or with errors'
    description: 'A scheduled scan of the last two scan intervals did not complete, or could not read the evidence of more resources than the threshold. Resolves when no such scan is left in that window.'
    severity: 2
    enabled: true
    scopes: [workspaceResourceId]
    evaluationFrequency: evaluationFrequency
    windowSize: windowSize
    overrideQueryTimeRange: queryTimeRange
    criteria: {
      allOf: [
        {
          query: scanErrorsQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    skipQueryValidation: skipQueryValidation
    actions: {
      actionGroups: actionGroupIds
    }
  }
}
