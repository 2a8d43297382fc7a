// Container Apps environment with workload profiles: the default Consumption profile and one serverless GPU
// profile the worker runs on. Replica console logs go to the Log Analytics workspace.
import { resourceTags } from '../types.bicep'

@description('Environment name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags resourceTags

@description('Log Analytics workspace receiving the replicas\' logs.')
param logAnalyticsWorkspaceName string

@description('Name the GPU workload profile gets inside the environment.')
param gpuWorkloadProfileName string

@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
@description('Serverless GPU profile: one T4 (16 GB) or one A100 (80 GB) per replica.')
param gpuWorkloadProfileType string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsWorkspaceName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: workspace.properties.customerId
        sharedKey: workspace.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuWorkloadProfileName
        workloadProfileType: gpuWorkloadProfileType
      }
    ]
    zoneRedundant: false
  }
}

output id string = environment.id
output name string = environment.name
output gpuWorkloadProfileName string = gpuWorkloadProfileName
