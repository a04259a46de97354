import type {
  AuditDestination,
  AuditSource,
  ControlProfile,
  ControlReason,
  ControlStatus,
  DestinationKind,
  ErrorReason,
  EvidenceSource,
  Exemption,
  FailReason,
  FindingRow,
} from '../findings/schema.js';
import { auditSources } from '../findings/schema.js';
import { auditLoggingControl } from './auditLogging.metadata.js';
import {
  type DiagnosticSetting,
  type SettingRecord,
  auditSourceOf,
  destinationApprovalId,
  enabledAuditSources,
  maxSettingsPerResource,
} from './diagnosticSetting.js';
import { type DeliveryEvidence, deliveryVerdict } from './delivery.js';
import { type DestinationFactsMap, blockedProblem, retentionOf } from './destinationFacts.js';
import { type CentralExemption, centralExemption, readExemption } from './exemption.js';
import { redactSecrets } from './redaction.js';
import { azCliRemediation, shellQuote } from './remediation.js';
import { lastSegment, normalizeResourceId } from './resourceId.js';

/*
 * The control "Key Vault audit logging is delivered": a pure function from one
 * resource's evidence to one finding. No I/O; everything it knows is passed in.
 */

export interface VaultResource {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly tenantId: string;
  readonly tags: Readonly<Record<string, string>>;
}

export type SettingsEvidence =
  | { readonly state: 'Read'; readonly source: EvidenceSource; readonly records: readonly SettingRecord[] }
  | { readonly state: 'Unreadable'; readonly source: EvidenceSource; readonly reason: ErrorReason; readonly message: string };

export interface VaultEvidence {
  readonly resource: VaultResource;
  readonly settings: SettingsEvidence;
  /**
   * What ARM said of the resources destinations depend on, by normalized id (a workspace, an event hub's
   * authorization rule and hub, …). Absent = out of the scanner's sight, or not confirmed.
   */
  readonly destinationExistence: ReadonlyMap<string, 'Exists' | 'NotFound'>;
  /** What ARM said of the destinations' network rules, regions and retention, by normalized id; absent = not read. */
  readonly destinationFacts?: DestinationFactsMap;
  /** What the delivery check found in the destination workspaces; absent or null when it did not run. */
  readonly delivery?: DeliveryEvidence;
}

export interface ControlPolicy {
  /** Name of the tag that exempts a resource. */
  readonly exemptionTag: string;
  /** Normalized destination ids audit logs may go to; null accepts any destination. */
  readonly approvedDestinations: ReadonlySet<string> | null;
  /** Workspace the remediation command points at; null prints a placeholder. */
  readonly remediationWorkspaceId: string | null;
  /** default: any audit source passes; cis: one setting must enable both the audit and allLogs groups. */
  readonly profile: ControlProfile;
  /** Days audit logs must be kept (KV_AUDIT_MIN_RETENTION_DAYS); null: retention is evidence only. */
  readonly minRetentionDays: number | null;
  /** The central exemption list (KV_AUDIT_EXEMPTIONS). */
  readonly exemptions: readonly CentralExemption[];
  /** Whether the exemption tag may exempt (KV_AUDIT_TAG_EXEMPTIONS). */
  readonly tagExemptions: boolean;
}

/** The control's verdict on one resource: a finding row without the scan's fields, never Removed. */
export type Finding = Omit<FindingRow, 'TimeGenerated' | 'ScanId' | 'Status' | 'Reason'> & {
  readonly Status: ControlStatus;
  readonly Reason: ControlReason;
};

type Verdict = Pick<Finding, 'Status' | 'Reason' | 'Detail'>;

interface SettingAssessment {
  readonly setting: DiagnosticSetting;
  readonly sources: readonly AuditSource[];
  readonly destinations: readonly AuditDestination[];
}

const kindLabels: Record<DestinationKind, string> = {
  LogAnalyticsWorkspace: 'Log Analytics workspace',
  StorageAccount: 'storage account',
  EventHub: 'event hub namespace',
  PartnerSolution: 'partner solution',
};

const maxListedNames = 5;
/** Azure allows 5 settings with 4 destinations each; more than this is a hostile record, not evidence worth a row. */
const maxEvidenceDestinations = 50;

/** "a, b and 3 more": details stay readable however many settings a hostile record carries. */
function listSome(items: readonly string[], separator = ', '): string {
  const shown = items.slice(0, maxListedNames).join(separator);
  const rest = items.length - maxListedNames;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

const quoteList = (names: readonly string[]) => listSome(names.map((n) => `'${n}'`));

/** How long a destination keeps the logs, as a phrase: "kept 730 days", "kept until deleted"; empty when unknown. */
function keptFor(d: AuditDestination): string {
  if (d.Retention?.Status !== 'Known') return '';
  return d.Retention.TotalDays === null ? ', kept until deleted' : `, kept ${d.Retention.TotalDays} days`;
}

function describeDestinations(destinations: readonly AuditDestination[], why: (d: AuditDestination) => string = () => ''): string {
  return listSome(
    destinations.map((d) => {
      const approval = d.Approved === false ? ', not approved' : '';
      return `${kindLabels[d.Kind]} '${lastSegment(destinationApprovalId(d.Kind, d.Id))}' (${d.Status}${approval}${keptFor(d)}${why(d)})`;
    }),
  );
}

/** Azure Monitor can write there: it exists (or cannot be checked) and nothing known blocks it. */
const isReachable = (d: AuditDestination) => d.Status !== 'NotFound' && d.Status !== 'Blocked';

/** A destination audit logs can actually reach, are allowed to go to, and stay in long enough. */
function isUsable(destination: AuditDestination): boolean {
  return isReachable(destination) && destination.Approved !== false && destination.Retention?.MeetsMinimum !== false;
}

/**
 * A destination exists when everything it depends on was seen to exist; it is gone when any of it is known
 * to be gone (a deleted authorization rule breaks delivery to a namespace that still exists).
 */
function destinationStatus(targets: readonly string[], existence: VaultEvidence['destinationExistence']): AuditDestination['Status'] {
  const known = targets.map((target) => existence.get(target));
  if (known.includes('NotFound')) return 'NotFound';
  return known.length > 0 && known.every((status) => status === 'Exists') ? 'Exists' : 'Unverified';
}

const noFacts: DestinationFactsMap = new Map();

function assess(setting: DiagnosticSetting, evidence: VaultEvidence, policy: ControlPolicy): SettingAssessment {
  const approved = policy.approvedDestinations;
  const facts = evidence.destinationFacts ?? noFacts;
  const vaultId = normalizeResourceId(evidence.resource.id);
  return {
    setting,
    sources: enabledAuditSources(setting),
    destinations: setting.destinations.map((d) => {
      const status = destinationStatus(d.existenceTargets, evidence.destinationExistence);
      const problem = status === 'NotFound' ? null : blockedProblem(d.kind, d.approvalId, facts, evidence.resource.location);
      return {
        Setting: setting.name,
        Kind: d.kind,
        Id: d.id,
        Status: problem ? 'Blocked' : status,
        Approved: approved ? approved.has(d.approvalId) || approved.has(normalizeResourceId(d.id)) : null,
        Problem: problem,
        Retention: status === 'NotFound' ? null : retentionOf(d.kind, d.approvalId, setting.workspaceTable, vaultId, facts, policy.minRetentionDays),
      };
    }),
  };
}

/** The audit sources a profile asks of one setting: any for default; both the audit and allLogs groups for cis (CIS's wording). */
const enablesProfileSources = (sources: readonly AuditSource[], profile: ControlProfile) =>
  profile === 'cis' ? sources.includes('audit') && sources.includes('allLogs') : sources.length > 0;

function delivers(assessment: SettingAssessment, profile: ControlProfile): boolean {
  return enablesProfileSources(assessment.sources, profile) && assessment.destinations.some(isUsable);
}

/** What settings that enable no audit source do enable, e.g. "enables only metrics AllMetrics". */
function describeWhatIsEnabled(settings: readonly DiagnosticSetting[]): string {
  const logs = new Set<string>();
  const metrics = new Set<string>();
  for (const setting of settings) {
    for (const entry of setting.logs) if (entry.enabled) logs.add(entry.category ?? `group ${entry.categoryGroup ?? '?'}`);
    for (const entry of setting.metrics) if (entry.enabled) metrics.add(entry.category ?? '?');
  }
  const parts = [
    ...(logs.size > 0 ? [`logs ${listSome([...logs])}`] : []),
    ...(metrics.size > 0 ? [`metrics ${listSome([...metrics])}`] : []),
  ];
  const verb = settings.length === 1 ? 'enables' : 'enable';
  return parts.length > 0 ? `${verb} only ${parts.join('; ')}` : `${verb} nothing`;
}

function failVerdict(assessments: readonly SettingAssessment[], policy: Pick<ControlPolicy, 'profile' | 'minRetentionDays'>): Verdict & { Reason: FailReason } {
  const auditing = assessments.filter((a) => a.sources.length > 0);
  const auditDestinations = auditing.flatMap((a) => a.destinations);
  const fail = (Reason: FailReason, Detail: string) => ({ Status: 'Fail' as const, Reason, Detail });

  const deliveringAnySource = auditing.filter((a) => delivers(a, 'default'));
  if (policy.profile === 'cis' && deliveringAnySource.length > 0) {
    return fail(
      'CisCategoryGroupsMissing',
      `Audit logs are delivered by ${quoteList(deliveringAnySource.map((a) => a.setting.name))}, but no setting with a usable destination ` +
        'enables both the audit and allLogs category groups, as the CIS profile (CIS Azure Foundations 6.1.1.4) requires: enable both in one setting.',
    );
  }
  const reachable = auditDestinations.filter(isReachable);
  const tooShort = reachable.filter((d) => d.Approved !== false && d.Retention?.MeetsMinimum === false);
  if (tooShort.length > 0) {
    return fail(
      'RetentionTooShort',
      `Audit logs go only to destinations that keep them less than the required ${policy.minRetentionDays} days (KV_AUDIT_MIN_RETENTION_DAYS): ` +
        `${describeDestinations(tooShort, (d) => `: ${d.Retention?.Basis ?? ''}`)}. Lengthen the retention, or add a destination that keeps them long enough.`,
    );
  }
  if (reachable.length > 0) {
    return fail('DestinationNotApproved', `Audit logs go only to destinations not on the approved list: ${describeDestinations(reachable)}.`);
  }
  const blocked = auditDestinations.filter((d) => d.Status === 'Blocked');
  if (blocked.length > 0) {
    return fail(
      'DestinationBlocked',
      `Audit logs go only to destinations Azure Monitor cannot write to: ${describeDestinations(blocked, (d) => `: ${d.Problem ?? ''}`)}.`,
    );
  }
  if (auditDestinations.length > 0) {
    return fail('DestinationNotFound', `Audit logs go only to destinations that no longer exist: ${describeDestinations(auditDestinations)}.`);
  }
  if (auditing.length > 0) {
    return fail('NoDestination', `Setting ${quoteList(auditing.map((a) => a.setting.name))} enables audit logs but sends them nowhere.`);
  }
  if (assessments.length > 0) {
    const count = assessments.length;
    return fail(
      'AuditLogsNotEnabled',
      `No diagnostic setting enables AuditEvent or the audit/allLogs group; the ${count === 1 ? 'only setting' : `${count} settings`} ${describeWhatIsEnabled(assessments.map((a) => a.setting))}.`,
    );
  }
  return fail('NoDiagnosticSettings', 'No diagnostic settings: secret, key and certificate operations are not logged anywhere.');
}

function passVerdict(delivering: readonly SettingAssessment[], profile: ControlProfile): Verdict {
  const sources = [...new Set(delivering.flatMap((a) => a.sources))];
  const destinations = delivering.flatMap((a) => a.destinations.filter(isUsable));
  const unverified = destinations.some((d) => d.Status === 'Unverified')
    ? ' Unverified destinations are outside what the scanner can read; delivery to them is assumed.'
    : '';
  const cis = profile === 'cis' ? ' (CIS profile: audit and allLogs in one setting)' : '';
  return {
    Status: 'Pass',
    Reason: 'AuditLogsDelivered',
    Detail: `Audit logs (${sources.join(', ')}) are delivered${cis} by ${quoteList(delivering.map((a) => a.setting.name))} to ${describeDestinations(destinations)}.${unverified}`,
  };
}

/** The central list first (governed), then the tag; an active exemption wins over an expired or invalid one. */
function exemptionOf(resource: VaultResource, policy: ControlPolicy, now: Date): Exemption | null {
  const central = centralExemption(resource.id, policy.exemptions, now);
  const tag = readExemption(resource.tags, policy.exemptionTag, now, policy.tagExemptions);
  return [central, tag].find((e) => e?.State === 'Active') ?? central ?? tag;
}

function exemptionSource(exemption: Exemption, tagName: string): string {
  return exemption.Source === 'CentralList'
    ? `the central exemption list entry for ${exemption.Scope ?? '?'}, approved by ${exemption.ApprovedBy ?? '?'}`
    : `tag '${tagName}'`;
}

function applyExemption(verdict: Verdict, exemption: Exemption | null, tagName: string): Verdict {
  if (exemption === null) return verdict;
  const source = exemptionSource(exemption, tagName);
  // Only a Fail can be exempted: an Error is missing evidence, and an exemption never hides it.
  if (verdict.Status === 'Fail' && exemption.State === 'Active') {
    const until = exemption.Until ? `until ${exemption.Until}` : 'with no end date';
    return {
      Status: 'Exempt',
      Reason: 'Exempted',
      Detail: `Exempted ${until} by ${source}: ${exemption.Reason}. Without the exemption: Fail (${verdict.Reason}). ${verdict.Detail}`,
    };
  }
  const what = exemption.Source === 'CentralList' ? `Central exemption for ${exemption.Scope ?? '?'}` : `Exemption tag '${tagName}'`;
  if (exemption.State !== 'Active') return { ...verdict, Detail: `${verdict.Detail} ${what} ignored: ${exemption.Problem}.` };
  return verdict.Status === 'Pass' ? { ...verdict, Detail: `${verdict.Detail} ${what} is present but not needed.` } : verdict;
}

/** "Not destinations: 'law' workspaceId 'garbage' is not a Log Analytics workspace resource id". */
function describeRejectedDestinations(settings: readonly DiagnosticSetting[]): string[] {
  const rejected = settings.flatMap((s) => s.rejectedDestinations.map((why) => `'${s.name}' ${why}`));
  return rejected.length === 0 ? [] : [`Not destinations: ${listSome(rejected, ' | ')}.`];
}

/** "Ignored 2 malformed entries that cannot change the verdict: 'a' metrics[0]: …": nothing is dropped unsaid. */
function describeSkippedEntries(settings: readonly DiagnosticSetting[]): string[] {
  const skipped = settings.flatMap((s) => s.skippedEntries.map((entry) => `'${s.name}' ${entry}`));
  if (skipped.length === 0) return [];
  const entries = skipped.length === 1 ? 'entry' : 'entries';
  return [`Ignored ${skipped.length} malformed ${entries} that cannot change the verdict (not an audit source or destination): ${listSome(skipped, ' | ')}.`];
}

function errorRemediation(reason: ErrorReason, resourceId: string): string {
  switch (reason) {
    case 'AccessDenied':
      return `Grant the scanner's identity Reader (Microsoft.Insights/diagnosticSettings/read) on ${resourceId} or its subscription.`;
    case 'ReadFailed':
      return 'Transient or service-side failure; the next scan retries. If it persists, check Azure service health and the Detail.';
    case 'MalformedRecord':
      return `Inspect the settings with: az monitor diagnostic-settings list --resource ${shellQuote(resourceId)}`;
  }
}

export function evaluateAuditLogging(evidence: VaultEvidence, policy: ControlPolicy, now: Date): Finding {
  const { resource, settings } = evidence;
  const resourceId = normalizeResourceId(resource.id);
  const exemption = exemptionOf(resource, policy, now);
  const delivery = evidence.delivery ?? null;
  const common = {
    ControlId: auditLoggingControl.id,
    ResourceId: resourceId,
    ResourceName: resource.name,
    ResourceType: resource.type.toLowerCase(),
    SubscriptionId: resource.subscriptionId,
    ResourceGroup: resource.resourceGroup,
    Location: resource.location,
    AzureTenantId: resource.tenantId,
    Severity: auditLoggingControl.severity,
    EvidenceSource: settings.source,
    Profile: policy.profile,
    Exemption: exemption,
    Tags: { ...resource.tags },
  };

  if (settings.state === 'Unreadable') {
    return redacted({
      ...common,
      Status: 'Error',
      Reason: settings.reason,
      Detail: `Diagnostic settings could not be read from ${settings.source}: ${settings.message}`,
      DiagnosticSettingCount: null,
      AuditSettings: [],
      AuditSources: [],
      Destinations: [],
      CisStrict: null,
      DisabledAuditEntry: null,
      DeliveryCheck: delivery === null ? 'NotChecked' : 'Unverified',
      LastAuditEventAt: null,
      Remediation: errorRemediation(settings.reason, resourceId),
    });
  }

  const malformed = settings.records.filter((r) => !r.ok);
  const assessments = settings.records.flatMap((r) => (r.ok ? [assess(r.setting, evidence, policy)] : []));
  const delivering = assessments.filter((a) => delivers(a, policy.profile));
  const enabledSources = new Set(assessments.flatMap((a) => a.sources));
  const cisStrict = assessments.some(
    (a) => a.destinations.length > 0 && a.sources.includes('audit') && a.sources.includes('allLogs'),
  );
  const disabledAuditEntry = assessments.some((a) =>
    a.setting.logs.some((entry) => !entry.enabled && auditSourceOf(entry) !== null),
  );
  // With unreadable records, "no setting does X" is unknown, not false.
  const unknownUnlessTrue = (value: boolean) => (value || malformed.length === 0 ? value : null);

  let verdict: Verdict;
  if (settings.records.length > maxSettingsPerResource) {
    // More settings than Azure allows is no real list: neither a Pass nor a Fail may rest on it.
    const alone = delivering.length > 0 ? 'Pass' : `Fail (${failVerdict(assessments, policy).Reason})`;
    verdict = {
      Status: 'Error',
      Reason: 'MalformedRecord',
      Detail: `The resource lists ${settings.records.length} diagnostic settings, but Azure allows at most ${maxSettingsPerResource} per resource: the list cannot be trusted, and its destinations were not checked. Taken at face value it would give ${alone}.`,
    };
  } else if (delivering.length > 0) {
    verdict = passVerdict(delivering, policy.profile);
  } else if (malformed.length > 0) {
    // A record we cannot read might be the one that delivers: never Fail without evidence.
    const problems = malformed.map((r) => `${r.name === null ? 'unnamed setting' : `'${r.name}'`}: ${r.problem}`);
    verdict = {
      Status: 'Error',
      Reason: 'MalformedRecord',
      Detail: `${malformed.length} of ${settings.records.length} diagnostic settings could not be parsed (${listSome(problems, ' | ')}); the readable ones alone would give Fail (${failVerdict(assessments, policy).Reason}).`,
    };
  } else {
    verdict = failVerdict(assessments, policy);
  }
  verdict = applyExemption(verdict, exemption, policy.exemptionTag);

  const remediation =
    verdict.Status === 'Fail' || verdict.Status === 'Exempt'
      ? azCliRemediation(resourceId, policy.remediationWorkspaceId, policy.profile)
      : verdict.Status === 'Error'
        ? errorRemediation('MalformedRecord', resourceId)
        : '';

  const auditing = assessments.filter((a) => a.sources.length > 0);
  const destinations = auditing.flatMap((a) => a.destinations);
  const unlisted = destinations.length - maxEvidenceDestinations;
  const workspaces = [
    ...new Set(destinations.filter((d) => d.Kind === 'LogAnalyticsWorkspace' && d.Status !== 'NotFound').map((d) => normalizeResourceId(d.Id))),
  ];
  const changes = auditing.flatMap((a) => (a.setting.changedAt ? [a.setting.changedAt.getTime()] : []));
  const arrival = deliveryVerdict(resourceId, workspaces, changes.length > 0 ? new Date(Math.max(...changes)) : null, delivery, now);
  const notes = [
    ...(arrival.note ? [arrival.note] : []),
    ...(unlisted > 0 ? [`(${unlisted} more audit destinations are not listed in Destinations.)`] : []),
    ...describeRejectedDestinations(assessments.map((a) => a.setting)),
    ...describeSkippedEntries(assessments.map((a) => a.setting)),
  ];
  return redacted({
    ...common,
    ...verdict,
    Detail: [verdict.Detail, ...notes].join(' '),
    DiagnosticSettingCount: settings.records.length,
    AuditSettings: delivering.map((a) => a.setting.name),
    AuditSources: auditSources.filter((s) => enabledSources.has(s)),
    Destinations: destinations.slice(0, maxEvidenceDestinations),
    CisStrict: unknownUnlessTrue(cisStrict),
    DisabledAuditEntry: unknownUnlessTrue(disabledAuditEntry),
    DeliveryCheck: arrival.check,
    LastAuditEventAt: arrival.lastAuditEventAt?.toISOString() ?? null,
    Remediation: remediation,
  });
}

/**
 * The finding with every value someone else wrote (setting names and fields, tags, the exemption reason) cleared of
 * anything that looks like a credential: a finding is copied into Log Analytics, files and terminals.
 */
function redacted(finding: Finding): Finding {
  return {
    ...finding,
    Detail: redactSecrets(finding.Detail),
    AuditSettings: finding.AuditSettings.map(redactSecrets),
    Destinations: finding.Destinations.map((d) => ({ ...d, Setting: redactSecrets(d.Setting), Id: redactSecrets(d.Id) })),
    Exemption: finding.Exemption && { ...finding.Exemption, Reason: redactSecrets(finding.Exemption.Reason) },
    Tags: Object.fromEntries(Object.entries(finding.Tags).map(([name, value]) => [name, redactSecrets(value)])),
  };
}
