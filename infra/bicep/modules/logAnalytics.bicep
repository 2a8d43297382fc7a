// Log Analytics workspace: the Container Apps environment sends the replicas' console logs here.
import { resourceTags } from '../types.bicep'

@description('Workspace name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

@minValue(30)
@maxValue(730)
@description('Days logs are kept.')
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

output name string = workspace.name
