// Key Vault (RBAC authorization, no access policies) holding the worker's secrets. The values arrive as secure
// parameters and are written through the control plane; the app reads them by Key Vault reference with its managed
// identity (Key Vault Secrets User), so no secret value is ever part of the app's definition.
import { resourceTags } from '../types.bicep'

@description('Vault name (globally unique, 3-24 characters).')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

@description('Purge protection (cannot be turned off again once on): on for production.')
param enablePurgeProtection bool

@secure()
@minLength(16)
@description('HMAC-SHA256 key over every Redis tier value (RedisTier:Secret).')
param redisTierSecret string

@secure()
@minLength(1)
@description('Current webhook signing secret, whsec_<base64> (Callbacks:Secrets:0).')
param callbackSigningSecret string

@secure()
@description('Previous webhook signing secret kept during a rotation (Callbacks:Secrets:1); empty when none.')
param callbackSigningSecretPrevious string

@secure()
@description('Hugging Face token for gated models (HF_TOKEN); empty when the model is public.')
param hfToken string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    // Fixed at the maximum: the retention of an existing vault can never be changed.
    softDeleteRetentionInDays: 90
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource redisTier 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-tier-hmac-secret'
  properties: {
    value: redisTierSecret
  }
}

resource callbackCurrent 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'callback-signing-secret'
  properties: {
    value: callbackSigningSecret
  }
}

resource callbackPrevious 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(callbackSigningSecretPrevious)) {
  parent: vault
  name: 'callback-signing-secret-previous'
  properties: {
    value: callbackSigningSecretPrevious
  }
}

resource huggingFace 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(hfToken)) {
  parent: vault
  name: 'hf-token'
  properties: {
    value: hfToken
  }
}

output name string = vault.name
// Versionless secret URIs: the app picks up a new version of a secret without a redeployment.
output redisTierSecretUri string = redisTier.properties.secretUri
output callbackSigningSecretUri string = callbackCurrent.properties.secretUri
output previousCallbackSigningSecretUri string = callbackPrevious.?properties.secretUri ?? ''
output hfTokenSecretUri string = huggingFace.?properties.secretUri ?? ''
