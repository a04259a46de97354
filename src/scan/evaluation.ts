import { createArmReadQueue } from '../azure/armReadQueue.js';
import { createDeliveryCheck } from '../azure/deliveryCheck.js';
import { createDestinationCheck } from '../azure/destinations.js';
import { streamingUpload } from '../azure/ingestion.js';
import type { InventoryItem } from '../azure/inventory.js';
import { createResourceGraphRunner } from '../azure/resourceGraph.js';
import { type Settings, controlPolicyOf } from '../config/settings.js';
import { type Finding, type SettingsEvidence, evaluateAuditLogging } from '../control/auditLogging.js';
import { auditLoggingControl } from '../control/auditLogging.metadata.js';
import { auditDestinationTargets, maxSettingsPerResource, settingsOfResource } from '../control/diagnosticSetting.js';
import { lastSegment, parseResourceId } from '../control/resourceId.js';
import type { WireCounters } from '../azure/clients.js';
import { type ControlProfile, type ControlStatus, type FindingRow, type ScanRow, findingsTable, scansTable } from '../findings/schema.js';
import { version } from '../version.js';
import type { ScanDependencies } from './runScan.js';

/*
 * How one resource is evaluated, the same in every kind of scan (full, incremental, event-driven): its settings
 * read through ARM unless Resource Graph vouches for a Pass, the destinations they name confirmed, the control
 * applied. And the collaborators a scan builds for it, in this one place.
 */

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

/** Everything one scan works with, built from its settings and dependencies in this one place. */
export function scanCollaborators(settings: Settings, deps: ScanDependencies) {
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
      delivery: settings.verifyDelivery ? createDeliveryCheck(clients.logsQuery, budget) : null,
    }),
    uploads: deps.sink ? streamingUpload(deps.sink, findingsTable.streamName) : null,
    policy: controlPolicyOf(settings),
  };
}

export type ScanCollaborators = ReturnType<typeof scanCollaborators>;

/** A resource's finding, the destinations it rests on, and whether its read failed in a way the next may not. */
export interface Evaluation {
  readonly finding: Finding;
  readonly destinations: readonly string[];
  readonly readFailed: boolean;
}

/** What a scan counts as resources are evaluated. */
export interface EvaluationTally {
  readonly read: () => void;
  readonly readFailed: (item: InventoryItem) => void;
}

export function evaluator({ armReads, destinations, policy }: ScanCollaborators, now: () => Date, tally: EvaluationTally) {
  const evaluate = (item: InventoryItem, evidence: SettingsEvidence) =>
    evaluateAuditLogging(
      { resource: item.resource, settings: evidence, destinationExistence: destinations.existence, destinationFacts: destinations.facts, delivery: destinations.delivery },
      policy,
      now(),
    );

  /** The finding ARG's own evidence gives, when it needs no confirmation: a Pass, or a malformed ARG record. */
  async function resourceGraphFinding(item: InventoryItem): Promise<Evaluation | null> {
    const evidence = resourceGraphEvidence(item);
    if (evidence === null) return null;
    const targets = destinationsOf(evidence);
    await destinations.confirm(targets);
    const finding = evaluate(item, evidence);
    // A malformed ARG record is not re-read through ARM: its tags (and so any exemption) are unknown, and ARM's
    // settings alone could turn that into a Fail without evidence. It stays an Error.
    return finding.Status === 'Pass' || item.problem !== null ? { finding, destinations: targets, readFailed: false } : null;
  }

  async function armFinding(item: InventoryItem): Promise<Evaluation> {
    const read = await armReads.readSettings(item.resource.id, item.resource.location);
    tally.read();
    // Not evaluated: the read failed in a way the next attempt may not, so the scan is incomplete.
    if (read.transientFailure) tally.readFailed(item);
    const targets = destinationsOf(read.evidence);
    await destinations.confirm(targets);
    return { finding: evaluate(item, read.evidence), destinations: targets, readFailed: read.transientFailure };
  }

  // ARG positives are trusted; everything else is confirmed through ARM before it may fail.
  return async (item: InventoryItem): Promise<Evaluation> => (await resourceGraphFinding(item)) ?? (await armFinding(item));
}

/** The row that records a resource leaving the scope: deleted, moved out of it, or no longer a vault. */
export function removedRow(id: string, scanId: string, at: Date, profile: ControlProfile): FindingRow {
  const parts = parseResourceId(id);
  return {
    TimeGenerated: at.toISOString(),
    ScanId: scanId,
    ControlId: auditLoggingControl.id,
    ResourceId: id,
    ResourceName: lastSegment(id),
    ResourceType: parts?.type ?? '',
    SubscriptionId: parts?.subscriptionId ?? '',
    ResourceGroup: parts?.resourceGroup ?? '',
    Location: '',
    AzureTenantId: '',
    Status: 'Removed',
    Reason: 'NotInScope',
    Detail: 'No longer listed in the scan\'s scope: deleted, moved out of the scope, or no longer a Key Vault or Managed HSM.',
    Severity: auditLoggingControl.severity,
    EvidenceSource: 'ResourceGraph',
    DiagnosticSettingCount: null,
    AuditSettings: [],
    AuditSources: [],
    Destinations: [],
    CisStrict: null,
    DisabledAuditEntry: null,
    Exemption: null,
    Remediation: '',
    Tags: {},
    Profile: profile,
    DeliveryCheck: 'NotChecked',
    LastAuditEventAt: null,
  };
}

/** Writes the scan row, last: a Complete row means every finding before it landed. Null when nothing is written. */
export async function writeScanRow(deps: Pick<ScanDependencies, 'sink' | 'log'>, scan: ScanRow): Promise<boolean | null> {
  if (!deps.sink) return null;
  const outcome = await deps.sink.upload(scansTable.streamName, [scan]);
  for (const failure of outcome.failures) deps.log.warn(failure);
  return outcome.accepted === 1;
}

/** What a scan tallies as it goes, for its row. */
export interface ScanTally {
  readonly startedAt: Date;
  readonly counts: Readonly<Record<ControlStatus, number>>;
  /** The wire counters when the scan began: its row counts the requests it sent. */
  readonly countersBefore: WireCounters;
}

type ScanRowFields = Omit<
  ScanRow,
  'TimeGenerated' | 'StartedAt' | 'FinishedAt' | 'DurationMs' | 'PassCount' | 'FailCount' | 'ExemptCount' | 'ErrorCount' | 'ArgQueries' | 'ArmCalls' | 'ArmThrottled' | 'Version'
>;

/** The scan's row, as it ends: its own fields, with the times, counts and requests every scan row derives alike. */
export function finishedScanRow(deps: Pick<ScanDependencies, 'now' | 'clients'>, tally: ScanTally, fields: ScanRowFields): ScanRow {
  const finishedAt = deps.now();
  const { counters } = deps.clients;
  return {
    TimeGenerated: finishedAt.toISOString(),
    StartedAt: tally.startedAt.toISOString(),
    FinishedAt: finishedAt.toISOString(),
    DurationMs: Math.max(0, finishedAt.getTime() - tally.startedAt.getTime()),
    PassCount: tally.counts.Pass,
    FailCount: tally.counts.Fail,
    ExemptCount: tally.counts.Exempt,
    ErrorCount: tally.counts.Error,
    ArgQueries: counters.argRequests - tally.countersBefore.argRequests,
    ArmCalls: counters.armRequests - tally.countersBefore.armRequests,
    ArmThrottled: counters.armThrottled - tally.countersBefore.armThrottled,
    Version: version,
    ...fields,
  };
}
