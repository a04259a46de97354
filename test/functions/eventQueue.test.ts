import { randomUUID } from 'node:crypto';
import { InvocationContext, type LogLevel } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { findingsTable, scansTable } from '../../src/findings/schema.js';
import { createEventQueueHandler } from '../../src/functions/eventQueue.js';
import { ResourceStates } from '../../src/state/resourceStates.js';
import type { ScanState } from '../../src/state/scanState.js';
import type { StateStore } from '../../src/state/stateStore.js';
import { type Emulator, type Estate, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { emulatorConnection, emulatorEnv } from '../support/emulatorScan.js';

/*
 * The event-driven function, called as the Functions host would with a queue message, against the emulator through
 * the real SDK clients. An event only says "look again": the ARM read decides the finding.
 */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const vault = (name: string) => sampleEstate.resources.find((r) => r.name === name)!;
const settingOf = (vaultName: string) => sampleEstate.diagnosticSettings.find((s) => s.id.toLowerCase().startsWith(`${vault(vaultName).id.toLowerCase()}/`))!;

/** An Event Grid event (EventGridSchema) as a system topic of type Microsoft.Resources.Subscriptions sends it. */
function event(kind: 'Write' | 'Delete', operationName: string, resourceUri: string): Record<string, unknown> {
  const subscriptionId = resourceUri.split('/')[2];
  return {
    id: randomUUID(),
    topic: `/subscriptions/${subscriptionId}`,
    subject: resourceUri,
    eventType: `Microsoft.Resources.Resource${kind}Success`,
    eventTime: '2026-12-07T10:00:00.0000000Z',
    data: { operationName, resourceUri, subscriptionId, status: 'Succeeded', resourceProvider: operationName.split('/')[0] },
    dataVersion: '',
    metadataVersion: '1',
  };
}

async function deliver(estate: Estate, message: unknown, state: ScanState | null = null) {
  emulator = await startEmulator({ estate, retryAfterSeconds: 0 });
  const running = emulator;
  const logs: [LogLevel, string][] = [];
  const context = new InvocationContext({ functionName: 'kvAuditEvents', logHandler: (level, ...args) => logs.push([level, args.map(String).join(' ')]) });
  const store: StateStore = { load: async () => ({ state, problem: null }), save: async () => ({ saved: true, problem: null }) };
  const handler = createEventQueueHandler(() => ({ env: emulatorEnv(running, sampleEnv), connection: emulatorConnection(running), stateStore: () => store }));
  const outcome = await handler(message, context).then(
    () => null,
    (error: unknown) => error,
  );
  return { outcome, logs, findings: running.rows(findingsTable.streamName), scans: running.rows(scansTable.streamName) };
}

describe('an event that a vault\'s diagnostic setting was deleted', () => {
  const checkout = vault('kv-checkout-prod');
  const setting = settingOf('kv-checkout-prod');
  // The estate after the delete: the setting is gone, as ARM will say.
  const afterDelete: Estate = { ...sampleEstate, diagnosticSettings: sampleEstate.diagnosticSettings.filter((s) => s !== setting) };

  it('re-reads the vault through ARM and writes its Fail at once, with a scan row that says Event', async () => {
    const { outcome, findings, scans } = await deliver(afterDelete, event('Delete', 'Microsoft.Insights/diagnosticSettings/delete', setting.id));
    expect(outcome).toBeNull();
    expect(findings).toEqual([expect.objectContaining({ ResourceId: normalizeResourceId(checkout.id), Status: 'Fail', Reason: 'NoDiagnosticSettings' })]);
    expect(scans).toEqual([expect.objectContaining({ Trigger: 'Event', Mode: 'Event', Complete: true, ResourceCount: 1, FailCount: 1, ResourcesRead: 1, FindingsWritten: 1 })]);
  });

  it('the same event delivered as a JSON string (as the queue may hand it over) is read the same', async () => {
    const { outcome, findings } = await deliver(afterDelete, JSON.stringify(event('Delete', 'Microsoft.Insights/diagnosticSettings/delete', setting.id)));
    expect(outcome).toBeNull();
    expect(findings.map((f) => f['Status'])).toEqual(['Fail']);
  });

  it('a late event, after the setting was put back, buys nothing: ARM says Pass, so the finding is Pass', async () => {
    const { findings } = await deliver(sampleEstate, event('Delete', 'Microsoft.Insights/diagnosticSettings/delete', setting.id));
    expect(findings).toEqual([expect.objectContaining({ ResourceId: normalizeResourceId(checkout.id), Status: 'Pass' })]);
  });
});

describe('other events', () => {
  it('a deleted vault gets a Removed row: it left the scope', async () => {
    const crm = vault('kv-crm-prod');
    const estate = {
      ...sampleEstate,
      resources: sampleEstate.resources.filter((r) => r !== crm),
      diagnosticSettings: sampleEstate.diagnosticSettings.filter((s) => !s.id.toLowerCase().startsWith(`${crm.id.toLowerCase()}/`)),
    };
    const { outcome, findings } = await deliver(estate, event('Delete', 'Microsoft.KeyVault/vaults/delete', crm.id));
    expect(outcome).toBeNull();
    expect(findings).toEqual([expect.objectContaining({ ResourceId: normalizeResourceId(crm.id), Status: 'Removed', Reason: 'NotInScope' })]);
  });

  it('a tag write on a vault re-evaluates that vault (its exemption may have changed)', async () => {
    const crm = vault('kv-crm-prod');
    const { findings } = await deliver(sampleEstate, event('Write', 'Microsoft.Resources/tags/write', `${crm.id}/providers/Microsoft.Resources/tags/default`));
    expect(findings.map((f) => [f['ResourceName'], f['Status']])).toEqual([['kv-crm-prod', 'Fail']]);
  });

  it('a deleted destination re-evaluates every vault whose audit logs went there, as the last scan saw them', async () => {
    const checkout = normalizeResourceId(vault('kv-checkout-prod').id);
    const namespace = sampleEstate.resources.find((r) => r.type === 'Microsoft.EventHub/namespaces')!;
    const resources = ResourceStates.empty();
    const rule = `${normalizeResourceId(namespace.id)}/authorizationrules/kv-audit-send`;
    resources.update(checkout, { finding: 'AAAAAAAAAAA', status: 'Pass', record: 'AAAAAAAAAAA', destinations: [rule], exemptionUntil: null, readFailed: false });
    const state = { resources } as unknown as ScanState;
    const estate = { ...sampleEstate, resources: sampleEstate.resources.filter((r) => !r.id.toLowerCase().startsWith(namespace.id.toLowerCase())) };
    const { findings } = await deliver(estate, event('Delete', 'Microsoft.EventHub/namespaces/delete', namespace.id), state);
    expect(findings).toEqual([expect.objectContaining({ ResourceId: checkout, Status: 'Fail', Reason: 'DestinationNotFound' })]);
  });

  it('an event about anything else changes no finding, and costs no read', async () => {
    const { outcome, findings, logs } = await deliver(sampleEstate, event('Write', 'Microsoft.Compute/virtualMachines/write', '/subscriptions/c27e9b54-1a8f-4d63-b0e2-6f9a3c5d8e71/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1'));
    expect([outcome, findings]).toEqual([null, []]);
    expect(logs).toContainEqual(['information', expect.stringMatching(/changes no vault's finding\.$/)]);
  });

  it('a message that is not an event is said and dropped, not retried forever', async () => {
    const { outcome, logs } = await deliver(sampleEstate, 'hello');
    expect(outcome).toBeNull();
    expect(logs).toContainEqual(['warning', expect.stringMatching(/^Queue message ignored: not an Event Grid event/)]);
  });
});
