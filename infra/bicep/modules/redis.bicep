// Azure Managed Redis for the shared prefix-KV tier and the cancel relay (pub/sub). The worker's Redis client takes
// a connection string, so the database keeps access-key authentication; the full connection string (host, TLS
// port, key) is written to Key Vault here and never leaves Azure Resource Manager otherwise.
import { resourceTags } from '../types.bicep'

@description('Cluster name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

@allowed([
  'Balanced_B0'
  'Balanced_B1'
  'Balanced_B3'
  'Balanced_B5'
  'Balanced_B10'
  'MemoryOptimized_M10'
  'MemoryOptimized_M20'
])
@description('Azure Managed Redis SKU (size of the prefix tier).')
param sku string

@description('Key Vault that receives the connection string secret.')
param keyVaultName string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    minimumTlsVersion: '1.2'
  }
}

// One endpoint that routes every key itself (EnterpriseCluster), so the client needs no cluster topology. Values
// carry their own TTL; under memory pressure the least recently used prefix blocks go first.
resource database 'Microsoft.Cache/redisEnterprise/databases@2025-04-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'AllKeysLRU'
    accessKeysAuthentication: 'Enabled'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-connection-string'
  properties: {
    value: '${cluster.properties.hostName}:${database.properties.port},password=${database.listKeys().primaryKey},ssl=True,abortConnect=False'
  }
}

output hostName string = cluster.properties.hostName
output connectionStringSecretUri string = connectionString.properties.secretUri
