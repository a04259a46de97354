import { z } from 'zod';
import type { AuditSource, DestinationKind } from '../findings/schema.js';
import { normalizeResourceId } from './resourceId.js';

/*
 * A diagnostic setting in ARM REST shape (api-version 2021-05-01-preview), as
 * both ARG and the ARM list API return it. Parsed strictly where the control
 * reads a field — a string "true" for `enabled` is not a boolean — and loosely
 * everywhere else, so unknown fields and new categories never break a scan.
 */

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
    marketplacePartnerId: optionalId,
    logs: z.array(logEntrySchema).nullish(),
    metrics: z.array(metricEntrySchema).nullish(),
  }),
});

export type LogEntry = z.infer<typeof logEntrySchema>;

export interface DiagnosticSetting {
  readonly name: string;
  readonly logs: readonly LogEntry[];
  readonly metrics: readonly z.infer<typeof metricEntrySchema>[];
  readonly destinations: readonly SettingDestination[];
}

export interface SettingDestination {
  readonly kind: DestinationKind;
  /** As the setting holds it. */
  readonly id: string;
  /** The resource whose existence decides whether delivery can work (an event hub's namespace). */
  readonly targetId: string;
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

/** Delivery to an event hub depends on its namespace; every other destination is its own target. */
export function destinationTargetId(kind: DestinationKind, id: string): string {
  const normalized = normalizeResourceId(id);
  if (kind !== 'EventHub') return normalized;
  return eventHubNamespace.exec(normalized)?.[1] ?? normalized;
}

export function parseDiagnosticSetting(raw: unknown): SettingRecord {
  const parsed = diagnosticSettingSchema.safeParse(raw);
  if (!parsed.success) {
    const name = typeof raw === 'object' && raw !== null && 'name' in raw && typeof raw.name === 'string' ? raw.name : null;
    const problem = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, name, problem };
  }
  const { name, properties } = parsed.data;
  const destinations = destinationFields.flatMap(([field, kind]) => {
    // An empty string means "no destination" (the list API returns workspaceId: "").
    const id = properties[field]?.trim();
    return id ? [{ kind, id, targetId: destinationTargetId(kind, id) }] : [];
  });
  return { ok: true, setting: { name, logs: properties.logs ?? [], metrics: properties.metrics ?? [], destinations } };
}

/** Which audit source a log entry names, whether or not it is enabled. */
export function auditSourceOf(entry: LogEntry): AuditSource | null {
  if (entry.category?.toLowerCase() === 'auditevent') return 'AuditEvent';
  const group = entry.categoryGroup?.toLowerCase();
  if (group === 'audit') return 'audit';
  if (group === 'alllogs') return 'allLogs';
  return null;
}

/** Audit sources a setting enables. */
export function enabledAuditSources(setting: DiagnosticSetting): AuditSource[] {
  return setting.logs.flatMap((entry) => {
    const source = entry.enabled ? auditSourceOf(entry) : null;
    return source ? [source] : [];
  });
}

/** Targets of the destinations of settings that enable audit: what destination lookup must resolve. */
export function auditDestinationTargets(records: readonly SettingRecord[]): string[] {
  return records.flatMap((record) =>
    record.ok && enabledAuditSources(record.setting).length > 0 ? record.setting.destinations.map((d) => d.targetId) : [],
  );
}
