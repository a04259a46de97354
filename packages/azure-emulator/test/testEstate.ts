import type { Estate } from '../src/index.js';

/** A small estate for boundary tests: three visible subscriptions, one invisible, two management groups. */

export const subs = {
  apps: 'aaaaaaaa-0000-4000-8000-000000000001',
  logging: 'aaaaaaaa-0000-4000-8000-000000000002',
  empty: 'aaaaaaaa-0000-4000-8000-000000000003',
  invisible: 'aaaaaaaa-0000-4000-8000-000000000009',
};

const rg = (sub: string, group: string) => `/subscriptions/${sub}/resourceGroups/${group}`;

export const ids = {
  workspace: `${rg(subs.logging, 'rg-logs')}/providers/Microsoft.OperationalInsights/workspaces/law-central`,
  kvA: `${rg(subs.apps, 'RG-Apps')}/providers/Microsoft.KeyVault/vaults/kv-a`,
  kvB: `${rg(subs.apps, 'RG-Apps')}/providers/Microsoft.KeyVault/vaults/kv-b`,
  kvDenied: `${rg(subs.apps, 'rg-secure')}/providers/Microsoft.KeyVault/vaults/kv-denied`,
  kvDown: `${rg(subs.apps, 'rg-secure')}/providers/Microsoft.KeyVault/vaults/kv-down`,
  hsm: `${rg(subs.logging, 'rg-hsm')}/providers/Microsoft.KeyVault/managedHSMs/hsm-core`,
};

const vault = (id: string, name: string) => ({ id, name, type: 'Microsoft.KeyVault/vaults', location: 'westeurope', tags: { env: 'test' }, properties: { sku: { family: 'A', name: 'standard' } } });

export const kvASetting = {
  id: `${ids.kvA.toLowerCase()}/providers/microsoft.insights/diagnosticSettings/to-law`,
  type: 'Microsoft.Insights/diagnosticSettings',
  name: 'to-law',
  properties: { workspaceId: ids.workspace, logs: [{ categoryGroup: 'audit', enabled: true }], metrics: [] },
};

/** Deliberately malformed: served verbatim. */
export const kvBSetting = {
  id: `${ids.kvB}/diagnosticSettings/odd`,
  type: '',
  name: 'odd',
  properties: { workspaceId: ids.workspace, logs: { category: 'AuditEvent', enabled: 'true' } },
};

export const testEstate: Estate = {
  tenantId: 'bbbbbbbb-0000-4000-8000-000000000000',
  resources: [
    { id: ids.workspace, name: 'law-central', type: 'Microsoft.OperationalInsights/workspaces', location: 'westeurope' },
    vault(ids.kvA, 'kv-a'),
    vault(ids.kvB, 'kv-b'),
    vault(ids.kvDenied, 'kv-denied'),
    vault(ids.kvDown, 'kv-down'),
    { id: ids.hsm, name: 'hsm-core', type: 'Microsoft.KeyVault/managedHSMs', location: 'northeurope', sku: { family: 'B', name: 'Standard_B1' } },
  ],
  diagnosticSettings: [kvASetting, kvBSetting],
  denied: [ids.kvDenied],
  unavailable: [ids.kvDown],
  subscriptions: [subs.empty],
  managementGroups: { 'mg-apps': [subs.apps], 'mg-platform': [subs.logging, subs.empty, subs.invisible] },
  resourceGraphIndexesDiagnosticSettings: false,
};
