import { afterEach, describe, expect, it } from 'vitest';
import { createArmReadQueue } from '../../src/azure/armReadQueue.js';
import { createAzureClients } from '../../src/azure/clients.js';
import { changesWithoutArmWrite, createDestinationCheck } from '../../src/azure/destinations.js';
import type { FactsAnswer } from '../../src/control/destinationFacts.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { type Emulator, type Estate, type EstateResource, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { emulatorConnection } from '../support/emulatorScan.js';
import { ids, subs, testEstate } from '../../packages/azure-emulator/test/testEstate.js';

/** Confirming audit destinations through ARM, the source of truth, while Resource Graph lags behind. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const rg = (sub: string, group: string) => `/subscriptions/${sub}/resourceGroups/${group}`;
const namespace = `${rg(subs.logging, 'rg-siem')}/providers/Microsoft.EventHub/namespaces/evhns-siem`;
const destinations = {
  workspace: ids.workspace,
  newWorkspace: `${rg(subs.logging, 'rg-logs')}/providers/Microsoft.OperationalInsights/workspaces/law-created-a-minute-ago`,
  goneStorage: `${rg(subs.logging, 'rg-logs')}/providers/Microsoft.Storage/storageAccounts/stdeletedaminuteago`,
  missingStorage: `${rg(subs.logging, 'rg-logs')}/providers/Microsoft.Storage/storageAccounts/stnever`,
  outOfSight: `${rg(subs.invisible, 'rg-soc')}/providers/Microsoft.OperationalInsights/workspaces/law-soc`,
  namespace,
  namespaceRule: `${namespace}/authorizationRules/send`,
  deletedRule: `${namespace}/authorizationRules/deleted`,
  hub: `${namespace}/eventhubs/kv-audit`,
  missingHub: `${namespace}/eventhubs/gone`,
};

const estate: Estate = {
  ...testEstate,
  resources: [
    ...testEstate.resources,
    { id: destinations.newWorkspace, name: 'law-created-a-minute-ago', type: 'Microsoft.OperationalInsights/workspaces', location: 'westeurope' },
    { id: destinations.goneStorage, name: 'stdeletedaminuteago', type: 'Microsoft.Storage/storageAccounts', location: 'westeurope' },
    { id: namespace, name: 'evhns-siem', type: 'Microsoft.EventHub/namespaces', location: 'westeurope' },
    { id: destinations.namespaceRule, name: 'send', type: 'Microsoft.EventHub/namespaces/authorizationRules', location: 'westeurope' },
    { id: destinations.hub, name: 'kv-audit', type: 'Microsoft.EventHub/namespaces/eventhubs', location: 'westeurope' },
  ],
  // ARG lags both ways: a new workspace is not listed yet, a deleted storage account still is.
  notInResourceGraph: [destinations.newWorkspace],
  deletedAfterInventory: [destinations.goneStorage],
};

async function checkFor(faults = '') {
  emulator = await startEmulator({ estate, faults: parseFaultSpec(faults), retryAfterSeconds: 0 });
  const clients = createAzureClients(emulatorConnection(emulator));
  return createDestinationCheck(clients, createArmReadQueue(clients, clients.armReadPacer, { concurrency: 4, retryDelayMs: 1 }));
}

const n = normalizeResourceId;

describe('confirming audit destinations through ARM', () => {
  it('each answer decides: 200 Exists, 404 in a subscription it reads NotFound, 403 out of sight', async () => {
    const check = await checkFor();
    const targets = Object.values(destinations).map(n);
    await check.confirm(targets);
    expect(Object.fromEntries(check.existence)).toEqual({
      [n(destinations.workspace)]: 'Exists',
      [n(destinations.newWorkspace)]: 'Exists',
      [n(destinations.goneStorage)]: 'NotFound',
      [n(destinations.missingStorage)]: 'NotFound',
      [n(destinations.namespace)]: 'Exists',
      [n(destinations.namespaceRule)]: 'Exists',
      [n(destinations.deletedRule)]: 'NotFound',
      [n(destinations.hub)]: 'Exists',
      [n(destinations.missingHub)]: 'NotFound',
    });
    expect(check.existence.has(n(destinations.outOfSight))).toBe(false);
    expect(emulator!.stats.armRequests).toBe(targets.length);
    expect(check.failures.size).toBe(0);
  });

  it('a target asked for again, even at the same time, is read once', async () => {
    const check = await checkFor();
    await Promise.all([check.confirm([n(destinations.workspace)]), check.confirm([n(destinations.workspace), n(destinations.workspace)])]);
    await check.confirm([n(destinations.workspace)]);
    expect(emulator!.stats.armRequests).toBe(1);
  });

  it('an id that is not a well-formed id of a destination type is never sent: it stays out of sight', async () => {
    const check = await checkFor();
    await check.confirm(["/subscriptions/x'/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/law", 'garbage', n(ids.kvA)]);
    expect([emulator!.stats.armRequests, check.existence.size]).toEqual([0, 0]);
  });

  it('when ARM keeps failing, the targets stay Unverified and the failure is counted once per reason', async () => {
    const check = await checkFor('arm:500@1.0');
    await check.confirm([n(destinations.workspace), n(destinations.missingStorage)]);
    expect(check.existence.size).toBe(0);
    expect([...check.failures]).toEqual([[expect.stringMatching(/^HTTP 500 InternalServerError/), 2]]);
  });
});

describe('what else ARM says of a destination: the facts the control weighs, parsed at the edge', () => {
  const factsEstate: Estate = {
    ...estate,
    resources: [
      ...estate.resources.map((r): EstateResource => {
        if (r.id === namespace) return { ...r, location: 'northeurope', properties: { publicNetworkAccess: 'Disabled' } };
        return r.id === ids.workspace ? { ...r, properties: { customerId: 'c', retentionInDays: 'thirty' } } : r;
      }),
      {
        id: `${namespace}/networkRuleSets/default`,
        name: 'default',
        type: 'Microsoft.EventHub/namespaces/networkRuleSets',
        location: 'northeurope',
        properties: { defaultAction: 'Deny', publicNetworkAccess: 'Disabled', trustedServiceAccessEnabled: false, ipRules: [{ ipMask: '10.0.0.0/8' }] },
      },
    ],
  };

  it('keeps each answer\'s facts, absent ones as absent, and no facts for a body that does not parse', async () => {
    emulator = await startEmulator({ estate: factsEstate, retryAfterSeconds: 0 });
    const clients = createAzureClients(emulatorConnection(emulator));
    const check = createDestinationCheck(clients, createArmReadQueue(clients, clients.armReadPacer, { concurrency: 4, retryDelayMs: 1 }));
    const targets = [n(namespace), n(`${namespace}/networkRuleSets/default`), n(`${destinations.missingStorage}/managementPolicies/default`), n(ids.workspace)];
    await check.confirm(targets);
    expect(Object.fromEntries(targets.map((t) => [t, check.facts.get(t)]))).toEqual({
      [targets[0]!]: { kind: 'eventHubNamespace', location: 'northeurope', publicNetworkAccess: 'Disabled' },
      [targets[1]!]: { kind: 'networkRuleSet', defaultAction: 'Deny', publicNetworkAccess: 'Disabled', trustedServiceAccessEnabled: false, ruleCount: 1 },
      [targets[2]!]: { kind: 'absent' },
      // retentionInDays: 'thirty' is not a number: no facts, so the workspace's retention stays Unverified.
      [targets[3]!]: undefined,
    });
  });
});

describe('destinations whose facts can change without an ARM write (confirmed by every incremental scan)', () => {
  const account = '/subscriptions/00000001-0000-4000-8000-000000000000/resourcegroups/rg/providers/microsoft.storage/storageaccounts/starchive';
  const namespace = '/subscriptions/00000001-0000-4000-8000-000000000000/resourcegroups/rg/providers/microsoft.eventhub/namespaces/ehsiem';
  const workspace = '/subscriptions/00000001-0000-4000-8000-000000000000/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/law';
  const table = `${workspace}/tables/azurediagnostics`;
  const container = `${account}/blobservices/default/containers/insights-logs-auditevent`;
  const workspaceFacts: FactsAnswer = { kind: 'workspace', location: 'westeurope', customerId: null, retentionInDays: 90 };
  it.each([
    { scenario: 'an event hub (the namespace endpoint manages it with a SAS key)', id: `${namespace}/eventhubs/audit`, facts: [], expected: true },
    { scenario: "an event hub's shared access rule", id: `${namespace}/eventhubs/audit/authorizationrules/send`, facts: [], expected: true },
    { scenario: "a namespace's shared access rule", id: `${namespace}/authorizationrules/send`, facts: [], expected: true },
    { scenario: 'an Event Hubs namespace (ARM only)', id: namespace, facts: [[namespace, { kind: 'eventHubNamespace', location: 'westeurope', publicNetworkAccess: null }]], expected: false },
    { scenario: 'a table not made yet in a workspace that exists (ingestion makes it)', id: table, facts: [[table, { kind: 'absent' }], [workspace, workspaceFacts]], expected: true },
    { scenario: 'a table not made yet, its workspace not asked about this scan (as the last scan found it)', id: table, facts: [[table, { kind: 'absent' }]], expected: true },
    { scenario: 'a table of a deleted workspace (made again, the workspace is written through ARM)', id: table, facts: [[table, { kind: 'absent' }], [workspace, { kind: 'absent' }]], expected: false },
    { scenario: 'a table that exists (its retention changes through ARM)', id: table, facts: [[table, { kind: 'workspaceTable', retentionInDays: 90, totalRetentionInDays: 90 }], [workspace, workspaceFacts]], expected: false },
    { scenario: 'a container with a time-based immutability policy (the Blob service can delete it)', id: container, facts: [[container, { kind: 'container', immutableDays: 365, immutabilityState: 'Unlocked' }]], expected: true },
    { scenario: 'a container without one (gains one only through ARM)', id: container, facts: [[container, { kind: 'container', immutableDays: null, immutabilityState: null }]], expected: false },
    { scenario: 'a container not made yet', id: container, facts: [[container, { kind: 'absent' }]], expected: false },
    { scenario: 'a storage account', id: account, facts: [], expected: false },
    { scenario: 'a workspace', id: workspace, facts: [[workspace, workspaceFacts]], expected: false },
  ] satisfies { scenario: string; id: string; facts: [string, FactsAnswer][]; expected: boolean }[])('$scenario: $expected', ({ id, facts, expected }) => {
    expect(changesWithoutArmWrite(id, new Map<string, FactsAnswer>(facts))).toBe(expected);
  });
});
