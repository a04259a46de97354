import { z } from 'zod';

/*
 * The one definition of the two Log Analytics tables. Row types, the column
 * JSON under infra/generated (loaded by the Bicep), the emulator's ingestion
 * validation and the KQL checks' table symbols are all derived from here.
 *
 * Log Analytics reserves some column names in custom tables (TenantId, Type, id,
 * _ResourceId, …), so the Azure tenant id is stored as AzureTenantId.
 */

/** What the control decides for a resource. */
export const controlStatuses = ['Pass', 'Fail', 'Exempt', 'Error'] as const;
/**
 * What a finding row records: the control's verdict, or that the resource left the scan's scope (deleted, moved
 * out, or no longer a vault). Scans that write only what changed say so explicitly; absence proves nothing.
 */
export const findingStatuses = [...controlStatuses, 'Removed'] as const;
export type ControlStatus = (typeof controlStatuses)[number];

const passReasons = ['AuditLogsDelivered'] as const;
/** Fail reasons, from closest to passing to furthest. */
const failReasons = [
  'CisCategoryGroupsMissing',
  'RetentionTooShort',
  'DestinationNotApproved',
  'DestinationBlocked',
  'DestinationNotFound',
  'NoDestination',
  'AuditLogsNotEnabled',
  'NoDiagnosticSettings',
] as const;
const exemptReasons = ['Exempted'] as const;
const errorReasons = ['AccessDenied', 'ReadFailed', 'MalformedRecord'] as const;
export const controlReasons = [...passReasons, ...failReasons, ...exemptReasons, ...errorReasons] as const;
export type ControlReason = (typeof controlReasons)[number];
export const findingReasons = [...controlReasons, 'NotInScope'] as const;
export type FailReason = (typeof failReasons)[number];
export type ErrorReason = (typeof errorReasons)[number];

const severities = ['Critical', 'High', 'Medium', 'Low', 'Informational'] as const;
const evidenceSources = ['ResourceGraph', 'ARM'] as const;
export type EvidenceSource = (typeof evidenceSources)[number];

export const auditSources = ['AuditEvent', 'audit', 'allLogs'] as const;
export type AuditSource = (typeof auditSources)[number];

const destinationKinds = ['LogAnalyticsWorkspace', 'StorageAccount', 'EventHub', 'PartnerSolution'] as const;
export type DestinationKind = (typeof destinationKinds)[number];
const destinationStatuses = ['Exists', 'Blocked', 'NotFound', 'Unverified'] as const;
export type DestinationStatus = (typeof destinationStatuses)[number];

export const controlProfiles = ['default', 'cis'] as const;
export type ControlProfile = (typeof controlProfiles)[number];

const retentionSchema = z.strictObject({
  Status: z.enum(['Known', 'Unverified']).describe('Known: read from the destination; Unverified: out of sight, or kept downstream (event hubs).'),
  TotalDays: z.int32().nonnegative().nullable().describe('Days the audit logs are kept in all, archive included; null when nothing deletes them, or when Unverified.'),
  InteractiveDays: z.int32().nonnegative().nullable().describe('Days a workspace keeps them queryable (interactive retention); null for other destinations.'),
  ImmutableDays: z.int32().nonnegative().nullable().describe('Days a storage container\'s time-based immutability policy keeps them from deletion; null without one.'),
  ImmutabilityLocked: z.boolean().nullable().describe('The immutability policy is locked (cannot be shortened or removed); null without one.'),
  Basis: z.string().describe('Where the retention comes from: the workspace table, the workspace default, a lifecycle rule, or why it is unknown.'),
  MeetsMinimum: z.boolean().nullable().describe('TotalDays reaches KV_AUDIT_MIN_RETENTION_DAYS; null when no minimum is set or the retention is Unverified.'),
});
export type RetentionEvidence = z.infer<typeof retentionSchema>;

const auditDestinationSchema = z.strictObject({
  Setting: z.string().describe('Name of the diagnostic setting that carries this destination.'),
  Kind: z.enum(destinationKinds).describe('LogAnalyticsWorkspace, StorageAccount, EventHub or PartnerSolution.'),
  Id: z.string().describe('Destination id exactly as the diagnostic setting holds it.'),
  Status: z.enum(destinationStatuses).describe('Exists / Blocked (Azure Monitor cannot write to it) / NotFound (known deleted) / Unverified (out of the scanner\'s sight).'),
  Approved: z.boolean().nullable().describe('On the approved-destinations list; null when no list is configured.'),
  Problem: z.string().nullable().describe('Why a Blocked destination cannot receive resource logs (the rule), and what to change.'),
  Retention: retentionSchema.nullable().describe('How long the destination keeps the audit logs; null for a destination known to be gone (NotFound).'),
});
export type AuditDestination = z.infer<typeof auditDestinationSchema>;

const deliveryChecks = ['NotChecked', 'EventsSeen', 'NoEvents', 'Stopped', 'Unverified'] as const;
export type DeliveryCheck = (typeof deliveryChecks)[number];

const exemptionStates = ['Active', 'Expired', 'Invalid', 'Disabled'] as const;
const exemptionSources = ['Tag', 'CentralList'] as const;
const exemptionSchema = z.strictObject({
  Source: z.enum(exemptionSources).describe('Tag (self-service, on the resource) or CentralList (KV_AUDIT_EXEMPTIONS, governed).'),
  Scope: z.string().nullable().describe('The resource, resource group or subscription a central-list entry covers; null for a tag.'),
  Reason: z.string(),
  Until: z.string().nullable().describe('Last day (UTC, YYYY-MM-DD) the exemption applies; null = no end date.'),
  ApprovedBy: z.string().nullable().describe('Who approved a central-list entry; null for a tag.'),
  State: z.enum(exemptionStates).describe('Active, Expired, Invalid, or Disabled (a tag while KV_AUDIT_TAG_EXEMPTIONS is off).'),
  Problem: z.string().nullable().describe('Why an Invalid, Expired or Disabled exemption was ignored.'),
});
export type Exemption = z.infer<typeof exemptionSchema>;

const isoTimestamp = () => z.iso.datetime();
const count = () => z.int32().nonnegative();

export const findingRowSchema = z.strictObject({
  TimeGenerated: isoTimestamp().describe('When the resource was evaluated (UTC).'),
  ScanId: z.uuid().describe('The scan that produced the finding; joins to KeyVaultAuditScans_CL.'),
  ControlId: z.string().describe('Id of the evaluated control.'),
  ResourceId: z.string().describe('Vault or Managed HSM resource id, lowercased (ARG and ARM disagree on casing).'),
  ResourceName: z.string().describe('Resource name as Azure spells it.'),
  ResourceType: z.string().describe('microsoft.keyvault/vaults or microsoft.keyvault/managedhsms.'),
  SubscriptionId: z.string().describe('Subscription of the resource.'),
  ResourceGroup: z.string().describe('Resource group of the resource.'),
  Location: z.string().describe('Azure region of the resource.'),
  AzureTenantId: z.string().describe('Azure AD tenant of the resource (TenantId is reserved in custom tables).'),
  Status: z
    .enum(findingStatuses)
    .describe('Pass, Fail, Exempt or Error (evidence could not be read; never a Fail); Removed when the resource left the scope.'),
  Reason: z.enum(findingReasons).describe('Why: AuditLogsDelivered, a Fail reason, Exempted, an Error reason, or NotInScope.'),
  Detail: z.string().describe('Human-readable explanation of the status.'),
  Severity: z.enum(severities).describe('Severity of the control.'),
  EvidenceSource: z.enum(evidenceSources).describe('Where the diagnostic settings were read (or attempted): ResourceGraph or ARM.'),
  DiagnosticSettingCount: count().nullable().describe('Number of diagnostic settings; null when they could not be read.'),
  AuditSettings: z.array(z.string()).describe('Names of the settings that deliver audit logs.'),
  AuditSources: z.array(z.enum(auditSources)).describe('Enabled audit entries across all settings.'),
  Destinations: z.array(auditDestinationSchema).describe('Destinations of settings that enable audit logs.'),
  Profile: z.enum(controlProfiles).describe('The rule the verdict follows: default (any audit source) or cis (audit and allLogs in one setting).'),
  CisStrict: z.boolean().nullable().describe('Some setting with a destination enables both the audit and allLogs category groups.'),
  DisabledAuditEntry: z
    .boolean()
    .nullable()
    .describe('Some setting carries an explicitly disabled AuditEvent/audit/allLogs entry.'),
  Exemption: exemptionSchema.nullable().describe('The exemption that applies or was ignored (central list first, then the tag), if any.'),
  DeliveryCheck: z
    .enum(deliveryChecks)
    .describe('Whether audit events were seen arriving: NotChecked, EventsSeen, NoEvents, Stopped (none since the setting changed), Unverified.'),
  LastAuditEventAt: isoTimestamp().nullable().describe('Latest AuditEvent of the resource found in its destination workspaces (30 days back); null when none or not checked.'),
  Remediation: z.string().describe('A ready command that fixes a failure; empty when nothing needs fixing.'),
  Tags: z.record(z.string(), z.string()).describe('Resource tags.'),
});
export type FindingRow = z.infer<typeof findingRowSchema>;

const scanTriggers = ['Timer', 'Event', 'Cli', 'Demo'] as const;
/**
 * Full: every resource in scope read and written. Incremental: only what may have changed was read, and only what
 * changed was written (with a Removed row for each resource that left the scope); the rest carries its last
 * finding forward. Event: the resources an Azure event named, re-read and written.
 */
export const scanModes = ['Full', 'Incremental', 'Event'] as const;
export type ScanMode = (typeof scanModes)[number];
export type ScanTrigger = (typeof scanTriggers)[number];
const scanScopeSchema = z.strictObject({
  Kind: z.enum(['Tenant', 'Subscriptions', 'ManagementGroups']),
  Ids: z.array(z.string()),
});
export type ScanScope = z.infer<typeof scanScopeSchema>;

export const scanRowSchema = z.strictObject({
  TimeGenerated: isoTimestamp().describe('When the scan row was written (after every finding).'),
  ScanId: z.uuid().describe('Unique per scan invocation; findings carry the same id.'),
  Trigger: z.enum(scanTriggers).describe('Timer (the scheduled function), Event (the event-driven function), Cli or Demo.'),
  Mode: z.enum(scanModes).describe('Full, Incremental (only what may have changed was read and written) or Event.'),
  Since: isoTimestamp()
    .nullable()
    .describe('Incremental: the start of the scan it builds on; changes since then (less an overlap) were looked for. Null otherwise.'),
  Scope: scanScopeSchema.describe('What the scan covered: the whole tenant, subscriptions or management groups.'),
  StartedAt: isoTimestamp().describe('When the scan started (UTC).'),
  FinishedAt: isoTimestamp().describe('When the last finding was written (UTC).'),
  DurationMs: z.int().nonnegative().describe('FinishedAt - StartedAt in milliseconds.'),
  Complete: z.boolean().describe('True only when every resource was evaluated and every finding row was accepted.'),
  InventoryComplete: z
    .boolean()
    .describe('The inventory listed every vault and Managed HSM in scope: a resource without a finding of this scan, once all its findings arrived, is gone.'),
  ResourceCount: count().describe('Vaults and Managed HSMs found in scope (Event: named by the events).'),
  PassCount: count().describe('Resources whose status is Pass as of this scan, carried forward or not.'),
  FailCount: count().describe('Resources whose status is Fail as of this scan.'),
  ExemptCount: count().describe('Resources whose status is Exempt as of this scan.'),
  ErrorCount: count().describe('Resources whose status is Error as of this scan.'),
  ResourcesRead: count().describe('Resources whose diagnostic settings were read through ARM in this scan.'),
  FindingsWritten: count().describe('Finding rows (Removed rows included) accepted by the Logs Ingestion API.'),
  ArgQueries: count().describe('Azure Resource Graph requests sent: pages and retries included.'),
  ArmCalls: count().describe('ARM requests sent (diagnostic-settings reads and destination checks): retries included.'),
  ArmThrottled: count().describe('ARM requests answered 429 (throttled).'),
  ResourceGraphHasDiagnosticSettings: z
    .boolean()
    .describe('Resource Graph returned diagnostic settings for at least one resource.'),
  Errors: z.array(z.string()).describe('What made the scan incomplete or degraded.'),
  Version: z.string().describe('kv-audit-monitor version.'),
});
export type ScanRow = z.infer<typeof scanRowSchema>;

/** A Log Analytics custom table and the DCR stream that feeds it. */
export interface TableContract {
  readonly tableName: string;
  readonly streamName: string;
  readonly schema: z.ZodObject;
}

export const findingsTable = {
  tableName: 'KeyVaultAuditFindings_CL',
  streamName: 'Custom-KeyVaultAuditFindings',
  schema: findingRowSchema,
} as const satisfies TableContract;

export const scansTable = {
  tableName: 'KeyVaultAuditScans_CL',
  streamName: 'Custom-KeyVaultAuditScans',
  schema: scanRowSchema,
} as const satisfies TableContract;

export const tables = [findingsTable, scansTable] as const;
