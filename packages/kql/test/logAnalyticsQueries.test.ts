import { describe, expect, it } from 'vitest';
import { executeQuery, type KqlRow, type KqlTables } from '../src/index.js';

/*
 * Log Analytics-style queries over fixture rows shaped like KeyVaultAuditScans_CL and KeyVaultAuditFindings_CL
 * (a subset of their columns): three scans, the latest of them incomplete, and a finding row uploaded twice.
 */

const scan1 = '11111111-1111-4111-8111-111111111111';
const scan2 = '22222222-2222-4222-8222-222222222222';
const scan3 = '33333333-3333-4333-8333-333333333333';

const vault = (name: string): string =>
  `/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/sec/providers/microsoft.keyvault/vaults/${name}`;

const scans: KqlRow[] = [
  { TimeGenerated: '2026-01-08T06:05:00.000Z', ScanId: scan1, Trigger: 'Timer', Complete: true, FindingsWritten: 3 },
  { TimeGenerated: '2026-01-09T06:05:00.000Z', ScanId: scan2, Trigger: 'Cli', Complete: true, FindingsWritten: 5 },
  // Stopped after the first vault: its findings must not count as the current posture.
  { TimeGenerated: '2026-01-10T06:05:00.000Z', ScanId: scan3, Trigger: 'Timer', Complete: false, FindingsWritten: 1 },
];

function finding(scanId: string, time: string, name: string, status: string, reason: string, exemption: KqlRow | null = null): KqlRow {
  return { TimeGenerated: time, ScanId: scanId, ResourceId: vault(name), Status: status, Reason: reason, Exemption: exemption };
}

const exemption = { Reason: 'Decommissioning', Until: '2026-01-20', State: 'Active', Problem: null };
const kvBFailsInScan2 = finding(scan2, '2026-01-09T06:00:02.000Z', 'kv-b', 'Fail', 'DestinationNotApproved');

const findings: KqlRow[] = [
  finding(scan1, '2026-01-08T06:00:01.000Z', 'kv-a', 'Pass', 'AuditLogsDelivered'),
  finding(scan1, '2026-01-08T06:00:02.000Z', 'kv-b', 'Pass', 'AuditLogsDelivered'),
  finding(scan1, '2026-01-08T06:00:03.000Z', 'kv-c', 'Fail', 'NoDiagnosticSettings'),
  finding(scan2, '2026-01-09T06:00:01.000Z', 'kv-a', 'Pass', 'AuditLogsDelivered'),
  kvBFailsInScan2,
  { ...kvBFailsInScan2 }, // the same row again: an upload that was retried
  finding(scan2, '2026-01-09T06:00:03.000Z', 'kv-c', 'Fail', 'NoDiagnosticSettings'),
  finding(scan2, '2026-01-09T06:00:04.000Z', 'kv-d', 'Exempt', 'Exempted', exemption),
  finding(scan3, '2026-01-10T06:00:01.000Z', 'kv-a', 'Fail', 'AuditLogsNotEnabled'),
];

const tables: KqlTables = { KeyVaultAuditScans_CL: scans, KeyVaultAuditFindings_CL: findings };

const at = (iso: string) => () => new Date(iso);

const currentPosture = `
KeyVaultAuditFindings_CL
| join kind=inner (KeyVaultAuditScans_CL | where Complete | project ScanId) on ScanId
| summarize arg_max(TimeGenerated, *) by ResourceId
| order by ResourceId asc`;

const transitions = `
let lastTwoComplete = KeyVaultAuditScans_CL
    | where Complete
    | order by TimeGenerated desc
    | extend ScanRank = row_number()
    | where ScanRank <= 2
    | project ScanId, ScanRank;
KeyVaultAuditFindings_CL
| join kind=inner lastTwoComplete on ScanId
| summarize arg_max(TimeGenerated, Status) by ResourceId, ScanRank
| order by ResourceId asc, ScanRank desc
| extend PreviousStatus = iff(ResourceId == prev(ResourceId), prev(Status), '')
| where ScanRank == 1
| project ResourceId, PreviousStatus, Status, NewFailure = Status == 'Fail' and PreviousStatus != 'Fail'`;

const newFailures = `
let completeScans = KeyVaultAuditScans_CL | where Complete;
let latestScan = toscalar(completeScans | summarize arg_max(TimeGenerated, ScanId) | project ScanId);
let previousScan = toscalar(completeScans | where ScanId != latestScan | summarize arg_max(TimeGenerated, ScanId) | project ScanId);
KeyVaultAuditFindings_CL
| where ScanId == latestScan and Status == 'Fail'
| join kind=leftanti (KeyVaultAuditFindings_CL | where ScanId == previousScan and Status == 'Fail') on ResourceId
| distinct ResourceId, Reason`;

const failTrend = `
KeyVaultAuditFindings_CL
| where ScanId in (KeyVaultAuditScans_CL | where Complete | project ScanId)
| summarize Resources = dcount(ResourceId), Failing = dcountif(ResourceId, Status == 'Fail'), FailRows = countif(Status == 'Fail')
    by Day = bin(TimeGenerated, 1d)
| order by Day asc`;

const exemptionsExpiring = `
let lookahead = 14d;
KeyVaultAuditFindings_CL
| where ScanId == toscalar(KeyVaultAuditScans_CL | where Complete | summarize arg_max(TimeGenerated, ScanId) | project ScanId)
| where Exemption.State == 'Active'
| extend Until = todatetime(Exemption.Until)
| where Until between (now() .. lookahead)
| project ResourceId, Until, DaysLeft = datetime_diff('day', Until, now())`;

const scanHealth = `
KeyVaultAuditScans_CL
| where TimeGenerated > ago(3d)
| summarize Scans = count(), CompleteScans = countif(Complete), LastScan = max(TimeGenerated),
    LastComplete = maxif(TimeGenerated, Complete), Triggers = make_set(Trigger)
| extend SinceLastComplete = now() - LastComplete`;

const noRecentCompleteScan = `
KeyVaultAuditScans_CL
| summarize LastComplete = maxif(TimeGenerated, Complete)
| where isnull(LastComplete) or LastComplete < ago(26h)
| project LastComplete, HoursSince = datetime_diff('hour', now(), LastComplete)`;

describe('Log Analytics queries over scan and finding fixtures', () => {
  it.each<[string, string, string, KqlRow[]]>([
    [
      'current posture: per resource, the latest finding from complete scans (the incomplete scan and the retried row do not show)',
      currentPosture,
      '2026-01-10T12:00:00Z',
      [
        { ResourceId: vault('kv-a'), TimeGenerated: '2026-01-09T06:00:01.000Z', ScanId: scan2, Status: 'Pass', Reason: 'AuditLogsDelivered', Exemption: null, ScanId1: scan2 },
        { ResourceId: vault('kv-b'), TimeGenerated: '2026-01-09T06:00:02.000Z', ScanId: scan2, Status: 'Fail', Reason: 'DestinationNotApproved', Exemption: null, ScanId1: scan2 },
        { ResourceId: vault('kv-c'), TimeGenerated: '2026-01-09T06:00:03.000Z', ScanId: scan2, Status: 'Fail', Reason: 'NoDiagnosticSettings', Exemption: null, ScanId1: scan2 },
        { ResourceId: vault('kv-d'), TimeGenerated: '2026-01-09T06:00:04.000Z', ScanId: scan2, Status: 'Exempt', Reason: 'Exempted', Exemption: exemption, ScanId1: scan2 },
      ],
    ],
    [
      'transitions: previous vs latest complete scan with row_number() and prev()',
      transitions,
      '2026-01-10T12:00:00Z',
      [
        { ResourceId: vault('kv-a'), PreviousStatus: 'Pass', Status: 'Pass', NewFailure: false },
        { ResourceId: vault('kv-b'), PreviousStatus: 'Pass', Status: 'Fail', NewFailure: true },
        { ResourceId: vault('kv-c'), PreviousStatus: 'Fail', Status: 'Fail', NewFailure: false },
        { ResourceId: vault('kv-d'), PreviousStatus: '', Status: 'Exempt', NewFailure: false },
      ],
    ],
    [
      'new failures since the previous complete scan: toscalar() and leftanti, the retried row collapsed by distinct',
      newFailures,
      '2026-01-10T12:00:00Z',
      [{ ResourceId: vault('kv-b'), Reason: 'DestinationNotApproved' }],
    ],
    [
      'fail trend by day over complete scans: dcountif ignores the retried row, countif does not',
      failTrend,
      '2026-01-10T12:00:00Z',
      [
        { Day: '2026-01-08T00:00:00.000Z', Resources: 3, Failing: 1, FailRows: 1 },
        { Day: '2026-01-09T00:00:00.000Z', Resources: 4, Failing: 2, FailRows: 3 },
      ],
    ],
    [
      'exemptions expiring within 14 days of now()',
      exemptionsExpiring,
      '2026-01-10T12:00:00Z',
      [{ ResourceId: vault('kv-d'), Until: '2026-01-20T00:00:00.000Z', DaysLeft: 10 }],
    ],
    [
      'exemptions expiring: none once the exemption is further out than the lookahead',
      exemptionsExpiring,
      '2026-01-05T12:00:00Z',
      [],
    ],
    [
      'scan health over the last 3 days',
      scanHealth,
      '2026-01-10T12:00:00Z',
      [
        {
          Scans: 3,
          CompleteScans: 2,
          LastScan: '2026-01-10T06:05:00.000Z',
          LastComplete: '2026-01-09T06:05:00.000Z',
          Triggers: ['Timer', 'Cli'],
          SinceLastComplete: '1.05:55:00',
        },
      ],
    ],
    [
      'alert: the last complete scan is older than 26 hours',
      noRecentCompleteScan,
      '2026-01-10T12:00:00Z',
      [{ LastComplete: '2026-01-09T06:05:00.000Z', HoursSince: 30 }],
    ],
    ['alert: quiet while the last complete scan is recent', noRecentCompleteScan, '2026-01-10T07:00:00Z', []],
  ])('%s', (_scenario, query, now, expected) => {
    expect(executeQuery(query, tables, { now: at(now) })).toEqual(expected);
  });
});
