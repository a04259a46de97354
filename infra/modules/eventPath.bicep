// The event path of one subscription: its Event Grid system topic (created, or reused), the topic identity's roles on
// the host storage account, then the event subscriptions that deliver with that identity. Deployed once per
// subscription the event path covers; the queue, its roles for the function and the dead-letter container are
// deployed once, with the host storage account.
targetScope = 'subscription'

@description('Where one subscription\'s system topic is, and whether this deployment creates it.')
type eventTopic = {
  @description('The subscription whose resource changes the topic carries.')
  subscriptionId: string
  @description('Resource group of the topic, in that subscription.')
  resourceGroupName: string
  @description('Name of the topic.')
  name: string
  @description('Reuse an existing topic instead of creating one.')
  reuse: bool
  @description('Create the resource group: a new topic outside the deployment\'s own subscription needs one.')
  createResourceGroup: bool
}

@description('This subscription\'s system topic.')
param topic eventTopic

@description('Region of a resource group created for the topic: the deployment\'s region.')
param location string

@description('Tags for a created resource group and topic.')
param tags { *: string }

@description('Suffix that makes names unique to this deployment.')
param nameSuffix string

@description('Subscription of the host storage account.')
param hostSubscriptionId string

@description('Resource group of the host storage account.')
param hostResourceGroupName string

@description('Name of the host storage account.')
param storageAccountName string

@description('Name of the queue the events go to.')
param eventQueueName string

@description('Name of the blob container undeliverable events go to.')
param deadLetterContainerName string

// A subscription-level system topic needs a resource group in its own subscription (Learn: "System topics in Azure
// Event Grid"). Outside the deployment's subscription it gets one of the same name, holding only the topic.
resource topicResourceGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = if (topic.createResourceGroup) {
  name: topic.resourceGroupName
  location: location
  tags: tags
}

module systemTopic 'eventTopic.bicep' = {
  name: 'kvaudit-topic-${nameSuffix}'
  scope: resourceGroup(topic.resourceGroupName)
  params: {
    name: topic.name
    reuse: topic.reuse
    tags: tags
  }
  dependsOn: [
    topicResourceGroup
  ]
}

module deliveryRoles 'rbacEventDelivery.bicep' = {
  name: 'kvaudit-topic-roles-${uniqueString(subscription().id, nameSuffix)}'
  scope: resourceGroup(hostSubscriptionId, hostResourceGroupName)
  params: {
    storageAccountName: storageAccountName
    eventQueueName: eventQueueName
    deadLetterContainerName: deadLetterContainerName
    principalId: systemTopic.outputs.principalId
  }
}

// Created after the roles, so that the first events find their way in; Event Grid's retries cover the minutes a new
// role assignment can take to propagate.
module eventSubscriptions 'eventSubscriptions.bicep' = {
  name: 'kvaudit-event-subscriptions-${nameSuffix}'
  scope: resourceGroup(topic.resourceGroupName)
  params: {
    topicName: systemTopic.outputs.name
    nameSuffix: nameSuffix
    storageAccountId: resourceId(hostSubscriptionId, hostResourceGroupName, 'Microsoft.Storage/storageAccounts', storageAccountName)
    eventQueueName: eventQueueName
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [
    deliveryRoles
  ]
}
