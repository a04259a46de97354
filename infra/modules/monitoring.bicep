// Application Insights for the function's own telemetry, stored in the findings workspace.

@description('Name of the Application Insights component.')
param name string

@description('Region of the component.')
param location string

@description('Tags for the component.')
param tags { *: string }

@description('Resource id of the Log Analytics workspace the telemetry is stored in.')
param workspaceResourceId string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: name
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspaceResourceId
    // Telemetry is accepted only from Microsoft Entra ID callers: the instrumentation key alone cannot send.
    DisableLocalAuth: true
  }
}

output name string = applicationInsights.name
