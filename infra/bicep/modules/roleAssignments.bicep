// Every grant the deployment makes, each on the narrowest scope that works. Built-in role definition ids are
// fixed across Azure.
@description('The worker\'s user-assigned identity.')
param workerIdentityName string

@description('The user-assigned identity the KEDA scale rule authenticates with.')
param scalerIdentityName string

@description('Container Registry the worker image is pulled from.')
param registryName string

@description('Key Vault holding the worker\'s secrets.')
param keyVaultName string

@description('Service Bus namespace holding the entities below.')
param serviceBusNamespaceName string

@description('Request queue (worker receives; scaler reads its length).')
param requestQueueName string

@description('Session reply queue (worker sends).')
param replyQueueName string

@description('Callback retry queue (worker schedules and receives).')
param callbackRetryQueueName string

@description('Cancel topic.')
param cancelTopicName string

@description('The replicas\' shared cancel subscription (worker receives).')
param cancelSubscriptionName string

var roles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
}

resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: workerIdentityName
}

resource scalerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: scalerIdentityName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName

  resource requestQueue 'queues' existing = {
    name: requestQueueName
  }

  resource replyQueue 'queues' existing = {
    name: replyQueueName
  }

  resource callbackRetryQueue 'queues' existing = {
    name: callbackRetryQueueName
  }

  resource cancelTopic 'topics' existing = {
    name: cancelTopicName

    resource cancelSubscription 'subscriptions' existing = {
      name: cancelSubscriptionName
    }
  }
}

resource workerAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, workerIdentity.id, roles.acrPull)
  scope: registry
  properties: {
    principalId: workerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

// The vault holds only this deployment's secrets, so the vault is the narrowest useful scope.
resource workerSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, workerIdentity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: workerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource workerReceivesRequests 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::requestQueue.id, workerIdentity.id, roles.serviceBusDataReceiver)
  scope: namespace::requestQueue
  properties: {
    principalId: workerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

resource workerSendsReplies 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::replyQueue.id, workerIdentity.id, roles.serviceBusDataSender)
  scope: namespace::replyQueue
  properties: {
    principalId: workerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
  }
}

resource workerSchedulesCallbackRetries 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::callbackRetryQueue.id, workerIdentity.id, roles.serviceBusDataSender)
  scope: namespace::callbackRetryQueue
  properties: {
    principalId: workerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
  }
}

resource workerReceivesCallbackRetries 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::callbackRetryQueue.id, workerIdentity.id, roles.serviceBusDataReceiver)
  scope: namespace::callbackRetryQueue
  properties: {
    principalId: workerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

resource workerReceivesCancels 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::cancelTopic::cancelSubscription.id, workerIdentity.id, roles.serviceBusDataReceiver)
  scope: namespace::cancelTopic::cancelSubscription
  properties: {
    principalId: workerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

// KEDA's azure-servicebus scaler reads the queue's message count through the management API, which needs the
// Manage claim: Data Owner, on the request queue only, held by an identity used for nothing else.
resource scalerReadsQueueLength 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::requestQueue.id, scalerIdentity.id, roles.serviceBusDataOwner)
  scope: namespace::requestQueue
  properties: {
    principalId: scalerIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
  }
}
