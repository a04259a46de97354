import { z } from 'zod';
import type { AuditSource, DestinationKind } from '../findings/schema.js';
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
    logs: z.array(z.unknown()).nullish(),
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
}

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

function destinationOf(kind: DestinationKind, id: string, eventHubName: string | null | undefined): SettingDestination {
  return {
    kind,
    id,
    approvalId: destinationApprovalId(kind, id),
    existenceTargets: kind === 'EventHub' ? eventHubTargets(id, eventHubName) : [normalizeResourceId(id)],
  };
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
  for (const [i, entry] of (properties.logs ?? []).entries()) {
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

  const destinations = destinationFields.flatMap(([field, kind]) => {
    // An empty string means "no destination" (the list API returns workspaceId: "").
    const id = properties[field]?.trim();
    return id ? [destinationOf(kind, id, properties.eventHubName)] : [];
  });
  // serviceBusRuleId is the legacy field of an event hub's authorization rule, kept by the API for old settings.
  const legacyRule = properties.serviceBusRuleId?.trim();
  if (legacyRule && !destinations.some((d) => d.kind === 'EventHub' && normalizeResourceId(d.id) === normalizeResourceId(legacyRule))) {
    destinations.push(destinationOf('EventHub', legacyRule, properties.eventHubName));
  }
  return { ok: true, setting: { name: parsed.data.name, logs, metrics, destinations, skippedEntries } };
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

/** Resources whose existence decides the destinations of settings that enable audit: what the destination check must resolve. */
export function auditDestinationTargets(records: readonly SettingRecord[]): string[] {
  return records.flatMap((record) =>
    record.ok && enabledAuditSources(record.setting).length > 0 ? record.setting.destinations.flatMap((d) => d.existenceTargets) : [],
  );
}
