import type { EstateDiagnosticSetting } from './estate.js';

/*
 * Diagnostic settings exactly as ARM's list API returns them, for the estates the emulator ships (the demo's
 * and the generated ones): every destination field present, ARM's lowercased id prefix, retention off.
 */

type Json = NonNullable<EstateDiagnosticSetting['properties']>;

export interface LogEntry {
  readonly category?: string;
  readonly categoryGroup?: string;
  /** A string where a hand-written setting gets it wrong. */
  readonly enabled: boolean | string;
}

// One object for every entry: a generated estate stays small however many settings it holds.
const retentionPolicy = { enabled: false, days: 0 };

export const logEntries = (...entries: readonly LogEntry[]): Json[] =>
  entries.map((entry) => ({ category: null, categoryGroup: null, ...entry, retentionPolicy }));

export const metricEntries = (...categories: readonly string[]): Json[] =>
  categories.map((category) => ({ category, timeGrain: null, enabled: true, retentionPolicy }));

export interface SettingParts {
  readonly name: string;
  readonly logs?: Json[];
  readonly metrics?: Json[];
  readonly workspaceId?: string;
  readonly storageAccountId?: string;
  readonly eventHubAuthorizationRuleId?: string;
  readonly eventHubName?: string;
  /** When the setting was last changed (ARM's systemData); absent, the setting carries none. */
  readonly changedAt?: string;
}

/** `withoutProvider`: the id form some settings have, without `/providers/microsoft.insights`. */
export function listedDiagnosticSetting(resourceId: string, parts: SettingParts, idStyle: 'standard' | 'withoutProvider' = 'standard'): EstateDiagnosticSetting {
  const prefix = idStyle === 'standard' ? '/providers/microsoft.insights' : '';
  return {
    id: `${resourceId.toLowerCase()}${prefix}/diagnosticSettings/${parts.name}`,
    type: 'Microsoft.Insights/diagnosticSettings',
    name: parts.name,
    properties: {
      storageAccountId: parts.storageAccountId ?? null,
      serviceBusRuleId: null,
      eventHubAuthorizationRuleId: parts.eventHubAuthorizationRuleId ?? null,
      eventHubName: parts.eventHubName ?? null,
      workspaceId: parts.workspaceId ?? null,
      marketplacePartnerId: null,
      logAnalyticsDestinationType: parts.workspaceId ? 'Dedicated' : null,
      metrics: parts.metrics ?? [],
      logs: parts.logs ?? [],
    },
    ...(parts.changedAt ? { systemData: { createdAt: parts.changedAt, lastModifiedAt: parts.changedAt } } : {}),
  };
}
