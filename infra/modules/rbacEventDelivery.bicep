// What an Event Grid system topic's managed identity needs to deliver to the host storage account, on the event queue
// and the dead-letter container only (Learn: "Grant managed identity the access to Event Grid destination": Storage
// Queue Data Message Sender for a queue, Storage Blob Data Contributor for blob storage).

@description('Name of the host storage account, in this resource group.')
param storageAccountName string

@description('Name of the queue the topic delivers events to.')
param eventQueueName string

@description('Name of the blob container the topic dead-letters events to.')
param deadLetterContainerName string

@description('Principal id of the system topic\'s system-assigned identity.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName

  resource queueService 'queueServices' existing = {
    name: 'default'

    resource eventQueue 'queues' existing = {
      name: eventQueueName
    }
  }

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource eventQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::eventQueue.id, principalId, roles.StorageQueueDataMessageSender)
  scope: storage::queueService::eventQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.StorageQueueDataMessageSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetterContainer.id, principalId, roles.StorageBlobDataContributor)
  scope: storage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.StorageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
