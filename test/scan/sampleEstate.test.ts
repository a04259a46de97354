import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { loadSettings } from '../../src/config/settings.js';
import { type FindingRow, findingsTable, scansTable } from '../../src/findings/schema.js';
import { type ScanRun, scanEmulator } from '../support/emulatorScan.js';

/** The whole scan over the built-in sample estate, through the real SDK clients and the emulator's wire contracts. */

const expected: Record<string, [status: string, reason: string]> = {
  'kv-payments-prod': ['Pass', 'AuditLogsDelivered'],
  'kv-ledger-prod': ['Pass', 'AuditLogsDelivered'],
  'kv-checkout-prod': ['Pass', 'AuditLogsDelivered'],
  'kv-fraud-prod': ['Pass', 'AuditLogsDelivered'],
  'hsm-payments-prod': ['Pass', 'AuditLogsDelivered'],
  'kv-shared-dev': ['Pass', 'AuditLogsDelivered'],
  'kv-apps-prod': ['Fail', 'RetentionTooShort'],
  'kv-marketing-prod': ['Fail', 'DestinationNotApproved'],
  'kv-treasury-prod': ['Fail', 'DestinationBlocked'],
  'kv-orders-prod': ['Fail', 'DestinationBlocked'],
  'kv-intranet-prod': ['Fail', 'DestinationNotFound'],
  'kv-crm-prod': ['Fail', 'NoDestination'],
  'kv-finance-prod': ['Fail', 'AuditLogsNotEnabled'],
  'kv-legal-prod': ['Fail', 'AuditLogsNotEnabled'],
  'kv-hr-prod': ['Fail', 'NoDiagnosticSettings'],
  'kv-batch-legacy': ['Fail', 'NoDiagnosticSettings'],
  'kv-vendor-gateway-prod': ['Exempt', 'Exempted'],
  'hsm-pki-corp': ['Exempt', 'Exempted'],
  'kv-hr-dev': ['Error', 'AccessDenied'],
  'kv-analytics-dev': ['Error', 'ReadFailed'],
  'kv-payments-dev': ['Error', 'MalformedRecord'],
};

const statusOf = (run: ScanRun) => Object.fromEntries(run.findings.map((f) => [f.ResourceName, [f.Status, f.Reason]]));

describe("the sample estate's settings", () => {
  it('are a valid configuration that approves seven destinations, asks for a year of retention, verifies delivery and lists one central exemption', () => {
    const settings = loadSettings(sampleEnv, { requireIngestion: false });
    expect([settings.approvedDestinations?.size, settings.minRetentionDays, settings.verifyDelivery, settings.exemptions.length]).toEqual([7, 365, true, 1]);
  });
});

describe('scanning the sample estate (ARG does not index diagnostic settings, as in Azure today)', () => {
  let emulator: Emulator;
  let run: ScanRun;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0 });
    run = await scanEmulator(emulator, sampleEnv);
  });
  afterAll(() => emulator.close());

  it.each(Object.entries(expected))('%s is %j', (name, [status, reason]) => {
    expect(statusOf(run)[name]).toEqual([status, reason]);
  });

  it('finds every vault and Managed HSM and nothing else', () => {
    expect(run.findings.map((f) => f.ResourceName).sort()).toEqual(Object.keys(expected).sort());
  });

  it('confirms every resource through ARM, since ARG returned no settings, and says so once', () => {
    expect(run.findings.every((f) => f.EvidenceSource === 'ARM')).toBe(true);
    expect(run.scan.ResourceGraphHasDiagnosticSettings).toBe(false);
    expect(run.log.filter((l) => l.includes('Azure Resource Graph returned no diagnostic settings'))).toHaveLength(1);
  });

  it('marks the out-of-sight workspace Unverified and the deleted one NotFound', () => {
    const destinations = Object.fromEntries(run.findings.map((f) => [f.ResourceName, f.Destinations.map((d) => d.Status)]));
    expect(destinations['kv-fraud-prod']).toEqual(['Unverified']);
    expect(destinations['kv-intranet-prod']).toEqual(['NotFound']);
    expect(destinations['kv-payments-prod']).toEqual(['Exists']);
  });

  it('writes a complete scan row with the counts, after every finding', () => {
    expect(run.scan).toMatchObject({
      Trigger: 'Demo',
      Scope: { Kind: 'Tenant', Ids: [] },
      Complete: true,
      ResourceCount: 21,
      PassCount: 6,
      FailCount: 10,
      ExemptCount: 2,
      ErrorCount: 3,
      FindingsWritten: 21,
      Errors: [],
    });
    expect(run.scanRowWritten).toBe(true);
    expect(emulator.ingestionLog.at(-1)).toMatchObject({ stream: scansTable.streamName, rows: 1 });
    expect(emulator.ingestionLog.slice(0, -1).every((b) => b.stream === findingsTable.streamName)).toBe(true);
  });

  it('lands exactly the findings the scan evaluated', () => {
    expect(emulator.rows(findingsTable.streamName)).toEqual(run.findings);
    expect(emulator.rows(scansTable.streamName)).toEqual([run.scan]);
  });

  it('counts the requests it made: two ARG queries, an ARM read per resource and per destination target, a query per workspace', () => {
    expect(run.scan.ArgQueries).toBe(2);
    // 23 distinct destination targets, each read once: five workspaces and their audit table (10), two storage
    // accounts with their lifecycle policy and audit container (6), two event hub rules, the North Europe hub, both
    // namespaces and their network rule sets (7).
    expect(run.scan.ArmCalls).toBe(21 + 23);
    expect(emulator.stats.armRequests).toBe(21 + 23);
    // One delivery query per destination workspace whose id ARM gave: central, apps, marketing (SOC: out of sight; deleted).
    expect(emulator.stats.logQueries).toBe(3);
  });

  it.each([
    ['an event hub judged by its namespace', 'kv-checkout-prod', (f: FindingRow) => f.Destinations.map((d) => [d.Kind, d.Status, d.Approved]), [['EventHub', 'Exists', true]]],
    ['CIS strict (audit and allLogs)', 'hsm-payments-prod', (f: FindingRow) => f.CisStrict, true],
    ['an explicitly disabled audit entry', 'kv-legal-prod', (f: FindingRow) => f.DisabledAuditEntry, true],
    ['an expired exemption', 'kv-batch-legacy', (f: FindingRow) => f.Exemption?.State, 'Expired'],
    ['metrics only', 'kv-finance-prod', (f: FindingRow) => f.Detail.includes('metrics AllMetrics'), true],
    [
      'a storage firewall without the trusted-services bypass',
      'kv-treasury-prod',
      (f: FindingRow) => f.Destinations.map((d) => [d.Status, d.Problem?.split(':')[0]]),
      [['Blocked', "the storage account's firewall denies by default (networkAcls.defaultAction Deny) and does not let trusted Microsoft services bypass it"]],
    ],
    ['an event hub in another region', 'kv-orders-prod', (f: FindingRow) => f.Destinations.map((d) => [d.Status, /^the event hub namespace is in northeurope and the vault in westeurope/.test(d.Problem ?? '')]), [['Blocked', true]]],
    ['a firewalled archive that trusts Azure services, its lifecycle rule and locked immutability', 'kv-ledger-prod', (f: FindingRow) => f.Destinations.map((d) => [d.Status, d.Retention]), [
      ['Exists', { Status: 'Known', TotalDays: 2555, InteractiveDays: null, ImmutableDays: 365, ImmutabilityLocked: true, Basis: "lifecycle rule 'expire-audit-logs-after-7-years'", MeetsMinimum: true }],
    ]],
    ['the central workspace keeping audit logs two years in their table', 'kv-payments-prod', (f: FindingRow) => f.Destinations.map((d) => d.Retention?.TotalDays), [730]],
    ['a workspace that keeps them 90 days, without a table yet', 'kv-apps-prod', (f: FindingRow) => f.Destinations.map((d) => [d.Retention?.TotalDays, d.Retention?.Basis, d.Retention?.MeetsMinimum]), [
      [90, 'workspace default (no table AZKVAuditLogs yet)', false],
    ]],
    ['an event hub, whose retention is downstream', 'kv-checkout-prod', (f: FindingRow) => f.Destinations.map((d) => d.Retention?.Status), ['Unverified']],
    ['audit events seen arriving', 'kv-payments-prod', (f: FindingRow) => [f.DeliveryCheck, f.LastAuditEventAt !== null], ['EventsSeen', true]],
    ['audit events that stopped before the setting changed', 'kv-shared-dev', (f: FindingRow) => [f.Status, f.DeliveryCheck, /Audit events stopped/.test(f.Detail)], ['Pass', 'Stopped', true]],
    ['a workspace with no audit events from the vault', 'kv-apps-prod', (f: FindingRow) => [f.DeliveryCheck, f.LastAuditEventAt], ['NoEvents', null]],
    ['a workspace out of sight, whose delivery cannot be verified', 'kv-fraud-prod', (f: FindingRow) => f.DeliveryCheck, 'Unverified'],
    ['an exemption from the central list, with its approver', 'hsm-pki-corp', (f: FindingRow) => [f.Exemption?.Source, f.Exemption?.Scope?.endsWith('/resourcegroups/rg-pki-prod'), f.Exemption?.ApprovedBy], [
      'CentralList',
      true,
      'CISO office (j.doe@contoso.example)',
    ]],
    ['a self-service exemption tag', 'kv-vendor-gateway-prod', (f: FindingRow) => [f.Exemption?.Source, f.Exemption?.State], ['Tag', 'Active']],
  ])('shows %s', (_scenario, name, pick, expectedValue) => {
    const finding = run.findings.find((f) => f.ResourceName === name);
    expect(finding && pick(finding)).toEqual(expectedValue);
  });

  it('reports the vault deleted between inventory and ARM read as ReadFailed, saying so, without making the scan incomplete', () => {
    const gone = run.findings.find((f) => f.ResourceName === 'kv-analytics-dev');
    expect(gone?.Detail).toMatch(/HTTP 404 ResourceNotFound: .*; the resource may have been deleted since the inventory$/);
  });
});

describe('scanning the sample estate when ARG does index diagnostic settings', () => {
  let emulator: Emulator;
  let run: ScanRun;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: { ...sampleEstate, resourceGraphIndexesDiagnosticSettings: true }, retryAfterSeconds: 0 });
    run = await scanEmulator(emulator, sampleEnv);
  });
  afterAll(() => emulator.close());

  it('trusts ARG positives and confirms only the rest through ARM', () => {
    const bySource = (source: string) => run.findings.filter((f) => f.EvidenceSource === source).map((f) => f.ResourceName).sort();
    // kv-analytics-dev's settings read fails through ARM, but ARG already shows them delivering.
    expect(bySource('ResourceGraph')).toEqual(
      ['hsm-payments-prod', 'kv-analytics-dev', 'kv-checkout-prod', 'kv-fraud-prod', 'kv-ledger-prod', 'kv-payments-prod', 'kv-shared-dev'].sort(),
    );
    expect(run.findings.filter((f) => f.EvidenceSource === 'ARM').every((f) => f.Status !== 'Pass')).toBe(true);
    expect(run.scan.ResourceGraphHasDiagnosticSettings).toBe(true);
    expect(run.log.some((l) => l.includes('returned no diagnostic settings'))).toBe(false);
  });

  it('reaches the same verdict for every resource ARM had to confirm', () => {
    for (const finding of run.findings.filter((f) => f.EvidenceSource === 'ARM')) {
      expect([finding.ResourceName, finding.Status, finding.Reason]).toEqual([finding.ResourceName, ...expected[finding.ResourceName]!]);
    }
  });

  it('reads ARM only for the resources ARG could not vouch for', () => {
    expect(emulator.stats.armRequests).toBe(run.scan.ArmCalls);
    expect(run.findings.filter((f) => f.EvidenceSource === 'ARM')).toHaveLength(14);
    // Destinations are confirmed through ARM whatever ARG says of the settings.
    expect(run.scan.ArmCalls).toBe(14 + 23);
  });
});

describe('the sample estate under the other policies', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0 });
  });
  afterAll(() => emulator.close());

  it('KV_AUDIT_PROFILE=cis passes only the HSM that enables both audit and allLogs; the others that deliver fail CisCategoryGroupsMissing', async () => {
    const run = await scanEmulator(emulator, { ...sampleEnv, KV_AUDIT_PROFILE: 'cis' }, { ingest: false });
    const pass = run.findings.filter((f) => f.Status === 'Pass').map((f) => f.ResourceName);
    const cisGap = run.findings.filter((f) => f.Reason === 'CisCategoryGroupsMissing').map((f) => f.ResourceName).sort();
    expect(pass).toEqual(['hsm-payments-prod']);
    expect(cisGap).toEqual(['kv-checkout-prod', 'kv-fraud-prod', 'kv-ledger-prod', 'kv-payments-prod', 'kv-shared-dev']);
    expect(run.findings.every((f) => f.Profile === 'cis')).toBe(true);
  });

  it('KV_AUDIT_TAG_EXEMPTIONS=off: the vendor vault fails, its tag reported Disabled; the central list still exempts the PKI HSM', async () => {
    const run = await scanEmulator(emulator, { ...sampleEnv, KV_AUDIT_TAG_EXEMPTIONS: 'off' }, { ingest: false });
    const byName = Object.fromEntries(run.findings.map((f) => [f.ResourceName, [f.Status, f.Exemption?.Source, f.Exemption?.State]]));
    expect(byName['kv-vendor-gateway-prod']).toEqual(['Fail', 'Tag', 'Disabled']);
    expect(byName['hsm-pki-corp']).toEqual(['Exempt', 'CentralList', 'Active']);
  });

  it('without KV_AUDIT_MIN_RETENTION_DAYS, retention is evidence only: the 90-day workspace passes', async () => {
    const { KV_AUDIT_MIN_RETENTION_DAYS: _minimum, ...env } = sampleEnv;
    const run = await scanEmulator(emulator, env, { ingest: false });
    expect(run.findings.find((f) => f.ResourceName === 'kv-apps-prod')).toMatchObject({ Status: 'Pass', Destinations: [{ Retention: { TotalDays: 90, MeetsMinimum: null } }] });
  });

  it('without KV_AUDIT_VERIFY_DELIVERY, no workspace is queried and no finding says more than NotChecked', async () => {
    const before = emulator.stats.logQueries;
    const run = await scanEmulator(emulator, { ...sampleEnv, KV_AUDIT_VERIFY_DELIVERY: 'false' }, { ingest: false });
    expect(emulator.stats.logQueries).toBe(before);
    expect(new Set(run.findings.map((f) => f.DeliveryCheck))).toEqual(new Set(['NotChecked']));
  });
});
