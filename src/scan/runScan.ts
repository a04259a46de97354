import { confirmWithArm } from '../azure/armDiagnosticSettings.js';
import type { AzureClients } from '../azure/clients.js';
import { resolveDestinations } from '../azure/destinations.js';
import type { RowSink } from '../azure/ingestion.js';
import { type Inventory, type InventoryItem, readInventory } from '../azure/inventory.js';
import { createResourceGraphRunner } from '../azure/resourceGraph.js';
import type { Settings } from '../config/settings.js';
import { type ControlPolicy, type SettingsEvidence, evaluateAuditLogging } from '../control/auditLogging.js';
import { auditDestinationTargets, parseDiagnosticSetting } from '../control/diagnosticSetting.js';
import { describeError } from '../errors.js';
import { type FindingRow, type ScanRow, type ScanTrigger, findingsTable, scansTable } from '../findings/schema.js';
import { version } from '../version.js';

/*
 * One scan: inventory through ARG, ARM confirmation of everything ARG cannot
 * vouch for, destination lookup, evaluation, then findings and — last — the
 * scan row. Every dependency is passed in; the timer, the CLI and the demo all
 * call this same function.
 */

export interface ScanLog {
  info(message: string): void;
  warn(message: string): void;
}

export type ScanProgress =
  | { readonly phase: 'inventory' }
  | { readonly phase: 'confirm'; readonly done: number; readonly total: number }
  | { readonly phase: 'destinations' }
  | { readonly phase: 'write'; readonly rows: number };

export interface ScanDependencies {
  readonly clients: Pick<AzureClients, 'resourceGraph' | 'monitor' | 'counters'>;
  /** Where rows go; null evaluates without writing (kv-audit scan without --ingest). */
  readonly sink: RowSink | null;
  readonly now: () => Date;
  readonly newScanId: () => string;
  readonly log: ScanLog;
  readonly onProgress?: (progress: ScanProgress) => void;
  /** First delay before repeating a request whose response was cut off (default 1 s). */
  readonly retryDelayMs?: number;
  /**
   * How long reading may take. When it runs out, reads stop, what was not read becomes ReadFailed, and the
   * findings and an incomplete scan row are still written: better than being killed by the host's timeout.
   */
  readonly readBudgetMs?: number;
}

export interface ScanResult {
  readonly findings: readonly FindingRow[];
  readonly scan: ScanRow;
  /** Whether the scan row reached Log Analytics; null when nothing is written. */
  readonly scanRowWritten: boolean | null;
}

/** The whole scan landed: every resource evaluated, every finding written and, when writing, the scan row too. */
export function scanSucceeded(result: ScanResult): boolean {
  return result.scan.Complete && result.scanRowWritten !== false;
}

/** An ARG record that is itself unusable, or the settings ARG returned with it. */
function resourceGraphEvidence(item: InventoryItem): SettingsEvidence | null {
  if (item.problem !== null) return { state: 'Unreadable', source: 'ResourceGraph', reason: 'MalformedRecord', message: item.problem };
  if (item.argSettings === null) return null;
  return { state: 'Read', source: 'ResourceGraph', records: item.argSettings.map(parseDiagnosticSetting) };
}

export async function runScan(settings: Settings, trigger: ScanTrigger, deps: ScanDependencies): Promise<ScanResult> {
  const { clients, log } = deps;
  const startedAt = deps.now();
  const scanId = deps.newScanId();
  const errors: string[] = [];
  const countersBefore = { ...clients.counters };
  const retryDelay = deps.retryDelayMs === undefined ? {} : { retryDelayMs: deps.retryDelayMs };
  const budget = deps.readBudgetMs === undefined ? {} : { abortSignal: AbortSignal.timeout(deps.readBudgetMs) };
  const runner = createResourceGraphRunner(clients.resourceGraph, {
    ...retryDelay,
    ...budget,
    onThrottle: (ms) => log.info(`Azure Resource Graph quota exhausted; waiting ${ms} ms for it to reset.`),
  });

  deps.onProgress?.({ phase: 'inventory' });
  let inventory: Inventory = { items: [], unattributed: [], unreadableSubscriptions: [], resourceGraphHasDiagnosticSettings: false };
  try {
    inventory = await readInventory(runner, settings.scope);
  } catch (error) {
    errors.push(describeError(error));
  }
  errors.push(...inventory.unattributed);
  for (const id of inventory.unreadableSubscriptions) {
    errors.push(`Subscription ${id} is in scope but the scanner's identity cannot read it (grant Reader); its vaults are missing from this scan`);
  }
  if (inventory.items.length > 0 && !inventory.resourceGraphHasDiagnosticSettings) {
    log.info('Azure Resource Graph returned no diagnostic settings (it does not index them); confirming every resource through ARM.');
  }

  const existence = new Map<string, 'Exists' | 'NotFound'>();
  const lookedUp = new Set<string>();
  async function lookUpDestinations(evidence: Iterable<SettingsEvidence>): Promise<void> {
    const targets = [...evidence].flatMap((e) => (e.state === 'Read' ? auditDestinationTargets(e.records) : [])).filter((t) => !lookedUp.has(t));
    if (targets.length === 0) return;
    deps.onProgress?.({ phase: 'destinations' });
    targets.forEach((t) => lookedUp.add(t));
    try {
      for (const [id, status] of await resolveDestinations(runner, targets)) existence.set(id, status);
    } catch (error) {
      errors.push(`Destination lookup failed; destinations stay Unverified: ${describeError(error)}`);
    }
  }

  const policy: ControlPolicy = {
    exemptionTag: settings.exemptionTag,
    approvedDestinations: settings.approvedDestinations,
    remediationWorkspaceId: settings.remediationWorkspaceId,
  };
  const evaluate = (item: InventoryItem, evidence: SettingsEvidence) =>
    evaluateAuditLogging({ resource: item.resource, settings: evidence, destinationExistence: existence }, policy, deps.now());

  // ARG positives are trusted; everything else is confirmed through ARM before it may fail.
  const evidence = new Map<InventoryItem, SettingsEvidence>();
  for (const item of inventory.items) {
    const fromGraph = resourceGraphEvidence(item);
    if (fromGraph) evidence.set(item, fromGraph);
  }
  await lookUpDestinations(evidence.values());
  // A malformed ARG record is not re-read through ARM: its tags (and so any exemption) are unknown, and ARM's
  // settings alone could turn that into a Fail without evidence. It stays an Error.
  const toConfirm = inventory.items.filter((item) => {
    const known = evidence.get(item);
    return known === undefined || (item.problem === null && evaluate(item, known).Status !== 'Pass');
  });

  const confirmed = await confirmWithArm(
    clients.monitor,
    toConfirm.map((item) => item.resource.id),
    {
      concurrency: settings.armConcurrency,
      onConfirmed: (done, total) => deps.onProgress?.({ phase: 'confirm', done, total }),
      ...retryDelay,
      ...budget,
    },
  );
  for (const item of toConfirm) evidence.set(item, confirmed.get(item.resource.id)!.evidence);
  await lookUpDestinations(toConfirm.map((item) => evidence.get(item)!));
  // Not evaluated: their reads failed in a way the next attempt may not, so this scan is incomplete.
  const unread = toConfirm.filter((item) => confirmed.get(item.resource.id)!.transientFailure);
  if (unread.length > 0) {
    const names = unread.slice(0, 10).map((item) => item.resource.name).join(', ');
    errors.push(`${unread.length} resources could not be read through ARM after retries (ReadFailed): ${names}${unread.length > 10 ? ', …' : ''}`);
  }

  const findings: FindingRow[] = inventory.items.map((item) => ({
    TimeGenerated: deps.now().toISOString(),
    ScanId: scanId,
    ...evaluate(item, evidence.get(item)!),
  }));

  let findingsWritten = 0;
  if (deps.sink) {
    deps.onProgress?.({ phase: 'write', rows: findings.length });
    const outcome = await deps.sink.upload(findingsTable.streamName, findings);
    findingsWritten = outcome.accepted;
    errors.push(...outcome.failures);
  }

  const finishedAt = deps.now();
  const count = (status: FindingRow['Status']) => findings.filter((f) => f.Status === status).length;
  const scan: ScanRow = {
    TimeGenerated: finishedAt.toISOString(),
    ScanId: scanId,
    Trigger: trigger,
    Scope: settings.scope,
    StartedAt: startedAt.toISOString(),
    FinishedAt: finishedAt.toISOString(),
    DurationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
    Complete: errors.length === 0 && (deps.sink === null || findingsWritten === findings.length),
    ResourceCount: inventory.items.length,
    PassCount: count('Pass'),
    FailCount: count('Fail'),
    ExemptCount: count('Exempt'),
    ErrorCount: count('Error'),
    FindingsWritten: findingsWritten,
    ArgQueries: clients.counters.argRequests - countersBefore.argRequests,
    ArmCalls: clients.counters.armRequests - countersBefore.armRequests,
    ArmThrottled: clients.counters.armThrottled - countersBefore.armThrottled,
    ResourceGraphHasDiagnosticSettings: inventory.resourceGraphHasDiagnosticSettings,
    Errors: errors,
    Version: version,
  };

  // Written last: a Complete scan row means every finding before it landed.
  let scanRowWritten: boolean | null = null;
  if (deps.sink) {
    const outcome = await deps.sink.upload(scansTable.streamName, [scan]);
    scanRowWritten = outcome.accepted === 1;
    for (const failure of outcome.failures) log.warn(failure);
  }
  for (const error of errors) log.warn(error);
  return { findings, scan, scanRowWritten };
}
