// kv-audit-monitor on Azure: the findings tables and their DCR, the Flex Consumption function that scans every
// Key Vault and Managed HSM, least-privilege role assignments, a query pack and alerts on new failures.
// Deploy with `azd up`, or `az deployment sub create` (see the README's "Deploy to Azure").
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and seeds the unique suffix of resource names.')
param environmentName string

@minLength(1)
@description('Region of the resource group, the function app (pick a region with Flex Consumption), its storage, Application Insights and the query pack.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Name of the resource group to create. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Resource id of an existing Log Analytics workspace that gets the findings tables and the DCR, in any resource group or subscription you may deploy to. Empty: create a workspace in the resource group.')
param existingWorkspaceResourceId string = ''

@minValue(4)
@maxValue(730)
@description('Interactive (Analytics) retention of the findings tables, in days.')
param findingsRetentionInDays int = 90

@minValue(4)
@maxValue(4383)
@description('Total retention of the findings tables (interactive plus long-term), in days; at least findingsRetentionInDays.')
param findingsTotalRetentionInDays int = 365

@allowed([15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440])
@description('Minutes between scheduled scans. Sets the default schedule, and the heartbeat and scan-error alert windows (two intervals).')
param scanIntervalMinutes int = 60

@description('KV_AUDIT_SCHEDULE: NCRONTAB schedule of the scan (six fields, seconds first). Empty: every scanIntervalMinutes. If you set it, set scanIntervalMinutes to its interval: the alerts rely on it.')
param scanSchedule string = ''

@description('KV_AUDIT_SUBSCRIPTIONS: subscription ids to scan, comma-separated. Empty, with no management groups: every subscription the function identity can read.')
param scanSubscriptions string = ''

@description('KV_AUDIT_MANAGEMENT_GROUPS: management group ids to scan instead of subscriptions, comma-separated. Grant Reader on them with infra/scope/management-group-reader.bicep.')
param scanManagementGroups string = ''

@description('Grant the function identity Reader on each subscription in scanSubscriptions, or on this subscription when neither subscriptions nor management groups are listed. False: grant read access yourself.')
param grantScanReader bool = true

@description('KV_AUDIT_EXEMPTION_TAG: name of the tag that exempts a resource.')
param exemptionTag string = 'kv-audit-exempt'

@description('KV_AUDIT_APPROVED_DESTINATIONS: resource ids audit logs may go to, comma-separated. Empty: any existing destination.')
param approvedDestinations string = ''

@description('KV_AUDIT_REMEDIATION_WORKSPACE_ID: workspace resource id written into remediation commands. Empty: the findings workspace.')
param remediationWorkspaceId string = ''

@minValue(1)
@maxValue(256)
@description('KV_AUDIT_ARM_CONCURRENCY: ARM diagnostic-settings reads in flight at once; each subscription is also paced to its ARM read budget.')
param armConcurrency int = 64

@description('Email address that receives alert notifications. Empty: no action group; alerts still show in Azure Monitor.')
param alertEmail string = ''

@minValue(0)
@description('Error findings (unreadable evidence) a complete scan may have before the scan-errors alert fires.')
param scanErrorThreshold int = 0

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var serviceName = 'function'

// NCRONTAB (seconds first) for every allowed interval; hourly is the app's documented default.
var schedulesByInterval = {
  '15': '0 */15 * * * *'
  '20': '0 */20 * * * *'
  '30': '0 */30 * * * *'
  '60': '0 0 * * * *'
  '120': '0 0 */2 * * *'
  '180': '0 0 */3 * * *'
  '240': '0 0 */4 * * *'
  '360': '0 0 */6 * * *'
  '480': '0 0 */8 * * *'
  '720': '0 0 */12 * * *'
  '1440': '0 0 0 * * *'
}
var effectiveSchedule = empty(scanSchedule) ? schedulesByInterval[string(scanIntervalMinutes)] : scanSchedule

// The workspace, created here or given by id; its tables, DCR and reader role are deployed where it lives.
var useExistingWorkspace = !empty(existingWorkspaceResourceId)
var effectiveResourceGroupName = empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
var workspaceSubscriptionId = useExistingWorkspace ? split(existingWorkspaceResourceId, '/')[2] : subscription().subscriptionId
var workspaceResourceGroupName = useExistingWorkspace ? split(existingWorkspaceResourceId, '/')[4] : effectiveResourceGroupName
var workspaceName = useExistingWorkspace ? last(split(existingWorkspaceResourceId, '/')) : 'log-kvaudit-${resourceToken}'
var workspaceResourceId = resourceId(workspaceSubscriptionId, workspaceResourceGroupName, 'Microsoft.OperationalInsights/workspaces', workspaceName)

var functionAppName = 'func-kvaudit-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(uniqueString(functionAppName, resourceToken), 7)}'

// Reader goes to the subscriptions the scan covers: the listed ones, or this one when the scope is left open.
var listedSubscriptionIds = filter(map(split(scanSubscriptions, [',', ';', ' ']), id => trim(id)), id => !empty(id))
var scanScopeIsOpen = empty(listedSubscriptionIds) && empty(trim(scanManagementGroups))
var readerSubscriptionIds = !grantScanReader ? [] : (scanScopeIsOpen ? [subscription().subscriptionId] : listedSubscriptionIds)

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: effectiveResourceGroupName
  location: location
  tags: tags
}

module logAnalytics 'modules/logAnalytics.bicep' = if (!useExistingWorkspace) {
  name: 'kvaudit-workspace-${resourceToken}'
  scope: rg
  params: {
    name: workspaceName
    location: location
    tags: tags
  }
}

module findingsTables 'modules/findingsTables.bicep' = {
  name: 'kvaudit-tables-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: workspaceName
    retentionInDays: findingsRetentionInDays
    totalRetentionInDays: findingsTotalRetentionInDays
  }
  dependsOn: [
    logAnalytics
  ]
}

// The DCR must exist after the tables it writes to and share the workspace's region: both come from findingsTables.
module dataCollectionRule 'modules/dataCollectionRule.bicep' = {
  name: 'kvaudit-dcr-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    name: 'dcr-kvaudit-${resourceToken}'
    location: findingsTables.outputs.workspaceLocation
    workspaceResourceId: findingsTables.outputs.workspaceResourceId
    tags: tags
  }
}

module identities 'modules/identities.bicep' = {
  name: 'kvaudit-identities-${resourceToken}'
  scope: rg
  params: {
    functionIdentityName: 'id-kvaudit-func-${resourceToken}'
    alertsIdentityName: 'id-kvaudit-alerts-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'kvaudit-storage-${resourceToken}'
  scope: rg
  params: {
    name: 'stkvaudit${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'kvaudit-monitoring-${resourceToken}'
  scope: rg
  params: {
    name: 'appi-kvaudit-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: findingsTables.outputs.workspaceResourceId
  }
}

module hostRoles 'modules/rbacFunctionHost.bicep' = {
  name: 'kvaudit-host-roles-${resourceToken}'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.name
    principalId: identities.outputs.functionPrincipalId
  }
}

module ingestionRole 'modules/rbacDataCollectionRule.bicep' = {
  name: 'kvaudit-dcr-role-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    dataCollectionRuleName: dataCollectionRule.outputs.name
    principalId: identities.outputs.functionPrincipalId
  }
}

module scanReaders 'modules/rbacSubscriptionReader.bicep' = [for subscriptionId in readerSubscriptionIds: {
  name: 'kvaudit-reader-${uniqueString(subscriptionId, resourceToken)}'
  scope: subscription(subscriptionId)
  params: {
    principalId: identities.outputs.functionPrincipalId
  }
}]

module alertsWorkspaceReader 'modules/rbacWorkspaceReader.bicep' = {
  name: 'kvaudit-alerts-reader-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: findingsTables.outputs.workspaceName
    principalId: identities.outputs.alertsPrincipalId
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'kvaudit-function-${resourceToken}'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-kvaudit-${resourceToken}'
    location: location
    tags: tags
    serviceName: serviceName
    identityResourceId: identities.outputs.functionIdentityId
    identityClientId: identities.outputs.functionClientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.name
    scanSchedule: effectiveSchedule
    scanSubscriptions: scanSubscriptions
    scanManagementGroups: scanManagementGroups
    exemptionTag: exemptionTag
    approvedDestinations: approvedDestinations
    remediationWorkspaceId: empty(remediationWorkspaceId) ? workspaceResourceId : remediationWorkspaceId
    armConcurrency: armConcurrency
    logsIngestionEndpoint: dataCollectionRule.outputs.logsIngestionEndpoint
    dataCollectionRuleImmutableId: dataCollectionRule.outputs.immutableId
  }
  // The host reads its storage and the first scan writes findings as soon as the app starts: roles first.
  dependsOn: [
    hostRoles
    ingestionRole
    scanReaders
  ]
}

module alerts 'modules/alerts.bicep' = {
  name: 'kvaudit-alerts-${resourceToken}'
  scope: rg
  params: {
    location: findingsTables.outputs.workspaceLocation
    tags: tags
    workspaceResourceId: findingsTables.outputs.workspaceResourceId
    identityResourceId: identities.outputs.alertsIdentityId
    alertEmail: alertEmail
    scanIntervalMinutes: scanIntervalMinutes
    scanErrorThreshold: scanErrorThreshold
  }
  // Rules are validated against the workspace when created: the tables and the rules' reader role must exist.
  dependsOn: [
    alertsWorkspaceReader
  ]
}

module queryPack 'modules/queryPack.bicep' = {
  name: 'kvaudit-query-pack-${resourceToken}'
  scope: rg
  params: {
    name: 'pack-kvaudit-${resourceToken}'
    location: location
    tags: tags
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output LOG_ANALYTICS_WORKSPACE_ID string = findingsTables.outputs.workspaceResourceId
output LOG_ANALYTICS_WORKSPACE_NAME string = findingsTables.outputs.workspaceName
output LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID string = findingsTables.outputs.workspaceCustomerId
output KV_AUDIT_LOGS_INGESTION_ENDPOINT string = dataCollectionRule.outputs.logsIngestionEndpoint
output KV_AUDIT_DCR_IMMUTABLE_ID string = dataCollectionRule.outputs.immutableId
output DATA_COLLECTION_RULE_ID string = dataCollectionRule.outputs.id
output FUNCTION_IDENTITY_PRINCIPAL_ID string = identities.outputs.functionPrincipalId
output FUNCTION_IDENTITY_CLIENT_ID string = identities.outputs.functionClientId
output QUERY_PACK_NAME string = queryPack.outputs.name
