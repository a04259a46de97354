// Host storage of the function app: the deployment package container and the host's blobs (the timer's schedule
// status and singleton lease), the queue Event Grid delivers resource changes to (with its poison queue and the
// dead-letter container), and the container of the incremental scans' state blob. Reached only with Microsoft Entra
// ID: shared keys are disabled.

@description('Name of the storage account (3-24 lowercase letters and digits).')
param name string

@description('Region of the storage account.')
param location string

@description('Tags for the storage account.')
param tags { *: string }

@description('Name of the blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('Name of the queue Event Grid delivers resource changes to, and the event function reads.')
param eventQueueName string

@description('Name of the blob container Event Grid dead-letters undeliverable events to.')
param deadLetterContainerName string

@description('Name of the blob container that holds the scan state blob.')
param stateContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
    }

    resource deadLetterContainer 'containers' = {
      name: deadLetterContainerName
    }

    resource stateContainer 'containers' = {
      name: stateContainerName
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource eventQueue 'queues' = {
      name: eventQueueName
    }

    // The Functions host moves a message here after maxDequeueCount failed attempts. It sends first and creates the
    // queue only when the send finds none (StorageQueueExtensions.AddMessageAndCreateIfNotExistsAsync in
    // Azure/azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.Storage.Common): created here, the function needs
    // only to send to it, never to create queues on the account.
    resource poisonQueue 'queues' = {
      name: '${eventQueueName}-poison'
    }
  }
}

output name string = storage.name
output id string = storage.id
output poisonQueueName string = storage::queueService::poisonQueue.name
