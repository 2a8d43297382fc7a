// Production: A100 replicas, a larger Redis tier, a longer drain for long generations, purge-protected vault.
// Secrets come from the deploying shell's environment (docs/DEPLOY.md), never from this file.
using 'main.bicep'

param environmentName = 'prod'
param gpuWorkloadProfileType = 'Consumption-GPU-NC24-A100'
param maxReplicas = 8
param maxRunningRequests = 64
param activationMessageCount = 0
param drainTimeoutSeconds = 240
param requestMaxDeliveryCount = 5
param modelPath = 'meta-llama/Llama-3.2-1B'
param imageTag = readEnvironmentVariable('LLMQ_IMAGE_TAG')
param registrySku = 'Premium'
param serviceBusSku = 'Standard'
param redisSku = 'Balanced_B5'
param logRetentionInDays = 90
param keyVaultPurgeProtection = true

// LLMQ_DEPLOY_WORKER=false for the first deployment: everything but the app, so the image can be pushed first.
param deployWorker = bool(readEnvironmentVariable('LLMQ_DEPLOY_WORKER', 'true'))

param redisTierSecret = readEnvironmentVariable('LLMQ_REDIS_TIER_SECRET')
param callbackSigningSecret = readEnvironmentVariable('LLMQ_CALLBACK_SIGNING_SECRET')
param callbackSigningSecretPrevious = readEnvironmentVariable('LLMQ_CALLBACK_SIGNING_SECRET_PREVIOUS', '')
param hfToken = readEnvironmentVariable('HF_TOKEN', '')
