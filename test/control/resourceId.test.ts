import { describe, expect, it } from 'vitest';
import { ancestorsWithinGroup, isResourceIdOf, parseResourceId, subscriptionIdOf } from '../../src/control/resourceId.js';

/** Which subscription an ARM id or request path belongs to: what ARM's read budget is kept per. */

describe('the subscription an id or path names', () => {
  it.each([
    { scenario: 'a resource id', path: '/subscriptions/8A41C7E2-93BD-4F06-A5C8-1D7E2B9F4063/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv', id: '8a41c7e2-93bd-4f06-a5c8-1d7e2b9f4063' },
    { scenario: 'the doubled slash the arm-monitor SDK sends', path: '//subscriptions/abc/resourcegroups/rg', id: 'abc' },
    { scenario: 'an id without a leading slash', path: 'subscriptions/abc/resourcegroups/rg', id: 'abc' },
    { scenario: 'a subscription-level path', path: '/subscriptions/abc', id: 'abc' },
    { scenario: 'a tenant-level path', path: '/providers/Microsoft.ResourceGraph/resources', id: null },
    { scenario: '"subscriptions" further down the path does not count', path: '/providers/x/subscriptions/abc', id: null },
  ])('$scenario', ({ path, id }) => {
    expect(subscriptionIdOf(path)).toBe(id);
  });
});

const sub = '8a41c7e2-93bd-4f06-a5c8-1d7e2b9f4063';

describe('the one ARM resource-id grammar', () => {
  it.each([
    { scenario: 'a vault', id: `/subscriptions/${sub.toUpperCase()}/resourceGroups/rg-Prod/providers/Microsoft.KeyVault/vaults/kv-a`, parts: { subscriptionId: sub, resourceGroup: 'rg-Prod', type: 'microsoft.keyvault/vaults', name: 'kv-a' } },
    { scenario: 'a child resource', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns/eventhubs/hub/authorizationRules/send`, parts: { subscriptionId: sub, resourceGroup: 'rg', type: 'microsoft.eventhub/namespaces/eventhubs/authorizationrules', name: 'send' } },
    { scenario: 'a trailing slash', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-a/`, parts: { subscriptionId: sub, resourceGroup: 'rg', type: 'microsoft.keyvault/vaults', name: 'kv-a' } },
    { scenario: 'Unicode letters and parentheses in a group name', id: `/subscriptions/${sub}/resourceGroups/rg-Zürich_(1).a/providers/Microsoft.KeyVault/vaults/kv`, parts: { subscriptionId: sub, resourceGroup: 'rg-Zürich_(1).a', type: 'microsoft.keyvault/vaults', name: 'kv' } },
    { scenario: 'a resource group', id: `/subscriptions/${sub}/resourceGroups/rg`, parts: { subscriptionId: sub, resourceGroup: 'rg', type: null, name: null } },
    { scenario: 'a subscription', id: `/subscriptions/${sub}`, parts: { subscriptionId: sub, resourceGroup: null, type: null, name: null } },
  ])('parses $scenario', ({ id, parts }) => {
    expect(parseResourceId(id)).toEqual(parts);
  });

  it.each([
    { scenario: 'a name only', id: 'law-central' },
    { scenario: 'no leading slash', id: `subscriptions/${sub}/resourceGroups/rg` },
    { scenario: 'a subscription that is not a GUID', id: '/subscriptions/prod/resourceGroups/rg' },
    { scenario: 'a type without a name', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults` },
    { scenario: 'a provider without a type', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault` },
    { scenario: 'an empty segment', id: `/subscriptions/${sub}/resourceGroups//providers/Microsoft.KeyVault/vaults/kv` },
    { scenario: 'a percent-encoded name', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-%67ood` },
    { scenario: 'a fragment', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv#x` },
    { scenario: 'a query', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv?x=1` },
    { scenario: 'a quote', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st'` },
    { scenario: 'a backslash', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st\\` },
    { scenario: 'a space', id: `/subscriptions/${sub}/resourceGroups/rg one/providers/Microsoft.KeyVault/vaults/kv` },
    { scenario: 'a zero-width space', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv\u200b` },
    { scenario: 'a control character', id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv\u001b` },
    { scenario: 'a segment other than resourceGroups', id: `/subscriptions/${sub}/groups/rg` },
  ])('refuses $scenario', ({ id }) => {
    expect(parseResourceId(id)).toBeNull();
  });

  it('tells a resource of a type from one of another type, a group or a subscription', () => {
    const workspaces = new Set(['microsoft.operationalinsights/workspaces']);
    const workspace = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law`;
    expect([workspace, `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`, `/subscriptions/${sub}/resourceGroups/rg`, `/subscriptions/${sub}`].map((id) => isResourceIdOf(id, workspaces))).toEqual([true, false, false, false]);
  });
});

describe('the paths above an id, within its resource group (what an Activity Log entry above a resource names)', () => {
  const group = `/subscriptions/${sub}/resourcegroups/rg`;
  it.each([
    { scenario: 'a vault: its group, and the type segments between', id: `${group}/providers/microsoft.keyvault/vaults/kv`, ancestors: [group, `${group}/providers`, `${group}/providers/microsoft.keyvault`, `${group}/providers/microsoft.keyvault/vaults`] },
    { scenario: 'a namespace rule: its namespace among them', id: `${group}/providers/microsoft.eventhub/namespaces/ns/authorizationrules/send`, ancestors: [group, `${group}/providers`, `${group}/providers/microsoft.eventhub`, `${group}/providers/microsoft.eventhub/namespaces`, `${group}/providers/microsoft.eventhub/namespaces/ns`, `${group}/providers/microsoft.eventhub/namespaces/ns/authorizationrules`] },
    { scenario: 'a resource group: nothing above it counts', id: group, ancestors: [] },
    { scenario: 'a subscription', id: `/subscriptions/${sub}`, ancestors: [] },
  ])('$scenario', ({ id, ancestors }) => {
    expect(ancestorsWithinGroup(id)).toEqual(ancestors);
  });
});
