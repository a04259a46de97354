import { createArmReadQueue } from '../azure/armReadQueue.js';
import type { AzureClients } from '../azure/clients.js';
import { createDeliveryCheck } from '../azure/deliveryCheck.js';
import { createDestinationCheck } from '../azure/destinations.js';
import { type RowSink, streamingUpload } from '../azure/ingestion.js';
import { type InventoryItem, isScopeRefused, readInventoryPages, readableScope, readsAnySubscription, unreadableSubscriptions } from '../azure/inventory.js';
import { createResourceGraphRunner } from '../azure/resourceGraph.js';
import { type Settings, controlPolicyOf } from '../config/settings.js';
import { type Finding, type SettingsEvidence, evaluateAuditLogging } from '../control/auditLogging.js';
import { auditDestinationTargets, maxSettingsPerResource, settingsOfResource } from '../control/diagnosticSetting.js';
import { describeError } from '../errors.js';
import { type FindingRow, type ScanRow, type ScanTrigger, findingsTable, scansTable } from '../findings/schema.js';
import { version } from '../version.js';
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
}

export interface ScanResult {
  readonly scan: ScanRow;
  /** Whether the scan row reached Log Analytics; null when nothing is written. */
  readonly scanRowWritten: boolean | null;
  /** The identity could read nothing in scope: no subscription, or a scope Resource Graph refused (403). */
  readonly noAccess: boolean;
}

/** The whole scan landed: every resource evaluated, every finding written and, when writing, the scan row too. */
export function scanSucceeded(result: ScanResult): boolean {
  return result.scan.Complete && result.scanRowWritten !== false;
}

const progressIntervalMs = 500;

/** Resources that could not be read are named in the scan's errors, up to this many. */
const namedUnread = 10;

/** An ARG record that is itself unusable, or the settings ARG returned with it. */
function resourceGraphEvidence(item: InventoryItem): SettingsEvidence | null {
  if (item.problem !== null) return { state: 'Unreadable', source: 'ResourceGraph', reason: 'MalformedRecord', message: item.problem };
  if (item.argSettings === null) return null;
  return { state: 'Read', source: 'ResourceGraph', records: settingsOfResource(item.resource.id, item.argSettings) };
}

/**
 * The destinations to confirm through ARM. A resource listing more settings than Azure allows is an Error whatever
 * its destinations, so they are not read: a hostile list cannot make the scan spend thousands of ARM reads.
 */
const destinationsOf = (evidence: SettingsEvidence) =>
  evidence.state === 'Read' && evidence.records.length <= maxSettingsPerResource ? [...new Set(auditDestinationTargets(evidence.records))] : [];

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

/** Everything one scan works with, built from its settings and dependencies in this one place. */
function scanCollaborators(settings: Settings, deps: ScanDependencies) {
  const { clients, log } = deps;
  const clock = () => deps.now().getTime();
  const retryDelay = deps.retryDelayMs === undefined ? {} : { retryDelayMs: deps.retryDelayMs };
  const budget = deps.readBudgetMs === undefined ? {} : { abortSignal: AbortSignal.timeout(deps.readBudgetMs) };
  const deadline = deps.readBudgetMs === undefined ? {} : { deadline: clock() + deps.readBudgetMs };
  const runner = createResourceGraphRunner(clients.resourceGraph, {
    ...retryDelay,
    ...budget,
    onThrottle: (ms) => log.info(`Azure Resource Graph quota exhausted; waiting ${ms} ms for it to reset.`),
  });
  const armReads = createArmReadQueue(clients, clients.armReadPacer, {
    concurrency: settings.armConcurrency,
    now: clock,
    ...retryDelay,
    ...budget,
    ...deadline,
  });
  return {
    runner,
    armReads,
    destinations: createDestinationCheck(clients, armReads, {
      now: clock,
      ...retryDelay,
      ...budget,
      delivery: settings.verifyDelivery ? createDeliveryCheck(clients.logsQuery(), budget) : null,
    }),
    uploads: deps.sink ? streamingUpload(deps.sink, findingsTable.streamName) : null,
    policy: controlPolicyOf(settings),
  };
}

export async function runScan(settings: Settings, trigger: ScanTrigger, deps: ScanDependencies): Promise<ScanResult> {
  const { clients, log } = deps;
  const startedAt = deps.now();
  const scanId = deps.newScanId();
  const errors: string[] = [];
  const countersBefore = { ...clients.counters };
  const { runner, armReads, destinations, uploads, policy } = scanCollaborators(settings, deps);
  const evaluate = (item: InventoryItem, evidence: SettingsEvidence) =>
    evaluateAuditLogging(
      { resource: item.resource, settings: evidence, destinationExistence: destinations.existence, destinationFacts: destinations.facts, delivery: destinations.delivery },
      policy,
      deps.now(),
    );

  const counts: Record<FindingRow['Status'], number> = { Pass: 0, Fail: 0, Exempt: 0, Error: 0 };
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

  /** The finding ARG's own evidence gives, when it needs no confirmation: a Pass, or a malformed ARG record. */
  async function resourceGraphFinding(item: InventoryItem): Promise<Finding | null> {
    const evidence = resourceGraphEvidence(item);
    if (evidence === null) return null;
    await destinations.confirm(destinationsOf(evidence));
    const finding = evaluate(item, evidence);
    // A malformed ARG record is not re-read through ARM: its tags (and so any exemption) are unknown, and ARM's
    // settings alone could turn that into a Fail without evidence. It stays an Error.
    return finding.Status === 'Pass' || item.problem !== null ? finding : null;
  }

  async function armFinding(item: InventoryItem): Promise<Finding> {
    const read = await armReads.readSettings(item.resource.id, item.resource.location);
    // Not evaluated: the read failed in a way the next attempt may not, so this scan is incomplete.
    if (read.transientFailure && ++unreadCount <= namedUnread) unread.push(item.resource.name);
    await destinations.confirm(destinationsOf(read.evidence));
    return evaluate(item, read.evidence);
  }

  async function settle(item: InventoryItem): Promise<void> {
    // ARG positives are trusted; everything else is confirmed through ARM before it may fail.
    const evaluated = (await resourceGraphFinding(item)) ?? (await armFinding(item));
    const finding: FindingRow = { TimeGenerated: deps.now().toISOString(), ScanId: scanId, ...evaluated };
    counts[finding.Status] += 1;
    progress.evaluated += 1;
    deps.onFinding?.(finding);
    reportProgress();
    await uploads?.add(finding);
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

  if (progress.listed > 0 && !resourceGraphHasDiagnosticSettings) {
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
  let findingsWritten = 0;
  if (uploads) {
    const outcome = await uploads.finish();
    findingsWritten = outcome.accepted;
    errors.push(...outcome.failures);
  }

  const finishedAt = deps.now();
  const scan: ScanRow = {
    TimeGenerated: finishedAt.toISOString(),
    ScanId: scanId,
    Trigger: trigger,
    Scope: settings.scope,
    StartedAt: startedAt.toISOString(),
    FinishedAt: finishedAt.toISOString(),
    DurationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
    Complete: errors.length === 0 && (deps.sink === null || findingsWritten === progress.evaluated),
    InventoryComplete: inventoryComplete,
    ResourceCount: progress.listed,
    PassCount: counts.Pass,
    FailCount: counts.Fail,
    ExemptCount: counts.Exempt,
    ErrorCount: counts.Error,
    FindingsWritten: findingsWritten,
    ArgQueries: clients.counters.argRequests - countersBefore.argRequests,
    ArmCalls: clients.counters.armRequests - countersBefore.armRequests,
    ArmThrottled: clients.counters.armThrottled - countersBefore.armThrottled,
    ResourceGraphHasDiagnosticSettings: resourceGraphHasDiagnosticSettings,
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
  return { scan, scanRowWritten, noAccess };
}
