import { hashSeed, seededRandom } from '@kv-audit/azure-emulator';
import type { ArmOperation } from '@kv-audit/azure-emulator/handlers';
import type { Env } from '../../../src/config/settings.js';
import { loadSettings } from '../../../src/config/settings.js';
import { runScan, scanSucceeded } from '../../../src/scan/runScan.js';
import { scanDependencies } from '../../../src/scan/scanDependencies.js';
import type { ScanState } from '../../../src/state/scanState.js';
import { emulatorCredential } from '@kv-audit/azure-emulator';
import type { EstateShape, GeneratedVault } from '../../support/generatedEstate.js';
import type { Verification } from './protocol.js';
import { type SimulatedAzure, type SimulationStats, simulatedDcr, simulatedEndpoint, simulatedIngestionEndpoint, simulatedLogsQueryEndpoint } from './simulatedAzure.js';

/*
 * The incremental leg (issue 16), in virtual time against the simulated Azure: the real runScan keeps its state
 * through a full scan; then 0.1% of the vaults change over the next hour, each change kept by the Activity Log
 * (served with the emulator's own handler, listing an operation 5 minutes after it, and the changes end 10 minutes
 * before the next scan so that every one is listed by then); an hour after the first, the scheduled scan builds on
 * that state; right after it, a full scan without history reads the changed estate. The incremental scan's verdicts,
 * in the workspace's sense (each vault's latest finding, carried forward; a Removed row ends a vault), must equal
 * the full scan's.
 */

export type ChangeKind = 'settingsDeleted' | 'settingsAdded' | 'settingsChanged' | 'exempted' | 'created' | 'deleted';

/** The mix of an hour's changes, in shares: what security teams see most is settings removed and added. */
const mix: readonly [ChangeKind, number][] = [
  ['settingsDeleted', 0.3],
  ['settingsAdded', 0.15],
  ['settingsChanged', 0.15],
  ['exempted', 0.1],
  ['created', 0.15],
  ['deleted', 0.15],
];

export const changedShare = 0.001;
const hourMs = 3_600_000;
const firstChangeMs = 5 * 60_000;
const lastChangeMs = 50 * 60_000;
const activityLogDelayMs = 5 * 60_000;

interface PlannedChange {
  readonly serial: number;
  readonly kind: ChangeKind;
  readonly next: GeneratedVault | null;
  readonly operations: readonly ArmOperation[];
}

function operation(operationName: string, resourceUri: string, existed: boolean): ArmOperation {
  return {
    operationName,
    resourceUri,
    action: operationName.endsWith('/delete') ? 'delete' : 'write',
    subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(resourceUri)![1]!.toLowerCase(),
    resourceGroup: /\/resourcegroups\/([^/]+)/i.exec(resourceUri)![1]!,
    resourceProvider: operationName.split('/')[0]!,
    existed,
  };
}

const settingWrites = (vault: GeneratedVault, existed: boolean) => vault.settings.map((s) => operation('Microsoft.Insights/diagnosticSettings/write', s.id, existed));
const settingDeletes = (vault: GeneratedVault) => vault.settings.map((s) => operation('Microsoft.Insights/diagnosticSettings/delete', s.id, true));

/** Which vaults change, how, and the ARM operations each change takes; the same seed gives the same plan. */
export function planChanges(shape: EstateShape, seed: number): PlannedChange[] {
  const random = seededRandom(hashSeed(`incremental changes ${seed}`));
  const total = Math.max(2 * mix.length, Math.round(shape.spec.vaults * changedShare));
  const taken = new Set<number>();
  const plan: PlannedChange[] = [];
  let due = 0;
  for (const [index, [kind, share]] of mix.entries()) {
    const next = index === mix.length - 1 ? total : due + share * total;
    const count = Math.round(next) - Math.round(due);
    due = next;
    for (let made = 0; made < count; ) {
      const serial = Math.floor(random() * shape.spec.vaults);
      if (taken.has(serial)) continue;
      const vault = shape.vault(serial);
      const change = changeOf(shape, vault, serial, kind);
      if (!change) continue;
      taken.add(serial);
      plan.push(change);
      made += 1;
    }
  }
  // Spread over the hour in random order, as changes come.
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  return plan;
}

/** The change of `kind` to a vault, or null when the vault is not one it applies to. */
function changeOf(shape: EstateShape, vault: GeneratedVault, serial: number, kind: ChangeKind): PlannedChange | null {
  const id = vault.resource.id;
  const normal = vault.access === null;
  const pass = vault.verdict.status === 'Pass';
  const noSettings = vault.verdict.reason === 'NoDiagnosticSettings';
  switch (kind) {
    case 'settingsDeleted':
      return normal && pass ? { serial, kind, next: shape.vaultAs(serial, 'noSettings'), operations: settingDeletes(vault) } : null;
    case 'settingsAdded': {
      if (!normal || !noSettings) return null;
      const next = shape.vaultAs(serial, 'centralAudit');
      return { serial, kind, next, operations: settingWrites(next, false) };
    }
    case 'settingsChanged': {
      if (!normal || !pass) return null;
      const next = shape.vaultAs(serial, 'teamArchive');
      return { serial, kind, next, operations: [...settingDeletes(vault), ...settingWrites(next, false)] };
    }
    case 'exempted':
      return normal && noSettings
        ? { serial, kind, next: shape.vaultAs(serial, 'exempt'), operations: [operation('Microsoft.Resources/tags/write', `${id}/providers/Microsoft.Resources/tags/default`, true)] }
        : null;
    case 'created':
      // Made at the change, with its settings (a landing zone's policy deploys them right after).
      return { serial, kind, next: vault, operations: [operation(`${vault.resource.type}/write`, id, false), ...settingWrites(vault, false)] };
    case 'deleted':
      return normal ? { serial, kind, next: null, operations: [operation(`${vault.resource.type}/delete`, id, true)] } : null;
  }
}

export interface LegScan {
  readonly scanId: string;
  readonly mode: string;
  readonly succeeded: boolean;
  readonly errors: readonly string[];
  readonly virtualMs: number;
  /** The scan row's ArmCalls: every ARM request it put on the wire, retries and 429s included. */
  readonly armCalls: number;
  readonly resourcesRead: number;
  /** The simulated Azure's counters over the scan (their differences). */
  readonly stats: SimulationStats;
  readonly findingRows: number;
  readonly scanRows: number;
}

export interface IncrementalOutcome {
  readonly changes: number;
  readonly byKind: Readonly<Record<ChangeKind, number>>;
  /** The first full scan, which leaves the state, verified against the estate before the changes. */
  readonly first: LegScan & { readonly verification: Verification };
  readonly incremental: LegScan;
  /** The full scan of the changed estate, verified against its expected verdicts. */
  readonly full: LegScan & { readonly verification: Verification };
  /** Vaults whose latest verdict in the workspace differs from the full scan's, and a few of them. */
  readonly verdictMismatches: number;
  readonly mismatchExamples: readonly string[];
  /** Vaults compared: those with a verdict in either view. */
  readonly verdictsCompared: number;
}

const difference = (after: SimulationStats, before: SimulationStats): SimulationStats =>
  Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key as keyof SimulationStats]])) as unknown as SimulationStats;

/** Runs the leg; call it in virtual time (inVirtualTime), with `azure` made with `hidden` and `activityLogDelayMs` from `simulationOptions`. */
export async function incrementalLeg(shape: EstateShape, azure: SimulatedAzure, plan: readonly PlannedChange[], log: (line: string) => void): Promise<IncrementalOutcome> {
  const env: Env = {
    ...shape.env,
    KV_AUDIT_LOGS_INGESTION_ENDPOINT: simulatedIngestionEndpoint,
    KV_AUDIT_DCR_IMMUTABLE_ID: simulatedDcr,
    // Where the incremental scan asks whether the last scan's rows arrived (Log Analytics Reader on it).
    KV_AUDIT_FINDINGS_WORKSPACE_ID: shape.env['KV_AUDIT_REMEDIATION_WORKSPACE_ID']!,
  };
  const settings = loadSettings(env, { requireIngestion: true });
  const connection = { credential: emulatorCredential, armEndpoint: simulatedEndpoint, logsQueryEndpoint: `${simulatedLogsQueryEndpoint}/v1`, httpClient: azure.httpClient };
  const startedAt = Date.now();

  async function scan(label: string, previous: ScanState | null | undefined): Promise<{ leg: LegScan; state: ScanState | null }> {
    const before = { ...azure.stats };
    const began = Date.now();
    const deps = scanDependencies(connection, settings, {
      ingest: true,
      // Warnings only: a 100k scan's info (Resource Graph's quota waits) would drown the bench's output.
      log: { info: () => undefined, warn: (line) => log(`${label}: warning: ${line}`) },
      ...(previous === undefined ? {} : { previous }),
    });
    const result = await runScan(settings, 'Timer', deps);
    const { scan: row } = result;
    const leg: LegScan = {
      scanId: row.ScanId,
      mode: row.Mode,
      succeeded: scanSucceeded(result),
      errors: row.Errors,
      virtualMs: Date.now() - began,
      armCalls: row.ArmCalls,
      resourcesRead: row.ResourcesRead,
      stats: difference(azure.stats, before),
      findingRows: azure.rowsOf(row.ScanId),
      scanRows: azure.scanRows.filter((r) => r['ScanId'] === row.ScanId).length,
    };
    log(`${label}: ${row.Mode}, ${(leg.virtualMs / 1000).toFixed(1)} virtual s, ${leg.armCalls} ARM calls, ${leg.resourcesRead} read, ${leg.findingRows} finding rows`);
    return { leg, state: result.state };
  }

  const sleepUntil = (at: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

  const first = await scan('first full scan', null);
  const firstVerification = azure.verify(first.leg.scanId);
  for (const [index, change] of plan.entries()) {
    await sleepUntil(startedAt + firstChangeMs + (index * (lastChangeMs - firstChangeMs)) / Math.max(1, plan.length - 1));
    azure.change(change.serial, change.next, change.operations);
  }
  await sleepUntil(startedAt + hourMs);
  const incremental = await scan('incremental scan, an hour later', first.state);
  const full = await scan('full scan of the changed estate', undefined);
  const fullVerification = azure.verify(full.leg.scanId);

  // The workspace after the incremental scan: each vault's latest row; a Removed row ends it.
  const view = Int16Array.from(azure.verdictsOf(first.leg.scanId));
  azure.verdictsOf(incremental.leg.scanId).forEach((code, serial) => {
    if (code !== -1) view[serial] = azure.verdictName(code).startsWith('Removed/') ? -1 : code;
  });
  const truth = azure.verdictsOf(full.leg.scanId);
  let mismatches = 0;
  let compared = 0;
  const examples: string[] = [];
  view.forEach((code, serial) => {
    const expected = truth[serial]!;
    if (code === -1 && expected === -1) return;
    compared += 1;
    if (azure.verdictName(code) === azure.verdictName(expected)) return;
    mismatches += 1;
    if (examples.length < 5) examples.push(`${shape.vault(serial).resource.name}: workspace ${azure.verdictName(code)}, full scan ${azure.verdictName(expected)}`);
  });

  const byKind = Object.fromEntries(mix.map(([kind]) => [kind, plan.filter((c) => c.kind === kind).length])) as Record<ChangeKind, number>;
  return {
    changes: plan.length,
    byKind,
    first: { ...first.leg, verification: firstVerification },
    incremental: incremental.leg,
    full: { ...full.leg, verification: fullVerification },
    verdictMismatches: mismatches,
    mismatchExamples: examples,
    verdictsCompared: compared,
  };
}

/** The simulated Azure's options for `plan`: the vaults it creates do not exist before. */
export const simulationOptions = (plan: readonly PlannedChange[]) => ({
  hidden: plan.filter((c) => c.kind === 'created').map((c) => c.serial),
  activityLogDelayMs,
});
