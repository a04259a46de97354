import {
  type Estate,
  type EstateDiagnosticSetting,
  type EstateResource,
  type SettingParts,
  listedDiagnosticSetting,
  logEntries,
  metricEntries,
  seededRandom,
} from '@kv-audit/azure-emulator';
import type { Env } from '../../src/config/settings.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { KvAuditError } from '../../src/errors.js';
import type { FindingRow } from '../../src/findings/schema.js';

/*
 * A generated estate for scale scenarios: Key Vaults and Managed HSMs spread as unevenly over subscriptions
 * as real estates are, in a realistic mix of configurations. Every vault is built from an archetype that fixes
 * its Status and Reason, so the expected verdicts are known by construction, independently of the control.
 * The same spec always gives the same estate.
 *
 * The mix (exact shares, rounded to whole vaults; 2% of the vaults are Managed HSMs, with the same mix):
 *   Pass 71%:   48% audit group to a central workspace, 10% AuditEvent to a central workspace,
 *               5% to the region's archive storage account, 4% allLogs to the region's SIEM event hub,
 *               3% a metrics-only setting beside an audit one, 1% to the SOC's workspace out of sight (Unverified)
 *   Fail 22%:   1% RetentionTooShort (a 30-day workspace), 4% DestinationNotApproved (the subscription's own
 *               storage account), 1% DestinationBlocked (another region's archive), 1% DestinationNotFound
 *               (a deleted workspace), 1% NoDestination, 6% AuditLogsNotEnabled (metrics only, or audit disabled),
 *               8% NoDiagnosticSettings
 * Storage accounts and event hubs are per region, as Azure Monitor requires of a regional resource's destinations.
 *   Exempt 3%:  no settings, an active exemption tag
 *   Error 4%:   2% AccessDenied, 1% ReadFailed (deleted after the inventory), 1% MalformedRecord
 */

export interface GeneratedEstateSpec {
  /** Key Vaults and Managed HSMs in total. */
  readonly vaults: number;
  readonly subscriptions: number;
  /** Vaults in the biggest subscription. */
  readonly largestSubscription: number;
  /** The same spec gives the same estate. */
  readonly seed: number;
}

export interface ExpectedVerdict {
  readonly status: FindingRow['Status'];
  readonly reason: FindingRow['Reason'];
}

export interface GeneratedEstate {
  readonly estate: Estate;
  /** Keyed by the resource id lowercased (normalizeResourceId). */
  readonly expected: ReadonlyMap<string, ExpectedVerdict>;
  /** The settings (KV_AUDIT_* env) the expected verdicts assume; no ingestion settings. */
  readonly env: Env;
  /** Vault count per subscription id (lowercase). */
  readonly vaultsPerSubscription: ReadonlyMap<string, number>;
}

const exemptionTag = 'kv-audit-exempt';
const managedHsmPercent = 2;

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** A random-looking GUID that ends in `serial`: unique by construction, whatever the random digits. */
function guid(random: Random, serial: number): string {
  const hex = (digits: number) => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(random, ['8', '9', 'a', 'b'])}${hex(3)}-${hex(4)}${serial.toString(16).padStart(8, '0')}`;
}

function shuffle(items: Uint8Array, random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function validate(spec: GeneratedEstateSpec): void {
  const problems: string[] = [];
  for (const field of ['vaults', 'subscriptions', 'largestSubscription'] as const) {
    const value = spec[field];
    if (!Number.isSafeInteger(value) || value < 1) problems.push(`${field}: must be a positive integer, got ${value}`);
  }
  if (!Number.isSafeInteger(spec.seed)) problems.push(`seed: must be an integer, got ${spec.seed}`);
  if (problems.length === 0) {
    const { vaults, subscriptions, largestSubscription: largest } = spec;
    const others = subscriptions - 1;
    if (largest > vaults - others) {
      problems.push(`largestSubscription: at most vaults - (subscriptions - 1) = ${vaults - others}, so every other subscription holds a vault; got ${largest}`);
    } else if (vaults - largest > others * largest) {
      problems.push(`largestSubscription: ${largest} is too small: the other ${others} subscriptions cannot hold the remaining ${vaults - largest} vaults without one exceeding it`);
    }
  }
  if (problems.length > 0) {
    throw new KvAuditError('InvalidArguments', `Invalid generated estate spec (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, {
      details: problems,
    });
  }
}

/**
 * Splits `total` in proportion to `weights`, none over `cap`: shares that reach the cap are capped and the
 * rest re-split. Rounding the running total keeps the sum exact and each share within one of its due.
 */
function apportion(total: number, weights: readonly number[], cap: number): number[] {
  const counts = weights.map(() => 0);
  let open = weights.map((_, i) => i);
  let remaining = total;
  for (;;) {
    const weight = open.reduce((sum, i) => sum + weights[i]!, 0);
    const share = (i: number) => (remaining * weights[i]!) / weight;
    const full = new Set(open.filter((i) => share(i) >= cap));
    if (full.size === 0) {
      let due = 0;
      open.forEach((i, n) => {
        const next = n === open.length - 1 ? remaining : due + share(i);
        counts[i] = Math.round(next) - Math.round(due);
        due = next;
      });
      return counts;
    }
    for (const i of full) counts[i] = cap;
    remaining -= full.size * cap;
    open = open.filter((i) => !full.has(i));
  }
}

/** The Zipf exponent whose biggest share of `total` over `count` ranks comes to `target`: flatter when the estate is dense. */
function zipfExponent(count: number, total: number, target: number): number {
  const topShare = (exponent: number) => {
    let sum = 0;
    for (let rank = 1; rank <= count; rank++) sum += rank ** -exponent;
    return total / sum;
  };
  let [low, high] = [0, 8];
  if (topShare(low) >= target) return low;
  for (let i = 0; i < 40; i++) {
    const middle = (low + high) / 2;
    if (topShare(middle) < target) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * Vault counts of the subscriptions other than the largest: each at least one and, when the total allows,
 * below the largest; power-law-like, the biggest of them holding about half the largest, each jittered.
 */
function spreadOthers(total: number, count: number, largest: number, random: Random): number[] {
  if (count === 0) return [];
  const cap = total <= count * (largest - 1) ? largest - 1 : largest;
  const extra = total - count;
  const exponent = zipfExponent(count, extra, (cap - 1) / 2);
  const weights = Array.from({ length: count }, (_, rank) => (rank + 1) ** -exponent * (0.75 + random() / 2));
  return apportion(extra, weights, cap - 1).map((n) => n + 1);
}

/** Where one vault's settings may point. */
interface Destinations {
  /** The central workspace of the vault's region. */
  readonly centralWorkspace: string;
  /** The archive storage account and SIEM event hub of the vault's region. */
  readonly archiveStorage: string;
  readonly siemEventHubRule: string;
  /** Another region's archive: Azure Monitor cannot write there (Blocked). */
  readonly otherRegionArchive: string;
  /** Keeps logs 30 days, short of the 90 the estate's settings require. */
  readonly shortTermWorkspace: string;
  /** In a subscription the scanner cannot read. */
  readonly socWorkspace: string;
  /** The storage account of the vault's own subscription: exists, not approved. */
  readonly ownStorage: string;
  /** A workspace deleted from the vault's own subscription. */
  readonly retiredWorkspace: string;
}

interface Archetype {
  /** Share of the vaults; the shares add up to 1000. */
  readonly perMille: number;
  readonly verdict: ExpectedVerdict;
  readonly settings: (to: Destinations) => readonly SettingParts[];
  readonly access?: 'denied' | 'deletedAfterInventory';
  readonly exempt?: true;
}

// Shared by every setting that holds them: the estate stays small however many vaults it has.
const auditGroup = logEntries({ categoryGroup: 'audit', enabled: true });
const auditEvent = logEntries({ category: 'AuditEvent', enabled: true }, { category: 'AzurePolicyEvaluationDetails', enabled: true });
const allLogs = logEntries({ categoryGroup: 'allLogs', enabled: true });
const auditDisabled = logEntries({ categoryGroup: 'audit', enabled: false }, { category: 'AzurePolicyEvaluationDetails', enabled: true });
const auditEventAsText = logEntries({ category: 'AuditEvent', enabled: 'true' });
const allMetrics = metricEntries('AllMetrics');

const pass: ExpectedVerdict = { status: 'Pass', reason: 'AuditLogsDelivered' };
const fail = (reason: FindingRow['Reason']): ExpectedVerdict => ({ status: 'Fail', reason });
const centralAudit = (to: Destinations): SettingParts[] => [{ name: 'send-to-central-law', logs: auditGroup, metrics: allMetrics, workspaceId: to.centralWorkspace }];

const archetypes: readonly Archetype[] = [
  // The landing zone's policy-deployed setting.
  { perMille: 480, verdict: pass, settings: centralAudit },
  // Older settings name the AuditEvent category instead of the group.
  { perMille: 100, verdict: pass, settings: (to) => [{ name: 'audit-to-law', logs: auditEvent, workspaceId: to.centralWorkspace }] },
  { perMille: 50, verdict: pass, settings: (to) => [{ name: 'archive-audit', logs: auditGroup, storageAccountId: to.archiveStorage }] },
  // Judged by the event hub's authorization rule and hub; approved by its namespace.
  {
    perMille: 40,
    verdict: pass,
    settings: (to) => [{ name: 'stream-to-siem', logs: allLogs, eventHubAuthorizationRuleId: to.siemEventHubRule, eventHubName: 'kv-audit' }],
  },
  { perMille: 30, verdict: pass, settings: (to) => [{ name: 'metrics', metrics: allMetrics, workspaceId: to.centralWorkspace }, ...centralAudit(to)] },
  // Unverified but approved: a pass.
  { perMille: 10, verdict: pass, settings: (to) => [{ name: 'soc-sentinel', logs: auditGroup, workspaceId: to.socWorkspace }] },
  { perMille: 10, verdict: fail('RetentionTooShort'), settings: (to) => [{ name: 'short-term', logs: auditGroup, workspaceId: to.shortTermWorkspace }] },
  { perMille: 40, verdict: fail('DestinationNotApproved'), settings: (to) => [{ name: 'team-archive', logs: auditGroup, storageAccountId: to.ownStorage }] },
  // A setting copied from a vault of another region.
  { perMille: 10, verdict: fail('DestinationBlocked'), settings: (to) => [{ name: 'archive-audit', logs: auditGroup, storageAccountId: to.otherRegionArchive }] },
  // NotFound: the workspace's subscription is visible and it is not there.
  { perMille: 10, verdict: fail('DestinationNotFound'), settings: (to) => [{ name: 'old-workspace', logs: auditEvent, workspaceId: to.retiredWorkspace }] },
  // The list API returns a cleared destination as "".
  { perMille: 10, verdict: fail('NoDestination'), settings: () => [{ name: 'audit-nowhere', logs: auditGroup, workspaceId: '' }] },
  { perMille: 30, verdict: fail('AuditLogsNotEnabled'), settings: (to) => [{ name: 'metrics-only', metrics: allMetrics, workspaceId: to.centralWorkspace }] },
  { perMille: 30, verdict: fail('AuditLogsNotEnabled'), settings: (to) => [{ name: 'policy-evaluations', logs: auditDisabled, workspaceId: to.centralWorkspace }] },
  { perMille: 80, verdict: fail('NoDiagnosticSettings'), settings: () => [] },
  // Without the exemption: NoDiagnosticSettings.
  { perMille: 30, verdict: { status: 'Exempt', reason: 'Exempted' }, settings: () => [], exempt: true },
  // The settings read answers 403, whatever the vault holds.
  { perMille: 20, verdict: { status: 'Error', reason: 'AccessDenied' }, settings: centralAudit, access: 'denied' },
  // ARG still lists it; ARM answers 404.
  { perMille: 10, verdict: { status: 'Error', reason: 'ReadFailed' }, settings: centralAudit, access: 'deletedAfterInventory' },
  // `enabled` is the string "true": unreadable, and nothing else delivers.
  { perMille: 10, verdict: { status: 'Error', reason: 'MalformedRecord' }, settings: (to) => [{ name: 'hand-written', logs: auditEventAsText, workspaceId: to.centralWorkspace }] },
];

/** The archetypes a vault can be changed into (indexes into `archetypes`). */
const namedArchetypes = { centralAudit: 0, teamArchive: 7, noSettings: 13, exempt: 14 } as const;
export type ArchetypeName = keyof typeof namedArchetypes;

/** Each vault's archetype (index into `archetypes`), in exact shares, shuffled. */
function archetypeOfEachVault(vaults: number, random: Random): Uint8Array {
  const counts = apportion(vaults, archetypes.map((a) => a.perMille), vaults);
  const assigned = new Uint8Array(vaults);
  let next = 0;
  counts.forEach((count, archetype) => {
    assigned.fill(archetype, next, next + count);
    next += count;
  });
  shuffle(assigned, random);
  return assigned;
}

/** 1 for the vaults that are Managed HSMs. */
function managedHsmFlags(vaults: number, random: Random): Uint8Array {
  const flags = new Uint8Array(vaults);
  flags.fill(1, 0, Math.round((vaults * managedHsmPercent) / 100));
  shuffle(flags, random);
  return flags;
}


const regions = [
  { location: 'westeurope', workspace: 'law-central-weu', short: 'weu' },
  { location: 'northeurope', workspace: 'law-central-neu', short: 'neu' },
  { location: 'eastus2', workspace: 'law-central-eus2', short: 'eus2' },
] as const;
const apps = ['payments', 'checkout', 'ledger', 'crm', 'hr', 'identity', 'data', 'web', 'api', 'billing', 'search', 'iot'] as const;
const environments = ['prod', 'prod', 'dev', 'test'] as const;

/** One generated vault, made on demand: its resource, its settings, and the verdict it was built to get. */
export interface GeneratedVault {
  readonly resource: EstateResource;
  readonly settings: readonly EstateDiagnosticSetting[];
  readonly verdict: ExpectedVerdict;
  /** How ARM answers its settings read: 403, or 404 as if deleted after the inventory; null for a normal read. */
  readonly access: 'denied' | 'deletedAfterInventory' | null;
  /** Index into `subscriptions`. */
  readonly subscription: number;
}

/**
 * A generated estate without the estate: a few bytes per vault, and each vault made when asked for. A million vaults
 * fit in a few megabytes this way, where the materialized estate takes gigabytes. `generateEstate` materializes it.
 */
export interface EstateShape {
  readonly spec: GeneratedEstateSpec;
  readonly tenantId: string;
  /** Subscription ids; the vaults of subscription s are serials firstVault[s] .. firstVault[s + 1] - 1. */
  readonly subscriptions: readonly string[];
  readonly firstVault: readonly number[];
  /** The regions vaults are in. */
  readonly locations: readonly string[];
  /**
   * Everything that is not a vault: the destinations, in the estate's order (the central ones, then
   * `resourcesPerSubscription` of each subscription's own).
   */
  readonly otherResources: readonly EstateResource[];
  readonly resourcesPerSubscription: number;
  /** Serial 0 .. spec.vaults - 1. */
  vault(serial: number): GeneratedVault;
  /** The same vault (id, name, region) built as another archetype: the vault after a change to it. */
  vaultAs(serial: number, archetype: ArchetypeName): GeneratedVault;
  /** The subscription index of a vault serial. */
  subscriptionOf(serial: number): number;
  readonly env: Env;
}

export function estateShape(spec: GeneratedEstateSpec): EstateShape {
  validate(spec);
  const random = seededRandom(spec.seed);
  const tenantId = guid(random, 0);
  const counts = [spec.largestSubscription, ...spreadOthers(spec.vaults - spec.largestSubscription, spec.subscriptions - 1, spec.largestSubscription, random)];
  const subscriptions = counts.map((_, i) => guid(random, i + 1));
  const firstVault = [0];
  for (const count of counts) firstVault.push(firstVault.at(-1)! + count);
  // The platform team's subscription holds few vaults: the smallest.
  const logging = subscriptions.at(-1)!;
  const rg = (subscription: string, group: string) => `/subscriptions/${subscription}/resourceGroups/${group}`;
  const platform = rg(logging, 'rg-platform-logging');
  const workspaceId = (name: string) => `${platform}/providers/Microsoft.OperationalInsights/workspaces/${name}`;
  const central = {
    workspaces: regions.map((r) => ({
      ...r,
      id: workspaceId(r.workspace),
      archiveStorage: `${platform}/providers/Microsoft.Storage/storageAccounts/stkvauditarchive${r.short}`,
      siemNamespace: `${platform}/providers/Microsoft.EventHub/namespaces/evhns-siem-${r.short}`,
    })),
    shortTermWorkspace: workspaceId('law-shortterm'),
    socWorkspace: `${rg(guid(random, spec.subscriptions + 1), 'rg-soc')}/providers/Microsoft.OperationalInsights/workspaces/law-soc-sentinel`,
  };
  const siemRule = (namespace: string) => `${namespace}/eventhubs/kv-audit/authorizationrules/kv-audit-send`;
  const workspace = (id: string, name: string, location: string, retentionInDays: number, serial: number): EstateResource => ({
    id,
    name,
    type: 'Microsoft.OperationalInsights/workspaces',
    location,
    properties: { customerId: guid(random, serial), sku: { name: 'PerGB2018' }, retentionInDays, provisioningState: 'Succeeded' },
  });
  const otherResources: EstateResource[] = [
    ...central.workspaces.flatMap((w, i) => [
      workspace(w.id, w.workspace, w.location, 365, i),
      { id: w.archiveStorage, name: `stkvauditarchive${w.short}`, type: 'Microsoft.Storage/storageAccounts', location: w.location, kind: 'StorageV2' },
      { id: w.siemNamespace, name: `evhns-siem-${w.short}`, type: 'Microsoft.EventHub/namespaces', location: w.location },
      // Only in ARM: Resource Graph does not list an event hub or its authorization rules.
      { id: `${w.siemNamespace}/eventhubs/kv-audit`, name: 'kv-audit', type: 'Microsoft.EventHub/namespaces/eventhubs', location: w.location },
      { id: siemRule(w.siemNamespace), name: 'kv-audit-send', type: 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules', location: w.location },
    ]),
    workspace(central.shortTermWorkspace, 'law-shortterm', 'westeurope', 30, regions.length),
  ];
  const teamLogging = (s: number) => rg(subscriptions[s]!, 'rg-team-logging');
  // The team's own storage account in each region: it exists, and is not approved.
  const ownStorage = (s: number, region: (typeof regions)[number]) =>
    `${teamLogging(s)}/providers/Microsoft.Storage/storageAccounts/stteam${region.short}${s.toString(36).padStart(6, '0')}`;
  subscriptions.forEach((_, s) => {
    for (const region of regions) {
      const id = ownStorage(s, region);
      otherResources.push({ id, name: id.split('/').at(-1)!, type: 'Microsoft.Storage/storageAccounts', location: region.location, kind: 'StorageV2' });
    }
  });
  const archetypeOf = archetypeOfEachVault(spec.vaults, random);
  const isManagedHsm = managedHsmFlags(spec.vaults, random);
  // Drawn in the order the vaults are made, so the estate is the same whichever vault is asked for first.
  const appOf = new Uint8Array(spec.vaults);
  const envOf = new Uint8Array(spec.vaults);
  const regionOf = new Uint8Array(spec.vaults);
  const index = (count: number) => Math.floor(random() * count);
  for (let serial = 0; serial < spec.vaults; serial++) {
    appOf[serial] = index(apps.length);
    envOf[serial] = index(environments.length);
    regionOf[serial] = index(central.workspaces.length);
  }
  const tagsOf = new Map(apps.flatMap((app, i) => environments.map((env) => [`${app}-${env}`, { env, owner: `${app}-team`, costCenter: `CC-${4100 + i}` }])));
  const vaultSku = { family: 'A', name: 'standard' };
  const hsmSku = { family: 'B', name: 'Standard_B1' };

  function subscriptionOf(serial: number): number {
    let [low, high] = [0, counts.length - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (firstVault[middle]! <= serial) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  function vault(serial: number, archetypeIndex?: number): GeneratedVault {
    if (!Number.isSafeInteger(serial) || serial < 0 || serial >= spec.vaults) throw new RangeError(`no vault ${serial} in an estate of ${spec.vaults}`);
    const s = subscriptionOf(serial);
    const subscription = subscriptions[s]!;
    const archetype = archetypes[archetypeIndex ?? archetypeOf[serial]!]!;
    const app = apps[appOf[serial]!]!;
    const env = environments[envOf[serial]!]!;
    const region = central.workspaces[regionOf[serial]!]!;
    const hsm = isManagedHsm[serial] === 1;
    const name = `${hsm ? 'hsm' : 'kv'}-${app}-${env}-${serial.toString(36).padStart(5, '0')}`;
    const id = `${rg(subscription, `rg-${app}-${env}`)}/providers/Microsoft.KeyVault/${hsm ? 'managedHSMs' : 'vaults'}/${name}`;
    const tags = tagsOf.get(`${app}-${env}`)!;
    const resource: EstateResource = {
      id,
      name,
      type: hsm ? 'Microsoft.KeyVault/managedHSMs' : 'Microsoft.KeyVault/vaults',
      location: region.location,
      tags: archetype.exempt
        ? { ...tags, [exemptionTag]: `Vendor-managed vault; the vendor ships its audit logs, ticket SEC-${serial}${serial % 2 === 0 ? '; until=2099-12-31' : ''}` }
        : tags,
      ...(hsm
        ? { sku: hsmSku, properties: { tenantId, hsmUri: `https://${name}.managedhsm.azure.net/`, enableSoftDelete: true, provisioningState: 'Succeeded' } }
        : {
            properties: {
              tenantId,
              sku: vaultSku,
              vaultUri: `https://${name}.vault.azure.net/`,
              enableRbacAuthorization: true,
              enableSoftDelete: true,
              provisioningState: 'Succeeded',
            },
          }),
    };
    const otherRegion = central.workspaces[(regionOf[serial]! + 1) % central.workspaces.length]!;
    const destinations: Destinations = {
      centralWorkspace: region.id,
      archiveStorage: region.archiveStorage,
      siemEventHubRule: siemRule(region.siemNamespace),
      otherRegionArchive: otherRegion.archiveStorage,
      shortTermWorkspace: central.shortTermWorkspace,
      socWorkspace: central.socWorkspace,
      ownStorage: ownStorage(s, regions[regionOf[serial]!]!),
      retiredWorkspace: `${teamLogging(s)}/providers/Microsoft.OperationalInsights/workspaces/law-retired-${s.toString(36)}`,
    };
    return {
      resource,
      settings: archetype.settings(destinations).map((parts) => listedDiagnosticSetting(id, parts)),
      verdict: archetype.verdict,
      access: archetype.access ?? null,
      subscription: s,
    };
  }

  return {
    spec,
    tenantId,
    subscriptions,
    firstVault,
    locations: regions.map((r) => r.location),
    otherResources,
    resourcesPerSubscription: regions.length,
    vault: (serial) => vault(serial),
    vaultAs: (serial, archetype) => vault(serial, namedArchetypes[archetype]),
    subscriptionOf,
    env: {
      KV_AUDIT_APPROVED_DESTINATIONS: [
        ...central.workspaces.flatMap((w) => [w.id, w.archiveStorage, w.siemNamespace]),
        central.shortTermWorkspace,
        central.socWorkspace,
      ].join(','),
      KV_AUDIT_EXEMPTION_TAG: exemptionTag,
      KV_AUDIT_MIN_RETENTION_DAYS: '90',
      KV_AUDIT_REMEDIATION_WORKSPACE_ID: central.workspaces[0]!.id,
    },
  };
}

export function generateEstate(spec: GeneratedEstateSpec): GeneratedEstate {
  const shape = estateShape(spec);
  const perSubscription = shape.resourcesPerSubscription;
  const centralCount = shape.otherResources.length - shape.subscriptions.length * perSubscription;
  const resources: EstateResource[] = shape.otherResources.slice(0, centralCount);
  const diagnosticSettings: EstateDiagnosticSetting[] = [];
  const denied: string[] = [];
  const deletedAfterInventory: string[] = [];
  const expected = new Map<string, ExpectedVerdict>();
  const vaultsPerSubscription = new Map<string, number>();
  shape.subscriptions.forEach((subscription, s) => {
    vaultsPerSubscription.set(subscription, shape.firstVault[s + 1]! - shape.firstVault[s]!);
    resources.push(...shape.otherResources.slice(centralCount + s * perSubscription, centralCount + (s + 1) * perSubscription));
    for (let serial = shape.firstVault[s]!; serial < shape.firstVault[s + 1]!; serial++) {
      const vault = shape.vault(serial);
      resources.push(vault.resource);
      diagnosticSettings.push(...vault.settings);
      if (vault.access === 'denied') denied.push(vault.resource.id);
      if (vault.access === 'deletedAfterInventory') deletedAfterInventory.push(vault.resource.id);
      expected.set(normalizeResourceId(vault.resource.id), vault.verdict);
    }
  });
  return {
    estate: { tenantId: shape.tenantId, resources, diagnosticSettings, denied, deletedAfterInventory, resourceGraphIndexesDiagnosticSettings: false },
    expected,
    env: shape.env,
    vaultsPerSubscription,
  };
}
