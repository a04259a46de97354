// The event subscriptions that carry what can change a verdict from a subscription's system topic to the event queue
// on the host storage account. An event only says "look again": the function's ARM read decides, so the filters may
// let through more than strictly needed, never less.
//
// Filters (Learn: "Understand event filtering for Event Grid subscriptions"): values in one advanced filter are ORed,
// filters are ANDed, string comparisons are case-insensitive, and an event subscription takes at most 25 advanced
// filters and 25 values across them. "Key Vault operation AND Key Vault resource" OR "destination delete" cannot be one
// filter set, so there are two event subscriptions: 2 filters with 8 values, and 1 filter with 6.
//
// Delivery: Event Grid schema, with the topic's system-assigned identity (no key or SAS), to the queue; events it
// cannot deliver are dead-lettered, with the same identity, to a blob container (Learn: "Storage queue as an event
// handler", delivery and dead-lettering with managed identity).

@description('Name of the system topic, in this resource group.')
param topicName string

@description('Suffix that makes the event subscription names unique to this deployment: a reused topic may carry other deployments\' subscriptions.')
param nameSuffix string

@description('Resource id of the host storage account.')
param storageAccountId string

@description('Name of the queue the events go to.')
param eventQueueName string

@description('Name of the blob container undeliverable events go to.')
param deadLetterContainerName string

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: topicName
}

// Operations on Key Vault and Managed HSM resources that can change a verdict: their diagnostic settings, the
// resources themselves, and their tags (exemptions). A tag write's resourceUri is <resource id>/providers/
// Microsoft.Resources/tags/default and a diagnostic setting's is <resource id>/providers/Microsoft.Insights/
// diagnosticSettings/<name>: both contain the vault's provider segment.
var keyVaultOperations = [
  'Microsoft.Insights/diagnosticSettings/write'
  'Microsoft.Insights/diagnosticSettings/delete'
  'Microsoft.KeyVault/vaults/write'
  'Microsoft.KeyVault/vaults/delete'
  'Microsoft.KeyVault/managedHSMs/write'
  'Microsoft.KeyVault/managedHSMs/delete'
  'Microsoft.Resources/tags/write'
]

// Deletes of the resources audit logs go to, wherever they are in the subscription.
var destinationDeletes = [
  'Microsoft.OperationalInsights/workspaces/delete'
  'Microsoft.Storage/storageAccounts/delete'
  'Microsoft.EventHub/namespaces/delete'
  'Microsoft.EventHub/namespaces/eventhubs/delete'
  'Microsoft.EventHub/namespaces/authorizationRules/delete'
  'Microsoft.EventHub/namespaces/eventhubs/authorizationRules/delete'
]

var delivery = {
  eventDeliverySchema: 'EventGridSchema'
  deliveryWithResourceIdentity: {
    identity: {
      type: 'SystemAssigned'
    }
    destination: {
      endpointType: 'StorageQueue'
      properties: {
        resourceId: storageAccountId
        queueName: eventQueueName
      }
    }
  }
  deadLetterWithResourceIdentity: {
    identity: {
      type: 'SystemAssigned'
    }
    deadLetterDestination: {
      endpointType: 'StorageBlob'
      properties: {
        resourceId: storageAccountId
        blobContainerName: deadLetterContainerName
      }
    }
  }
  // Event Grid's maximum, which is also its default (Learn: "Event Grid message delivery and retry"): 30 attempts on
  // its back-off schedule, for up to 24 hours. Late delivery is harmless, since the ARM read decides; giving up early
  // is not, and the first failures to expect are the minutes a new role assignment takes to propagate.
  retryPolicy: {
    maxDeliveryAttempts: 30
    eventTimeToLiveInMinutes: 1440
  }
}

resource keyVaultChanges 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'kvaudit-keyvault-${nameSuffix}'
  properties: union(delivery, {
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceDeleteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: keyVaultOperations
        }
        {
          operatorType: 'StringContains'
          key: 'data.resourceUri'
          values: [
            '/providers/Microsoft.KeyVault/'
          ]
        }
      ]
    }
  })
}

resource destinationDeleted 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'kvaudit-destinations-${nameSuffix}'
  properties: union(delivery, {
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceDeleteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: destinationDeletes
        }
      ]
    }
  })
}
