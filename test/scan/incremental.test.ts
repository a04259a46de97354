import { beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import type { FindingRow } from '../../src/findings/schema.js';
import { type ScanResult, runScan } from '../../src/scan/runScan.js';
import { scanDependencies } from '../../src/scan/scanDependencies.js';
import type { ScanState } from '../../src/state/scanState.js';
import { type Emulator, type Estate, startEmulator } from '../support/emulator.js';
import { emulatorConnection, emulatorEnv, generatedEstate } from '../support/emulatorScan.js';

/*
 * Scheduled scans that build on the last one, through the real SDK clients against the emulator, its estate changing
 * on a timeline (the emulator's clock and the scan's are the same injected one): each scan reads through ARM only what
 * may have changed, and writes only what did.
 */

const hour = 3_600_000;
const start = Date.parse('2026-12-07T09:00:00Z');
const base = generatedEstate({ vaults: 8, subscriptions: 2 });
const [workspace, ...vaults] = base.resources;
const vault = (i: number) => vaults[i]!;
const settingOf = (i: number) => base.diagnosticSettings.find((s) => s.id.toLowerCase().startsWith(`${vault(i).id.toLowerCase()}/`))!;
const newVault = { ...vault(1), id: vault(1).id.replace(/kv-\d+$/, 'kv-new'), name: 'kv-new' };

// Vaults 0, 2, 4, 6 send audit logs to the workspace (Pass); 1, 3, 5, 7 have no setting (Fail).
const estate: Estate = {
  ...base,
  timeline: [
    { afterSeconds: 1.5 * 3600, deleteDiagnosticSettings: [settingOf(0).id] },
    { afterSeconds: 2.5 * 3600, tags: [{ resourceId: vault(3).id, tags: { 'kv-audit-exempt': 'Vendor-managed, ticket SEC-9' } }] },
    { afterSeconds: 3.5 * 3600, delete: [vault(5).id], create: [newVault] },
  ],
};

type ScheduledScan = { result: ScanResult; findings: FindingRow[] };

/**
 * Scheduled scans of `estate` at the given hours from `start`, each building on the state the one before left. The
 * emulator's clock and the scans' are one: real time from `start`, moved forward between scans (frozen, it would keep
 * Resource Graph's quota window from ever resetting).
 */
async function scheduledScans(estateOverTime: Estate, hours: readonly number[]): Promise<ScheduledScan[]> {
  const realStart = Date.now();
  let jumped = 0;
  const now = () => start + jumped + (Date.now() - realStart);
  const emulator: Emulator = await startEmulator({ estate: estateOverTime, clock: now, retryAfterSeconds: 0 });
  const runs: ScheduledScan[] = [];
  let state: ScanState | null = null;
  try {
    for (const at of hours) {
      jumped = at * hour;
      await emulator.settle();
      const settings = loadSettings(emulatorEnv(emulator), { requireIngestion: false });
      const findings: FindingRow[] = [];
      const deps = scanDependencies({ ...emulatorConnection(emulator), now }, settings, {
        ingest: false,
        log: { info: () => undefined, warn: () => undefined },
        onFinding: (f) => findings.push(f),
        previous: state,
      });
      const result = await runScan(settings, 'Timer', deps);
      state = result.state;
      runs.push({ result, findings });
    }
  } finally {
    await emulator.close();
  }
  return runs;
}

describe('scheduled scans that build on the last one', () => {
  let runs: ScheduledScan[] = [];
  beforeAll(async () => {
    runs = await scheduledScans(estate, [0, 1, 2, 3, 4, 25]);
  }, 120_000);

  const names = (run: { findings: FindingRow[] }) => run.findings.map((f) => `${f.ResourceName} ${f.Status}`).sort();

  it.each([
    { at: '09:00, the first', index: 0, mode: 'Full', read: 8, written: [...[0, 2, 4, 6].map((i) => `${vault(i).name} Pass`), ...[1, 3, 5, 7].map((i) => `${vault(i).name} Fail`)].sort() },
    { at: '10:00, nothing changed', index: 1, mode: 'Incremental', read: 0, written: [] },
    { at: "11:00, after vault 0's setting was deleted", index: 2, mode: 'Incremental', read: 1, written: [`${vault(0).name} Fail`] },
    { at: '12:00, after vault 3 was tagged exempt', index: 3, mode: 'Incremental', read: 1, written: [`${vault(3).name} Exempt`] },
    { at: '13:00, after vault 5 was deleted and kv-new created', index: 4, mode: 'Incremental', read: 1, written: ['kv-new Fail', `${vault(5).name} Removed`].sort() },
  ])('$at: $mode, reading $read through ARM, writing $written', ({ index, mode, read, written }) => {
    const run = runs[index]!;
    expect(run.result.scan).toMatchObject({ Mode: mode, ResourcesRead: read, Complete: true });
    expect(names(run)).toEqual(written);
  });

  it('the next day a full scan is due: every vault read and written again', () => {
    expect(runs[5]!.result.scan).toMatchObject({ Mode: 'Full', ResourcesRead: 8, Complete: true });
    expect(runs[5]!.findings).toHaveLength(8);
  });

  it('counts every vault in scope by its status as of each scan, carried forward or not', () => {
    expect(runs.map((r) => [r.result.scan.ResourceCount, r.result.scan.PassCount, r.result.scan.FailCount, r.result.scan.ExemptCount])).toEqual([
      [8, 4, 4, 0],
      [8, 4, 4, 0],
      [8, 3, 5, 0],
      [8, 3, 4, 1],
      [8, 3, 4, 1],
      [8, 3, 4, 1],
    ]);
  });

  it('says what each incremental scan builds on', () => {
    const since = runs.map((r) => r.result.scan.Since);
    expect(since.map((s) => (s === null ? null : Math.floor((Date.parse(s) - start) / hour)))).toEqual([null, 0, 1, 2, 3, null]);
  });

  it('leaves a state that knows every vault in scope, and no longer the deleted one', () => {
    const state = runs[5]!.result.state;
    expect([...state!.resources.ids()].sort()).toEqual([...[0, 1, 2, 3, 4, 6, 7].map((i) => normalizeResourceId(vault(i).id)), normalizeResourceId(newVault.id)].sort());
    // The workspace, and the table its audit logs land in (whose retention the finding records).
    const ws = normalizeResourceId(workspace!.id);
    expect(Object.keys(state!.destinations).sort()).toEqual([ws, `${ws}/tables/azurediagnostics`]);
  });
});

/*
 * The destinations findings rest on, between full scans: confirmed again through ARM only when the Activity Log names
 * them (or something above or under them), or when they can change without ARM; a change reads again every vault
 * whose audit logs go there.
 */
describe('audit destinations in incremental scans', () => {
  const logs = `/subscriptions/${workspace!.id.split('/')[2]}/resourceGroups/rg-logs`;
  const table = `${normalizeResourceId(workspace!.id)}/tables/azurediagnostics`;
  const destinationEstate: Estate = {
    ...base,
    timeline: [
      { afterSeconds: 1.5 * 3600, create: [{ id: `${logs}/providers/Microsoft.Storage/storageAccounts/stunrelated`, name: 'stunrelated', type: 'Microsoft.Storage/storageAccounts', location: 'westeurope' }] },
      { afterSeconds: 2.5 * 3600, tags: [{ resourceId: workspace!.id, tags: { owner: 'soc' } }] },
      { afterSeconds: 3.5 * 3600, deleteResourceGroups: [logs] },
    ],
  };
  let runs: ScheduledScan[] = [];
  beforeAll(async () => {
    runs = await scheduledScans(destinationEstate, [0, 1, 2, 3, 4]);
  }, 120_000);

  const passing = [0, 2, 4, 6].map((i) => vault(i).name);
  // Two Activity Logs (the vaults' two subscriptions, the workspace in one of them), and the workspace's table: it
  // does not exist until audit logs arrive, and Log Analytics makes it then without ARM.
  const fixed = 3;

  it.each([
    { at: '10:00, nothing changed', index: 1, armCalls: fixed, read: [] as string[] },
    { at: '11:00, after a storage account was created beside the workspace', index: 2, armCalls: fixed, read: [] },
    { at: "12:00, after the workspace's tags were written: the workspace confirmed again, unchanged", index: 3, armCalls: fixed + 1, read: [] },
  ])('$at: $armCalls ARM requests, no vault read', ({ index, armCalls, read }) => {
    expect(runs[index]!.result.scan).toMatchObject({ Mode: 'Incremental', ArmCalls: armCalls, ResourcesRead: read.length, Complete: true });
    expect(runs[index]!.findings).toEqual([]);
  });

  it("13:00, after the workspace's resource group was deleted (the log names the group alone): every vault sending there read again, and failing", () => {
    const run = runs[4]!;
    expect(run.result.scan).toMatchObject({ Mode: 'Incremental', ResourcesRead: passing.length, Complete: true });
    expect(run.findings.map((f) => [f.ResourceName, f.Status, f.Reason]).sort()).toEqual(passing.map((name) => [name, 'Fail', 'DestinationNotFound']).sort());
  });

  it('keeps the table among the destinations confirmed every scan, and the workspace out of it', () => {
    expect(runs[3]!.result.state!.destinationsChangedWithoutArm).toEqual([table]);
  });
});
