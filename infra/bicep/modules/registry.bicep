// Container Registry for the worker image. No admin user and no anonymous pull: the app pulls with its managed
// identity (AcrPull), so no registry password exists anywhere.
import { resourceTags } from '../types.bicep'

@description('Registry name (globally unique, alphanumeric).')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

@allowed([
  'Basic'
  'Standard'
  'Premium'
])
@description('Registry SKU; Premium adds artifact streaming, which shortens GPU cold starts.')
param sku string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    adminUserEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
