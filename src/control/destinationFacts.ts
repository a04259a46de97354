import type { DestinationKind, RetentionEvidence } from '../findings/schema.js';

/*
 * What ARM says of an audit destination beyond its existence, parsed at the edge (src/azure/destinationFacts.ts),
 * and the two rules the control applies to it: can Azure Monitor write there at all, and how long does it keep
 * what it gets. Pure: facts in, a problem or a retention out.
 *
 * Blocked (Learn: "Diagnostic settings in Azure Monitor", Destinations, MicrosoftDocs/azure-monitor-docs
 * articles/azure-monitor/platform/diagnostic-settings.md):
 *   - "Storage accounts must be in the same region as the resource that you're monitoring if the resource is
 *     regional", and "Event hubs must be in the same region …" likewise. Key Vaults and Managed HSMs are regional.
 *   - "Diagnostic settings can't access storage accounts [event hubs] when virtual networks are enabled. You must
 *     enable Allow trusted Microsoft services to bypass this firewall setting": a storage account whose
 *     networkAcls deny by default without `AzureServices` in `bypass`; an Event Hubs namespace that denies public
 *     traffic (publicNetworkAccess Disabled, or defaultAction Deny with IP or virtual network rules: without any
 *     rule the namespace stays open, Learn: "Allow access to Azure Event Hubs namespaces via private endpoints")
 *     with trustedServiceAccessEnabled false. Event Hubs lists "Azure Monitor (Diagnostic Settings and Action
 *     Groups)" among its trusted services, and they pass even when private endpoints are enabled.
 * Retention: a workspace keeps a table's rows for the table's total retention (Tables API 2022-10-01:
 * retentionInDays, totalRetentionInDays), the workspace default when the table has none; a storage account keeps
 * resource-log blobs until a lifecycle management rule deletes them, and not before a container's time-based
 * immutability period ends; an event hub's retention is whatever happens downstream of it.
 */

export interface WorkspaceFacts {
  readonly kind: 'workspace';
  readonly location: string | null;
  /** The workspace id (GUID) the Log Analytics query API takes. */
  readonly customerId: string | null;
  readonly retentionInDays: number | null;
}

export interface WorkspaceTableFacts {
  readonly kind: 'workspaceTable';
  readonly retentionInDays: number | null;
  readonly totalRetentionInDays: number | null;
}

export interface StorageAccountFacts {
  readonly kind: 'storageAccount';
  readonly location: string | null;
  /** networkAcls.defaultAction: Allow or Deny; null when absent (Allow). */
  readonly defaultAction: string | null;
  /** networkAcls.bypass, split: AzureServices, Logging, Metrics, None. */
  readonly bypass: readonly string[];
}

export interface LifecycleRule {
  readonly name: string;
  readonly enabled: boolean;
  /** filters.prefixMatch: `container/blob-prefix`; empty = every blob. */
  readonly prefixes: readonly string[];
  readonly blobTypes: readonly string[];
  /** The base blob's delete action: after so many days (since modification, creation or last access); null = none. */
  readonly deleteAfterDays: number | null;
}

export interface LifecyclePolicyFacts {
  readonly kind: 'lifecyclePolicy';
  readonly rules: readonly LifecycleRule[];
}

export interface ContainerFacts {
  readonly kind: 'container';
  readonly immutableDays: number | null;
  /** Locked or Unlocked; null without a time-based policy. */
  readonly immutabilityState: string | null;
}

export interface EventHubNamespaceFacts {
  readonly kind: 'eventHubNamespace';
  readonly location: string | null;
  readonly publicNetworkAccess: string | null;
}

export interface NetworkRuleSetFacts {
  readonly kind: 'networkRuleSet';
  readonly defaultAction: string | null;
  readonly publicNetworkAccess: string | null;
  readonly trustedServiceAccessEnabled: boolean | null;
  /** IP and virtual network rules together. */
  readonly ruleCount: number;
}

export type ResourceFacts =
  | WorkspaceFacts
  | WorkspaceTableFacts
  | StorageAccountFacts
  | LifecyclePolicyFacts
  | ContainerFacts
  | EventHubNamespaceFacts
  | NetworkRuleSetFacts;

/** What ARM answered for one evidence target, by normalized id: its facts, or that it does not exist. Absent = not seen. */
export type FactsAnswer = ResourceFacts | { readonly kind: 'absent' };
export type DestinationFactsMap = ReadonlyMap<string, FactsAnswer>;

/** Resource logs of Key Vault's AuditEvent category land in this container (Learn: "Resource logs", send to storage). */
export const auditLogContainer = 'insights-logs-auditevent';

/** The evidence targets of a destination, beyond the ones its existence rests on. Ids normalized. */
export function evidenceTargetsOf(kind: DestinationKind, approvalId: string, workspaceTable: string): string[] {
  switch (kind) {
    case 'LogAnalyticsWorkspace':
      return [approvalId, `${approvalId}/tables/${workspaceTable.toLowerCase()}`];
    case 'StorageAccount':
      return [approvalId, `${approvalId}/managementpolicies/default`, `${approvalId}/blobservices/default/containers/${auditLogContainer}`];
    case 'EventHub':
      return [approvalId, `${approvalId}/networkrulesets/default`];
    case 'PartnerSolution':
      return [];
  }
}

/** The answer for `id` when it is of the kind expected there (or absent); undefined when not seen. */
function factsOf<K extends FactsAnswer['kind']>(facts: DestinationFactsMap, id: string, kind: K): Extract<FactsAnswer, { kind: K | 'absent' }> | undefined {
  const answer = facts.get(id);
  return answer?.kind === kind || answer?.kind === 'absent' ? (answer as Extract<FactsAnswer, { kind: K | 'absent' }>) : undefined;
}

/** Region names as ARM and ARG disagree on them: `West Europe`, `westeurope`. */
const region = (location: string) => location.replace(/\s+/g, '').toLowerCase();

function crossRegion(what: string, location: string | null, vaultLocation: string): string | null {
  if (!location || !vaultLocation || region(location) === region(vaultLocation)) return null;
  return (
    `the ${what} is in ${location} and the vault in ${vaultLocation}: Azure Monitor sends a regional resource's logs only to a ` +
    `${what} in the same region; send them to one in ${vaultLocation}, or to a Log Analytics workspace (any region)`
  );
}

/** Why Azure Monitor cannot write to this destination, or null when nothing known stops it. */
export function blockedProblem(kind: DestinationKind, approvalId: string, facts: DestinationFactsMap, vaultLocation: string): string | null {
  if (kind === 'StorageAccount') {
    const account = factsOf(facts, approvalId, 'storageAccount');
    if (account?.kind !== 'storageAccount') return null;
    const denies = account.defaultAction?.toLowerCase() === 'deny';
    const trusted = account.bypass.some((b) => b.toLowerCase() === 'azureservices');
    if (denies && !trusted) {
      return (
        "the storage account's firewall denies by default (networkAcls.defaultAction Deny) and does not let trusted Microsoft " +
        "services bypass it: add AzureServices to networkAcls.bypass (az storage account update --bypass AzureServices)"
      );
    }
    return crossRegion('storage account', account.location, vaultLocation);
  }
  if (kind === 'EventHub') {
    const namespace = factsOf(facts, approvalId, 'eventHubNamespace');
    const rules = factsOf(facts, `${approvalId}/networkrulesets/default`, 'networkRuleSet');
    if (namespace?.kind !== 'eventHubNamespace') return null;
    const ruleSet = rules?.kind === 'networkRuleSet' ? rules : null;
    const disabled = [namespace.publicNetworkAccess, ruleSet?.publicNetworkAccess].some((p) => p?.toLowerCase() === 'disabled');
    const denies = ruleSet !== null && ruleSet.defaultAction?.toLowerCase() === 'deny' && ruleSet.ruleCount > 0;
    // Without the rule set, whether trusted services may pass is unknown: not Blocked on missing evidence.
    if ((disabled || denies) && ruleSet !== null && ruleSet.trustedServiceAccessEnabled !== true) {
      return (
        `the Event Hubs namespace ${disabled ? 'disables public network access' : 'denies public traffic by default'} and does not ` +
        'let trusted Microsoft services (Azure Monitor among them) bypass it: set trustedServiceAccessEnabled to true on its ' +
        'networkRuleSets/default (portal: Networking, "Allow trusted Microsoft services to bypass this firewall")'
      );
    }
    return crossRegion('event hub namespace', namespace.location, vaultLocation);
  }
  return null;
}

const unverified = (Basis: string): RetentionEvidence => ({
  Status: 'Unverified',
  TotalDays: null,
  InteractiveDays: null,
  ImmutableDays: null,
  ImmutabilityLocked: null,
  Basis,
  MeetsMinimum: null,
});

function known(retention: Omit<RetentionEvidence, 'Status' | 'MeetsMinimum'>, minimumDays: number | null): RetentionEvidence {
  const meets = minimumDays === null ? null : retention.TotalDays === null || retention.TotalDays >= minimumDays;
  return { Status: 'Known', ...retention, MeetsMinimum: meets };
}

function workspaceRetention(workspaceId: string, table: string, facts: DestinationFactsMap, minimumDays: number | null): RetentionEvidence {
  const workspace = factsOf(facts, workspaceId, 'workspace');
  const tableFacts = factsOf(facts, `${workspaceId}/tables/${table.toLowerCase()}`, 'workspaceTable');
  if (tableFacts?.kind === 'workspaceTable' && tableFacts.totalRetentionInDays !== null) {
    const interactive = tableFacts.retentionInDays ?? (workspace?.kind === 'workspace' ? workspace.retentionInDays : null);
    return known(
      { TotalDays: tableFacts.totalRetentionInDays, InteractiveDays: interactive, ImmutableDays: null, ImmutabilityLocked: null, Basis: `table ${table}` },
      minimumDays,
    );
  }
  if (workspace?.kind !== 'workspace' || workspace.retentionInDays === null) return unverified('the workspace could not be read');
  if (tableFacts?.kind !== 'absent') return unverified(`table ${table} could not be read`);
  const days = workspace.retentionInDays;
  return known({ TotalDays: days, InteractiveDays: days, ImmutableDays: null, ImmutabilityLocked: null, Basis: `workspace default (no table ${table} yet)` }, minimumDays);
}

/**
 * Resource logs are written as append blobs under `insights-logs-auditevent/resourceId=/SUBSCRIPTIONS/…` (the resource
 * id upper-cased): a lifecycle rule deletes them when one of its prefixes matches that path for this vault.
 */
function appliesTo(rule: LifecycleRule, vaultId: string): boolean {
  const path = `${auditLogContainer}/resourceId=${vaultId.toUpperCase()}/`;
  const prefixMatches = rule.prefixes.length === 0 || rule.prefixes.some((prefix) => path.startsWith(prefix) || prefix.startsWith(path));
  return rule.enabled && rule.deleteAfterDays !== null && prefixMatches && rule.blobTypes.some((t) => t.toLowerCase() === 'appendblob');
}

function storageRetention(accountId: string, vaultId: string, facts: DestinationFactsMap, minimumDays: number | null): RetentionEvidence {
  const policy = factsOf(facts, `${accountId}/managementpolicies/default`, 'lifecyclePolicy');
  const container = factsOf(facts, `${accountId}/blobservices/default/containers/${auditLogContainer}`, 'container');
  if (policy === undefined) return unverified('the lifecycle management policy could not be read');
  if (container === undefined) return unverified(`container ${auditLogContainer} could not be read`);
  const rules = policy.kind === 'lifecyclePolicy' ? policy.rules.filter((r) => appliesTo(r, vaultId)) : [];
  const shortest = rules.reduce<LifecycleRule | null>((min, r) => (min === null || r.deleteAfterDays! < min.deleteAfterDays! ? r : min), null);
  const immutableDays = container.kind === 'container' ? container.immutableDays : null;
  const locked = container.kind === 'container' && container.immutabilityState !== null ? container.immutabilityState.toLowerCase() === 'locked' : null;
  // A blob under a time-based immutability policy cannot be deleted before its period ends, whatever the rules say.
  const total = shortest === null ? null : Math.max(shortest.deleteAfterDays!, immutableDays ?? 0);
  const basis = shortest === null ? 'no lifecycle rule deletes them' : `lifecycle rule '${shortest.name}'`;
  return known({ TotalDays: total, InteractiveDays: null, ImmutableDays: immutableDays, ImmutabilityLocked: locked, Basis: basis }, minimumDays);
}

/** How long a destination keeps a vault's audit logs, from what ARM said of it. */
export function retentionOf(
  kind: DestinationKind,
  approvalId: string,
  workspaceTable: string,
  vaultId: string,
  facts: DestinationFactsMap,
  minimumDays: number | null,
): RetentionEvidence {
  switch (kind) {
    case 'LogAnalyticsWorkspace':
      return workspaceRetention(approvalId, workspaceTable, facts, minimumDays);
    case 'StorageAccount':
      return storageRetention(approvalId, vaultId, facts, minimumDays);
    case 'EventHub':
      return unverified('an event hub streams the logs on: how long they are kept is decided downstream of it');
    case 'PartnerSolution':
      return unverified("a partner solution keeps the logs under its own retention, out of the scanner's sight");
  }
}
