// Development: one small GPU, scale to zero, short log retention, no purge protection. Secrets come from the deploying
// shell's environment (docs/DEPLOY.md), never from this file.
using 'main.bicep'

param environmentName = 'dev'
param gpuWorkloadProfileType = 'Consumption-GPU-NC8as-T4'
param maxReplicas = 2
param maxRunningRequests = 16
param drainTimeoutSeconds = 30
param modelPath = 'Qwen/Qwen3-0.6B'
param imageTag = readEnvironmentVariable('LLMQ_IMAGE_TAG', 'dev')
param registrySku = 'Basic'
param redisSku = 'Balanced_B0'
param logRetentionInDays = 30
param keyVaultPurgeProtection = false

// LLMQ_DEPLOY_WORKER=false for the first deployment: everything but the app, so the image can be pushed first.
param deployWorker = bool(readEnvironmentVariable('LLMQ_DEPLOY_WORKER', 'true'))

param redisTierSecret = readEnvironmentVariable('LLMQ_REDIS_TIER_SECRET')
param callbackSigningSecret = readEnvironmentVariable('LLMQ_CALLBACK_SIGNING_SECRET')
param callbackSigningSecretPrevious = readEnvironmentVariable('LLMQ_CALLBACK_SIGNING_SECRET_PREVIOUS', '')
param hfToken = readEnvironmentVariable('HF_TOKEN', '')
