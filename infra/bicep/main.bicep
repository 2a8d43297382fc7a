// llmq on Azure: GPU worker replicas in Container Apps, scaled from zero on a Service Bus queue by KEDA, with an
// Azure Managed Redis prefix tier and Key Vault secrets. Deploy into a resource group: see docs/DEPLOY.md.
targetScope = 'resourceGroup'

@description('Azure region of every resource; must offer the chosen serverless GPU.')
param location string = resourceGroup().location

@minLength(2)
@maxLength(8)
@description('Short lowercase alphanumeric name the resource names start from.')
param baseName string = 'llmq'

@minLength(2)
@maxLength(8)
@description('Short lowercase alphanumeric environment name (dev, prod): part of every resource name.')
param environmentName string

@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
@description('Serverless GPU workload profile of the worker replicas.')
param gpuWorkloadProfileType string

@minValue(1)
@maxValue(300)
@description('Most worker replicas (GPUs).')
param maxReplicas int

@minValue(1)
@maxValue(1024)
@description('Engine:MaxRunningRequests per replica; also the scale rule\'s messageCount.')
param maxRunningRequests int = 32

@minValue(0)
@description('Queued messages that wake the app from zero replicas (KEDA activationMessageCount; 0 = any message).')
param activationMessageCount int = 0

@minValue(1)
@maxValue(555)
@description('Transport:DrainTimeoutSeconds; the grace period before SIGKILL is this plus a fixed margin.')
param drainTimeoutSeconds int = 30

@minValue(1)
@maxValue(100)
@description('Deliveries of a request before it is dead-lettered.')
param requestMaxDeliveryCount int = 5

@description('How long a request may wait in the queue (ISO 8601 duration) before it is dead-lettered.')
param requestTimeToLive string = 'P1D'

@minLength(1)
@description('Engine:ModelPath: Hugging Face Hub id (org/name) or a folder inside the image.')
param modelPath string

@description('Worker image repository in the registry.')
param imageRepository string = 'llmq-worker'

@minLength(1)
@description('Worker image tag pushed to the registry (docs/DEPLOY.md builds and pushes it).')
param imageTag string

@description('false for the first deployment: everything but the app, so the image can be pushed to the new registry.')
param deployWorker bool = true

@allowed([
  'Basic'
  'Standard'
  'Premium'
])
@description('Container Registry SKU.')
param registrySku string = 'Standard'

@allowed([
  'Standard'
  'Premium'
])
@description('Service Bus SKU.')
param serviceBusSku string = 'Standard'

@allowed([
  'Balanced_B0'
  'Balanced_B1'
  'Balanced_B3'
  'Balanced_B5'
  'Balanced_B10'
  'MemoryOptimized_M10'
  'MemoryOptimized_M20'
])
@description('Azure Managed Redis SKU.')
param redisSku string = 'Balanced_B1'

@minValue(30)
@maxValue(730)
@description('Log retention in days.')
param logRetentionInDays int = 30

@description('Key Vault purge protection (irreversible once on).')
param keyVaultPurgeProtection bool = false

@secure()
@minLength(16)
@description('RedisTier:Secret, the HMAC key over the Redis tier\'s values (16 or more characters).')
param redisTierSecret string

@secure()
@minLength(1)
@description('Current webhook signing secret, whsec_<base64>.')
param callbackSigningSecret string

@secure()
@description('Previous webhook signing secret, kept while receivers rotate; empty when none.')
param callbackSigningSecretPrevious string = ''

@secure()
@description('Hugging Face token for gated models; empty for public ones.')
param hfToken string = ''

// Queue and topic names are the worker's configuration defaults: producers use the same names.
var requestQueueName = 'llmq-generate'
var replyQueueName = 'llmq-replies'
var callbackRetryQueueName = 'llmq-callbacks'
var cancelTopicName = 'llmq-cancel'
var cancelSubscriptionName = 'llmq-workers'

var tags = {
  application: 'llmq'
  environment: environmentName
}

// Names are fixed before anything deploys (modules get them from here, never from another module's outputs), so
// what-if predicts every resource. Globally unique ones carry a suffix stable for this resource group.
var suffix = uniqueString(resourceGroup().id, baseName, environmentName)
var names = {
  logs: 'log-${baseName}-${environmentName}'
  registry: take('cr${baseName}${environmentName}${suffix}', 50)
  workerIdentity: 'id-${baseName}-worker-${environmentName}'
  scalerIdentity: 'id-${baseName}-scaler-${environmentName}'
  serviceBus: 'sb-${baseName}-${environmentName}-${suffix}'
  keyVault: 'kv-${take(baseName, 5)}-${take(environmentName, 4)}-${take(suffix, 8)}'
  redis: 'redis-${baseName}-${environmentName}-${suffix}'
  environment: 'cae-${baseName}-${environmentName}'
  workerApp: 'ca-${baseName}-worker-${environmentName}'
}
var gpuWorkloadProfileName = 'gpu'

module logs 'modules/logAnalytics.bicep' = {
  name: 'logs'
  params: {
    name: names.logs
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    name: names.registry
    location: location
    tags: tags
    sku: registrySku
  }
}

module workerIdentity 'modules/identity.bicep' = {
  name: 'worker-identity'
  params: {
    name: names.workerIdentity
    location: location
    tags: tags
  }
}

module scalerIdentity 'modules/identity.bicep' = {
  name: 'scaler-identity'
  params: {
    name: names.scalerIdentity
    location: location
    tags: tags
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  name: 'service-bus'
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    sku: serviceBusSku
    requestQueueName: requestQueueName
    requestMaxDeliveryCount: requestMaxDeliveryCount
    requestTimeToLive: requestTimeToLive
    replyQueueName: replyQueueName
    callbackRetryQueueName: callbackRetryQueueName
    cancelTopicName: cancelTopicName
    cancelSubscriptionName: cancelSubscriptionName
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'key-vault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
    redisTierSecret: redisTierSecret
    callbackSigningSecret: callbackSigningSecret
    callbackSigningSecretPrevious: callbackSigningSecretPrevious
    hfToken: hfToken
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  // It writes its connection string into the vault.
  dependsOn: [
    keyVault
  ]
  params: {
    name: names.redis
    location: location
    tags: tags
    sku: redisSku
    keyVaultName: names.keyVault
  }
}

module environment 'modules/containerAppsEnvironment.bicep' = {
  name: 'container-apps-environment'
  dependsOn: [
    logs
  ]
  params: {
    name: names.environment
    location: location
    tags: tags
    logAnalyticsWorkspaceName: names.logs
    gpuWorkloadProfileName: gpuWorkloadProfileName
    gpuWorkloadProfileType: gpuWorkloadProfileType
  }
}

module roles 'modules/roleAssignments.bicep' = {
  name: 'role-assignments'
  // It refers to these by name, so it must wait for them.
  dependsOn: [
    workerIdentity
    scalerIdentity
    registry
    keyVault
    serviceBus
  ]
  params: {
    workerIdentityName: names.workerIdentity
    scalerIdentityName: names.scalerIdentity
    registryName: names.registry
    keyVaultName: names.keyVault
    serviceBusNamespaceName: names.serviceBus
    requestQueueName: requestQueueName
    replyQueueName: replyQueueName
    callbackRetryQueueName: callbackRetryQueueName
    cancelTopicName: cancelTopicName
    cancelSubscriptionName: cancelSubscriptionName
  }
}

module worker 'modules/workerApp.bicep' = if (deployWorker) {
  name: 'worker-app'
  // The first revision pulls the image and resolves Key Vault references: the grants must exist before it starts.
  dependsOn: [
    roles
  ]
  params: {
    name: names.workerApp
    location: location
    tags: tags
    environmentId: environment.outputs.id
    gpuWorkloadProfileName: environment.outputs.gpuWorkloadProfileName
    gpuWorkloadProfileType: gpuWorkloadProfileType
    workerIdentityId: workerIdentity.outputs.id
    workerIdentityClientId: workerIdentity.outputs.clientId
    scalerIdentityId: scalerIdentity.outputs.id
    registryLoginServer: registry.outputs.loginServer
    image: '${imageRepository}:${imageTag}'
    serviceBusNamespaceName: serviceBus.outputs.name
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    requestQueueName: serviceBus.outputs.requestQueueName
    callbackRetryQueueName: serviceBus.outputs.callbackRetryQueueName
    cancelTopicName: serviceBus.outputs.cancelTopicName
    cancelSubscriptionName: serviceBus.outputs.cancelSubscriptionName
    maxRunningRequests: maxRunningRequests
    activationMessageCount: activationMessageCount
    maxReplicas: maxReplicas
    drainTimeoutSeconds: drainTimeoutSeconds
    modelPath: modelPath
    redisConnectionStringSecretUri: redis.outputs.connectionStringSecretUri
    redisTierSecretUri: keyVault.outputs.redisTierSecretUri
    callbackSigningSecretUri: keyVault.outputs.callbackSigningSecretUri
    previousCallbackSigningSecretUri: keyVault.outputs.previousCallbackSigningSecretUri
    hfTokenSecretUri: keyVault.outputs.hfTokenSecretUri
  }
}

output registryName string = registry.outputs.name
output registryLoginServer string = registry.outputs.loginServer
output serviceBusNamespaceName string = names.serviceBus
output serviceBusFullyQualifiedNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output requestQueueName string = serviceBus.outputs.requestQueueName
output replyQueueName string = serviceBus.outputs.replyQueueName
output cancelTopicName string = serviceBus.outputs.cancelTopicName
output keyVaultName string = keyVault.outputs.name
output redisHostName string = redis.outputs.hostName
output workerIdentityClientId string = workerIdentity.outputs.clientId
output workerAppName string = worker.?outputs.name ?? ''
