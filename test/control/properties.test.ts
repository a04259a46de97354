import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ControlPolicy, type VaultEvidence, evaluateAuditLogging } from '../../src/control/auditLogging.js';
import type { FactsAnswer } from '../../src/control/destinationFacts.js';
import { parseDiagnosticSetting } from '../../src/control/diagnosticSetting.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { controlReasons, findingRowSchema } from '../../src/findings/schema.js';
import { ids, policy, scanTime, vault } from '../support/evidence.js';

/*
 * Generated diagnostic-setting shapes, well-formed and hostile, checked against
 * the control's invariants: it never throws, every finding is a valid row, it
 * fails only on evidence, and passes only with an audit entry and a destination.
 */

const anyJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string(), fc.constant([]), fc.constant({}));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant(undefined), fc.constant(null));

const wellFormedLogEntry = fc.record({
  category: maybe(fc.constantFrom('AuditEvent', 'auditevent', 'AUDITEVENT', 'AzurePolicyEvaluationDetails', 'WorkflowRuntime')),
  categoryGroup: maybe(fc.constantFrom('audit', 'Audit', 'allLogs', 'ALLLOGS', 'security', '')),
  enabled: fc.boolean(),
});
const hostileLogEntry = fc.record({ category: anyJson, categoryGroup: anyJson, enabled: fc.oneof(fc.constant('true'), fc.constant(1), anyJson) });

const wellFormedId = maybe(fc.constantFrom(ids.workspace, ids.otherWorkspace, ids.storage, ids.eventHubRule, ids.partner, '', '  '));
const hostileId = fc.oneof(fc.string(), fc.integer(), anyJson);

const settingOf = (logEntry: fc.Arbitrary<unknown>, id: fc.Arbitrary<unknown>, list: fc.Arbitrary<unknown>) =>
  fc.record({
    name: fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('audit', 'to-law', 'x"|\\\'{}')),
    // ARM's metadata: when the setting last changed, read loosely (a malformed one changes nothing).
    systemData: fc.constantFrom(undefined, { lastModifiedAt: '2026-11-20T00:00:00Z' }, { lastModifiedAt: 42 }),
    properties: fc.record(
      {
        workspaceId: id,
        storageAccountId: id,
        eventHubAuthorizationRuleId: id,
        marketplacePartnerId: id,
        logAnalyticsDestinationType: fc.constantFrom('Dedicated', null),
        logs: fc.oneof(fc.array(logEntry, { maxLength: 4 }), list),
        metrics: fc.oneof(fc.array(fc.record({ category: fc.constant('AllMetrics'), enabled: fc.boolean() }), { maxLength: 1 }), list),
      },
      { requiredKeys: [] },
    ),
  });

/** Mostly realistic settings, some with one hostile part, some not settings at all. */
const setting = fc.oneof(
  { weight: 6, arbitrary: settingOf(wellFormedLogEntry, wellFormedId, fc.constant(null)) },
  { weight: 2, arbitrary: settingOf(fc.oneof(wellFormedLogEntry, hostileLogEntry), fc.oneof(wellFormedId, hostileId), anyJson) },
  { weight: 1, arbitrary: fc.record({ name: anyJson, properties: anyJson }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyJson },
);

/** Audit to one workspace or one storage account only: whether it is reachable and keeps the logs long enough decides. */
const singleDestination = fc.record({
  name: fc.constant('single'),
  systemData: fc.constantFrom(undefined, { lastModifiedAt: '2026-11-20T00:00:00Z' }),
  properties: fc.oneof(
    fc.record({ workspaceId: fc.constant(ids.workspace), logAnalyticsDestinationType: fc.constantFrom('Dedicated', null), logs: fc.constant([{ categoryGroup: 'audit', enabled: true }]) }),
    fc.record({ storageAccountId: fc.constant(ids.storage), logs: fc.constant([{ category: 'AuditEvent', enabled: true }]) }),
  ),
});

const targets = [ids.workspace, ids.otherWorkspace, ids.storage, ids.eventHubRule, ids.partner].map(normalizeResourceId);

/*
 * What ARM said of the destinations beyond existence: a few realistic shapes each, reachable or not, short-lived or
 * not, read or out of sight (missing from the map). The vault is in westeurope.
 */
const storage = normalizeResourceId(ids.storage);
const namespace = normalizeResourceId(ids.eventHubNamespace);
const workspace = normalizeResourceId(ids.workspace);
const factsArbitrary = fc
  .record(
    {
      [storage]: fc.constantFrom(
        { kind: 'storageAccount', location: 'westeurope', defaultAction: 'Allow', bypass: [] },
        { kind: 'storageAccount', location: 'westeurope', defaultAction: 'Deny', bypass: ['Logging'] },
        { kind: 'storageAccount', location: 'westeurope', defaultAction: 'Deny', bypass: ['AzureServices'] },
        { kind: 'storageAccount', location: 'northeurope', defaultAction: 'Allow', bypass: [] },
      ),
      [`${storage}/managementpolicies/default`]: fc.constantFrom(
        { kind: 'absent' },
        { kind: 'lifecyclePolicy', rules: [{ name: 'r', enabled: true, prefixes: [], blobTypes: ['appendBlob'], deleteAfterDays: 90 }] },
      ),
      [`${storage}/blobservices/default/containers/insights-logs-auditevent`]: fc.constantFrom(
        { kind: 'absent' },
        { kind: 'container', immutableDays: 400, immutabilityState: 'Locked' },
      ),
      [workspace]: fc.constantFrom({ kind: 'workspace', location: 'eastus', customerId: 'c', retentionInDays: 30 }, { kind: 'workspace', location: 'eastus', customerId: 'c', retentionInDays: 730 }),
      [`${workspace}/tables/azkvauditlogs`]: fc.constantFrom({ kind: 'absent' }, { kind: 'workspaceTable', retentionInDays: 90, totalRetentionInDays: 90 }),
      [`${workspace}/tables/azurediagnostics`]: fc.constantFrom({ kind: 'absent' }, { kind: 'workspaceTable', retentionInDays: 400, totalRetentionInDays: 400 }),
      [namespace]: fc.constantFrom(
        { kind: 'eventHubNamespace', location: 'westeurope', publicNetworkAccess: 'Enabled' },
        { kind: 'eventHubNamespace', location: 'westeurope', publicNetworkAccess: 'Disabled' },
        { kind: 'eventHubNamespace', location: 'northeurope', publicNetworkAccess: 'Enabled' },
      ),
      [`${namespace}/networkrulesets/default`]: fc.constantFrom(
        { kind: 'networkRuleSet', defaultAction: 'Deny', publicNetworkAccess: 'Enabled', trustedServiceAccessEnabled: false, ruleCount: 1 },
        { kind: 'networkRuleSet', defaultAction: 'Deny', publicNetworkAccess: 'Enabled', trustedServiceAccessEnabled: true, ruleCount: 1 },
        { kind: 'networkRuleSet', defaultAction: 'Allow', publicNetworkAccess: 'Enabled', trustedServiceAccessEnabled: false, ruleCount: 0 },
      ),
    },
    { requiredKeys: [] },
  )
  .map((facts) => new Map(Object.entries(facts) as [string, FactsAnswer][]));

const vaultId = normalizeResourceId(vault().id);
const delivery = fc.option(
  fc.constantFrom(
    new Map([[workspace, { state: 'Queried' as const, lastEvents: new Map([[vaultId, new Date('2026-11-21T00:00:00Z')]]) }]]),
    new Map([[workspace, { state: 'Queried' as const, lastEvents: new Map([[vaultId, new Date('2026-11-19T00:00:00Z')]]) }]]),
    new Map([[workspace, { state: 'Queried' as const, lastEvents: new Map<string, Date>() }]]),
    new Map([[workspace, { state: 'Unavailable' as const, why: 'no Log Analytics Reader' }]]),
  ),
  { nil: null },
);

const evidence: fc.Arbitrary<VaultEvidence> = fc.record({
  settings: fc.oneof(
    { weight: 7, arbitrary: fc.array(setting, { maxLength: 5 }).map((raw) => ({ state: 'Read' as const, source: 'ARM' as const, records: raw.map(parseDiagnosticSetting) })) },
    { weight: 2, arbitrary: singleDestination.map((raw) => ({ state: 'Read' as const, source: 'ARM' as const, records: [parseDiagnosticSetting(raw)] })) },
    { weight: 1, arbitrary: fc.constantFrom('AccessDenied', 'ReadFailed', 'MalformedRecord').map((reason) => ({ state: 'Unreadable' as const, source: 'ARM' as const, reason, message: 'x' })) },
  ),
  existence: fc.dictionary(fc.constantFrom(...targets), fc.constantFrom('Exists' as const, 'NotFound' as const)),
  facts: factsArbitrary,
  delivery,
  tags: fc.dictionary(fc.constantFrom('kv-audit-exempt', 'env', 'KV-AUDIT-EXEMPT'), fc.oneof(fc.string(), fc.constantFrom('reason; until=2099-01-01', 'old; until=2000-01-01', 'until=2026-13-01'))),
}).map(({ settings, existence, facts, delivery: arrived, tags }) => ({
  resource: vault({ tags }),
  settings,
  destinationExistence: new Map(Object.entries(existence)),
  destinationFacts: facts,
  delivery: arrived,
}));

/** The policies a deployment may set: approved lists, both profiles, a minimum retention, central exemptions, tags on or off. */
const policies: fc.Arbitrary<ControlPolicy> = fc
  .record({
    approved: fc.option(fc.subarray([...targets, namespace]), { nil: null }),
    profile: fc.constantFrom('default' as const, 'cis' as const),
    minRetentionDays: fc.constantFrom(null, 365),
    exemptions: fc.subarray([
      { scope: vaultId, reason: 'central', expires: '2099-01-01', approvedBy: 'ciso' },
      { scope: vaultId.replace(/\/providers\/.*$/, ''), reason: 'lapsed', expires: '2000-01-01', approvedBy: 'ciso' },
    ]),
    tagExemptions: fc.boolean(),
  })
  .map(({ approved, ...rest }) => policy({ ...rest, approvedDestinations: approved === null ? null : new Set(approved) }));

/** The test's own reading of the rule, independent of the control's helpers: lowercase ids, namespace of an event hub rule. */
const normalize = (id: string) => id.trim().replace(/\/+$/, '').toLowerCase();
// Only an event hub destination is approved by its namespace; an odd id in another field is taken as it is.
const approvalTarget = (kind: string, id: string) =>
  kind === 'EventHub' ? normalize(id).replace(/^(.*\/providers\/microsoft\.eventhub\/namespaces\/[^/]+)\/.*$/, '$1') : normalize(id);
const auditGroup = (entry: { category?: string | null; categoryGroup?: string | null; enabled: boolean }) =>
  !entry.enabled ? null : entry.category?.toLowerCase() === 'auditevent' ? 'AuditEvent' : (entry.categoryGroup?.toLowerCase() ?? null);
const isAuditEntry = (entry: Parameters<typeof auditGroup>[0]) => ['auditevent', 'audit', 'alllogs'].includes(auditGroup(entry)?.toLowerCase() ?? '');

/** Blocked, as the documentation words it: a firewall without the trusted-services path, or another region. */
function blocked(kind: string, id: string, facts: ReadonlyMap<string, FactsAnswer>): boolean {
  const get = (key: string) => facts.get(key) as Record<string, unknown> | undefined;
  if (kind === 'StorageAccount') {
    const account = get(id);
    if (!account) return false;
    return (account['defaultAction'] === 'Deny' && !(account['bypass'] as string[]).includes('AzureServices')) || account['location'] !== 'westeurope';
  }
  if (kind === 'EventHub') {
    const ns = get(id);
    const rules = get(`${id}/networkrulesets/default`);
    if (!ns) return false;
    const closed = ns['publicNetworkAccess'] === 'Disabled' || (rules?.['defaultAction'] === 'Deny' && Number(rules['ruleCount']) > 0);
    return (closed && rules !== undefined && rules['trustedServiceAccessEnabled'] !== true) || ns['location'] !== 'westeurope';
  }
  return false;
}

/** Kept at least 365 days, or not known (Unverified never fails). */
function keptLongEnough(kind: string, id: string, table: string, facts: ReadonlyMap<string, FactsAnswer>): boolean {
  const get = (key: string) => facts.get(key) as Record<string, unknown> | undefined;
  if (kind === 'StorageAccount') {
    const rule = get(`${id}/managementpolicies/default`);
    const container = get(`${id}/blobservices/default/containers/insights-logs-auditevent`);
    // Deleted after 90 days unless a 400-day immutability keeps them.
    return !rule || !container || rule['kind'] === 'absent' || container['kind'] === 'container';
  }
  if (kind === 'LogAnalyticsWorkspace') {
    const ws = get(id);
    const t = get(`${id}/tables/${table}`);
    if (t?.['kind'] === 'workspaceTable') return Number(t['totalRetentionInDays']) >= 365;
    return !ws || t?.['kind'] !== 'absent' || Number(ws['retentionInDays']) >= 365;
  }
  return true;
}

function hasDeliveringSetting(input: VaultEvidence, p: ControlPolicy, profile: ControlPolicy['profile'] = p.profile): boolean {
  if (input.settings.state !== 'Read') return false;
  const facts = input.destinationFacts ?? new Map();
  return input.settings.records.some((r) => {
    if (!r.ok) return false;
    const groups = new Set(r.setting.logs.map(auditGroup));
    const sourcesOk = profile === 'cis' ? groups.has('audit') && groups.has('alllogs') : r.setting.logs.some(isAuditEntry);
    return (
      sourcesOk &&
      r.setting.destinations.some((d) => {
        // An event hub exists when the rule it sends with does; everything else is itself.
        const gone = input.destinationExistence.get(normalize(d.id)) === 'NotFound';
        const id = approvalTarget(d.kind, d.id);
        const isApproved = p.approvedDestinations === null || p.approvedDestinations.has(id) || p.approvedDestinations.has(normalize(d.id));
        const longEnough = p.minRetentionDays === null || keptLongEnough(d.kind, id, r.setting.workspaceTable.toLowerCase(), facts);
        return !gone && !blocked(d.kind, id, facts) && isApproved && longEnough;
      })
    );
  });
}

describe('control invariants over generated settings', () => {
  const runs = { numRuns: 2_000, seed: 20261122 };

  it('the generator reaches every reason, destination status, delivery check and exemption source, so the invariants below are not vacuous', () => {
    const findings = fc.sample(fc.tuple(evidence, policies), { numRuns: 5_000, seed: runs.seed }).map(([input, p]) => evaluateAuditLogging(input, p, scanTime));
    const seen = (values: readonly (string | null | undefined)[]) => [...new Set(values.filter((v) => v != null))].sort();
    expect(seen(findings.map((f) => f.Reason))).toEqual([...controlReasons].sort());
    expect(seen(findings.flatMap((f) => f.Destinations.map((d) => d.Status)))).toEqual(['Blocked', 'Exists', 'NotFound', 'Unverified']);
    expect(seen(findings.flatMap((f) => f.Destinations.map((d) => d.Retention?.MeetsMinimum?.toString())))).toEqual(['false', 'true']);
    expect(seen(findings.map((f) => f.DeliveryCheck))).toEqual(['EventsSeen', 'NoEvents', 'NotChecked', 'Stopped', 'Unverified']);
    expect(seen(findings.map((f) => f.Exemption && `${f.Exemption.Source} ${f.Exemption.State}`))).toEqual([
      'CentralList Active', 'CentralList Expired', 'Tag Active', 'Tag Disabled', 'Tag Expired', 'Tag Invalid',
    ]);
  });

  it('never throws, and every finding is a valid findings-table row', () => {
    fc.assert(
      fc.property(evidence, policies, (input, p) => {
        const finding = evaluateAuditLogging(input, p, scanTime);
        const row = { ...finding, TimeGenerated: scanTime.toISOString(), ScanId: '8f6c1c2e-6a51-4a43-9d8e-2f1f6b0c1d2e' };
        expect(findingRowSchema.safeParse(row).error).toBeUndefined();
      }),
      runs,
    );
  });

  it('fails only on complete evidence: every record read and parsed', () => {
    fc.assert(
      fc.property(evidence, policies, (input, p) => {
        const finding = evaluateAuditLogging(input, p, scanTime);
        const complete = input.settings.state === 'Read' && input.settings.records.every((r) => r.ok);
        expect({ status: finding.Status, complete }).not.toEqual({ status: 'Fail', complete: false });
      }),
      runs,
    );
  });

  it("passes exactly when some setting has the profile's audit sources and a usable destination: there, reachable, approved, kept long enough", () => {
    fc.assert(
      fc.property(evidence, policies, (input, p) => {
        const finding = evaluateAuditLogging(input, p, scanTime);
        expect(finding.Status === 'Pass').toBe(hasDeliveringSetting(input, p));
      }),
      runs,
    );
  });

  it('fails CisCategoryGroupsMissing exactly when the default profile would pass and the cis profile does not', () => {
    fc.assert(
      fc.property(evidence, policies, (input, p) => {
        const finding = evaluateAuditLogging(input, { ...p, profile: 'cis', exemptions: [], tagExemptions: false }, scanTime);
        const cisGap = input.settings.state === 'Read' && hasDeliveringSetting(input, p, 'default') && !hasDeliveringSetting(input, p, 'cis');
        expect(finding.Reason === 'CisCategoryGroupsMissing').toBe(cisGap && finding.Status === 'Fail');
      }),
      runs,
    );
  });

  it('exempts only what would otherwise fail, and never hides unreadable evidence', () => {
    fc.assert(
      fc.property(evidence, policies, (input, p) => {
        const finding = evaluateAuditLogging(input, p, scanTime);
        const untagged = evaluateAuditLogging({ ...input, resource: vault() }, { ...p, exemptions: [] }, scanTime);
        // Unreadable evidence is an Error whatever the tag; an exemption turns only a Fail into Exempt.
        const expected = input.settings.state === 'Unreadable' ? 'Error' : finding.Status === 'Exempt' ? 'Exempt' : untagged.Status;
        expect(finding.Status).toBe(expected);
        expect(finding.Status !== 'Exempt' || untagged.Status === 'Fail').toBe(true);
      }),
      runs,
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(evidence, (input) => {
        expect(evaluateAuditLogging(input, policy(), scanTime)).toEqual(evaluateAuditLogging(input, policy(), scanTime));
      }),
      { ...runs, numRuns: 300 },
    );
  });
});
