import { z } from 'zod';
import type { AuditSource, DestinationKind } from '../findings/schema.js';
import { evidenceTargetsOf } from './destinationFacts.js';
import { redactSecrets } from './redaction.js';
import { normalizeResourceId, parseResourceId } from './resourceId.js';

/*
 * A diagnostic setting in ARM REST shape (api-version 2021-05-01-preview), as both ARG and the ARM list API
 * return it. Parsed strictly where an entry can decide the verdict — a destination, or a log entry naming
 * AuditEvent, audit or allLogs, whose `enabled` must be a boolean, not "true" — and loosely everywhere else:
 * a malformed entry that cannot change the verdict (a metric, another log category) is skipped and said so,
 * so real-world oddities such as `"metrics": [""]` never hide a setting that delivers.
 */

/** "Each Azure resource can have up to five diagnostic settings" (Learn: "Diagnostic settings in Azure Monitor"). */
export const maxSettingsPerResource = 5;

const optionalId = z.string().nullish();

const logEntrySchema = z.looseObject({
  category: z.string().nullish(),
  categoryGroup: z.string().nullish(),
  enabled: z.boolean(),
});

const metricEntrySchema = z.looseObject({
  category: z.string().nullish(),
  enabled: z.boolean(),
});

const diagnosticSettingSchema = z.looseObject({
  name: z.string().min(1),
  properties: z.looseObject({
    workspaceId: optionalId,
    storageAccountId: optionalId,
    eventHubAuthorizationRuleId: optionalId,
    eventHubName: optionalId,
    serviceBusRuleId: optionalId,
    marketplacePartnerId: optionalId,
    logAnalyticsDestinationType: z.unknown().optional(),
    // The list API always returns logs, as an empty array when none: without it the record cannot say what it enables.
    logs: z.array(z.unknown(), "must be an array: without it the setting cannot say which logs it enables"),
    metrics: z.array(z.unknown()).nullish(),
  }),
});

export type LogEntry = z.infer<typeof logEntrySchema>;

export interface DiagnosticSetting {
  readonly name: string;
  readonly logs: readonly LogEntry[];
  readonly metrics: readonly z.infer<typeof metricEntrySchema>[];
  readonly destinations: readonly SettingDestination[];
  /** Malformed entries left out because they cannot decide the verdict, e.g. `metrics[0]: expected an object`. */
  readonly skippedEntries: readonly string[];
  /** Destination fields that hold something other than a resource id of their kind, and why: not destinations. */
  readonly rejectedDestinations: readonly string[];
  /** The workspace table it writes to: AZKVAuditLogs with logAnalyticsDestinationType Dedicated, else AzureDiagnostics. */
  readonly workspaceTable: WorkspaceTable;
  /** When the setting was last changed (systemData.lastModifiedAt, else createdAt); null when ARM does not say. */
  readonly changedAt: Date | null;
}

export type WorkspaceTable = 'AZKVAuditLogs' | 'AzureDiagnostics';

export interface SettingDestination {
  readonly kind: DestinationKind;
  /** As the setting holds it. */
  readonly id: string;
  /** What the approved list is matched against: the destination, or an event hub's namespace. */
  readonly approvalId: string;
  /**
   * The resources that must all exist for delivery to work, normalized: the destination itself; for an event
   * hub the authorization rule the setting sends with and, when the setting names one, the event hub.
   */
  readonly existenceTargets: readonly string[];
  /** What else is read of it, normalized: its network rules, region and retention (destinationFacts.ts). */
  readonly evidenceTargets: readonly string[];
}

/** One diagnostic-setting record as read: parsed, or why it could not be. */
export type SettingRecord =
  | { readonly ok: true; readonly setting: DiagnosticSetting }
  | { readonly ok: false; readonly name: string | null; readonly problem: string };

const destinationFields = [
  ['workspaceId', 'LogAnalyticsWorkspace'],
  ['storageAccountId', 'StorageAccount'],
  ['eventHubAuthorizationRuleId', 'EventHub'],
  ['marketplacePartnerId', 'PartnerSolution'],
] as const;

/** The resource types a destination of each kind can be; a partner solution can be any resource. */
const destinationTypes: Record<DestinationKind, { readonly types: ReadonlySet<string> | null; readonly what: string }> = {
  LogAnalyticsWorkspace: { types: new Set(['microsoft.operationalinsights/workspaces']), what: 'a Log Analytics workspace resource id' },
  StorageAccount: { types: new Set(['microsoft.storage/storageaccounts']), what: 'a storage account resource id' },
  EventHub: {
    types: new Set([
      'microsoft.eventhub/namespaces/authorizationrules',
      'microsoft.eventhub/namespaces/eventhubs/authorizationrules',
      // serviceBusRuleId, the legacy field, may name a Service Bus namespace's rule.
      'microsoft.servicebus/namespaces/authorizationrules',
    ]),
    what: 'an event hub authorization rule resource id',
  },
  PartnerSolution: { types: null, what: 'a resource id' },
};

/** Why a destination field's value is not a destination of its kind, or null when it is one. */
function destinationProblem(kind: DestinationKind, id: string): string | null {
  const type = parseResourceId(id)?.type;
  const { types, what } = destinationTypes[kind];
  return type && (types === null || types.has(type)) ? null : `is not ${what}`;
}

/** A value as it may be shown: credentials redacted, cut short. */
function shown(value: string): string {
  const safe = redactSecrets(value);
  return safe.length > 80 ? `${safe.slice(0, 80)}…` : safe;
}

const eventHubNamespace = /^(.*\/providers\/microsoft\.eventhub\/namespaces\/[^/]+)/;

/** Delivery to an event hub is approved by its namespace; every other destination is approved by its own id. */
export function destinationApprovalId(kind: DestinationKind, id: string): string {
  const normalized = normalizeResourceId(id);
  if (kind !== 'EventHub') return normalized;
  return eventHubNamespace.exec(normalized)?.[1] ?? normalized;
}

/** What must exist for an event hub destination: its authorization rule, and the named hub when there is one. */
function eventHubTargets(ruleId: string, eventHubName: string | null | undefined): string[] {
  const rule = normalizeResourceId(ruleId);
  const namespace = eventHubNamespace.exec(rule)?.[1];
  const hub = eventHubName?.trim();
  // A rule on the hub itself names the hub in its id; a namespace rule sends to the hub the setting names.
  const hubId = namespace && hub ? `${namespace}/eventhubs/${hub.toLowerCase()}` : null;
  return hubId && !rule.startsWith(`${hubId}/`) && parseResourceId(hubId) ? [rule, hubId] : [rule];
}

function destinationOf(kind: DestinationKind, id: string, eventHubName: string | null | undefined, table: WorkspaceTable): SettingDestination {
  const approvalId = destinationApprovalId(kind, id);
  return {
    kind,
    id,
    approvalId,
    existenceTargets: kind === 'EventHub' ? eventHubTargets(id, eventHubName) : [normalizeResourceId(id)],
    evidenceTargets: parseResourceId(approvalId) ? evidenceTargetsOf(kind, approvalId, table) : [],
  };
}

/** systemData is ARM's metadata, read loosely: a malformed one says nothing about audit logs, and changes no verdict. */
function changedAtOf(raw: unknown): Date | null {
  const systemData = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['systemData'] : undefined;
  if (typeof systemData !== 'object' || systemData === null) return null;
  const { lastModifiedAt, createdAt } = systemData as Record<string, unknown>;
  const at = [lastModifiedAt, createdAt].find((v): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v)));
  return at === undefined ? null : new Date(at);
}

/** Which audit source a log entry names, whether or not it is enabled. */
function auditSourceNamed(category: unknown, categoryGroup: unknown): AuditSource | null {
  if (typeof category === 'string' && category.toLowerCase() === 'auditevent') return 'AuditEvent';
  const group = typeof categoryGroup === 'string' ? categoryGroup.toLowerCase() : null;
  if (group === 'audit') return 'audit';
  if (group === 'alllogs') return 'allLogs';
  return null;
}

const describeIssues = (issues: readonly z.core.$ZodIssue[], prefix: string) =>
  issues
    .slice(0, 3)
    .map((issue) => `${[prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(record)'}: ${issue.message}`)
    .join('; ');

export function parseDiagnosticSetting(raw: unknown): SettingRecord {
  const parsed = diagnosticSettingSchema.safeParse(raw);
  const name = typeof raw === 'object' && raw !== null && 'name' in raw && typeof raw.name === 'string' ? raw.name : null;
  if (!parsed.success) return { ok: false, name, problem: describeIssues(parsed.error.issues, '') };
  const { properties } = parsed.data;

  const logs: LogEntry[] = [];
  const skippedEntries: string[] = [];
  for (const [i, entry] of properties.logs.entries()) {
    const parsedEntry = logEntrySchema.safeParse(entry);
    if (parsedEntry.success) {
      logs.push(parsedEntry.data);
      continue;
    }
    const fields = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    // An entry that names an audit source decides the verdict: it must be read exactly, or the record is unknown.
    if (auditSourceNamed(fields['category'], fields['categoryGroup']) !== null) {
      return { ok: false, name, problem: describeIssues(parsedEntry.error.issues, `properties.logs.${i}`) };
    }
    skippedEntries.push(describeIssues(parsedEntry.error.issues, `logs[${i}]`));
  }
  const metrics = (properties.metrics ?? []).flatMap((entry, i) => {
    const parsedEntry = metricEntrySchema.safeParse(entry);
    if (parsedEntry.success) return [parsedEntry.data];
    skippedEntries.push(describeIssues(parsedEntry.error.issues, `metrics[${i}]`));
    return [];
  });

  const workspaceTable: WorkspaceTable =
    typeof properties.logAnalyticsDestinationType === 'string' && properties.logAnalyticsDestinationType.toLowerCase() === 'dedicated'
      ? 'AZKVAuditLogs'
      : 'AzureDiagnostics';
  const destinations: SettingDestination[] = [];
  const rejectedDestinations: string[] = [];
  // serviceBusRuleId is the legacy field of an event hub's authorization rule, kept by the API for old settings.
  const fields = [...destinationFields, ['serviceBusRuleId', 'EventHub'] as const];
  for (const [field, kind] of fields) {
    // An empty string means "no destination" (the list API returns workspaceId: ""). Ids compare in NFC.
    const id = properties[field]?.normalize('NFC').trim();
    if (!id) continue;
    const problem = destinationProblem(kind, id);
    if (problem) rejectedDestinations.push(`${field} '${shown(id)}' ${problem}`);
    else if (!destinations.some((d) => d.kind === kind && normalizeResourceId(d.id) === normalizeResourceId(id))) {
      destinations.push(destinationOf(kind, id, properties.eventHubName, workspaceTable));
    }
  }
  return {
    ok: true,
    setting: { name: parsed.data.name, logs, metrics, destinations, skippedEntries, rejectedDestinations, workspaceTable, changedAt: changedAtOf(raw) },
  };
}

/**
 * The settings an answer lists for `resourceId`, each checked to belong to it: settings are tied to a resource only
 * by the request's URL, so one whose id names another resource (an id that changed the URL, a hostile answer) is
 * not this resource's evidence.
 */
export function settingsOfResource(resourceId: string, values: readonly unknown[]): SettingRecord[] {
  const owner = normalizeResourceId(resourceId);
  return values.map((raw) => {
    const record = parseDiagnosticSetting(raw);
    if (!record.ok) return record;
    const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'string' ? normalizeResourceId(raw.id) : null;
    const belongs =
      id !== null &&
      (id.startsWith(`${owner}/providers/microsoft.insights/diagnosticsettings/`) || id.startsWith(`${owner}/diagnosticsettings/`));
    return belongs ? record : { ok: false, name: record.setting.name, problem: `its id ${id === null ? 'is missing' : `'${shown(id)}'`} does not belong to this resource` };
  });
}

/** Which audit source a log entry names, whether or not it is enabled. */
export function auditSourceOf(entry: LogEntry): AuditSource | null {
  return auditSourceNamed(entry.category, entry.categoryGroup);
}

/** Audit sources a setting enables. */
export function enabledAuditSources(setting: DiagnosticSetting): AuditSource[] {
  return setting.logs.flatMap((entry) => {
    const source = entry.enabled ? auditSourceOf(entry) : null;
    return source ? [source] : [];
  });
}

/** Resources whose existence and facts decide the destinations of settings that enable audit: what the destination check must resolve. */
export function auditDestinationTargets(records: readonly SettingRecord[]): string[] {
  return records.flatMap((record) =>
    record.ok && enabledAuditSources(record.setting).length > 0
      ? record.setting.destinations.flatMap((d) => [...d.existenceTargets, ...d.evidenceTargets])
      : [],
  );
}
