// The scan function on a Flex Consumption plan. It runs as a user-assigned identity and holds no secret: host
// storage, the event queue, the scan state blob, Application Insights, the DCR and every Azure read authenticate with
// that identity.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Region of the plan and the function app.')
param location string

@description('Tags for the plan and the function app.')
param tags { *: string }

@description('azd service name (azure.yaml) the function app is tagged with, so that azd deploy finds it.')
param serviceName string

@description('Resource id of the user-assigned identity the function app runs as.')
param identityResourceId string

@description('Client id of that identity.')
param identityClientId string

@description('Name of the host storage account, in this resource group.')
param storageAccountName string

@description('Blob container of that account that holds the deployment package.')
param deploymentContainerName string

@description('Blob container of that account that holds the scan state blob.')
param stateContainerName string

@description('Name of the Application Insights component, in this resource group.')
param applicationInsightsName string

@description('KV_AUDIT_SCHEDULE: NCRONTAB schedule of the scan.')
param scanSchedule string

@description('KV_AUDIT_SUBSCRIPTIONS: subscription ids to scan, comma-separated; may be empty.')
param scanSubscriptions string

@description('KV_AUDIT_MANAGEMENT_GROUPS: management group ids to scan, comma-separated; may be empty.')
param scanManagementGroups string

@description('KV_AUDIT_EXEMPTION_TAG: name of the exemption tag.')
param exemptionTag string

@description('KV_AUDIT_APPROVED_DESTINATIONS: resource ids audit logs may go to, comma-separated; may be empty.')
param approvedDestinations string

@description('KV_AUDIT_REMEDIATION_WORKSPACE_ID: workspace resource id written into remediation commands.')
param remediationWorkspaceId string

@minValue(1)
@maxValue(1024)
@description('KV_AUDIT_ARM_CONCURRENCY: ARM diagnostic-settings reads in flight at once; each subscription is also paced to its ARM read budget.')
param armConcurrency int

@description('KV_AUDIT_PROFILE: default or cis.')
param controlProfile string

@description('KV_AUDIT_MIN_RETENTION_DAYS: days audit logs must be kept; 0 for none.')
param minRetentionDays int

@description('KV_AUDIT_VERIFY_DELIVERY: query destination workspaces for the latest AuditEvent.')
param verifyDelivery bool

@description('KV_AUDIT_EXEMPTIONS: the central exemption list (JSON).')
param exemptions string

@description('KV_AUDIT_TAG_EXEMPTIONS: on or off.')
param tagExemptions string

@description('KV_AUDIT_LOGS_INGESTION_ENDPOINT: the logs ingestion endpoint of the DCR.')
param logsIngestionEndpoint string

@description('KV_AUDIT_DCR_IMMUTABLE_ID: the immutable id of the DCR.')
param dataCollectionRuleImmutableId string

@minValue(1)
@maxValue(48)
@description('KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: a full reconciliation at least this often; scheduled scans in between are incremental.')
param fullScanIntervalHours int

@minValue(0)
@maxValue(1440)
@description('KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: how far before the previous scan an incremental scan reads the Activity Log, for its delay.')
param activityLogOverlapMinutes int

@description('KV_AUDIT_FINDINGS_WORKSPACE_ID: resource id of the findings workspace, which an incremental scan asks whether the last scan\'s rows arrived.')
param findingsWorkspaceId string

// A service URI setting is scheme and host, without the '/' primaryEndpoints end in.
func serviceUri(endpoint string) string => join(take(split(endpoint, '/'), 3), '/')

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      // A timer fires on one instance at a time; these are the Flex Consumption defaults.
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: 100
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Flex Consumption takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME and the like are not set here.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage through the identity. The host itself uses blobs only: no queue or table endpoint here, no role
      // for them on the account.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
      // The event queue's own identity-based connection (Learn: "Azure Functions developer guide", configure an
      // identity-based connection): the queue trigger and its poison queue use it, with roles on those two queues only.
      KV_AUDIT_EVENTS__queueServiceUri: serviceUri(storage.properties.primaryEndpoints.queue)
      KV_AUDIT_EVENTS__credential: 'managedidentity'
      KV_AUDIT_EVENTS__clientId: identityClientId
      KV_AUDIT_STATE_URL: '${storage.properties.primaryEndpoints.blob}${stateContainerName}/scan-state.txt'
      KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: string(fullScanIntervalHours)
      KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: string(activityLogOverlapMinutes)
      KV_AUDIT_FINDINGS_WORKSPACE_ID: findingsWorkspaceId
      // Not a secret: with local authentication disabled, telemetry needs the identity's Entra ID token too.
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // DefaultAzureCredential picks the user-assigned identity by this client id.
      AZURE_CLIENT_ID: identityClientId
      KV_AUDIT_SCHEDULE: scanSchedule
      KV_AUDIT_SUBSCRIPTIONS: scanSubscriptions
      KV_AUDIT_MANAGEMENT_GROUPS: scanManagementGroups
      KV_AUDIT_EXEMPTION_TAG: exemptionTag
      KV_AUDIT_APPROVED_DESTINATIONS: approvedDestinations
      KV_AUDIT_REMEDIATION_WORKSPACE_ID: remediationWorkspaceId
      KV_AUDIT_ARM_CONCURRENCY: string(armConcurrency)
      KV_AUDIT_PROFILE: controlProfile
      // Empty means no minimum: the app refuses 0 as a number of days.
      KV_AUDIT_MIN_RETENTION_DAYS: minRetentionDays == 0 ? '' : string(minRetentionDays)
      KV_AUDIT_VERIFY_DELIVERY: verifyDelivery ? 'true' : 'false'
      KV_AUDIT_EXEMPTIONS: exemptions
      KV_AUDIT_TAG_EXEMPTIONS: tagExemptions
      KV_AUDIT_LOGS_INGESTION_ENDPOINT: logsIngestionEndpoint
      KV_AUDIT_DCR_IMMUTABLE_ID: dataCollectionRuleImmutableId
    }
  }
}

output name string = functionApp.name
