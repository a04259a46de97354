import type { Estate, EstateResource } from './estate.js';
import { type LogEntry, type SettingParts, listedDiagnosticSetting, logEntries, metricEntries } from './listedSetting.js';

/*
 * The demo's estate: a small company with a central logging subscription, three workload subscriptions
 * and a security subscription the scanner cannot see. Every vault is there to produce one status and
 * reason of the control (see the comment on each). Plain JSON data: it can be written out as an estate file.
 */

const tenantId = '4a7d1e9c-2b3f-4c5d-8e6f-7a8b9c0d1e2f';
const subscriptions = {
  logging: '3f6d2a91-5c4e-4b7a-9d18-2e7c4f0a6b35',
  payments: '8a41c7e2-93bd-4f06-a5c8-1d7e2b9f4063',
  corp: 'c27e9b54-1a8f-4d63-b0e2-6f9a3c5d8e71',
  dev: 'e95b3d07-6c2a-48f1-9e4d-a0b7c1f2d384',
  /** Visible, no resources yet. */
  sandbox: '1d4c8f20-7b3e-4a91-b6d5-93e0f2a7c418',
  /** The SOC's subscription: the scanner has no Reader on it. */
  security: 'f0d8a6c3-27b4-4e95-8a1f-5c3e9d7b2a60',
};
const location = 'westeurope';

const rg = (subscription: string, group: string) => `/subscriptions/${subscription}/resourceGroups/${group}`;

const destinations = {
  centralWorkspace: `${rg(subscriptions.logging, 'rg-platform-logging')}/providers/Microsoft.OperationalInsights/workspaces/law-central-weu`,
  archiveStorage: `${rg(subscriptions.logging, 'rg-platform-logging')}/providers/Microsoft.Storage/storageAccounts/stauditarchiveweu01`,
  siemNamespace: `${rg(subscriptions.logging, 'rg-platform-siem')}/providers/Microsoft.EventHub/namespaces/evhns-siem-weu`,
  /** In the security subscription: out of the scanner's sight, so Unverified. */
  socWorkspace: `${rg(subscriptions.security, 'rg-soc')}/providers/Microsoft.OperationalInsights/workspaces/law-soc-sentinel`,
  /** A team's own workspace: exists, but is not an approved destination. */
  marketingWorkspace: `${rg(subscriptions.corp, 'rg-marketing-prod')}/providers/Microsoft.OperationalInsights/workspaces/law-marketing-prod`,
  /** Deleted last year; its subscription is visible, so the scanner knows it is gone. */
  deletedWorkspace: `${rg(subscriptions.corp, 'rg-intranet-prod')}/providers/Microsoft.OperationalInsights/workspaces/law-intranet-old`,
};
// Diagnostic settings may point at an event hub's own authorization rule; delivery depends on the namespace.
const siemEventHubRule = `${destinations.siemNamespace}/eventhubs/kv-audit/authorizationrules/kv-audit-send`;

function keyVault(subscription: string, group: string, name: string, tags: Record<string, string>): EstateResource {
  return {
    id: `${rg(subscription, group)}/providers/Microsoft.KeyVault/vaults/${name}`,
    name,
    type: 'Microsoft.KeyVault/vaults',
    location,
    tags,
    properties: {
      tenantId,
      sku: { family: 'A', name: 'standard' },
      vaultUri: `https://${name}.vault.azure.net/`,
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: true,
      publicNetworkAccess: 'Disabled',
      provisioningState: 'Succeeded',
    },
  };
}

function managedHsm(subscription: string, group: string, name: string, tags: Record<string, string>): EstateResource {
  return {
    id: `${rg(subscription, group)}/providers/Microsoft.KeyVault/managedHSMs/${name}`,
    name,
    type: 'Microsoft.KeyVault/managedHSMs',
    location,
    tags,
    sku: { family: 'B', name: 'Standard_B1' },
    properties: {
      tenantId,
      hsmUri: `https://${name}.managedhsm.azure.net/`,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: true,
      publicNetworkAccess: 'Disabled',
      securityDomainProperties: { activationStatus: 'Active' },
      provisioningState: 'Succeeded',
    },
  };
}

const vaults = {
  paymentsProd: keyVault(subscriptions.payments, 'rg-payments-prod', 'kv-payments-prod', { env: 'prod', owner: 'payments-platform', costCenter: 'CC-4102' }),
  ledgerProd: keyVault(subscriptions.payments, 'rg-payments-prod', 'kv-ledger-prod', { env: 'prod', owner: 'payments-platform', costCenter: 'CC-4102' }),
  checkoutProd: keyVault(subscriptions.payments, 'rg-checkout-prod', 'kv-checkout-prod', { env: 'prod', owner: 'checkout', costCenter: 'CC-4107' }),
  fraudProd: keyVault(subscriptions.payments, 'rg-fraud-prod', 'kv-fraud-prod', { env: 'prod', owner: 'fraud-analytics', costCenter: 'CC-4110' }),
  paymentsHsm: managedHsm(subscriptions.payments, 'rg-payments-hsm', 'hsm-payments-prod', { env: 'prod', owner: 'payments-platform', pci: 'in-scope' }),
  hrProd: keyVault(subscriptions.corp, 'rg-hr-prod', 'kv-hr-prod', { env: 'prod', owner: 'people-systems' }),
  pkiHsm: managedHsm(subscriptions.corp, 'rg-pki-prod', 'hsm-pki-corp', { env: 'prod', owner: 'identity-team' }),
  financeProd: keyVault(subscriptions.corp, 'rg-finance-prod', 'kv-finance-prod', { env: 'prod', owner: 'finance-it' }),
  legalProd: keyVault(subscriptions.corp, 'rg-legal-prod', 'kv-legal-prod', { env: 'prod', owner: 'legal-tech' }),
  crmProd: keyVault(subscriptions.corp, 'rg-crm-prod', 'kv-crm-prod', { env: 'prod', owner: 'sales-systems' }),
  intranetProd: keyVault(subscriptions.corp, 'rg-intranet-prod', 'kv-intranet-prod', { env: 'prod', owner: 'workplace-it' }),
  marketingProd: keyVault(subscriptions.corp, 'rg-marketing-prod', 'kv-marketing-prod', { env: 'prod', owner: 'marketing-tech' }),
  vendorGateway: keyVault(subscriptions.corp, 'rg-integration-prod', 'kv-vendor-gateway-prod', {
    env: 'prod',
    owner: 'integration',
    'kv-audit-exempt': 'Vendor-managed payment gateway vault; the vendor ships its audit logs, ticket SEC-1042; until=2099-12-31',
  }),
  batchLegacy: keyVault(subscriptions.corp, 'rg-batch-prod', 'kv-batch-legacy', {
    env: 'prod',
    owner: 'data-platform',
    'kv-audit-exempt': 'Legacy batch vault pending decommission, ticket SEC-877; until=2024-06-30',
  }),
  hrDev: keyVault(subscriptions.dev, 'rg-hr-dev', 'kv-hr-dev', { env: 'dev', owner: 'people-systems' }),
  paymentsDev: keyVault(subscriptions.dev, 'rg-payments-dev', 'kv-payments-dev', { env: 'dev', owner: 'payments-platform' }),
  analyticsDev: keyVault(subscriptions.dev, 'rg-analytics-dev', 'kv-analytics-dev', { env: 'dev', owner: 'data-platform' }),
  sharedDev: keyVault(subscriptions.dev, 'rg-shared-dev', 'kv-shared-dev', { env: 'dev', owner: 'platform-team' }),
};

const destinationResources: EstateResource[] = [
  {
    id: destinations.centralWorkspace,
    name: 'law-central-weu',
    type: 'Microsoft.OperationalInsights/workspaces',
    location,
    tags: { owner: 'platform-logging' },
    properties: { customerId: '6e2f4a1b-8c3d-4e5f-9a0b-1c2d3e4f5a6b', sku: { name: 'PerGB2018' }, retentionInDays: 365, provisioningState: 'Succeeded' },
  },
  {
    id: destinations.archiveStorage,
    name: 'stauditarchiveweu01',
    type: 'Microsoft.Storage/storageAccounts',
    location,
    kind: 'StorageV2',
    sku: { name: 'Standard_GRS', tier: 'Standard' },
    tags: { owner: 'platform-logging', retention: '7y' },
    properties: { accessTier: 'Cool', minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false, provisioningState: 'Succeeded' },
  },
  {
    id: destinations.siemNamespace,
    name: 'evhns-siem-weu',
    type: 'Microsoft.EventHub/namespaces',
    location,
    sku: { name: 'Standard', tier: 'Standard', capacity: 2 },
    tags: { owner: 'security-operations' },
    properties: { serviceBusEndpoint: 'https://evhns-siem-weu.servicebus.windows.net:443/', status: 'Active', provisioningState: 'Succeeded' },
  },
  // The hub the SIEM reads, and the rule settings send with: ARM serves them, Resource Graph does not list them.
  {
    id: `${destinations.siemNamespace}/eventhubs/kv-audit`,
    name: 'kv-audit',
    type: 'Microsoft.EventHub/namespaces/eventhubs',
    location,
    properties: { messageRetentionInDays: 7, partitionCount: 4, status: 'Active' },
  },
  {
    id: siemEventHubRule,
    name: 'kv-audit-send',
    type: 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules',
    location,
    properties: { rights: ['Send'] },
  },
  {
    id: destinations.marketingWorkspace,
    name: 'law-marketing-prod',
    type: 'Microsoft.OperationalInsights/workspaces',
    location,
    tags: { owner: 'marketing-tech' },
    properties: { customerId: '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d', sku: { name: 'PerGB2018' }, retentionInDays: 30, provisioningState: 'Succeeded' },
  },
];

/** The demo's shorthand: log entries as written, metrics by category. */
function diagnosticSetting(
  resourceId: string,
  name: string,
  { logs = [], metrics = [], ...destinations }: { logs?: LogEntry[]; metrics?: string[] } & Omit<SettingParts, 'name' | 'logs' | 'metrics'>,
  idStyle: 'standard' | 'withoutProvider' = 'standard',
) {
  return listedDiagnosticSetting(resourceId, { name, logs: logEntries(...logs), metrics: metricEntries(...metrics), ...destinations }, idStyle);
}

const diagnosticSettings = [
  // Pass: the audit group to the central workspace, in another subscription.
  diagnosticSetting(vaults.paymentsProd.id, 'send-to-central-law', { logs: [{ categoryGroup: 'audit', enabled: true }], workspaceId: destinations.centralWorkspace }),
  // Pass: AuditEvent to the archive storage account.
  diagnosticSetting(vaults.ledgerProd.id, 'archive-audit', { logs: [{ category: 'AuditEvent', enabled: true }], storageAccountId: destinations.archiveStorage }),
  // Pass: allLogs to the SIEM event hub, through a rule on the event hub itself.
  diagnosticSetting(vaults.checkoutProd.id, 'stream-to-siem', {
    logs: [{ categoryGroup: 'allLogs', enabled: true }],
    eventHubAuthorizationRuleId: siemEventHubRule,
    eventHubName: 'kv-audit',
  }),
  // Pass, Unverified: the SOC's workspace lives in a subscription the scanner cannot read.
  diagnosticSetting(vaults.fraudProd.id, 'soc-sentinel', { logs: [{ categoryGroup: 'audit', enabled: true }], workspaceId: destinations.socWorkspace }),
  // Pass for a Managed HSM, with both groups (CIS strict).
  diagnosticSetting(vaults.paymentsHsm.id, 'hsm-audit', {
    logs: [
      { categoryGroup: 'audit', enabled: true },
      { categoryGroup: 'allLogs', enabled: true },
    ],
    workspaceId: destinations.centralWorkspace,
  }),
  // Fail AuditLogsNotEnabled: metrics only.
  diagnosticSetting(vaults.financeProd.id, 'metrics-only', { metrics: ['AllMetrics'], workspaceId: destinations.centralWorkspace }),
  // Fail AuditLogsNotEnabled: the audit group explicitly disabled, only policy evaluations on.
  diagnosticSetting(vaults.legalProd.id, 'policy-evaluations', {
    logs: [
      { categoryGroup: 'audit', enabled: false },
      { category: 'AzurePolicyEvaluationDetails', enabled: true },
    ],
    workspaceId: destinations.centralWorkspace,
  }),
  // Fail NoDestination: audit on, workspaceId "" as the API returns it.
  diagnosticSetting(vaults.crmProd.id, 'audit-nowhere', { logs: [{ categoryGroup: 'audit', enabled: true }], workspaceId: '' }),
  // Fail DestinationNotFound: the workspace was deleted.
  diagnosticSetting(vaults.intranetProd.id, 'old-workspace', { logs: [{ category: 'AuditEvent', enabled: true }], workspaceId: destinations.deletedWorkspace }),
  // Fail DestinationNotApproved: the team's own workspace.
  diagnosticSetting(vaults.marketingProd.id, 'team-workspace', { logs: [{ categoryGroup: 'allLogs', enabled: true }], workspaceId: destinations.marketingWorkspace }),
  // Error MalformedRecord: `enabled` is the string "true", not a boolean.
  diagnosticSetting(vaults.paymentsDev.id, 'hand-written', { logs: [{ category: 'AuditEvent', enabled: 'true' }], workspaceId: destinations.centralWorkspace }),
  // Error ReadFailed: deleted after the inventory listed it (`deletedAfterInventory`), whatever it held.
  diagnosticSetting(vaults.analyticsDev.id, 'send-to-central-law', { logs: [{ categoryGroup: 'audit', enabled: true }], workspaceId: destinations.centralWorkspace }),
  // Pass: a setting id without `/providers/microsoft.insights`, as some real ids are.
  diagnosticSetting(vaults.sharedDev.id, 'central-audit', { logs: [{ categoryGroup: 'audit', enabled: true }], workspaceId: destinations.centralWorkspace }, 'withoutProvider'),
];

export const sampleEstate: Estate = {
  tenantId,
  resources: [...destinationResources, ...Object.values(vaults)],
  diagnosticSettings,
  // Error AccessDenied.
  denied: [vaults.hrDev.id],
  // Error ReadFailed: ARM answers 404. (A persistent 500 is also ReadFailed but makes the scan incomplete:
  // try `kv-audit demo --faults "arm:500@1.0~<subscription>"`.)
  deletedAfterInventory: [vaults.analyticsDev.id],
  subscriptions: [subscriptions.sandbox],
  managementGroups: {
    'mg-platform': [subscriptions.logging],
    'mg-production': [subscriptions.payments, subscriptions.corp],
    'mg-nonprod': [subscriptions.dev, subscriptions.sandbox],
  },
  // Real ARG does not index diagnostic settings, as far as public sources say (see the README).
  resourceGraphIndexesDiagnosticSettings: false,
};

/**
 * The scanner settings (environment variables) the demo scans the sample estate with. The SOC's workspace is
 * approved too: an Unverified destination passes only when it is approved, like any other.
 */
export const sampleEnv: Readonly<Record<string, string>> = {
  KV_AUDIT_APPROVED_DESTINATIONS: [
    destinations.centralWorkspace,
    destinations.archiveStorage,
    destinations.siemNamespace,
    destinations.socWorkspace,
  ].join(','),
  KV_AUDIT_REMEDIATION_WORKSPACE_ID: destinations.centralWorkspace,
};
