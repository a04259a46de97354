import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type KqlRow, executeQuery } from '@kv-audit/kql';
import { type FindingRow, type ScanRow, controlStatuses, findingRowSchema } from '../../src/findings/schema.js';
import { withWorkspaceFunctions } from '../support/kusto.js';
import { scanRow } from '../support/rows.js';
import { type WorkbookSelection, columnsShown, committedWorkbook, expandParameters, withinTimeRange, workbookQueries } from '../support/workbook.js';
import { infraDir } from './bicep.js';

/*
 * The shipped queries' logic, checked by running their exact text (infra/queries/*.kql, which the alert rules
 * load too) over fixture rows with the project's KQL interpreter. The fixture is a morning of hourly scans:
 *
 *   10:00 Timer  complete     kv-a Pass  kv-b Pass  kv-c Fail  kv-d Exempt  kv-e Error  kv-g Fail
 *   11:00 Timer  complete     kv-a Fail  kv-b Pass  kv-c Fail  kv-d Exempt  kv-e Pass   kv-g Error  kv-f Fail (new)
 *                             (kv-b's row landed twice: a retried upload)
 *   11:30 Cli    complete     kv-b Fail  (a narrower manual scan: posture sees it, alerts do not)
 *   12:00 Timer  INCOMPLETE   kv-a Pass  kv-b Fail  (5 rows not written: its two findings stand, the absence of
 *                             the other five proves nothing)
 *
 * and, for the dropped-batch scenario, one more:
 *
 *   13:00 Timer  "complete"   kv-a Pass  kv-c Pass  (it wrote 7 rows and the service answered 204, but only these
 *                             two arrived: the scan must not count as complete, nor its silence as absence)
 */

/** A shipped query, with the workspace functions it may call declared first, as the workspace resolves them. */
const query = (name: string) => withWorkspaceFunctions(readFileSync(join(infraDir, 'queries', name), 'utf8'));
const at = (iso: string) => ({ now: () => new Date(iso) });

const scanIds = {
  s10: '10000000-0000-4000-8000-000000000000',
  s11: '11000000-0000-4000-8000-000000000000',
  cli: '11300000-0000-4000-8000-000000000000',
  s12: '12000000-0000-4000-8000-000000000000',
  s13: '13000000-0000-4000-8000-000000000000',
};
const subscriptions = { payments: '11111111-1111-4111-8111-111111111111', corp: '22222222-2222-4222-8222-222222222222' };

function scan(id: string, finishedAt: string, overrides: Partial<ScanRow>): ScanRow {
  return scanRow({ TimeGenerated: finishedAt, ScanId: id, StartedAt: finishedAt, FinishedAt: finishedAt, ArmCalls: 7, ...overrides });
}

const vaults = {
  'kv-a': subscriptions.payments,
  'kv-b': subscriptions.payments,
  'kv-c': subscriptions.corp,
  'kv-d': subscriptions.corp,
  'kv-e': subscriptions.corp,
  'kv-f': subscriptions.payments,
  'kv-g': subscriptions.corp,
} as const;
type Vault = keyof typeof vaults;
const resourceId = (name: Vault) => `/subscriptions/${vaults[name]}/resourcegroups/rg-${name}/providers/microsoft.keyvault/vaults/${name}`;

const reasons = { Pass: 'AuditLogsDelivered', Fail: 'NoDiagnosticSettings', Exempt: 'Exempted', Error: 'AccessDenied' } as const;

type Delivery = Pick<FindingRow, 'DeliveryCheck' | 'LastAuditEventAt'>;
const notChecked: Delivery = { DeliveryCheck: 'NotChecked', LastAuditEventAt: null };

function finding(scanId: string, time: string, name: Vault, status: keyof typeof reasons, reason: string = reasons[status], delivery: Delivery = notChecked): FindingRow {
  return findingRowSchema.parse({
    TimeGenerated: time,
    ScanId: scanId,
    ControlId: 'kv-audit-logging-delivered',
    ResourceId: resourceId(name),
    ResourceName: name,
    ResourceType: 'microsoft.keyvault/vaults',
    SubscriptionId: vaults[name],
    ResourceGroup: `rg-${name}`,
    Location: 'westeurope',
    AzureTenantId: '33333333-3333-4333-8333-333333333333',
    Status: status,
    Reason: reason,
    Detail: `${name} ${status}`,
    Severity: 'High',
    EvidenceSource: 'ARM',
    DiagnosticSettingCount: status === 'Error' ? null : 1,
    AuditSettings: [],
    AuditSources: [],
    Destinations: [],
    Profile: 'default',
    CisStrict: status === 'Error' ? null : false,
    DisabledAuditEntry: status === 'Error' ? null : false,
    Exemption:
      name === 'kv-d'
        ? { Source: 'CentralList', Scope: resourceId('kv-d'), Reason: 'Vendor-managed', Until: '2026-12-10', ApprovedBy: 'CISO office', State: 'Active', Problem: null }
        : null,
    ...delivery,
    Remediation: status === 'Fail' || status === 'Exempt' ? `az monitor diagnostic-settings create --resource '${resourceId(name)}'` : '',
    Tags: {},
  });
}

const at10 = (s: string) => `2026-11-22T10:00:${s}Z`;
const at11 = (s: string) => `2026-11-22T11:00:${s}Z`;
const kvBRetried = finding(scanIds.s11, at11('02'), 'kv-b', 'Pass');

const findings: FindingRow[] = [
  finding(scanIds.s10, at10('01'), 'kv-a', 'Pass'),
  finding(scanIds.s10, at10('02'), 'kv-b', 'Pass'),
  finding(scanIds.s10, at10('03'), 'kv-c', 'Fail'),
  finding(scanIds.s10, at10('04'), 'kv-d', 'Exempt'),
  finding(scanIds.s10, at10('05'), 'kv-e', 'Error', reasons.Error, { DeliveryCheck: 'Stopped', LastAuditEventAt: '2026-11-20T08:00:00Z' }),
  finding(scanIds.s10, at10('06'), 'kv-g', 'Fail'),
  finding(scanIds.s11, at11('01'), 'kv-a', 'Fail', 'DestinationNotFound'),
  kvBRetried,
  { ...kvBRetried },
  finding(scanIds.s11, at11('03'), 'kv-c', 'Fail'),
  finding(scanIds.s11, at11('04'), 'kv-d', 'Exempt'),
  finding(scanIds.s11, at11('05'), 'kv-e', 'Pass', reasons.Pass, { DeliveryCheck: 'EventsSeen', LastAuditEventAt: '2026-11-22T10:45:00Z' }),
  finding(scanIds.s11, at11('06'), 'kv-f', 'Fail'),
  finding(scanIds.s11, at11('07'), 'kv-g', 'Error'),
  finding(scanIds.cli, '2026-11-22T11:30:01Z', 'kv-b', 'Fail', 'DestinationNotApproved'),
  finding(scanIds.s12, '2026-11-22T12:00:01Z', 'kv-a', 'Pass', reasons.Pass, { DeliveryCheck: 'Stopped', LastAuditEventAt: '2026-11-19T23:30:00Z' }),
  finding(scanIds.s12, '2026-11-22T12:00:02Z', 'kv-b', 'Fail'),
];

const scans: ScanRow[] = [
  scan(scanIds.s10, '2026-11-22T10:01:00Z', { ResourceCount: 6, PassCount: 2, FailCount: 2, ExemptCount: 1, ErrorCount: 1, FindingsWritten: 6 }),
  scan(scanIds.s11, '2026-11-22T11:01:00Z', { ResourceCount: 7, PassCount: 2, FailCount: 3, ExemptCount: 1, ErrorCount: 1, FindingsWritten: 7 }),
  scan(scanIds.cli, '2026-11-22T11:31:00Z', {
    Trigger: 'Cli',
    Scope: { Kind: 'Subscriptions', Ids: [subscriptions.payments] },
    ResourceCount: 1,
    FailCount: 1,
    FindingsWritten: 1,
  }),
  scan(scanIds.s12, '2026-11-22T12:01:00Z', {
    Complete: false,
    ResourceCount: 7,
    PassCount: 2,
    FailCount: 3,
    ExemptCount: 1,
    ErrorCount: 1,
    FindingsWritten: 2,
    Errors: ['Logs Ingestion upload to Custom-KeyVaultAuditFindings: 5 rows not written: HTTP 503'],
  }),
];

const tables = {
  KeyVaultAuditFindings_CL: findings as unknown as KqlRow[],
  KeyVaultAuditScans_CL: scans as unknown as KqlRow[],
};
const run = (file: string, now = '2026-11-22T12:30:00Z') => executeQuery(query(file), tables, at(now));

/** The fixture plus a 13:00 scan whose rows were accepted and then mostly dropped by the service. */
const droppedBatchTables = {
  KeyVaultAuditFindings_CL: [
    ...findings,
    finding(scanIds.s13, '2026-11-22T13:00:01Z', 'kv-a', 'Pass'),
    finding(scanIds.s13, '2026-11-22T13:00:03Z', 'kv-c', 'Pass'),
  ] as unknown as KqlRow[],
  KeyVaultAuditScans_CL: [
    ...scans,
    scan(scanIds.s13, '2026-11-22T13:01:00Z', { ResourceCount: 7, PassCount: 4, FailCount: 2, ExemptCount: 1, FindingsWritten: 7 }),
  ] as unknown as KqlRow[],
};
const runDropped = (file: string, now = '2026-11-22T13:30:00Z') => executeQuery(query(file), droppedBatchTables, at(now));
const column = (rows: readonly KqlRow[], name: string) => rows.map((row) => row[name]);

describe('alert-new-failure.kql: the set of failing resources now', () => {
  const rows = run('alert-new-failure.kql');

  it('takes what the incomplete 12:00 scan did find (kv-a passes, kv-b fails) and keeps the rest from 11:00; the CLI scan counts for nothing', () => {
    expect(column(rows, 'ResourceId').sort()).toEqual([resourceId('kv-b'), resourceId('kv-c'), resourceId('kv-f'), resourceId('kv-g')].sort());
  });

  it('keeps kv-g failing through its Error finding: no false resolution, no duplicate alert', () => {
    expect(rows.find((r) => r['ResourceId'] === resourceId('kv-g'))).toMatchObject({ Reason: 'NoDiagnosticSettings' });
  });

  it('returns one row per resource (the dimension), the retried duplicate collapsed, and no TimeGenerated to bin', () => {
    expect(new Set(column(rows, 'ResourceId')).size).toBe(rows.length);
    expect(Object.keys(rows[0] ?? {})).toEqual(['ResourceId', 'ResourceName', 'SubscriptionId', 'ResourceGroup', 'Reason', 'Detail', 'Remediation']);
  });

  it('a scan whose batch the service dropped resolves nothing it did not see: kv-b, kv-f and kv-g stay failing; kv-c, seen passing, leaves', () => {
    expect(column(runDropped('alert-new-failure.kql'), 'ResourceName').sort()).toEqual(['kv-b', 'kv-f', 'kv-g']);
  });
});

describe('new-failures.kql: what entered the failing set between the two latest scheduled listings', () => {
  it('lists kv-b, which passed as of 11:00 and fails in what the 12:00 scan found; not the resources that kept failing', () => {
    expect(run('new-failures.kql').map((r) => [r['ResourceName'], r['PreviousStatus'], r['Reason']])).toEqual([['kv-b', 'Pass', 'NoDiagnosticSettings']]);
  });

  it('after the dropped batch, nothing is new: silence is not a change', () => {
    expect(runDropped('new-failures.kql')).toEqual([]);
  });
});

describe('current-posture.kql: each resource as of its latest finding, from any scan', () => {
  const rows = run('current-posture.kql');

  it('has one row per resource, failures and errors first, the incomplete scan\'s findings standing on their own', () => {
    expect(rows.map((r) => [r['ResourceName'], r['Status']])).toEqual([
      ['kv-b', 'Fail'],
      ['kv-f', 'Fail'],
      ['kv-c', 'Fail'],
      ['kv-g', 'Error'],
      ['kv-d', 'Exempt'],
      ['kv-a', 'Pass'],
      ['kv-e', 'Pass'],
    ]);
  });

  it('says how current it is: the latest scheduled scan, and that it was incomplete', () => {
    expect(new Set(rows.map((r) => JSON.stringify([r['LastScheduledScan'], r['LastScheduledScanComplete']])))).toEqual(
      new Set([JSON.stringify(['2026-11-22T12:01:00Z', false])]),
    );
  });
});

describe('alert-scan-heartbeat.kql: no complete scheduled scan, all of whose findings arrived, within two intervals', () => {
  it.each([
    { now: '2026-11-22T12:30:00Z', rows: [] },
    { now: '2026-11-22T13:30:00Z', rows: [{ MinutesSinceLastCompleteScan: 149 }] },
  ])('at $now returns $rows', ({ now, rows }) => {
    expect(run('alert-scan-heartbeat.kql', now)).toEqual(rows);
  });

  it('fires at 13:30 though a scan said Complete at 13:00: only two of its seven findings arrived', () => {
    expect(runDropped('alert-scan-heartbeat.kql')).toEqual([{ MinutesSinceLastCompleteScan: 149 }]);
  });
});

describe('alert-scan-errors.kql: incomplete scheduled scans, complete ones with Error findings, and ones whose findings did not arrive', () => {
  it('reports the 11:00 scan (one Error finding) and the incomplete 12:00 scan, not the older or CLI ones', () => {
    const rows = run('alert-scan-errors.kql');
    expect(rows.map((r) => [r['ScanId'], r['Complete'], r['ErrorCount'], r['AllFindingsArrived']])).toEqual([
      [scanIds.s11, true, 1, true],
      [scanIds.s12, false, 1, true],
    ]);
  });

  it('reports the 13:00 scan whose batch was dropped, once 15 minutes have passed', () => {
    expect(runDropped('alert-scan-errors.kql', '2026-11-22T13:10:00Z').map((r) => r['ScanId'])).toEqual([scanIds.s12]);
    expect(runDropped('alert-scan-errors.kql').map((r) => [r['ScanId'], r['Complete'], r['AllFindingsArrived']])).toEqual([
      [scanIds.s12, false, true],
      [scanIds.s13, true, false],
    ]);
  });
});

describe('audit-logs-stopped.kql: resources whose audit events stopped, as of their latest finding', () => {
  it('lists kv-a, stopped as of 12:00, with how long ago its last event arrived; not kv-e, whose later finding saw events again', () => {
    expect(run('audit-logs-stopped.kql').map((r) => [r['ResourceName'], r['LastAuditEventAt'], r['DaysSinceLastAuditEvent'], r['Status']])).toEqual([
      ['kv-a', '2026-11-19T23:30:00Z', 3, 'Pass'],
    ]);
  });
});

describe('the other shipped queries', () => {
  it('exemptions-expiring.kql: kv-d, exempt until 2026-12-10, 18 days left', () => {
    expect(run('exemptions-expiring.kql').map((r) => [r['ResourceName'], r['ExemptionReason'], r['DaysLeft']])).toEqual([['kv-d', 'Vendor-managed', 18]]);
  });

  it('failures-by-subscription-and-reason.kql: counts each failing resource once, by subscription and reason', () => {
    expect(run('failures-by-subscription-and-reason.kql').map((r) => [r['SubscriptionId'], r['Reason'], r['FailingResources']])).toEqual([
      [subscriptions.payments, 'NoDiagnosticSettings', 2],
      [subscriptions.corp, 'NoDiagnosticSettings', 1],
    ]);
  });

  it("fail-trend-by-day.kql: the day ends with three resources failing; kv-g's Error counts as an error", () => {
    expect(run('fail-trend-by-day.kql')).toEqual([{ Day: '2026-11-22T00:00:00.000Z', Failing: 3, Passing: 2, Exempt: 1, Errors: 1 }]);
  });

  it('scan-health.kql: every scan, newest first, with how many of its findings landed', () => {
    expect(run('scan-health.kql').map((r) => [r['ScanId'], r['Complete'], r['InventoryComplete'], r['FindingsWritten'], r['FindingsLanded']])).toEqual([
      [scanIds.s12, false, true, 2, 2],
      [scanIds.cli, true, true, 1, 1],
      [scanIds.s11, true, true, 7, 7],
      [scanIds.s10, true, true, 6, 6],
    ]);
  });
});

/*
 * Scans that write only what changed. A full scheduled scan at 10:00 is the census; the incremental scans after it
 * write a row only for what changed, a Removed row for what left the scope; the event path writes what an Azure
 * event named, between scans:
 *
 *   10:00 Timer Full         kv-a Pass  kv-b Pass  kv-c Fail  kv-d Exempt  kv-e Error  kv-g Fail
 *   11:00 Timer Incremental  kv-a Fail (its setting was deleted)
 *   11:20 Event              kv-b Fail (a setting deleted: the event path saw it at once)
 *   12:00 Timer Incremental  kv-c Removed (the vault was deleted)  kv-f Fail (new)
 */
describe('incremental and event-driven rows: what did not change stands, what left is said', () => {
  const s = {
    full: '10000000-0000-4000-8000-00000000000a',
    inc11: '11000000-0000-4000-8000-00000000000a',
    event: '11200000-0000-4000-8000-00000000000a',
    inc12: '12000000-0000-4000-8000-00000000000a',
  };
  const removed = (scanId: string, time: string, name: Vault): FindingRow => ({ ...finding(scanId, time, name, 'Pass'), Status: 'Removed', Reason: 'NotInScope' });
  const rows: FindingRow[] = [
    finding(s.full, at10('01'), 'kv-a', 'Pass'),
    finding(s.full, at10('02'), 'kv-b', 'Pass'),
    finding(s.full, at10('03'), 'kv-c', 'Fail'),
    finding(s.full, at10('04'), 'kv-d', 'Exempt'),
    finding(s.full, at10('05'), 'kv-e', 'Error'),
    finding(s.full, at10('06'), 'kv-g', 'Fail'),
    finding(s.inc11, at11('01'), 'kv-a', 'Fail', 'DestinationNotFound'),
    finding(s.event, '2026-11-22T11:20:01Z', 'kv-b', 'Fail'),
    removed(s.inc12, '2026-11-22T12:00:01Z', 'kv-c'),
    finding(s.inc12, '2026-11-22T12:00:02Z', 'kv-f', 'Fail'),
  ];
  const scanRows: ScanRow[] = [
    scan(s.full, '2026-11-22T10:01:00Z', { ResourceCount: 6, PassCount: 2, FailCount: 2, ExemptCount: 1, ErrorCount: 1, FindingsWritten: 6 }),
    scan(s.inc11, '2026-11-22T11:01:00Z', { Mode: 'Incremental', Since: '2026-11-22T10:00:00Z', ResourceCount: 6, PassCount: 1, FailCount: 3, ExemptCount: 1, ErrorCount: 1, FindingsWritten: 1 }),
    scan(s.event, '2026-11-22T11:21:00Z', { Trigger: 'Event', Mode: 'Event', InventoryComplete: false, ResourceCount: 1, FailCount: 1, FindingsWritten: 1 }),
    scan(s.inc12, '2026-11-22T12:01:00Z', { Mode: 'Incremental', Since: '2026-11-22T11:00:00Z', ResourceCount: 6, PassCount: 0, FailCount: 4, ExemptCount: 1, ErrorCount: 1, FindingsWritten: 2 }),
  ];
  const incrementalTables = { KeyVaultAuditFindings_CL: rows as unknown as KqlRow[], KeyVaultAuditScans_CL: scanRows as unknown as KqlRow[] };
  const runIncremental = (file: string, now: string) => executeQuery(query(file), incrementalTables, at(now));

  it('current-posture.kql: every resource in scope, each from its latest row however old; kv-c, removed, is not listed', () => {
    expect(runIncremental('current-posture.kql', '2026-11-22T12:30:00Z').map((r) => [r['ResourceName'], r['Status']])).toEqual([
      ['kv-a', 'Fail'],
      ['kv-b', 'Fail'],
      ['kv-f', 'Fail'],
      ['kv-g', 'Fail'],
      ['kv-e', 'Error'],
      ['kv-d', 'Exempt'],
    ]);
  });

  it("alert-new-failure.kql: the event path's Fail alerts before the next scheduled scan", () => {
    expect(column(runIncremental('alert-new-failure.kql', '2026-11-22T11:25:00Z'), 'ResourceName').sort()).toEqual(['kv-a', 'kv-b', 'kv-c', 'kv-g']);
    expect(column(runIncremental('alert-new-failure.kql', '2026-11-22T12:30:00Z'), 'ResourceName').sort()).toEqual(['kv-a', 'kv-b', 'kv-f', 'kv-g']);
  });

  it('new-failures.kql: between the two latest listings, kv-b (its event came after 11:00) and kv-f (new) started failing', () => {
    expect(runIncremental('new-failures.kql', '2026-11-22T12:30:00Z').map((r) => [r['ResourceName'], r['PreviousStatus']])).toEqual([
      ['kv-b', 'Pass'],
      ['kv-f', 'NotInScope'],
    ]);
  });

  it('fail-trend-by-day.kql: the day ends with the counts of its last listing, carried-forward resources included', () => {
    expect(runIncremental('fail-trend-by-day.kql', '2026-11-22T12:30:00Z')).toEqual([{ Day: '2026-11-22T00:00:00.000Z', Failing: 4, Passing: 0, Exempt: 1, Errors: 1 }]);
  });

  it('without a census in the lookback, absence proves nothing: every resource with a row stays in scope until a row says Removed', () => {
    const noCensus = { KeyVaultAuditFindings_CL: rows.filter((r) => r.ScanId !== s.full) as unknown as KqlRow[], KeyVaultAuditScans_CL: scanRows.filter((r) => r.ScanId !== s.full) as unknown as KqlRow[] };
    expect(column(executeQuery(query('alert-new-failure.kql'), noCensus, at('2026-11-22T12:30:00Z')), 'ResourceName').sort()).toEqual(['kv-a', 'kv-b', 'kv-f']);
  });
});

describe("the workbook's own query files", () => {
  it('posture-by-status.kql: every status of the schema once, with its count and share of the seven resources', () => {
    expect(run('posture-by-status.kql')).toEqual([
      { Status: 'Fail', Resources: 3, Percent: 42.9 },
      { Status: 'Error', Resources: 1, Percent: 14.3 },
      { Status: 'Exempt', Resources: 1, Percent: 14.3 },
      { Status: 'Pass', Resources: 2, Percent: 28.6 },
    ]);
    expect(column(run('posture-by-status.kql'), 'Status').sort()).toEqual([...controlStatuses].sort());
  });

  it('scan-health-summary.kql: the 11:00 scan is the last complete one (12:00 did not complete); the CLI scan does not count', () => {
    expect(run('scan-health-summary.kql').map((r) => [r['Indicator'], r['Value'], r['Detail'], r['State']])).toEqual([
      ['Last complete scan', '2026-11-22 11:01 UTC', '89 min ago, took 1 min', 'OK'],
      ['Error findings', '1', 'in the last complete scan: evidence it could not read', 'Check'],
      ['Scheduled scans', '3', 'in the time range', 'OK'],
      ['Incomplete scans', '1', 'did not complete, or lost findings', 'Check'],
    ]);
  });

  it('scan-health-summary.kql: after the dropped batch, 13:00 does not count as complete either', () => {
    expect(runDropped('scan-health-summary.kql').map((r) => [r['Indicator'], r['Value']])).toEqual([
      ['Last complete scan', '2026-11-22 11:01 UTC'],
      ['Error findings', '1'],
      ['Scheduled scans', '4'],
      ['Incomplete scans', '2'],
    ]);
  });

  it('subscriptions-with-findings.kql: each subscription once, most resources first, labelled with its count', () => {
    expect(run('subscriptions-with-findings.kql')).toEqual([
      { SubscriptionId: subscriptions.corp, Label: `${subscriptions.corp} (4 resources)` },
      { SubscriptionId: subscriptions.payments, Label: `${subscriptions.payments} (3 resources)` },
    ]);
  });

  it('subscriptions-with-findings.kql: leaves out a subscription id the workbook could not quote', () => {
    const hostile = { ...finding(scanIds.s12, '2026-11-22T12:00:03Z', 'kv-a', 'Pass'), SubscriptionId: "x') or true or ('" };
    const rows = executeQuery(query('subscriptions-with-findings.kql'), { ...tables, KeyVaultAuditFindings_CL: [...findings, hostile] as unknown as KqlRow[] }, at('2026-11-22T12:30:00Z'));
    expect(column(rows, 'SubscriptionId')).toEqual([subscriptions.corp, subscriptions.payments]);
  });
});

/*
 * The workbook's queries exactly as deployed (infra/generated/kv-audit-monitor.workbook.json), their parameters
 * expanded as the workbook expands them, over the rows Log Analytics gives a query bound to the time range.
 */
describe('the workbook, as it runs its queries', () => {
  const workbookRun = (name: string, selection: Partial<WorkbookSelection> = {}, now = '2026-11-22T12:30:00Z') => {
    const values: WorkbookSelection = { subscriptions: 'all', start: new Date(Date.parse(now) - 30 * 86_400_000), end: new Date(now), ...selection };
    const part = workbookQueries(committedWorkbook()).find((q) => q.name === name);
    if (part === undefined) throw new Error(`no workbook query ${name}`);
    return executeQuery(withWorkspaceFunctions(expandParameters(part.query, values)), part.timeBound ? withinTimeRange(tables, values) : tables, at(now));
  };
  const parts = workbookQueries(committedWorkbook()).flatMap((q) => (q.item === undefined ? [] : [[q.name, q.item] as const]));

  it.each(parts)('%s returns rows with every column its visualization shows', (name, item) => {
    const rows = workbookRun(name);
    expect(rows.length).toBeGreaterThan(0);
    expect(columnsShown(item).filter((c) => !(c in (rows[0] ?? {})))).toEqual([]);
  });

  it('with All subscriptions, gives what the shipped files give', () => {
    expect(workbookRun('posture')).toEqual(run('posture-by-status.kql'));
    expect(workbookRun('new-failures')).toEqual(run('new-failures.kql'));
    expect(workbookRun('trend')).toEqual(run('fail-trend-by-day.kql'));
  });

  it.each([
    ['posture', [2, 0, 0, 1], [1, 1, 1, 1]],
    ['failures', [2], [1]],
    ['new-failures', [1], []],
    ['exemptions-expiring', [], [1]],
  ] as const)('%s counts only the chosen subscription (payments, then corp)', (name, payments, corp) => {
    const counts = (ids: readonly string[]) =>
      workbookRun(name, { subscriptions: ids }).map((r) => r['Resources'] ?? r['FailingResources'] ?? 1);
    expect([counts([subscriptions.payments]), counts([subscriptions.corp])]).toEqual([payments, corp]);
  });

  it('trend: the scans count the whole scope, so the subscription filter does not change it', () => {
    expect(workbookRun('trend', { subscriptions: [subscriptions.payments] })).toEqual(run('fail-trend-by-day.kql'));
  });

  it('the last hour: the trend and the scans see only what ran since 11:30; the posture stays the current one', () => {
    const lastHour = { start: new Date('2026-11-22T11:30:00Z') };
    expect(workbookRun('trend', lastHour)).toEqual([{ Day: '2026-11-22T00:00:00.000Z', Failing: 3, Passing: 2, Exempt: 1, Errors: 1 }]);
    expect(column(workbookRun('scans', lastHour), 'ScanId')).toEqual([scanIds.s12, scanIds.cli]);
    expect(workbookRun('posture', lastHour)).toEqual(run('posture-by-status.kql'));
  });
});
