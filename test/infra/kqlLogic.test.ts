import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type KqlRow, executeQuery } from '@kv-audit/kql';
import { type FindingRow, type ScanRow, findingRowSchema } from '../../src/findings/schema.js';
import { scanRow } from '../support/rows.js';
import { infraDir } from './bicep.js';

/*
 * The shipped queries' logic, checked by running their exact text (infra/queries/*.kql, which the alert rules
 * load too) over fixture rows with the project's KQL interpreter. The fixture is a morning of hourly scans:
 *
 *   10:00 Timer  complete     kv-a Pass  kv-b Pass  kv-c Fail  kv-d Exempt  kv-e Error  kv-g Fail
 *   11:00 Timer  complete     kv-a Fail  kv-b Pass  kv-c Fail  kv-d Exempt  kv-e Pass   kv-g Error  kv-f Fail (new)
 *                             (kv-b's row landed twice: a retried upload)
 *   11:30 Cli    complete     kv-b Fail  (a narrower manual scan: posture sees it, alerts do not)
 *   12:00 Timer  INCOMPLETE   kv-a Pass  kv-b Fail  (must count for nothing)
 */

const query = (name: string) => readFileSync(join(infraDir, 'queries', name), 'utf8');
const at = (iso: string) => ({ now: () => new Date(iso) });

const scanIds = {
  s10: '10000000-0000-4000-8000-000000000000',
  s11: '11000000-0000-4000-8000-000000000000',
  cli: '11300000-0000-4000-8000-000000000000',
  s12: '12000000-0000-4000-8000-000000000000',
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

function finding(scanId: string, time: string, name: Vault, status: keyof typeof reasons, reason: string = reasons[status]): FindingRow {
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
    CisStrict: status === 'Error' ? null : false,
    DisabledAuditEntry: status === 'Error' ? null : false,
    Exemption: name === 'kv-d' ? { Reason: 'Vendor-managed', Until: '2026-12-10', State: 'Active', Problem: null } : null,
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
  finding(scanIds.s10, at10('05'), 'kv-e', 'Error'),
  finding(scanIds.s10, at10('06'), 'kv-g', 'Fail'),
  finding(scanIds.s11, at11('01'), 'kv-a', 'Fail', 'DestinationNotFound'),
  kvBRetried,
  { ...kvBRetried },
  finding(scanIds.s11, at11('03'), 'kv-c', 'Fail'),
  finding(scanIds.s11, at11('04'), 'kv-d', 'Exempt'),
  finding(scanIds.s11, at11('05'), 'kv-e', 'Pass'),
  finding(scanIds.s11, at11('06'), 'kv-f', 'Fail'),
  finding(scanIds.s11, at11('07'), 'kv-g', 'Error'),
  finding(scanIds.cli, '2026-11-22T11:30:01Z', 'kv-b', 'Fail', 'DestinationNotApproved'),
  finding(scanIds.s12, '2026-11-22T12:00:01Z', 'kv-a', 'Pass'),
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
    FindingsWritten: 2,
    Errors: ['Logs Ingestion upload to Custom-KeyVaultAuditFindings: 5 rows not written: HTTP 503'],
  }),
];

const tables = {
  KeyVaultAuditFindings_CL: findings as unknown as KqlRow[],
  KeyVaultAuditScans_CL: scans as unknown as KqlRow[],
};
const run = (file: string, now = '2026-11-22T12:30:00Z') => executeQuery(query(file), tables, at(now));
const column = (rows: readonly KqlRow[], name: string) => rows.map((row) => row[name]);

describe('alert-new-failure.kql: the set of failing resources, per the latest complete scheduled scan', () => {
  const rows = run('alert-new-failure.kql');

  it('holds what fails as of the 11:00 scan: the incomplete 12:00 scan and the CLI scan count for nothing', () => {
    expect(column(rows, 'ResourceId').sort()).toEqual([resourceId('kv-a'), resourceId('kv-c'), resourceId('kv-f'), resourceId('kv-g')].sort());
  });

  it('keeps kv-g failing through its Error finding: no false resolution, no duplicate alert', () => {
    expect(rows.find((r) => r['ResourceId'] === resourceId('kv-g'))).toMatchObject({ Reason: 'NoDiagnosticSettings' });
  });

  it('returns one row per resource (the dimension), the retried duplicate collapsed, and no TimeGenerated to bin', () => {
    expect(new Set(column(rows, 'ResourceId')).size).toBe(rows.length);
    expect(Object.keys(rows[0] ?? {})).toEqual(['ResourceId', 'ResourceName', 'SubscriptionId', 'ResourceGroup', 'Reason', 'Detail', 'Remediation']);
  });
});

describe('new-failures.kql: what entered the failing set between the two latest complete scheduled scans', () => {
  it('lists kv-a (it passed) and kv-f (it was not scanned), not the resources that kept failing', () => {
    const rows = run('new-failures.kql');
    expect(rows.map((r) => [r['ResourceName'], r['PreviousStatus'], r['Reason']])).toEqual([
      ['kv-a', 'Pass', 'DestinationNotFound'],
      ['kv-f', 'NotScanned', 'NoDiagnosticSettings'],
    ]);
  });
});

describe('current-posture.kql: each resource as of its latest complete scan (scheduled or CLI)', () => {
  const rows = run('current-posture.kql');

  it('has one row per resource, failures and errors first', () => {
    expect(rows.map((r) => [r['ResourceName'], r['Status'], r['Trigger']])).toEqual([
      ['kv-a', 'Fail', 'Timer'],
      ['kv-b', 'Fail', 'Cli'],
      ['kv-f', 'Fail', 'Timer'],
      ['kv-c', 'Fail', 'Timer'],
      ['kv-g', 'Error', 'Timer'],
      ['kv-d', 'Exempt', 'Timer'],
      ['kv-e', 'Pass', 'Timer'],
    ]);
  });
});

describe('alert-scan-heartbeat.kql: no complete scheduled scan within two intervals', () => {
  it.each([
    { now: '2026-11-22T12:30:00Z', rows: [] },
    { now: '2026-11-22T13:30:00Z', rows: [{ MinutesSinceLastCompleteScan: 149 }] },
  ])('at $now returns $rows', ({ now, rows }) => {
    expect(run('alert-scan-heartbeat.kql', now)).toEqual(rows);
  });
});

describe('alert-scan-errors.kql: incomplete scheduled scans, or complete ones with Error findings', () => {
  it('reports the 11:00 scan (one Error finding) and the incomplete 12:00 scan, not the older or CLI ones', () => {
    const rows = run('alert-scan-errors.kql');
    expect(rows.map((r) => [r['ScanId'], r['Complete'], r['ErrorCount']])).toEqual([
      [scanIds.s11, true, 1],
      [scanIds.s12, false, 0],
    ]);
  });
});

describe('the other shipped queries', () => {
  it('exemptions-expiring.kql: kv-d, exempt until 2026-12-10, 18 days left', () => {
    expect(run('exemptions-expiring.kql').map((r) => [r['ResourceName'], r['ExemptionReason'], r['DaysLeft']])).toEqual([['kv-d', 'Vendor-managed', 18]]);
  });

  it('failures-by-subscription-and-reason.kql: counts each failing resource once, by subscription and reason', () => {
    expect(run('failures-by-subscription-and-reason.kql').map((r) => [r['SubscriptionId'], r['Reason'], r['FailingResources']])).toEqual([
      [subscriptions.payments, 'NoDiagnosticSettings', 1],
      [subscriptions.corp, 'NoDiagnosticSettings', 1],
      [subscriptions.payments, 'DestinationNotApproved', 1],
      [subscriptions.payments, 'DestinationNotFound', 1],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1]))));
  });

  it("fail-trend-by-day.kql: the day ends with three resources failing; kv-g's Error counts as an error", () => {
    expect(run('fail-trend-by-day.kql')).toEqual([{ Day: '2026-11-22T00:00:00.000Z', Failing: 3, Passing: 2, Exempt: 1, Errors: 1 }]);
  });

  it('scan-health.kql: every scan, newest first, with how many of its findings landed', () => {
    expect(run('scan-health.kql').map((r) => [r['ScanId'], r['Complete'], r['FindingsWritten'], r['FindingsLanded']])).toEqual([
      [scanIds.s12, false, 2, 2],
      [scanIds.cli, true, 1, 1],
      [scanIds.s11, true, 7, 7],
      [scanIds.s10, true, 6, 6],
    ]);
  });
});
