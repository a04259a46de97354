import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { type KqlRow, executeQuery } from '@kv-audit/kql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureConnection } from '../../src/azure/clients.js';
import { type Env, loadSettings } from '../../src/config/settings.js';
import { findingsTable, scansTable } from '../../src/findings/schema.js';
import { createEventQueueHandler } from '../../src/functions/eventQueue.js';
import { runScan } from '../../src/scan/runScan.js';
import { scanDependencies } from '../../src/scan/scanDependencies.js';
import type { ScanState } from '../../src/state/scanState.js';
import type { StateStore } from '../../src/state/stateStore.js';
import { type Azurite, type Emulator, type Estate, parseFaultSpec, startAzurite, startEmulator } from '../support/emulator.js';
import { emulatorConnection, emulatorEnv } from '../support/emulatorScan.js';
import { withWorkspaceFunctions } from '../support/kusto.js';

/*
 * One estate history, replayed twice through the real SDK clients against the emulator:
 *   full:        every hourly scan reads and writes every vault, as before;
 *   incremental: hourly scans build on the last one (a full one only when the first, or when one is due), and the
 *                event path evaluates what each Azure event names as it happens.
 * After each scheduled scan, the shipped queries the alerts and the posture rest on (posture, new failure, new
 * failures, heartbeat, scan errors) must return the same rows in both: writing less must not answer differently.
 *
 * The history, between hourly scans (h = hours after the first):
 *   h0.5  kv-a's diagnostic setting is deleted                        (its event arrives)
 *   h1.5  kv-new is created without a setting; kv-b is tagged exempt  (events arrive)
 *   h2.5  kv-c is deleted                                             (its event arrives)
 *   h3.5  kv-e, alone in its subscription, is re-tagged; the h4 scan's reads in that subscription fail (500)
 *   h4.5  kv-f's setting is deleted, and its event is lost            (the Activity Log still has it)
 *   h5.5  kv-a gets its setting back                                  (its event arrives)
 *   h6    Logs Ingestion answers 204 and keeps nothing, for the whole scan
 *   h6.5  kv-new is deleted                                           (its event arrives)
 */

const repoRoot = resolve(import.meta.dirname, '..', '..');
const hour = 3_600_000;
const start = Date.parse('2026-12-07T06:00:00Z');
const subs = ['a0000001-0000-4000-8000-000000000000', 'a0000002-0000-4000-8000-000000000000', 'a0000003-0000-4000-8000-000000000000'] as const;
const workspaceId = `/subscriptions/${subs[0]}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central`;
const vaultId = (sub: string, name: string) => `/subscriptions/${sub}/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/${name}`;
const vaultOf = (sub: string, name: string) => ({ id: vaultId(sub, name), name, type: 'Microsoft.KeyVault/vaults', location: 'westeurope', tags: {} });
const settingOf = (vault: string) => ({
  id: `${vault}/providers/microsoft.insights/diagnosticSettings/audit`,
  name: 'audit',
  type: 'Microsoft.Insights/diagnosticSettings',
  properties: { workspaceId, logs: [{ categoryGroup: 'audit', enabled: true }], metrics: [] },
});

const v = {
  a: vaultId(subs[0], 'kv-a'),
  b: vaultId(subs[0], 'kv-b'),
  c: vaultId(subs[0], 'kv-c'),
  d: vaultId(subs[0], 'kv-d'),
  e: vaultId(subs[2], 'kv-e'),
  f: vaultId(subs[1], 'kv-f'),
  g: vaultId(subs[1], 'kv-g'),
  n: vaultId(subs[1], 'kv-new'),
};

const estate: Estate = {
  resources: [
    { id: workspaceId, name: 'law-central', type: 'Microsoft.OperationalInsights/workspaces', location: 'westeurope', properties: { customerId: 'b0000000-0000-4000-8000-00000000000a', retentionInDays: 90 } },
    ...[
      [subs[0], 'kv-a'],
      [subs[0], 'kv-b'],
      [subs[0], 'kv-c'],
      [subs[0], 'kv-d'],
      [subs[2], 'kv-e'],
      [subs[1], 'kv-f'],
      [subs[1], 'kv-g'],
    ].map(([sub, name]) => vaultOf(sub!, name!)),
  ],
  // a, c, e and f deliver their audit logs; b, d and g have no setting.
  diagnosticSettings: [v.a, v.c, v.e, v.f].map(settingOf),
  denied: [],
  resourceGraphIndexesDiagnosticSettings: false,
  timeline: [
    { afterSeconds: 0.5 * 3600, deleteDiagnosticSettings: [settingOf(v.a).id] },
    { afterSeconds: 1.5 * 3600, create: [vaultOf(subs[1], 'kv-new')], tags: [{ resourceId: v.b, tags: { 'kv-audit-exempt': 'Vendor-managed, ticket SEC-11' } }] },
    { afterSeconds: 2.5 * 3600, delete: [v.c] },
    { afterSeconds: 3.5 * 3600, tags: [{ resourceId: v.e, tags: { owner: 'platform' } }] },
    { afterSeconds: 4.5 * 3600, deleteDiagnosticSettings: [settingOf(v.f).id] },
    { afterSeconds: 5.5 * 3600, diagnosticSettings: [settingOf(v.a)] },
    { afterSeconds: 6.5 * 3600, delete: [v.n] },
  ],
};

/** What happens to each hour's scan and the half hour before it. */
const faultsAt: Record<number, string> = { 4: `arm:500@1.0~${subs[2]}`, 6: 'ingest:drop@1.0' };
const eventFaultsAt: Record<number, string> = { 4.5: 'events:drop@1.0' };
const hours = [0, 1, 2, 3, 4, 5, 6, 7, 8];

const faults = (spec: string | undefined) => (spec === undefined ? [] : parseFaultSpec(spec));
const scanIdOf = (h: number) => `c${String(h).padStart(7, '0')}-0000-4000-8000-000000000000`;

/** The shipped queries the alerts and the posture rest on, and how to compare their rows. */
const checked = ['current-posture.kql', 'alert-new-failure.kql', 'new-failures.kql', 'alert-scan-heartbeat.kql', 'alert-scan-errors.kql'];
const query = (file: string) => withWorkspaceFunctions(readFileSync(resolve(repoRoot, 'infra', 'queries', file), 'utf8'));
const byJson = (rows: readonly KqlRow[]) => [...rows].map((r) => JSON.stringify(r)).sort();

type Answers = Record<string, Record<string, string[]>>;

async function replay(kind: 'full' | 'incremental', azurite: Azurite): Promise<{ answers: Answers; scans: KqlRow[]; events: number }> {
  let now = start;
  const queueName = `kv-audit-events-${kind}`;
  const emulator: Emulator = await startEmulator({
    estate,
    clock: () => now,
    retryAfterSeconds: 0,
    seed: 5,
    // The clock stands still during a scan, so Resource Graph's quota window would never reset.
    argQuota: { requests: 100_000, windowMs: 1_000 },
    ...(kind === 'incremental' ? { events: { connectionString: azurite.connectionString, queueName } } : {}),
  });
  try {
    const connection: AzureConnection = { ...emulatorConnection(emulator), logsQueryEndpoint: `${emulator.url}/v1`, now: () => now };
    const env: Env = emulatorEnv(emulator, { KV_AUDIT_FINDINGS_WORKSPACE_ID: workspaceId });
    const settings = loadSettings(env, { requireIngestion: true });
    let state: ScanState | null = null;
    const store: StateStore = { load: async () => ({ state, problem: null }), save: async (s) => ((state = s), { saved: true, problem: null }) };
    const onEvent = createEventQueueHandler(() => ({ env, connection, stateStore: () => store }));
    const queue = new QueueClient(azurite.connectionString, queueName);
    let events = 0;
    const log = { info: () => undefined, warn: () => undefined };
    const answers: Answers = {};

    for (const h of hours) {
      // The half hour before: the estate changes, and the event path takes what Event Grid delivers.
      if (h > 0) {
        emulator.setFaults(faults(eventFaultsAt[h - 0.5]));
        now = start + (h - 0.5) * hour;
        await emulator.settle();
        emulator.setFaults([]);
        for (let more = kind === 'incremental'; more; ) {
          const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
          for (const message of receivedMessageItems) {
            events += 1;
            await onEvent(Buffer.from(message.messageText, 'base64').toString('utf8'), new InvocationContext({ functionName: 'kvAuditEvents' }));
            await queue.deleteMessage(message.messageId, message.popReceipt);
          }
          more = receivedMessageItems.length > 0;
        }
      }
      // The hourly scan.
      now = start + h * hour;
      await emulator.settle();
      emulator.setFaults(faults(faultsAt[h]));
      const deps = scanDependencies(connection, settings, { ingest: true, log, ...(kind === 'incremental' ? { previous: state } : {}) });
      const result = await runScan(settings, 'Timer', { ...deps, newScanId: () => scanIdOf(h) });
      if (kind === 'incremental') state = result.state;
      emulator.setFaults([]);
      // What the workspace answers a minute later.
      const tables = { [findingsTable.tableName]: emulator.rows(findingsTable.streamName) as KqlRow[], [scansTable.tableName]: emulator.rows(scansTable.streamName) as KqlRow[] };
      answers[`h${h}`] = Object.fromEntries(checked.map((file) => [file, byJson(executeQuery(query(file), tables, { now: () => new Date(now + 60_000) }))]));
    }
    return { answers, scans: emulator.rows(scansTable.streamName) as KqlRow[], events };
  } finally {
    await emulator.close();
  }
}

describe('one estate history, as full scans and as event-driven incremental scans', () => {
  let azurite: Azurite;
  let full: Awaited<ReturnType<typeof replay>>;
  let incremental: Awaited<ReturnType<typeof replay>>;
  beforeAll(async () => {
    azurite = await startAzurite();
    full = await replay('full', azurite);
    incremental = await replay('incremental', azurite);
  }, 240_000);
  afterAll(() => azurite?.close());

  // Every scheduled scan but h6, whose rows all got lost on the way.
  it.each(hours.filter((h) => h !== 6).map((h) => `h${h}`))('after the %s scan, every checked query returns the same rows', (checkpoint) => {
    expect(Object.keys(incremental.answers[checkpoint]!)).toEqual(checked);
    expect(incremental.answers[checkpoint]).toEqual(full.answers[checkpoint]);
  });

  it("after the h6 scan, whose rows were lost: the same, but for what only the event path could know (kv-a's fix at h5.5)", () => {
    const rows = (answers: Answers, file: string) => answers['h6']![file]!.map((row) => JSON.parse(row) as Record<string, unknown>);
    const kvA = (answers: Answers, file: string) => rows(answers, file).filter((r) => r['ResourceName'] === 'kv-a').map((r) => r['Status'] ?? 'Fail');
    const others = (answers: Answers) => Object.fromEntries(checked.map((file) => [file, rows(answers, file).filter((r) => r['ResourceName'] !== 'kv-a')]));
    expect(others(incremental.answers)).toEqual(others(full.answers));
    // Posture: Pass in the event-driven world, still Fail in the full one; the new-failure alert lists it only there.
    expect([kvA(incremental.answers, 'current-posture.kql'), kvA(full.answers, 'current-posture.kql')]).toEqual([['Pass'], ['Fail']]);
    expect([kvA(incremental.answers, 'alert-new-failure.kql'), kvA(full.answers, 'alert-new-failure.kql')]).toEqual([[], ['Fail']]);
  });

  it('the two ways did differ in what they wrote: the incremental one read and wrote far less', () => {
    const modes = incremental.scans.filter((s) => s['Trigger'] === 'Timer').map((s) => s['Mode']);
    expect(modes).toEqual(['Full', 'Incremental', 'Incremental', 'Incremental', 'Incremental', 'Incremental', 'Incremental', 'Incremental']);
    const written = (scans: KqlRow[]) => scans.filter((s) => s['Trigger'] === 'Timer').reduce((sum, s) => sum + Number(s['FindingsWritten']), 0);
    expect(written(incremental.scans)).toBeLessThan(written(full.scans) / 3);
    expect(incremental.events).toBeGreaterThan(4);
  });

  it('the checked answers are not empty: a failure alerted, a vault left, a scan errored', () => {
    const answer = (h: string, file: string) => full.answers[h]![file]!.map((row) => JSON.parse(row) as Record<string, unknown>);
    expect(answer('h1', 'alert-new-failure.kql').map((r) => r['ResourceName'])).toContain('kv-a');
    expect(answer('h3', 'current-posture.kql').map((r) => r['ResourceName'])).not.toContain('kv-c');
    expect(answer('h4', 'alert-scan-errors.kql').map((r) => r['ScanId'])).toContain(scanIdOf(4));
    expect(answer('h5', 'alert-new-failure.kql').map((r) => r['ResourceName'])).toContain('kv-f');
  });
});
