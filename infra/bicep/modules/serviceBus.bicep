// Service Bus namespace and the worker's entities. Local (SAS) auth is off: every client, the worker and the
// KEDA scaler included, authenticates with Microsoft Entra ID, so no connection string with a key exists.
import { resourceTags } from '../types.bicep'

@description('Namespace name (globally unique).')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

@allowed([
  'Standard'
  'Premium'
])
@description('Namespace SKU; topics need Standard or above.')
param sku string

@description('Queue the worker consumes (Transport:RequestQueue).')
param requestQueueName string

@minValue(1)
@maxValue(2000)
@description('Deliveries of a request before Service Bus dead-letters it (each redelivery is a new Attempt).')
param requestMaxDeliveryCount int

@description('How long an unconsumed request stays queued before it is dead-lettered (ISO 8601 duration).')
param requestTimeToLive string

@description('Session-enabled queue the worker sends replies to; each client reads its own session.')
param replyQueueName string

@description('Queue of HTTP callback deliveries to retry (Callbacks:RetryQueue), redelivered by scheduled enqueue.')
param callbackRetryQueueName string

@description('Topic producers publish CancelGeneration to (Transport:CancelTopic).')
param cancelTopicName string

@description('The one subscription the replicas share (Transport:ServiceBus:CancelSubscription).')
param cancelSubscriptionName string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

// The request queue. The lock is the longest Service Bus allows (5 minutes); the worker renews it while a
// generation runs. Duplicate detection drops a producer's resend of the same MessageId (set it to the requestId).
resource requestQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: requestQueueName
  properties: {
    lockDuration: 'PT5M'
    maxDeliveryCount: requestMaxDeliveryCount
    defaultMessageTimeToLive: requestTimeToLive
    deadLetteringOnMessageExpiration: true
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    requiresSession: false
    enablePartitioning: false
  }
}

// Replies: token chunks and the final message, one session per client (ReplyToSessionId). Unread replies expire
// rather than dead-letter: a client that went away will not come back for them.
resource replyQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: replyQueueName
  properties: {
    requiresSession: true
    lockDuration: 'PT1M'
    maxDeliveryCount: 10
    defaultMessageTimeToLive: 'PT1H'
    deadLetteringOnMessageExpiration: false
    requiresDuplicateDetection: false
    enablePartitioning: false
  }
}

// Callback retries: the worker schedules a message here for each failed webhook delivery and posts it again when it
// comes due; after the last attempt the message is dead-lettered for an operator to inspect.
resource callbackRetryQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: callbackRetryQueueName
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: 10
    defaultMessageTimeToLive: 'P1D'
    deadLetteringOnMessageExpiration: true
    requiresDuplicateDetection: false
    requiresSession: false
    enablePartitioning: false
  }
}

// Cancels: a cancel is only useful while its request can still be running, so it expires quickly.
resource cancelTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: cancelTopicName
  properties: {
    defaultMessageTimeToLive: 'PT15M'
    requiresDuplicateDetection: false
    enablePartitioning: false
  }
}

// One shared subscription: whichever replica receives a cancel relays it to every replica through Redis pub/sub.
// A fixed subscription means the workers need no Manage right to create one each.
resource cancelSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: cancelTopic
  name: cancelSubscriptionName
  properties: {
    lockDuration: 'PT30S'
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: false
    requiresSession: false
  }
}

output name string = namespace.name
// The namespace host name (e.g. name.servicebus.windows.net) read from the endpoint, so other clouds work too.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '/')[2], ':')[0]
output requestQueueName string = requestQueue.name
output replyQueueName string = replyQueue.name
output callbackRetryQueueName string = callbackRetryQueue.name
output cancelTopicName string = cancelTopic.name
output cancelSubscriptionName string = cancelSubscription.name
