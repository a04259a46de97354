import { expect, it } from 'vitest';
import { executeQuery, type KqlRow } from '../src/index.js';

const sub = '/subscriptions/00000000-0000-0000-0000-000000000001';

const auditToWorkspace = {
  workspaceId: `${sub}/resourceGroups/logs/providers/Microsoft.OperationalInsights/workspaces/central`,
  logs: [{ category: 'AuditEvent', enabled: true }],
};
const allLogsToStorage = {
  storageAccountId: `${sub}/resourceGroups/logs/providers/Microsoft.Storage/storageAccounts/archive`,
  logs: [{ categoryGroup: 'allLogs', enabled: true }],
};

/** ARG `resources` rows as ARG returns them: mixed-case ids, and diagnostic settings as child resources. */
const resources: KqlRow[] = [
  {
    id: `${sub}/resourceGroups/Sec/providers/Microsoft.KeyVault/vaults/KV-Payments`,
    name: 'KV-Payments',
    type: 'Microsoft.KeyVault/vaults',
    location: 'westeurope',
    properties: { sku: { name: 'premium' } },
  },
  {
    id: `${sub}/resourceGroups/Sec/providers/Microsoft.KeyVault/vaults/KV-Payments/providers/microsoft.insights/diagnosticSettings/to-workspace`,
    name: 'to-workspace',
    type: 'microsoft.insights/diagnosticsettings',
    properties: auditToWorkspace,
  },
  {
    id: `${sub}/resourceGroups/sec/providers/microsoft.keyvault/vaults/kv-payments/providers/Microsoft.Insights/diagnosticSettings/to-storage`,
    name: 'to-storage',
    type: 'Microsoft.Insights/diagnosticSettings',
    properties: allLogsToStorage,
  },
  {
    id: `${sub}/resourceGroups/App/providers/Microsoft.KeyVault/vaults/kv-app`,
    name: 'kv-app',
    type: 'microsoft.keyvault/vaults',
    location: 'northeurope',
    properties: { sku: { name: 'standard' } },
  },
  {
    id: `${sub}/resourceGroups/App/providers/Microsoft.Storage/storageAccounts/appdata`,
    name: 'appdata',
    type: 'Microsoft.Storage/storageAccounts',
    location: 'northeurope',
    properties: {},
  },
];

const query = `
resources
| where type =~ 'microsoft.keyvault/vaults'
| project id = tolower(id), name, location, sku = tostring(properties.sku.name)
| join kind=leftouter (
    resources
    | where type =~ 'microsoft.insights/diagnosticsettings'
    | extend parentId = tolower(substring(id, 0, indexof(tolower(id), '/providers/microsoft.insights/diagnosticsettings/')))
    | summarize settings = make_list(pack('name', name, 'properties', properties)) by parentId
  ) on $left.id == $right.parentId
| project id, name, location, sku, settings
| order by id asc`;

it('lists Key Vaults with their diagnostic settings, joined on normalised ids', () => {
  expect(executeQuery(query, { Resources: resources })).toEqual([
    {
      id: `${sub}/resourcegroups/app/providers/microsoft.keyvault/vaults/kv-app`,
      name: 'kv-app',
      location: 'northeurope',
      sku: 'standard',
      settings: null,
    },
    {
      id: `${sub}/resourcegroups/sec/providers/microsoft.keyvault/vaults/kv-payments`,
      name: 'KV-Payments',
      location: 'westeurope',
      sku: 'premium',
      settings: [
        { name: 'to-workspace', properties: auditToWorkspace },
        { name: 'to-storage', properties: allLogsToStorage },
      ],
    },
  ]);
});
