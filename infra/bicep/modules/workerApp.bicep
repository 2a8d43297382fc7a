// The worker container app on the GPU workload profile: pulls its image and reads its secrets with its managed
// identity, scales from zero on the request queue's length, and drains before it is stopped.
import { resourceTags } from '../types.bicep'

@description('App name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

@description('Container Apps environment id.')
param environmentId string

@description('GPU workload profile name in the environment.')
param gpuWorkloadProfileName string

@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
@description('GPU workload profile type; sets the replica\'s CPU and memory.')
param gpuWorkloadProfileType string

@description('Resource id of the worker\'s user-assigned identity.')
param workerIdentityId string

@description('Client id of the worker\'s identity (the worker\'s Service Bus credential uses it).')
param workerIdentityClientId string

@description('Resource id of the identity the KEDA scale rule authenticates with.')
param scalerIdentityId string

@description('Registry login server (name.azurecr.io).')
param registryLoginServer string

@description('Image repository and tag in the registry, e.g. llmq-worker:1.4.0.')
param image string

@description('Service Bus namespace name (the scale rule wants the name).')
param serviceBusNamespaceName string

@description('Service Bus namespace host name (the worker wants the host).')
param serviceBusFullyQualifiedNamespace string

@description('Request queue (Transport:RequestQueue).')
param requestQueueName string

@description('Callback retry queue (Callbacks:RetryQueue).')
param callbackRetryQueueName string

@description('Cancel topic (Transport:CancelTopic).')
param cancelTopicName string

@description('Shared cancel subscription (Transport:ServiceBus:CancelSubscription).')
param cancelSubscriptionName string

@minValue(1)
@description('Engine:MaxRunningRequests: requests one replica runs at once, and so the messages it holds locked.')
param maxRunningRequests int

@minValue(0)
@description('Messages that wake the app from zero replicas.')
param activationMessageCount int

@minValue(1)
@maxValue(300)
@description('Most replicas (each takes one GPU).')
param maxReplicas int

@minValue(1)
@maxValue(555)
@description('Transport:DrainTimeoutSeconds: how long in-flight requests may finish after SIGTERM.')
param drainTimeoutSeconds int

@description('Engine:ModelPath: a Hugging Face Hub id (org/name) or a folder inside the container.')
param modelPath string

@description('Key Vault URI of the Redis connection string.')
param redisConnectionStringSecretUri string

@description('Key Vault URI of the Redis tier HMAC secret.')
param redisTierSecretUri string

@description('Key Vault URI of the current webhook signing secret.')
param callbackSigningSecretUri string

@description('Key Vault URI of the previous webhook signing secret; empty when none.')
param previousCallbackSigningSecretUri string

@description('Key Vault URI of the Hugging Face token; empty when none.')
param hfTokenSecretUri string

// The operations endpoint (Operations:Port) serving /healthz, /readyz and /metrics; the image EXPOSEs it.
var operationsPort = 8080

// The model cache: the image declares this path a VOLUME; here it is a per-replica EmptyDir.
var modelCacheDirectory = '/models'

// Seconds between the end of the drain and SIGKILL: the host returns unfinished messages, closes its connections
// and flushes telemetry in this time (the worker host allows itself 30 of them).
var shutdownMarginSeconds = 45

// A serverless GPU replica gets the whole profile: one GPU with the CPU and memory that come with it.
var replicaResources = {
  'Consumption-GPU-NC8as-T4': {
    cpu: '8.0'
    memory: '56Gi'
  }
  'Consumption-GPU-NC24-A100': {
    cpu: '24.0'
    memory: '220Gi'
  }
}

var requiredSecrets = [
  {
    name: 'redis-connection-string'
    keyVaultUrl: redisConnectionStringSecretUri
    identity: workerIdentityId
  }
  {
    name: 'redis-tier-hmac-secret'
    keyVaultUrl: redisTierSecretUri
    identity: workerIdentityId
  }
  {
    name: 'callback-signing-secret'
    keyVaultUrl: callbackSigningSecretUri
    identity: workerIdentityId
  }
]

var previousCallbackSecret = empty(previousCallbackSigningSecretUri)
  ? []
  : [
      {
        name: 'callback-signing-secret-previous'
        keyVaultUrl: previousCallbackSigningSecretUri
        identity: workerIdentityId
      }
    ]

var hfTokenSecret = empty(hfTokenSecretUri)
  ? []
  : [
      {
        name: 'hf-token'
        keyVaultUrl: hfTokenSecretUri
        identity: workerIdentityId
      }
    ]

var settings = [
  {
    name: 'LLMQ_Transport__Kind'
    value: 'ServiceBus'
  }
  {
    name: 'LLMQ_Transport__RequestQueue'
    value: requestQueueName
  }
  {
    name: 'LLMQ_Transport__DrainTimeoutSeconds'
    value: string(drainTimeoutSeconds)
  }
  {
    name: 'LLMQ_Transport__ServiceBus__FullyQualifiedNamespace'
    value: serviceBusFullyQualifiedNamespace
  }
  {
    name: 'LLMQ_Transport__ServiceBus__ManagedIdentityClientId'
    value: workerIdentityClientId
  }
  {
    name: 'LLMQ_Transport__CancelTopic'
    value: cancelTopicName
  }
  {
    name: 'LLMQ_Transport__ServiceBus__CancelSubscription'
    value: cancelSubscriptionName
  }
  {
    name: 'LLMQ_Callbacks__RetryQueue'
    value: callbackRetryQueueName
  }
  {
    name: 'LLMQ_Callbacks__Secrets__0'
    secretRef: 'callback-signing-secret'
  }
  {
    name: 'LLMQ_RedisTier__ConnectionString'
    secretRef: 'redis-connection-string'
  }
  {
    name: 'LLMQ_RedisTier__Secret'
    secretRef: 'redis-tier-hmac-secret'
  }
  {
    // cuda, not auto: a replica that cannot reach its GPU fails its start instead of serving slowly on CPU.
    name: 'LLMQ_Engine__Device'
    value: 'cuda'
  }
  {
    name: 'LLMQ_Engine__MaxRunningRequests'
    value: string(maxRunningRequests)
  }
  {
    name: 'LLMQ_Engine__ModelPath'
    value: modelPath
  }
  {
    name: 'LLMQ_Engine__CacheDirectory'
    value: modelCacheDirectory
  }
  {
    name: 'LLMQ_Operations__Port'
    value: string(operationsPort)
  }
  {
    // The worker refuses to start if its drain and stop margin do not fit in the grace period.
    name: 'LLMQ_Operations__TerminationGracePeriodSeconds'
    value: string(drainTimeoutSeconds + shutdownMarginSeconds)
  }
]

var previousCallbackSetting = empty(previousCallbackSigningSecretUri)
  ? []
  : [
      {
        name: 'LLMQ_Callbacks__Secrets__1'
        secretRef: 'callback-signing-secret-previous'
      }
    ]

var hfTokenSetting = empty(hfTokenSecretUri)
  ? []
  : [
      {
        name: 'HF_TOKEN'
        secretRef: 'hf-token'
      }
    ]

resource app 'Microsoft.App/containerApps@2025-01-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${workerIdentityId}': {}
      '${scalerIdentityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: gpuWorkloadProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      // No ingress: the worker pulls from Service Bus; probes reach the operations port inside the environment.
      registries: [
        {
          server: registryLoginServer
          identity: workerIdentityId
        }
      ]
      secrets: concat(requiredSecrets, previousCallbackSecret, hfTokenSecret)
    }
    template: {
      terminationGracePeriodSeconds: drainTimeoutSeconds + shutdownMarginSeconds
      containers: [
        {
          name: 'worker'
          image: '${registryLoginServer}/${image}'
          resources: {
            cpu: json(replicaResources[gpuWorkloadProfileType].cpu)
            memory: replicaResources[gpuWorkloadProfileType].memory
          }
          env: concat(settings, previousCallbackSetting, hfTokenSetting)
          probes: [
            {
              // Generous: the process answers /healthz as soon as its host runs, before the model is loaded.
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: operationsPort
              }
              initialDelaySeconds: 5
              periodSeconds: 10
              failureThreshold: 10
              timeoutSeconds: 5
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: operationsPort
              }
              periodSeconds: 15
              failureThreshold: 3
              timeoutSeconds: 5
            }
            {
              // Not ready while the model loads, the transport is down or the replica drains.
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: operationsPort
              }
              periodSeconds: 5
              failureThreshold: 3
              successThreshold: 1
              timeoutSeconds: 3
            }
          ]
          volumeMounts: [
            {
              volumeName: 'model-cache'
              mountPath: modelCacheDirectory
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'model-cache'
          storageType: 'EmptyDir'
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          {
            // One replica per MaxRunningRequests messages: KEDA's target is the messages one replica takes at
            // once, so the backlog a replica cannot start spills onto new replicas.
            name: 'request-queue-length'
            custom: {
              type: 'azure-servicebus'
              identity: scalerIdentityId
              metadata: {
                namespace: serviceBusNamespaceName
                queueName: requestQueueName
                messageCount: string(maxRunningRequests)
                activationMessageCount: string(activationMessageCount)
              }
            }
          }
        ]
      }
    }
  }
}

output name string = app.name
output latestRevisionName string = app.properties.latestRevisionName
