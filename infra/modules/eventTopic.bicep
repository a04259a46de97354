// The Event Grid system topic of this resource group's subscription: Azure Resource Manager's events for every PUT,
// PATCH and DELETE in it. Azure allows one system topic per source (Learn: "System topics in Azure Event Grid"; a
// second fails with "There is an existing tracked system topic for the given source"), in the source's subscription.
// So the topic is created here, or, when the subscription already has one, that topic is reused: its system-assigned
// identity then delivers this deployment's events, and it is checked to be what the event path needs.

@description('Name of the system topic to create, or of the existing one to reuse, in this resource group.')
param name string

@description('Reuse the existing topic of that name instead of creating one.')
param reuse bool

@description('Tags for a created topic; a reused topic keeps its own.')
param tags { *: string }

resource created 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (!reuse) {
  name: name
  // Subscription events come from a global source: its system topic lives in 'global'.
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource reused 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = if (reuse) {
  name: name
}

var reusedPrincipalId = reused.?identity.?principalId ?? ''
// Every problem of a reused topic at once, each named; evaluated only when a topic is reused.
var reusedProblems = !reuse
  ? []
  : filter(
      [
        toLower(reused.?properties.?topicType ?? '') == 'microsoft.resources.subscriptions'
          ? ''
          : 'its topic type is \'${reused.?properties.?topicType ?? ''}\', not Microsoft.Resources.Subscriptions'
        toLower(reused.?properties.?source ?? '') == toLower(subscription().id)
          ? ''
          : 'its source is \'${reused.?properties.?source ?? ''}\', not ${subscription().id}'
        !empty(reusedPrincipalId)
          ? ''
          : 'it has no system-assigned identity to deliver with: enable one with `az eventgrid system-topic update --name ${name} --resource-group ${resourceGroup().name} --subscription ${subscription().subscriptionId} --identity systemassigned`'
      ],
      problem => !empty(problem)
    )

output name string = name
output principalId string = !reuse
  ? created!.identity.principalId
  : empty(reusedProblems)
      ? reusedPrincipalId
      : fail('existingEventTopics (KV_AUDIT_EVENT_TOPICS) names the system topic ${resourceGroup().id}/providers/Microsoft.EventGrid/systemTopics/${name}, which the event path cannot use: ${join(reusedProblems, '; ')}.')
