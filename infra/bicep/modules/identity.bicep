// A user-assigned managed identity (the worker's, and the scale rule's). User-assigned rather than system-assigned so
// its role assignments exist before the app's first revision starts, and survive the app being recreated.
import { resourceTags } from '../types.bicep'

@description('Identity name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
