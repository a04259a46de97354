import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type VaultEvidence, evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { parseDiagnosticSetting } from '../../src/control/diagnosticSetting.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { findingRowSchema } from '../../src/findings/schema.js';
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
    properties: fc.record(
      {
        workspaceId: id,
        storageAccountId: id,
        eventHubAuthorizationRuleId: id,
        marketplacePartnerId: id,
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

const targets = [ids.workspace, ids.otherWorkspace, ids.storage, ids.eventHubNamespace, ids.partner].map(normalizeResourceId);

const evidence: fc.Arbitrary<VaultEvidence> = fc.record({
  settings: fc.oneof(
    { weight: 9, arbitrary: fc.array(setting, { maxLength: 5 }).map((raw) => ({ state: 'Read' as const, source: 'ARM' as const, records: raw.map(parseDiagnosticSetting) })) },
    { weight: 1, arbitrary: fc.constantFrom('AccessDenied', 'ReadFailed', 'MalformedRecord').map((reason) => ({ state: 'Unreadable' as const, source: 'ARM' as const, reason, message: 'x' })) },
  ),
  existence: fc.dictionary(fc.constantFrom(...targets), fc.constantFrom('Exists' as const, 'NotFound' as const)),
  tags: fc.dictionary(fc.constantFrom('kv-audit-exempt', 'env', 'KV-AUDIT-EXEMPT'), fc.oneof(fc.string(), fc.constantFrom('reason; until=2099-01-01', 'old; until=2000-01-01', 'until=2026-13-01'))),
}).map(({ settings, existence, tags }) => ({
  resource: vault({ tags }),
  settings,
  destinationExistence: new Map(Object.entries(existence)),
}));

const approvedLists = fc.option(fc.subarray(targets), { nil: null }).map((list) => (list === null ? null : new Set(list)));

/** The test's own reading of the rule, independent of the control's helpers: lowercase ids, namespace of an event hub rule. */
const normalize = (id: string) => id.trim().replace(/\/+$/, '').toLowerCase();
// Only an event hub destination is judged by its namespace; an odd id in another field is taken as it is.
const target = (kind: string, id: string) =>
  kind === 'EventHub' ? normalize(id).replace(/^(.*\/providers\/microsoft\.eventhub\/namespaces\/[^/]+)\/.*$/, '$1') : normalize(id);
const isAuditEntry = (entry: { category?: string | null; categoryGroup?: string | null; enabled: boolean }) =>
  entry.enabled && (entry.category?.toLowerCase() === 'auditevent' || ['audit', 'alllogs'].includes(entry.categoryGroup?.toLowerCase() ?? ''));

function hasDeliveringSetting(input: VaultEvidence, approved: ReadonlySet<string> | null): boolean {
  if (input.settings.state !== 'Read') return false;
  return input.settings.records.some(
    (r) =>
      r.ok &&
      r.setting.logs.some(isAuditEntry) &&
      r.setting.destinations.some((d) => {
        const usable = input.destinationExistence.get(target(d.kind, d.id)) !== 'NotFound';
        return usable && (approved === null || approved.has(target(d.kind, d.id)) || approved.has(normalize(d.id)));
      }),
  );
}

describe('control invariants over generated settings', () => {
  const runs = { numRuns: 2_000, seed: 20261122 };

  it('the generator reaches every status, so the invariants below are not vacuous', () => {
    const statuses = new Set(fc.sample(fc.tuple(evidence, approvedLists), { numRuns: 2_000, seed: runs.seed }).map(
      ([input, approved]) => evaluateAuditLogging(input, policy({ approvedDestinations: approved }), scanTime).Reason,
    ));
    expect([...statuses].sort()).toEqual([
      'AccessDenied', 'AuditLogsDelivered', 'AuditLogsNotEnabled', 'DestinationNotApproved', 'DestinationNotFound',
      'Exempted', 'MalformedRecord', 'NoDestination', 'NoDiagnosticSettings', 'ReadFailed',
    ]);
  });

  it('never throws, and every finding is a valid findings-table row', () => {
    fc.assert(
      fc.property(evidence, approvedLists, (input, approved) => {
        const finding = evaluateAuditLogging(input, policy({ approvedDestinations: approved }), scanTime);
        const row = { ...finding, TimeGenerated: scanTime.toISOString(), ScanId: '8f6c1c2e-6a51-4a43-9d8e-2f1f6b0c1d2e' };
        expect(findingRowSchema.safeParse(row).error).toBeUndefined();
      }),
      runs,
    );
  });

  it('fails only on complete evidence: every record read and parsed', () => {
    fc.assert(
      fc.property(evidence, approvedLists, (input, approved) => {
        const finding = evaluateAuditLogging(input, policy({ approvedDestinations: approved }), scanTime);
        const complete = input.settings.state === 'Read' && input.settings.records.every((r) => r.ok);
        expect({ status: finding.Status, complete }).not.toEqual({ status: 'Fail', complete: false });
      }),
      runs,
    );
  });

  it('passes exactly when some setting has an enabled audit entry and a usable, approved destination', () => {
    fc.assert(
      fc.property(evidence, approvedLists, (input, approved) => {
        const finding = evaluateAuditLogging(input, policy({ approvedDestinations: approved }), scanTime);
        expect(finding.Status === 'Pass').toBe(hasDeliveringSetting(input, approved));
      }),
      runs,
    );
  });

  it('exempts only what would otherwise fail, and never hides unreadable evidence', () => {
    fc.assert(
      fc.property(evidence, (input) => {
        const finding = evaluateAuditLogging(input, policy(), scanTime);
        const untagged = evaluateAuditLogging({ ...input, resource: vault() }, policy(), scanTime);
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
