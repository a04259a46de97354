import type { ControlPolicy, SettingsEvidence, VaultEvidence, VaultResource } from '../../src/control/auditLogging.js';
import type { DeliveryEvidence } from '../../src/control/delivery.js';
import type { FactsAnswer } from '../../src/control/destinationFacts.js';
import { parseDiagnosticSetting } from '../../src/control/diagnosticSetting.js';
import type { EvidenceSource } from '../../src/findings/schema.js';

/** Builders for control inputs: realistic ARM REST shapes with only the interesting parts spelled out. */

export const subscriptionId = '11111111-1111-1111-1111-111111111111';
export const tenantId = '22222222-2222-2222-2222-222222222222';

export const ids = {
  workspace: `/subscriptions/${subscriptionId}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central`,
  otherWorkspace: `/subscriptions/${subscriptionId}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-team`,
  storage: `/subscriptions/${subscriptionId}/resourceGroups/rg-logs/providers/Microsoft.Storage/storageAccounts/stauditarchive`,
  eventHubNamespace: `/subscriptions/${subscriptionId}/resourceGroups/rg-siem/providers/Microsoft.EventHub/namespaces/ehn-siem`,
  eventHubRule: `/subscriptions/${subscriptionId}/resourceGroups/rg-siem/providers/Microsoft.EventHub/namespaces/ehn-siem/authorizationrules/RootManageSharedAccessKey`,
  partner: `/subscriptions/${subscriptionId}/resourceGroups/rg-siem/providers/Microsoft.Datadog/monitors/dd1`,
};

export function vault(overrides: Partial<VaultResource> = {}): VaultResource {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-app`,
    name: 'kv-app',
    type: 'microsoft.keyvault/vaults',
    subscriptionId,
    resourceGroup: 'rg-app',
    location: 'westeurope',
    tenantId,
    tags: {},
    ...overrides,
  };
}

export const managedHsm = (): VaultResource =>
  vault({
    id: `/subscriptions/${subscriptionId}/resourceGroups/rg-hsm/providers/Microsoft.KeyVault/managedHSMs/hsm-pay`,
    name: 'hsm-pay',
    type: 'Microsoft.KeyVault/managedHSMs',
    resourceGroup: 'rg-hsm',
  });

type Log = { category?: string | null; categoryGroup?: string | null; enabled: boolean };

export interface SettingParts {
  logs?: Log[];
  metrics?: { category: string; enabled: boolean }[];
  workspaceId?: string;
  storageAccountId?: string;
  eventHubAuthorizationRuleId?: string;
  eventHubName?: string;
  /** The legacy field of an event hub authorization rule. */
  serviceBusRuleId?: string;
  marketplacePartnerId?: string;
  logAnalyticsDestinationType?: string;
  /** ARM's metadata: when the setting was last changed. */
  lastModifiedAt?: string;
}

/** A diagnostic setting as the ARM list API returns it. */
export function setting(name: string, parts: SettingParts = {}): Record<string, unknown> {
  const { logs = [], metrics = [], lastModifiedAt, ...destinations } = parts;
  return {
    id: `${vault().id}/providers/microsoft.insights/diagnosticSettings/${name}`,
    type: 'Microsoft.Insights/diagnosticSettings',
    name,
    properties: { ...destinations, logs, metrics },
    ...(lastModifiedAt ? { systemData: { createdAt: lastModifiedAt, lastModifiedAt } } : {}),
  };
}

export const audit: Log = { categoryGroup: 'audit', enabled: true };
export const allLogs: Log = { categoryGroup: 'allLogs', enabled: true };
export const auditEvent: Log = { category: 'AuditEvent', enabled: true };
export const allMetrics = { category: 'AllMetrics', enabled: true };

export function read(rawSettings: readonly unknown[], source: EvidenceSource = 'ARM'): SettingsEvidence {
  return { state: 'Read', source, records: rawSettings.map(parseDiagnosticSetting) };
}

export function evidence(
  settings: SettingsEvidence,
  options: {
    resource?: VaultResource;
    existence?: Record<string, 'Exists' | 'NotFound'>;
    facts?: Record<string, FactsAnswer>;
    delivery?: DeliveryEvidence;
  } = {},
): VaultEvidence {
  const lowerKeys = <T>(record: Record<string, T>) => new Map(Object.entries(record).map(([id, value]) => [id.toLowerCase(), value]));
  return {
    resource: options.resource ?? vault(),
    settings,
    destinationExistence: lowerKeys(options.existence ?? {}),
    destinationFacts: lowerKeys(options.facts ?? {}),
    delivery: options.delivery ?? null,
  };
}

export function policy(overrides: Partial<ControlPolicy> = {}): ControlPolicy {
  return {
    exemptionTag: 'kv-audit-exempt',
    approvedDestinations: null,
    remediationWorkspaceId: null,
    profile: 'default',
    minRetentionDays: null,
    exemptions: [],
    tagExemptions: true,
    ...overrides,
  };
}

export const scanTime = new Date('2026-11-22T10:00:00Z');
