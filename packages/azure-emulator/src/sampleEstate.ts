import type { Estate, EstateResource } from './estate.js';
import { type LogEntry, type SettingParts, listedDiagnosticSetting, logEntries, metricEntries } from './listedSetting.js';

/*
 * The demo's estate: a small company with a central logging subscription, three workload subscriptions
 * and a security subscription the scanner cannot see. Every vault is there to produce one status and
 * reason of the control (see the comment on each). Plain JSON data: it can be written out as an estate file.
 * The audit events in its workspaces are dated relative to when this module loads, so "recent" stays recent.
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
const loadedAt = Date.now();
/** An instant `hours` before the estate was built, as ARM and Log Analytics write times. */
const hoursAgo = (hours: number) => new Date(loadedAt - hours * 3_600_000).toISOString();

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
  /** Approved, but it keeps audit logs 90 days: short of the 365 the sample settings require. */
  appsWorkspace: `${rg(subscriptions.logging, 'rg-platform-logging')}/providers/Microsoft.OperationalInsights/workspaces/law-apps-weu`,
  /** Approved, but its firewall lets no trusted Microsoft service through: Azure Monitor cannot write there. */
  firewalledStorage: `${rg(subscriptions.logging, 'rg-platform-logging')}/providers/Microsoft.Storage/storageAccounts/stauditfwweu01`,
  /** Approved, but in North Europe: a West Europe vault cannot stream to it. */
  northNamespace: `${rg(subscriptions.logging, 'rg-platform-siem')}/providers/Microsoft.EventHub/namespaces/evhns-siem-neu`,
};
// Diagnostic settings may point at an event hub's own authorization rule; delivery depends on the namespace.
const siemEventHubRule = `${destinations.siemNamespace}/eventhubs/kv-audit/authorizationrules/kv-audit-send`;
const northNamespaceRule = `${destinations.northNamespace}/authorizationrules/diagnostics-send`;

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
  treasuryProd: keyVault(subscriptions.payments, 'rg-treasury-prod', 'kv-treasury-prod', { env: 'prod', owner: 'treasury' }),
  ordersProd: keyVault(subscriptions.payments, 'rg-orders-prod', 'kv-orders-prod', { env: 'prod', owner: 'checkout' }),
  appsProd: keyVault(subscriptions.corp, 'rg-apps-prod', 'kv-apps-prod', { env: 'prod', owner: 'app-platform' }),
  hrDev: keyVault(subscriptions.dev, 'rg-hr-dev', 'kv-hr-dev', { env: 'dev', owner: 'people-systems' }),
  paymentsDev: keyVault(subscriptions.dev, 'rg-payments-dev', 'kv-payments-dev', { env: 'dev', owner: 'payments-platform' }),
  analyticsDev: keyVault(subscriptions.dev, 'rg-analytics-dev', 'kv-analytics-dev', { env: 'dev', owner: 'data-platform' }),
  sharedDev: keyVault(subscriptions.dev, 'rg-shared-dev', 'kv-shared-dev', { env: 'dev', owner: 'platform-team' }),
};

/** A child resource ARM serves and Resource Graph does not list: a workspace table, a storage policy or container, a rule set. */
type Json = NonNullable<EstateResource['properties']>;

function child(parent: string, type: string, path: string, name: string, properties: Json): EstateResource {
  return { id: `${parent}/${path}/${name}`, name, type, location, properties };
}

const storageAccount = (id: string, name: string, networkAcls: Json, tags: Record<string, string>): EstateResource => ({
  id,
  name,
  type: 'Microsoft.Storage/storageAccounts',
  location,
  kind: 'StorageV2',
  sku: { name: 'Standard_GRS', tier: 'Standard' },
  tags,
  properties: { accessTier: 'Cool', minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false, networkAcls, provisioningState: 'Succeeded' },
});

const destinationResources: EstateResource[] = [
  {
    id: destinations.centralWorkspace,
    name: 'law-central-weu',
    type: 'Microsoft.OperationalInsights/workspaces',
    location,
    tags: { owner: 'platform-logging' },
    properties: { customerId: '6e2f4a1b-8c3d-4e5f-9a0b-1c2d3e4f5a6b', sku: { name: 'PerGB2018' }, retentionInDays: 365, provisioningState: 'Succeeded' },
  },
  // Its Key Vault audit table: 90 days interactive, two years in all (Tables API 2022-10-01).
  child(destinations.centralWorkspace, 'Microsoft.OperationalInsights/workspaces/tables', 'tables', 'AZKVAuditLogs', {
    retentionInDays: 90,
    totalRetentionInDays: 730,
    archiveRetentionInDays: 640,
    retentionInDaysAsDefault: false,
    totalRetentionInDaysAsDefault: false,
    plan: 'Analytics',
  }),
  {
    id: destinations.appsWorkspace,
    name: 'law-apps-weu',
    type: 'Microsoft.OperationalInsights/workspaces',
    location,
    tags: { owner: 'app-platform' },
    properties: { customerId: '2b7c9d4e-1f3a-4b5c-8d6e-7f8091a2b3c4', sku: { name: 'PerGB2018' }, retentionInDays: 90, provisioningState: 'Succeeded' },
  },
  // The archive: firewalled, but trusted Microsoft services pass; a 7-year lifecycle rule and a locked one-year immutability policy.
  storageAccount(destinations.archiveStorage, 'stauditarchiveweu01', { defaultAction: 'Deny', bypass: 'AzureServices', ipRules: [], virtualNetworkRules: [] }, {
    owner: 'platform-logging',
    retention: '7y',
  }),
  child(destinations.archiveStorage, 'Microsoft.Storage/storageAccounts/managementPolicies', 'managementPolicies', 'default', {
    policy: {
      rules: [
        {
          name: 'expire-audit-logs-after-7-years',
          enabled: true,
          type: 'Lifecycle',
          definition: {
            filters: { blobTypes: ['appendBlob'], prefixMatch: ['insights-logs-auditevent'] },
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 2555 } } },
          },
        },
      ],
    },
  }),
  child(destinations.archiveStorage, 'Microsoft.Storage/storageAccounts/blobServices/containers', 'blobServices/default/containers', 'insights-logs-auditevent', {
    publicAccess: 'None',
    hasImmutabilityPolicy: true,
    immutabilityPolicy: { properties: { immutabilityPeriodSinceCreationInDays: 365, state: 'Locked', allowProtectedAppendWrites: true } },
  }),
  // Firewalled without the trusted-services exception: Azure Monitor cannot write here.
  storageAccount(destinations.firewalledStorage, 'stauditfwweu01', { defaultAction: 'Deny', bypass: 'Logging, Metrics', ipRules: [{ value: '203.0.113.0/24', action: 'Allow' }], virtualNetworkRules: [] }, {
    owner: 'platform-logging',
  }),
  {
    id: destinations.siemNamespace,
    name: 'evhns-siem-weu',
    type: 'Microsoft.EventHub/namespaces',
    location,
    sku: { name: 'Standard', tier: 'Standard', capacity: 2 },
    tags: { owner: 'security-operations' },
    properties: { serviceBusEndpoint: 'https://evhns-siem-weu.servicebus.windows.net:443/', publicNetworkAccess: 'Enabled', status: 'Active', provisioningState: 'Succeeded' },
  },
  // Locked down to the SIEM's network, with trusted Microsoft services (Azure Monitor among them) allowed through.
  child(destinations.siemNamespace, 'Microsoft.EventHub/namespaces/networkRuleSets', 'networkRuleSets', 'default', {
    defaultAction: 'Deny',
    publicNetworkAccess: 'Enabled',
    trustedServiceAccessEnabled: true,
    ipRules: [{ ipMask: '198.51.100.0/24', action: 'Allow' }],
    virtualNetworkRules: [],
  }),
  {
    id: destinations.northNamespace,
    name: 'evhns-siem-neu',
    type: 'Microsoft.EventHub/namespaces',
    location: 'northeurope',
    sku: { name: 'Standard', tier: 'Standard', capacity: 1 },
    tags: { owner: 'security-operations' },
    properties: { serviceBusEndpoint: 'https://evhns-siem-neu.servicebus.windows.net:443/', publicNetworkAccess: 'Enabled', status: 'Active', provisioningState: 'Succeeded' },
  },
  { ...child(destinations.northNamespace, 'Microsoft.EventHub/namespaces/eventhubs', 'eventhubs', 'kv-audit', { messageRetentionInDays: 7, partitionCount: 4 }), location: 'northeurope' },
  {
    ...child(destinations.northNamespace, 'Microsoft.EventHub/namespaces/networkRuleSets', 'networkRuleSets', 'default', {
      defaultAction: 'Allow',
      publicNetworkAccess: 'Enabled',
      trustedServiceAccessEnabled: false,
      ipRules: [],
      virtualNetworkRules: [],
    }),
    location: 'northeurope',
  },
  { ...child(destinations.northNamespace, 'Microsoft.EventHub/namespaces/authorizationRules', 'authorizationRules', 'diagnostics-send', { rights: ['Send'] }), location: 'northeurope' },
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
  // Pass: a setting id without `/providers/microsoft.insights`, as some real ids are. Its audit events stopped
  // before the setting last changed, and none arrived since: flagged (DeliveryCheck Stopped), not failed.
  diagnosticSetting(
    vaults.sharedDev.id,
    'central-audit',
    { logs: [{ categoryGroup: 'audit', enabled: true }], workspaceId: destinations.centralWorkspace, changedAt: hoursAgo(24) },
    'withoutProvider',
  ),
  // Fail DestinationBlocked: the storage firewall keeps Azure Monitor out.
  diagnosticSetting(vaults.treasuryProd.id, 'archive-audit', { logs: [{ category: 'AuditEvent', enabled: true }], storageAccountId: destinations.firewalledStorage }),
  // Fail DestinationBlocked: the event hub namespace is in North Europe, the vault in West Europe.
  diagnosticSetting(vaults.ordersProd.id, 'stream-to-siem-neu', {
    logs: [{ categoryGroup: 'allLogs', enabled: true }],
    eventHubAuthorizationRuleId: northNamespaceRule,
    eventHubName: 'kv-audit',
  }),
  // Fail RetentionTooShort: the workspace keeps 90 days, the settings ask for 365.
  diagnosticSetting(vaults.appsProd.id, 'to-apps-law', { logs: [{ categoryGroup: 'audit', enabled: true }], workspaceId: destinations.appsWorkspace }),
];

/** A Key Vault AuditEvent row of the resource-specific table, as much of it as the queries read. */
const auditEvent = (vaultId: string, hours: number, operation = 'SecretGet') => ({
  TimeGenerated: hoursAgo(hours),
  OperationName: operation,
  ResultType: 'Success',
  HttpStatusCode: 200,
  CallerIpAddress: '10.20.0.4',
  Id: `https://${vaultId.split('/').at(-1)}.vault.azure.net/secrets/db-password`,
  _ResourceId: vaultId.toLowerCase(),
});

export const sampleEstate: Estate = {
  tenantId,
  resources: [...destinationResources, ...Object.values(vaults)],
  diagnosticSettings,
  // The central workspace: recent events from two resources, older ones in the legacy table, and kv-shared-dev's
  // last events from three days ago. law-apps-weu has received nothing yet: it has no tables.
  workspaceLogs: {
    [destinations.centralWorkspace]: {
      AZKVAuditLogs: [
        auditEvent(vaults.paymentsProd.id, 0.5),
        auditEvent(vaults.paymentsProd.id, 2, 'KeyUnwrap'),
        auditEvent(vaults.paymentsHsm.id, 3, 'KeyDecrypt'),
        auditEvent(vaults.sharedDev.id, 72),
      ],
      AzureDiagnostics: [
        {
          TimeGenerated: hoursAgo(240),
          ResourceProvider: 'MICROSOFT.KEYVAULT',
          Category: 'AuditEvent',
          OperationName: 'SecretGet',
          _ResourceId: vaults.paymentsProd.id.toLowerCase(),
        },
      ],
    },
  },
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
    destinations.appsWorkspace,
    destinations.firewalledStorage,
    destinations.northNamespace,
  ].join(','),
  KV_AUDIT_REMEDIATION_WORKSPACE_ID: destinations.centralWorkspace,
  // Where findings land (the emulator's one DCR answers queries from any workspace): a scan asks it whether the last
  // scan's rows arrived before it builds on them, as the deployed timer does.
  KV_AUDIT_FINDINGS_WORKSPACE_ID: destinations.centralWorkspace,
  // PCI DSS 4.0 10.5.1: a year of audit log history.
  KV_AUDIT_MIN_RETENTION_DAYS: '365',
  KV_AUDIT_VERIFY_DELIVERY: 'true',
  // Exempt: the PKI team's HSM, by the central list (governed), not by a tag its owners could write.
  KV_AUDIT_EXEMPTIONS: JSON.stringify([
    {
      scope: rg(subscriptions.corp, 'rg-pki-prod'),
      reason: 'Offline root CA HSM; its audit trail is kept by the HSM vendor, risk acceptance RA-2026-014',
      expires: '2099-06-30',
      approvedBy: 'CISO office (j.doe@contoso.example)',
    },
  ]),
};

const checkoutSetting = diagnosticSettings.find((setting) => setting.id.toLowerCase().startsWith(`${vaults.checkoutProd.id.toLowerCase()}/`))!;

/**
 * The sample estate as `kv-audit demo --watch` runs it: after its first scan, a timeline of changes (seconds after the
 * demo plays it, once the scan is done), each of which reaches the Activity Log and, through Event Grid, the queue.
 */
const watchTimeline: NonNullable<Estate['timeline']> = [
  // Someone "tidies up" the checkout vault: its only diagnostic setting is deleted. Pass → Fail NoDiagnosticSettings.
  { afterSeconds: 4, deleteDiagnosticSettings: [checkoutSetting.id] },
  // A team creates a vault and ships nothing: Fail NoDiagnosticSettings, minutes before the next scheduled scan.
  { afterSeconds: 10, create: [keyVault(subscriptions.payments, 'rg-loyalty-prod', 'kv-loyalty-prod', { env: 'prod', owner: 'loyalty' })] },
  // The checkout setting is put back: Pass again.
  { afterSeconds: 16, diagnosticSettings: [checkoutSetting] },
  // The apps workspace is deleted: the event names only the workspace; the last scan's state says kv-apps-prod sent
  // its audit logs there, so kv-apps-prod is read again: Fail DestinationNotFound.
  { afterSeconds: 22, delete: [destinations.appsWorkspace] },
];

export const sampleWatchEstate: Estate = { ...sampleEstate, timeline: watchTimeline };
