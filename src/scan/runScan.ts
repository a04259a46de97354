import { readActivityLog } from '../azure/activityLog.js';
import { changesWithoutArmWrite } from '../azure/destinations.js';
import type { AzureClients } from '../azure/clients.js';
import type { RowSink } from '../azure/ingestion.js';
import { type InventoryItem, isScopeRefused, readInventoryPages, readableScope, readsAnySubscription, unreadableSubscriptions } from '../azure/inventory.js';
import type { Settings } from '../config/settings.js';
import type { ControlPolicy } from '../control/auditLogging.js';
import { normalizeResourceId, subscriptionIdOf } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import { type ControlStatus, type FindingRow, type ScanRow, type ScanTrigger } from '../findings/schema.js';
import { ResourceStates } from '../state/resourceStates.js';
import { type ScanState, basisFingerprint, findingFingerprint, maxKeptRows, scanStateVersion } from '../state/scanState.js';
import { version } from '../version.js';
import { evaluator, finishedScanRow, removedRow, scanCollaborators, writeScanRow } from './evaluation.js';
import { type ChangeSignals, type HistoryPolicy, type Landing, type ModeChoice, chooseMode, readReason, resourceState } from './scanHistory.js';
import { plural } from './summary.js';

/*
 * One scan, streamed: ARG inventory pages flow into ARM confirmation of
 * everything ARG cannot vouch for, destination lookup, evaluation and
 * ingestion as they arrive, so memory stays bounded however large the estate;
 * the scan row is written last. Every dependency is passed in; the timer, the
 * CLI and the demo all call this same function.
 */

export interface ScanLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Where a scan is; reported at most every `progressIntervalMs`, and once at the end. */
export interface ScanProgress {
  /** Resources ARG has listed so far. */
  readonly listed: number;
  /** Resources in scope, once ARG has said. */
  readonly total: number | null;
  /** Resources with a finding. */
  readonly evaluated: number;
}

export interface ScanDependencies {
  readonly clients: Pick<AzureClients, 'resourceGraph' | 'monitor' | 'counters' | 'armReadPacer' | 'getArmResource' | 'getArmUrl' | 'logsQuery'>;
  /** Where rows go; null evaluates without writing (kv-audit scan without --ingest). */
  readonly sink: RowSink | null;
  readonly now: () => Date;
  readonly newScanId: () => string;
  readonly log: ScanLog;
  readonly onProgress?: (progress: ScanProgress) => void;
  /** Each finding as it is made, in no particular order. */
  readonly onFinding?: (finding: FindingRow) => void;
  /** First delay before repeating a request whose response was cut off (default 1 s). */
  readonly retryDelayMs?: number;
  /**
   * How long reading may take. When it runs out, reads stop, what was not read becomes ReadFailed, and the
   * findings and an incomplete scan row are still written: better than being killed by the host's timeout.
   */
  readonly readBudgetMs?: number;
  /**
   * Resources listed but not yet evaluated, at most; ARG reading waits above it. Bounds memory whatever the
   * estate's size while leaving ARM's slowest subscriptions enough work queued (default 5,000).
   */
  readonly maxPendingResources?: number;
  /** The scan's memory of the last one: given, the scan may be incremental, and returns its own state. */
  readonly history?: ScanHistory;
}

export interface ScanHistory {
  /**
   * The state the last scheduled scan left; null when there is none (the scan is full). The scan takes its
   * resources over: they become the returned state's, updated in place.
   */
  readonly previous: ScanState | null;
  /** How many finding rows of a scan Log Analytics holds; null when it cannot be asked. */
  readonly landedRows: ((scanId: string) => Promise<number | null>) | null;
  readonly policy: HistoryPolicy;
}

export interface ScanResult {
  readonly scan: ScanRow;
  /** Whether the scan row reached Log Analytics; null when nothing is written. */
  readonly scanRowWritten: boolean | null;
  /** The identity could read nothing in scope: no subscription, or a scope Resource Graph refused (403). */
  readonly noAccess: boolean;
  /** The state to keep for the next scan; null without history. */
  readonly state: ScanState | null;
}

/** The whole scan landed: every resource evaluated, every finding written and, when writing, the scan row too. */
export function scanSucceeded(result: ScanResult): boolean {
  return result.scan.Complete && result.scanRowWritten !== false;
}

const progressIntervalMs = 500;

/** Resources that could not be read are named in the scan's errors, up to this many. */
const namedUnread = 10;

/** Counts work in progress and lets one reader wait until there is at most `limit`. */
function workInProgress() {
  let running = 0;
  let waiter: { limit: number; resolve: () => void } | null = null;
  return {
    track(work: Promise<void>): void {
      running += 1;
      void work.finally(() => {
        running -= 1;
        if (waiter && running <= waiter.limit) {
          waiter.resolve();
          waiter = null;
        }
      });
    },
    async atMost(limit: number): Promise<void> {
      if (running <= limit) return;
      await new Promise<void>((resolve) => (waiter = { limit, resolve }));
    },
  };
}

/** Today in UTC, as exemption end dates are written. */
const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/** What shapes a finding besides Azure: a change means the last scan's findings cannot be carried forward. */
function basisOf(settings: Settings, policy: ControlPolicy): string {
  return basisFingerprint({
    version,
    scope: settings.scope,
    policy: { ...policy, approvedDestinations: policy.approvedDestinations ? [...policy.approvedDestinations].sort() : null },
  });
}

export async function runScan(settings: Settings, trigger: ScanTrigger, deps: ScanDependencies): Promise<ScanResult> {
  const { clients, log } = deps;
  const startedAt = deps.now();
  const scanId = deps.newScanId();
  const errors: string[] = [];
  const countersBefore = { ...clients.counters };
  const collaborators = scanCollaborators(settings, deps);
  const { runner, armReads, destinations, uploads, policy } = collaborators;

  const counts: Record<ControlStatus, number> = { Pass: 0, Fail: 0, Exempt: 0, Error: 0 };
  const progress = { listed: 0, total: null as number | null, evaluated: 0 };
  let lastProgressAt = -Infinity;
  const reportProgress = (force = false) => {
    const at = deps.now().getTime();
    if (!deps.onProgress || (!force && at - lastProgressAt < progressIntervalMs)) return;
    lastProgressAt = at;
    deps.onProgress({ ...progress });
  };
  let resourceGraphHasDiagnosticSettings = false;
  let subscriptionLimitHit = false;
  const unread: string[] = [];
  let unreadCount = 0;
  let resourcesRead = 0;
  const evaluateItem = evaluator(collaborators, deps.now, {
    read: () => (resourcesRead += 1),
    readFailed: (item) => {
      if (++unreadCount <= namedUnread) unread.push(item.resource.name);
    },
  });

  // What the last scan left, and what it allows: a full scan, or one that reads only what may have changed.
  const history = deps.history;
  const previous = history?.previous ?? null;
  const basis = basisOf(settings, policy);
  const choice: ModeChoice = !history
    ? { mode: 'Full', why: 'no history kept', rewrite: [] }
    : settings.verifyDelivery
      ? // Each vault's latest audit event changes by the minute: a carried-forward finding would hold a stale one.
        { mode: 'Full', why: 'delivery is verified (KV_AUDIT_VERIFY_DELIVERY), which every finding records afresh', rewrite: [] }
      : chooseMode(previous, basis, startedAt, await landingOf(history, deps.sink !== null), history.policy);
  const incremental = choice.mode === 'Incremental' && previous !== null;
  if (history) log.info(`${choice.mode} scan: ${choice.why}.`);
  /** What this scan knows of a destination that a finding rests on: whether it exists, and its facts. */
  const destinationFingerprint = (id: string) =>
    basisFingerprint({ existence: destinations.existence.get(id) ?? 'Unverified', facts: destinations.facts.get(id) ?? null });
  const unverifiedFingerprint = basisFingerprint({ existence: 'Unverified', facts: null });
  /** Destinations the last scan knew that this one confirmed before deciding what to read. */
  const reconfirmed = new Set<string>();
  /**
   * A destination as the state keeps it: as the last scan saw it when this one did not ask. One that only a resource
   * read again asked about, and found changed, is kept as Unverified: resources whose findings carried forward rest
   * on it too, and the next scan must confirm it and read them again.
   */
  function keptFingerprint(id: string): string {
    const last = previous?.destinations[id];
    if (last === undefined) return destinationFingerprint(id);
    if (!destinations.asked(id)) return last;
    const seen = destinationFingerprint(id);
    return !incremental || reconfirmed.has(id) || seen === last ? seen : unverifiedFingerprint;
  }
  const changedWithoutArm = new Set(previous?.destinationsChangedWithoutArm ?? []);
  const keptChangesWithoutArm = (id: string) => (destinations.asked(id) ? changesWithoutArmWrite(id, destinations.facts) : changedWithoutArm.has(id));

  const signals = incremental ? await changeSignals(previous, history!.policy) : null;

  /**
   * The state each resource leaves, by normalized id (kept only with history): the last scan's, updated in place as
   * resources settle; one it knew that a complete inventory did not list is gone.
   */
  const resourceStates = history ? (previous?.resources ?? ResourceStates.empty()) : null;
  resourceStates?.beginScan();
  const written: FindingRow[] = [];
  let writtenCount = 0;
  async function write(row: FindingRow): Promise<void> {
    writtenCount += 1;
    // Kept only for the next scan's state: without history, 5,000 rows held to the end are memory for nothing.
    if (history && written.length <= maxKeptRows) written.push(row);
    deps.onFinding?.(row);
    await uploads?.add(row);
  }

  /**
   * What this scan learned since the last one. The Activity Log of every subscription holding a vault or a
   * destination the last scan knew names what was written or deleted; destinations are confirmed again through ARM
   * only when it names them, when their subscription's log could not be read, when they were not confirmed last
   * time, or when they can change without ARM (changesWithoutArmWrite).
   */
  async function changeSignals(last: ScanState, policyOf: HistoryPolicy): Promise<ChangeSignals> {
    const lastDestinations = Object.keys(last.destinations);
    const watched = new Set([...last.resources.ids(), ...lastDestinations]);
    const window = { from: policyOf.since ?? new Date(Date.parse(last.startedAt) - policyOf.overlapMs), to: startedAt };
    const activity = await readActivityLog(clients, armReads, watched, window, { now: () => deps.now().getTime() });
    for (const [subscriptionId, why] of activity.unread) {
      log.warn(`The Activity Log of subscription ${subscriptionId} could not be read (${why}); each of its vaults and audit destinations is read again.`);
    }
    for (const id of lastDestinations) {
      const named = activity.changed.has(id) || activity.unread.has(subscriptionIdOf(id) ?? '');
      if (named || last.destinations[id] === unverifiedFingerprint || changedWithoutArm.has(id)) reconfirmed.add(id);
    }
    await destinations.confirm(reconfirmed);
    return {
      changed: activity.changed,
      unreadLogs: new Set(activity.unread.keys()),
      destinationsChanged: new Set([...reconfirmed].filter((id) => destinationFingerprint(id) !== last.destinations[id])),
      today: utcDay(startedAt),
    };
  }

  async function settle(item: InventoryItem): Promise<void> {
    const id = normalizeResourceId(item.resource.id);
    const last = incremental ? previous.resources.get(id) : undefined;
    // Incremental: a resource nothing says has changed keeps its last finding, unread and unwritten.
    if (incremental && item.problem === null && last !== undefined && readReason(item, last, signals!, id) === null) {
      counts[last.status] += 1;
      resourceStates!.keep(id);
      progress.evaluated += 1;
      reportProgress();
      return;
    }
    const evaluation = await evaluateItem(item);
    const { finding } = evaluation;
    counts[finding.Status] += 1;
    progress.evaluated += 1;
    resourceStates?.update(id, resourceState(item, finding, evaluation.destinations, evaluation.readFailed));
    reportProgress();
    // A full scan writes every finding; an incremental one only those whose content changed.
    if (!incremental || last === undefined || findingFingerprint(finding) !== last.finding) {
      await write({ TimeGenerated: deps.now().toISOString(), ScanId: scanId, ...finding });
    }
  }

  /** Set when the inventory cannot vouch for having listed everything in scope. */
  let inventoryComplete = true;
  let noAccess = false;
  const work = workInProgress();
  const maxPending = deps.maxPendingResources ?? 5_000;
  reportProgress(true);
  try {
    const unreadable = await unreadableSubscriptions(runner, settings.scope);
    if (unreadable.length > 0) inventoryComplete = false;
    for (const id of unreadable.slice(0, namedUnread)) {
      errors.push(`Subscription ${id} is in scope but the scanner's identity cannot read it (grant Reader); its vaults are missing from this scan`);
    }
    if (unreadable.length > namedUnread) {
      errors.push(`${unreadable.length - namedUnread} more subscriptions in scope cannot be read by the scanner's identity (grant Reader); their vaults are missing from this scan`);
    }
    const listedScope = readableScope(settings.scope, unreadable);
    noAccess = listedScope.Kind === 'Subscriptions' && listedScope.Ids.length === 0;
    for await (const page of noAccess ? [] : readInventoryPages(runner, listedScope)) {
      progress.total = page.totalRecords ?? progress.total;
      progress.listed += page.items.length;
      errors.push(...page.problems);
      if (page.problems.length > 0 || page.subscriptionLimitHit) inventoryComplete = false;
      if (page.subscriptionLimitHit && !subscriptionLimitHit) {
        subscriptionLimitHit = true;
        errors.push(
          'Azure Resource Graph searched only the first subscriptions of the scope (x-ms-tenant-subscription-limit-hit): vaults in the others are missing. ' +
            'Scan fewer subscriptions at a time: list them in KV_AUDIT_SUBSCRIPTIONS (sent in batches of 1,000) or scope smaller management groups.',
        );
      }
      for (const item of page.items) {
        if (item.argSettings !== null) resourceGraphHasDiagnosticSettings = true;
        work.track(
          settle(item).catch((error: unknown) => {
            errors.push(`Evaluating ${item.resource.id}: ${describeError(error)}`);
            // Listed, so not gone: its last state stays (a settled resource is marked by update or keep).
            resourceStates?.markListed(normalizeResourceId(item.resource.id));
          }),
        );
      }
      reportProgress();
      await work.atMost(maxPending);
    }
    if (progress.listed === 0 && !(await readsAnySubscription(runner, settings.scope))) {
      noAccess = true;
      inventoryComplete = false;
      errors.push("The scanner's identity can read no subscription in scope (grant it Reader on the subscriptions or management groups to scan); no vault was listed");
    }
  } catch (error) {
    inventoryComplete = false;
    const refused = progress.listed === 0 && isScopeRefused(error);
    noAccess ||= refused;
    errors.push(`${describeError(error)}${refused ? ' (check the scope, and that the identity has Reader on it)' : ''}`);
  }
  await work.atMost(0);
  reportProgress(true);

  if (progress.listed > 0 && !resourceGraphHasDiagnosticSettings && !incremental) {
    log.info('Azure Resource Graph returned no diagnostic settings (it does not index them); every resource was confirmed through ARM.');
  }
  for (const [failure, targets] of destinations.failures) {
    errors.push(`${targets} audit destination${targets === 1 ? '' : 's'} could not be confirmed through ARM and stay Unverified: ${failure}`);
  }
  for (const [failure, workspaces] of destinations.deliveryFailures) {
    errors.push(`Delivery could not be verified in ${plural(workspaces, 'workspace', 'workspaces')} (KV_AUDIT_VERIFY_DELIVERY): ${failure}`);
  }
  if (progress.total !== null && progress.total !== progress.listed) {
    log.info(
      `The estate changed while it was listed (${progress.total} vaults and Managed HSMs counted, ${progress.listed} listed): ` +
        'those created or deleted meanwhile are covered by the next scan; every one that existed throughout was listed.',
    );
  }
  if (unreadCount > 0) {
    errors.push(`${plural(unreadCount, 'resource', 'resources')} could not be read through ARM after retries (ReadFailed): ${unread.join(', ')}${unreadCount > unread.length ? ', …' : ''}`);
  }
  if (resourceStates) {
    // Resources the last scan knew that this complete listing did not find left the scope: said, not left to absence.
    // The others (listed, but their evaluation failed; or the listing was incomplete) keep their last state.
    for (const { id, listed } of [...resourceStates.unsettled()]) {
      if (!inventoryComplete || listed) continue;
      await write(removedRow(id, scanId, deps.now(), settings.profile));
      resourceStates.drop(id);
    }
    // Rows of the last scan that did not all arrive, written again unless this scan wrote something newer.
    const rewritten = new Set(written.map((row) => row.ResourceId));
    for (const row of choice.rewrite as FindingRow[]) {
      if (!rewritten.has(row.ResourceId)) await write({ ...row, TimeGenerated: deps.now().toISOString(), ScanId: scanId });
    }
  }
  let findingsWritten = 0;
  if (uploads) {
    const outcome = await uploads.finish();
    findingsWritten = outcome.accepted;
    errors.push(...outcome.failures);
  }

  const scan = finishedScanRow(deps, { startedAt, counts, countersBefore }, {
    ScanId: scanId,
    Trigger: trigger,
    Mode: choice.mode,
    Since: incremental ? previous.startedAt : null,
    Scope: settings.scope,
    Complete: errors.length === 0 && (deps.sink === null || findingsWritten === writtenCount),
    InventoryComplete: inventoryComplete,
    ResourceCount: progress.listed,
    ResourcesRead: resourcesRead,
    FindingsWritten: findingsWritten,
    ResourceGraphHasDiagnosticSettings: resourceGraphHasDiagnosticSettings,
    Errors: errors,
  });

  const scanRowWritten = await writeScanRow(deps, scan);
  for (const error of errors) log.warn(error);
  const keptDestinations = resourceStates ? [...resourceStates.destinationIds()] : [];
  const state: ScanState | null = resourceStates
    ? {
        version: scanStateVersion,
        scanId,
        startedAt: startedAt.toISOString(),
        lastFullAt: incremental ? previous.lastFullAt : startedAt.toISOString(),
        basis,
        resources: resourceStates,
        destinations: Object.fromEntries(keptDestinations.map((id) => [id, keptFingerprint(id)])),
        destinationsChangedWithoutArm: keptDestinations.filter(keptChangesWithoutArm),
        writtenCount,
        written: writtenCount <= maxKeptRows ? written : null,
      }
    : null;
  return { scan, scanRowWritten, noAccess, state };
}

/** Whether the last scan's rows arrived in Log Analytics, as far as it can be asked. */
async function landingOf(history: ScanHistory, writing: boolean): Promise<Landing> {
  const { previous, landedRows } = history;
  if (!writing || previous === null || previous.writtenCount === 0) return 'nothing-written';
  const landed = landedRows ? await landedRows(previous.scanId) : null;
  if (landed === null) return 'unknown';
  return landed >= previous.writtenCount ? 'confirmed' : 'lost';
}
