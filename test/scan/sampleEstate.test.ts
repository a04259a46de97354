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
  'kv-marketing-prod': ['Fail', 'DestinationNotApproved'],
  'kv-intranet-prod': ['Fail', 'DestinationNotFound'],
  'kv-crm-prod': ['Fail', 'NoDestination'],
  'kv-finance-prod': ['Fail', 'AuditLogsNotEnabled'],
  'kv-legal-prod': ['Fail', 'AuditLogsNotEnabled'],
  'kv-hr-prod': ['Fail', 'NoDiagnosticSettings'],
  'hsm-pki-corp': ['Fail', 'NoDiagnosticSettings'],
  'kv-batch-legacy': ['Fail', 'NoDiagnosticSettings'],
  'kv-vendor-gateway-prod': ['Exempt', 'Exempted'],
  'kv-hr-dev': ['Error', 'AccessDenied'],
  'kv-analytics-dev': ['Error', 'ReadFailed'],
  'kv-payments-dev': ['Error', 'MalformedRecord'],
};

const statusOf = (run: ScanRun) => Object.fromEntries(run.findings.map((f) => [f.ResourceName, [f.Status, f.Reason]]));

describe("the sample estate's settings", () => {
  it('are a valid configuration that approves its four central destinations', () => {
    expect(loadSettings(sampleEnv, { requireIngestion: false }).approvedDestinations?.size).toBe(4);
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
      ResourceCount: 18,
      PassCount: 6,
      FailCount: 8,
      ExemptCount: 1,
      ErrorCount: 3,
      FindingsWritten: 18,
      Errors: [],
    });
    expect(run.scanRowWritten).toBe(true);
    expect(emulator.ingestionLog.at(-1)).toEqual({ stream: scansTable.streamName, rows: 1 });
    expect(emulator.ingestionLog.slice(0, -1).every((b) => b.stream === findingsTable.streamName)).toBe(true);
  });

  it('lands exactly the findings the scan evaluated', () => {
    expect(emulator.rows(findingsTable.streamName)).toEqual(run.findings);
    expect(emulator.rows(scansTable.streamName)).toEqual([run.scan]);
  });

  it('counts the requests it made: two ARG queries (count, one partition), an ARM read per resource and one per destination', () => {
    expect(run.scan.ArgQueries).toBe(2);
    // Six distinct audit destinations: two workspaces and the archive in sight, the SIEM's rule, a team's workspace, a deleted one.
    expect(run.scan.ArmCalls).toBe(18 + 6);
    expect(emulator.stats.armRequests).toBe(18 + 6);
  });

  it.each([
    ['an event hub judged by its namespace', 'kv-checkout-prod', (f: FindingRow) => f.Destinations.map((d) => [d.Kind, d.Status, d.Approved]), [['EventHub', 'Exists', true]]],
    ['CIS strict (audit and allLogs)', 'hsm-payments-prod', (f: FindingRow) => f.CisStrict, true],
    ['an explicitly disabled audit entry', 'kv-legal-prod', (f: FindingRow) => f.DisabledAuditEntry, true],
    ['an expired exemption', 'kv-batch-legacy', (f: FindingRow) => f.Exemption?.State, 'Expired'],
    ['metrics only', 'kv-finance-prod', (f: FindingRow) => f.Detail.includes('metrics AllMetrics'), true],
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
    expect(run.findings.filter((f) => f.EvidenceSource === 'ARM')).toHaveLength(11);
    // Destinations are confirmed through ARM whatever ARG says of the settings.
    expect(run.scan.ArmCalls).toBe(11 + 6);
  });
});
