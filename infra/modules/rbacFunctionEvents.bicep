// What the function identity needs for the event path and the incremental scans, each on the one queue or container
// it uses on the host storage account: the queue trigger reads and deletes messages of the event queue and moves
// poison messages to its poison queue (Learn: "Azure Queue storage trigger and bindings for Azure Functions",
// identity-based connections: Storage Queue Data Reader and Storage Queue Data Message Processor for a trigger), and
// the scans read and write the state blob. The account-wide Storage Blob Data Owner the Functions host needs
// (rbacFunctionHost.bicep) covers the state container as well; the grant here says what the scans rely on, so that it
// still holds where the host's role is narrowed.

@description('Name of the host storage account, in this resource group.')
param storageAccountName string

@description('Name of the queue the event function is triggered by.')
param eventQueueName string

@description('Name of its poison queue.')
param poisonQueueName string

@description('Name of the blob container that holds the scan state blob.')
param stateContainerName string

@description('Principal id of the function identity.')
param principalId string

var roles = loadJsonContent('../roleDefinitions.json')

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName

  resource queueService 'queueServices' existing = {
    name: 'default'

    resource eventQueue 'queues' existing = {
      name: eventQueueName
    }

    resource poisonQueue 'queues' existing = {
      name: poisonQueueName
    }
  }

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource stateContainer 'containers' existing = {
      name: stateContainerName
    }
  }
}

// Peek and read queue properties (the trigger's polling and scale decisions read the queue length).
resource eventQueueReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::eventQueue.id, principalId, roles.StorageQueueDataReader)
  scope: storage::queueService::eventQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.StorageQueueDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Receive, update the visibility of, and delete messages.
resource eventQueueProcessor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::eventQueue.id, principalId, roles.StorageQueueDataMessageProcessor)
  scope: storage::queueService::eventQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.StorageQueueDataMessageProcessor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The host copies a message that failed maxDequeueCount times to the poison queue: sending is all it does there.
resource poisonQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::poisonQueue.id, principalId, roles.StorageQueueDataMessageSender)
  scope: storage::queueService::poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.StorageQueueDataMessageSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource stateContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::stateContainer.id, principalId, roles.StorageBlobDataContributor)
  scope: storage::blobService::stateContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.StorageBlobDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
