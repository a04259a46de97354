// kv-audit-monitor on Azure: the findings tables and their DCR, the Flex Consumption function that scans every
// Key Vault and Managed HSM, least-privilege role assignments, a query pack, a workbook and alerts on new failures.
// Deploy with `azd up`, or `az deployment sub create` and Core Tools: docs/operations.md, "Deploy to Azure".
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and seeds the unique suffix of resource names.')
param environmentName string

// The regions that offer Flex Consumption, as in Microsoft's quickstart (Azure-Samples/functions-quickstart-typescript-azd,
// infra/main.bicep); azd offers only these. Check a region with `az functionapp list-flexconsumption-locations`.
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@description('Region of the resource group, the Flex Consumption function app, its storage, Application Insights and the query pack.')
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

@description('Total retention of the findings tables (interactive plus long-term), in days: 4-730, or whole years (1095, 1460, 1826, 2191, 2556, 2922, 3288, 3653, 4018 or 4383); at least findingsRetentionInDays.')
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
@maxValue(1024)
@description('KV_AUDIT_ARM_CONCURRENCY: ARM diagnostic-settings reads in flight at once; each subscription is also paced to its ARM read budget.')
param armConcurrency int = 512

@description('KV_AUDIT_PROFILE: default (any AuditEvent, audit or allLogs entry) or cis (audit and allLogs in one setting).')
param controlProfile 'default' | 'cis' = 'default'

@description('KV_AUDIT_MIN_RETENTION_DAYS: days audit logs must be kept, e.g. 365; 0: retention is evidence only.')
@minValue(0)
@maxValue(4383)
param minRetentionDays int = 0

@description('KV_AUDIT_VERIFY_DELIVERY: query each destination workspace for the vaults\' latest AuditEvent.')
param verifyDelivery bool = false

@description('Destination workspaces (resource ids, comma-separated) the function identity may query for delivery: Log Analytics Reader on each. Needed only for workspaces outside the scanned subscriptions.')
param deliveryWorkspaceIds string = ''

@description('KV_AUDIT_EXEMPTIONS: the central exemption list, a JSON array of {scope, reason, expires, approvedBy}.')
param exemptions string = '[]'

@description('KV_AUDIT_TAG_EXEMPTIONS: on, the exemption tag exempts; off, only the central list does.')
param tagExemptions 'on' | 'off' = 'on'

@description('Email address that receives alert notifications. Empty: no action group; alerts still show in Azure Monitor.')
param alertEmail string = ''

@description('Object id of a user or group that may also send findings through the DCR, to run `kv-audit scan --ingest` or the timer locally. azd passes the signed-in user (AZURE_PRINCIPAL_ID); it is granted only when grantDeveloperIngestion is true.')
param principalId string = ''

@description('Type of principalId (azd passes AZURE_PRINCIPAL_TYPE).')
param principalType 'User' | 'Group' | 'ServicePrincipal' = 'User'

@description('Grant principalId Monitoring Metrics Publisher on the DCR. Off by default: whoever can write to the DCR can write findings, so leave it off where findings are audit evidence.')
param grantDeveloperIngestion bool = false

@minValue(0)
@description('Error findings (unreadable evidence) a complete scan may have before the scan-errors alert fires.')
param scanErrorThreshold int = 0

// 1-minute log search alerts need a query Azure Monitor can optimize (Azure/azure-rest-api-specs#20341, "Couldn't
// optimize this query so the selected frequency was not supported"); this query joins two days of scans.
@allowed([5, 10, 15])
@description('Minutes between evaluations of the new-failure alert: a Fail the event path writes alerts at the next evaluation. Each rule is billed by its frequency: docs/operations.md, "Cost".')
param newFailureEvaluationMinutes int = 5

@minValue(1)
@maxValue(48)
@description('KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: a full reconciliation at least this often; scheduled scans in between read through ARM only what may have changed.')
param fullScanIntervalHours int = 24

@minValue(0)
@maxValue(1440)
@description('KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: how far before the previous scan an incremental scan reads the Activity Log, which lags by minutes.')
param activityLogOverlapMinutes int = 30

@description('Subscription ids whose changes reach the event path (an Event Grid system topic each), comma-separated. Empty: those in scanSubscriptions, or this subscription when the scan scope is open. Management groups cannot be enumerated by a deployment: list their subscriptions here, or they rely on the incremental scans alone.')
param eventSubscriptions string = ''

@description('Resource ids of existing Microsoft.Resources.Subscriptions system topics to add the event subscriptions to, comma-separated, at most one per subscription: Azure allows one such topic per subscription. Each needs a system-assigned identity. Subscriptions without one here get a new topic.')
param existingEventTopics string = ''

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

// The Tables API accepts a total retention of 4-730 days or whole years (Microsoft's "Manage data retention in a Log
// Analytics workspace", Tables - Update API): check it here, with a message, before anything is created.
var longTermTotalRetentionDays = [1095, 1460, 1826, 2191, 2556, 2922, 3288, 3653, 4018, 4383]
var totalRetentionAccepted = (findingsTotalRetentionInDays >= 4 && findingsTotalRetentionInDays <= 730) || contains(longTermTotalRetentionDays, findingsTotalRetentionInDays)
var findingsTotalRetention = !totalRetentionAccepted
  ? fail('findingsTotalRetentionInDays must be 4-730, or one of ${join(map(longTermTotalRetentionDays, days => string(days)), ', ')}; it is ${findingsTotalRetentionInDays}.')
  : findingsTotalRetentionInDays < findingsRetentionInDays
      ? fail('findingsTotalRetentionInDays (${findingsTotalRetentionInDays}) must be at least findingsRetentionInDays (${findingsRetentionInDays}).')
      : findingsTotalRetentionInDays

// The workspace, created here or given by id; its tables, DCR and reader role are deployed where it lives.
var useExistingWorkspace = !empty(existingWorkspaceResourceId)
var effectiveResourceGroupName = empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
var workspaceSubscriptionId = useExistingWorkspace ? split(existingWorkspaceResourceId, '/')[2] : subscription().subscriptionId
var workspaceResourceGroupName = useExistingWorkspace ? split(existingWorkspaceResourceId, '/')[4] : effectiveResourceGroupName
var workspaceName = useExistingWorkspace ? last(split(existingWorkspaceResourceId, '/')) : 'log-kvaudit-${resourceToken}'
var workspaceResourceId = resourceId(workspaceSubscriptionId, workspaceResourceGroupName, 'Microsoft.OperationalInsights/workspaces', workspaceName)

var functionAppName = 'func-kvaudit-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(uniqueString(functionAppName, resourceToken), 7)}'

// A list parameter's ids, each once whatever its case: every subscription gets one nested deployment, named after it.
func idList(value string) string[] => union(filter(map(split(value, [',', ';', ' ']), id => toLower(trim(id))), id => !empty(id)), [])
// Whether a lower-cased id is /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.EventGrid/systemTopics/<name>.
func isSystemTopicId(id string) bool =>
  length(split(id, '/')) == 9 && length(filter(split(id, '/'), segment => empty(segment))) == 1 && id == '/subscriptions/${split(id, '/')[?2]}/resourcegroups/${split(id, '/')[?4]}/providers/microsoft.eventgrid/systemtopics/${split(id, '/')[?8]}'

// Reader goes to the subscriptions the scan covers: the listed ones, or this one when the scope is left open.
var listedSubscriptionIds = idList(scanSubscriptions)
var scanScopeIsOpen = empty(listedSubscriptionIds) && empty(trim(scanManagementGroups))
var readerSubscriptionIds = !grantScanReader ? [] : (scanScopeIsOpen ? [subscription().subscriptionId] : listedSubscriptionIds)

// The event path: one system topic per subscription it covers, delivering to a queue on the host storage account.
var eventQueueName = 'kv-audit-events'
var deadLetterContainerName = 'kv-audit-events-deadletter'
var stateContainerName = 'kv-audit-state'
var listedEventSubscriptionIds = idList(eventSubscriptions)
var eventSubscriptionIds = !empty(listedEventSubscriptionIds)
  ? listedEventSubscriptionIds
  : (scanScopeIsOpen ? [subscription().subscriptionId] : listedSubscriptionIds)
var existingEventTopicIds = idList(existingEventTopics)
var existingEventTopicsBySubscription = groupBy(filter(existingEventTopicIds, id => isSystemTopicId(id)), id => split(id, '/')[2])
// Every problem with the two event path parameters at once, before anything is created.
var eventPathProblems = flatten([
  map(
    filter(listedEventSubscriptionIds, id => !empty(listedSubscriptionIds) && !contains(listedSubscriptionIds, id)),
    id => 'eventSubscriptions (KV_AUDIT_EVENT_SUBSCRIPTIONS) lists ${id}, which scanSubscriptions (KV_AUDIT_SUBSCRIPTIONS) does not scan.'
  )
  map(
    filter(existingEventTopicIds, id => !isSystemTopicId(id)),
    id => 'existingEventTopics (KV_AUDIT_EVENT_TOPICS) lists ${id}, which is not an Event Grid system topic id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.EventGrid/systemTopics/<name>).'
  )
  map(
    filter(existingEventTopicIds, id => isSystemTopicId(id) && !contains(eventSubscriptionIds, split(id, '/')[2])),
    id => 'existingEventTopics (KV_AUDIT_EVENT_TOPICS) lists ${id}, whose subscription the event path does not cover (${empty(eventSubscriptionIds) ? 'none' : join(eventSubscriptionIds, ', ')}).'
  )
  map(
    filter(items(existingEventTopicsBySubscription), topics => length(topics.value) > 1),
    topics => 'existingEventTopics (KV_AUDIT_EVENT_TOPICS) lists more than one topic of subscription ${topics.key}: Azure allows one per subscription.'
  )
])
var eventTopics = !empty(eventPathProblems)
  ? fail(join(eventPathProblems, ' '))
  : map(
      eventSubscriptionIds,
      subscriptionId =>
        contains(existingEventTopicsBySubscription, subscriptionId)
          ? {
              subscriptionId: subscriptionId
              resourceGroupName: split(existingEventTopicsBySubscription[subscriptionId][0], '/')[4]
              name: split(existingEventTopicsBySubscription[subscriptionId][0], '/')[8]
              reuse: true
              createResourceGroup: false
            }
          : {
              subscriptionId: subscriptionId
              resourceGroupName: effectiveResourceGroupName
              name: 'evgt-kvaudit-${resourceToken}'
              reuse: false
              createResourceGroup: subscriptionId != subscription().subscriptionId
            }
    )

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
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

// Modules scoped to resourceGroup(subscription, name) go where the workspace is. When that is rg, scoping by name
// does not order them after rg's creation: findingsStore depends on rg explicitly, and the others use its outputs.
module findingsStore 'modules/findingsStore.bicep' = {
  name: 'kvaudit-findings-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: workspaceName
    retentionInDays: findingsRetentionInDays
    totalRetentionInDays: findingsTotalRetention
    dataCollectionRuleName: 'dcr-kvaudit-${resourceToken}'
    tags: tags
  }
  dependsOn: [
    rg
    logAnalytics
  ]
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
    eventQueueName: eventQueueName
    deadLetterContainerName: deadLetterContainerName
    stateContainerName: stateContainerName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'kvaudit-monitoring-${resourceToken}'
  scope: rg
  params: {
    name: 'appi-kvaudit-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: findingsStore.outputs.workspaceResourceId
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

module eventRoles 'modules/rbacFunctionEvents.bicep' = {
  name: 'kvaudit-event-roles-${resourceToken}'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    eventQueueName: eventQueueName
    poisonQueueName: storage.outputs.poisonQueueName
    stateContainerName: stateContainerName
    principalId: identities.outputs.functionPrincipalId
  }
}

module eventPath 'modules/eventPath.bicep' = [
  for topic in eventTopics: {
    name: 'kvaudit-events-${uniqueString(topic.subscriptionId, resourceToken)}'
    scope: subscription(topic.subscriptionId)
    params: {
      topic: topic
      location: location
      tags: tags
      nameSuffix: resourceToken
      hostSubscriptionId: subscription().subscriptionId
      hostResourceGroupName: rg.name
      storageAccountName: storage.outputs.name
      eventQueueName: eventQueueName
      deadLetterContainerName: deadLetterContainerName
    }
  }
]

module ingestionRole 'modules/rbacDataCollectionRule.bicep' = {
  name: 'kvaudit-dcr-role-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    dataCollectionRuleName: findingsStore.outputs.dataCollectionRuleName
    principalId: identities.outputs.functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

module developerIngestionRole 'modules/rbacDataCollectionRule.bicep' = if (grantDeveloperIngestion && !empty(principalId)) {
  name: 'kvaudit-dcr-developer-role-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    dataCollectionRuleName: findingsStore.outputs.dataCollectionRuleName
    principalId: principalId
    principalType: principalType
  }
}

module scanReaders 'modules/rbacSubscriptionReader.bicep' = [for subscriptionId in readerSubscriptionIds: {
  name: 'kvaudit-reader-${uniqueString(subscriptionId, resourceToken)}'
  scope: subscription(subscriptionId)
  params: {
    principalId: identities.outputs.functionPrincipalId
  }
}]

var deliveryWorkspaces = union(filter(map(split(deliveryWorkspaceIds, [',', ';', ' ']), id => trim(id)), id => !empty(id)), [])

module deliveryReaders 'modules/rbacDeliveryWorkspaceReader.bicep' = [for id in deliveryWorkspaces: {
  name: 'kvaudit-delivery-reader-${uniqueString(toLower(id), resourceToken)}'
  scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
  params: {
    workspaceName: last(split(id, '/'))
    principalId: identities.outputs.functionPrincipalId
  }
}]

module alertsWorkspaceReader 'modules/rbacWorkspaceReader.bicep' = {
  name: 'kvaudit-alerts-reader-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: findingsStore.outputs.workspaceName
    principalId: identities.outputs.alertsPrincipalId
  }
}

// The function's identity reads its own findings: an incremental scan first asks whether the last scan's rows arrived.
module functionWorkspaceReader 'modules/rbacWorkspaceReader.bicep' = {
  name: 'kvaudit-function-reader-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: findingsStore.outputs.workspaceName
    principalId: identities.outputs.functionPrincipalId
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
    stateContainerName: stateContainerName
    applicationInsightsName: monitoring.outputs.name
    scanSchedule: effectiveSchedule
    scanSubscriptions: scanSubscriptions
    scanManagementGroups: scanManagementGroups
    exemptionTag: exemptionTag
    approvedDestinations: approvedDestinations
    remediationWorkspaceId: empty(remediationWorkspaceId) ? workspaceResourceId : remediationWorkspaceId
    armConcurrency: armConcurrency
    controlProfile: controlProfile
    minRetentionDays: minRetentionDays
    verifyDelivery: verifyDelivery
    exemptions: exemptions
    tagExemptions: tagExemptions
    logsIngestionEndpoint: findingsStore.outputs.logsIngestionEndpoint
    dataCollectionRuleImmutableId: findingsStore.outputs.dataCollectionRuleImmutableId
    fullScanIntervalHours: fullScanIntervalHours
    activityLogOverlapMinutes: activityLogOverlapMinutes
    findingsWorkspaceId: workspaceResourceId
  }
  // The host reads its storage and the event queue, and the first scan writes findings, as soon as the app starts:
  // roles first.
  dependsOn: [
    hostRoles
    eventRoles
    ingestionRole
    scanReaders
  ]
}

module alerts 'modules/alerts.bicep' = {
  name: 'kvaudit-alerts-${resourceToken}'
  scope: rg
  params: {
    location: findingsStore.outputs.workspaceLocation
    tags: tags
    workspaceResourceId: findingsStore.outputs.workspaceResourceId
    identityResourceId: identities.outputs.alertsIdentityId
    alertEmail: alertEmail
    nameSuffix: resourceToken
    scanIntervalMinutes: scanIntervalMinutes
    scanErrorThreshold: scanErrorThreshold
    newFailureEvaluationMinutes: newFailureEvaluationMinutes
  }
  // The rules query the workspace with their identity from their first evaluation: its reader role comes first.
  dependsOn: [
    alertsWorkspaceReader
  ]
}

// The workbook goes where the workspace is, linked to it: Log Analytics workspace → Workbooks.
module workbook 'modules/workbook.bicep' = {
  name: 'kvaudit-workbook-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceResourceId: findingsStore.outputs.workspaceResourceId
    location: findingsStore.outputs.workspaceLocation
    tags: tags
  }
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
output LOG_ANALYTICS_WORKSPACE_ID string = findingsStore.outputs.workspaceResourceId
output LOG_ANALYTICS_WORKSPACE_NAME string = findingsStore.outputs.workspaceName
output LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID string = findingsStore.outputs.workspaceCustomerId
output KV_AUDIT_LOGS_INGESTION_ENDPOINT string = findingsStore.outputs.logsIngestionEndpoint
output KV_AUDIT_DCR_IMMUTABLE_ID string = findingsStore.outputs.dataCollectionRuleImmutableId
output DATA_COLLECTION_RULE_ID string = findingsStore.outputs.dataCollectionRuleId
output FUNCTION_IDENTITY_PRINCIPAL_ID string = identities.outputs.functionPrincipalId
output FUNCTION_IDENTITY_CLIENT_ID string = identities.outputs.functionClientId
output QUERY_PACK_NAME string = queryPack.outputs.name
