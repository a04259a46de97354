import { beforeAll, describe, expect, it } from 'vitest';
import { ocsfSchemaVersion, renderOcsf } from '../../../src/cli/reports/ocsf.js';
import { type FindingRow, type ScanRow, findingRowSchema, findingStatuses } from '../../../src/findings/schema.js';
import { type OcsfComplianceFinding, ocsfComplianceFindingSchema } from '../../support/ocsfComplianceFinding.js';
import { demoScan } from '../runCli.js';

let demo: { scan: ScanRow; findings: FindingRow[] };
beforeAll(async () => {
  demo = await demoScan();
});

/** The NDJSON's events, each checked against OCSF 1.8.0's Compliance Finding. */
const eventsOf = (text: string) => text.trimEnd().split('\n').map((line) => ocsfComplianceFindingSchema.parse(JSON.parse(line)));

/** Where each column of a finding is in its event; the ones not listed are evidence, under their own names. */
const readBack: Partial<Record<keyof FindingRow, (event: OcsfComplianceFinding) => unknown>> = {
  TimeGenerated: (e) => e.metadata.original_time,
  ScanId: (e) => e.metadata.correlation_uid,
  ControlId: (e) => e.compliance.control,
  ResourceId: (e) => e.resources?.[0]?.uid,
  ResourceName: (e) => e.resources?.[0]?.name,
  ResourceType: (e) => e.resources?.[0]?.type,
  SubscriptionId: (e) => e.cloud.account?.uid,
  ResourceGroup: (e) => e.resources?.[0]?.group?.name,
  Location: (e) => e.resources?.[0]?.region,
  AzureTenantId: (e) => e.cloud.org?.uid,
  Status: (e) => statusFrom(e),
  Reason: (e) => e.compliance.status_code,
  Detail: (e) => e.compliance.status_details?.[0],
  Severity: (e) => e.severity,
  Remediation: (e) => e.remediation?.desc ?? '',
  Tags: (e) => Object.fromEntries((e.resources?.[0]?.tags ?? []).map((t) => [t.name, t.value])),
};
const evidenceOf = (e: OcsfComplianceFinding) => e.evidences?.[0]?.data as Record<string, unknown> | undefined;

/** Our status, from the event's compliance status and finding status. */
const expectedStatuses = {
  Pass: { compliance: [1, 'Pass'], finding: [1, 'New'] },
  Fail: { compliance: [3, 'Fail'], finding: [1, 'New'] },
  Exempt: { compliance: [3, 'Fail'], finding: [3, 'Suppressed'] },
  Error: { compliance: [2, 'Warning'], finding: [1, 'New'] },
  Removed: { compliance: [99, 'Removed'], finding: [5, 'Archived'] },
} as const satisfies Record<FindingRow['Status'], unknown>;
const statusFrom = (e: OcsfComplianceFinding) =>
  findingStatuses.find((s) => expectedStatuses[s].compliance[0] === e.compliance.status_id && expectedStatuses[s].finding[0] === e.status_id);

describe('kv-audit -o ocsf', () => {
  it(`writes one OCSF ${ocsfSchemaVersion} Compliance Finding per finding, one per line, each valid against the class`, () => {
    const text = renderOcsf(demo.scan, demo.findings);
    expect(text.endsWith('\n')).toBe(true);
    expect(eventsOf(text)).toHaveLength(demo.findings.length);
  });

  it('classifies each event as a Compliance Finding created now, with the control severity', () => {
    const events = eventsOf(renderOcsf(demo.scan, demo.findings));
    expect(new Set(events.map((e) => JSON.stringify([e.class_uid, e.category_uid, e.activity_id, e.type_uid, e.severity_id, e.metadata.version])))).toEqual(
      new Set([JSON.stringify([2003, 2, 1, 200301, 4, ocsfSchemaVersion])]),
    );
    expect(events.map((e) => e.time)).toEqual(demo.findings.map((f) => Date.parse(f.TimeGenerated)));
  });

  // The demo writes no Removed row (it keeps no state between scans): that one is the record of a deleted vault.
  const exampleOf = (status: FindingRow['Status']): FindingRow =>
    status === 'Removed' ? { ...demo.findings[0]!, Status: 'Removed', Reason: 'NotInScope' } : demo.findings.find((f) => f.Status === status)!;

  it.each(findingStatuses)('maps %s to its compliance status and finding status', (status) => {
    const finding = exampleOf(status);
    const [event] = eventsOf(renderOcsf(demo.scan, [finding]));
    expect([event!.compliance.status_id, event!.compliance.status, event!.status_id, event!.status]).toEqual([
      ...expectedStatuses[status].compliance,
      ...expectedStatuses[status].finding,
    ]);
  });

  it('drops nothing: every column of every finding reads back from its event', () => {
    const events = eventsOf(renderOcsf(demo.scan, demo.findings));
    expect(events).toHaveLength(21);
    const columns = Object.keys(findingRowSchema.shape) as (keyof FindingRow)[];
    const readBackFinding = (event: OcsfComplianceFinding) =>
      Object.fromEntries(columns.map((column) => [column, readBack[column]?.(event) ?? evidenceOf(event)?.[column]]));
    expect(events.map(readBackFinding)).toEqual(demo.findings);
  });

  it('carries the control, its compliance mappings and, for a failure, the remediation command with its references', () => {
    const failing = demo.findings.find((f) => f.Reason === 'NoDiagnosticSettings')!;
    const [event] = eventsOf(renderOcsf(demo.scan, [failing]));
    expect(event!.compliance).toMatchObject({
      control: 'kv-audit-logging-delivered',
      standards: expect.arrayContaining(['CIS Microsoft Azure Foundations Benchmark 2.0.0', 'NIST SP 800-53 Rev. 5', 'PCI DSS 4.0']),
      requirements: expect.arrayContaining(['NIST SP 800-53 Rev. 5 AU-12', 'PCI DSS 4.0 10.2.1']),
    });
    expect(event!.remediation).toEqual({ desc: failing.Remediation, references: expect.arrayContaining([expect.stringMatching(/^https:\/\/learn\.microsoft\.com\//)]) });
    expect(event!.cloud).toEqual({
      provider: 'Azure',
      region: failing.Location,
      account: { uid: failing.SubscriptionId, type_id: 13, type: 'Azure Subscription' },
      org: { uid: failing.AzureTenantId },
    });
  });

  it('keeps a hostile finding valid, on one line, with its values literal', () => {
    const hostile = findingRowSchema.parse({
      ...demo.findings[0],
      ResourceName: '</script><img src=x onerror=alert(1)>',
      Detail: 'line one\nline two\u2028"quoted"',
      Tags: { '"key"': '\\value\r\n', '': '' },
    });
    const text = renderOcsf(demo.scan, [hostile]);
    expect(text.split('\n')).toHaveLength(2);
    const [event] = eventsOf(text);
    expect([event!.resources?.[0]?.name, event!.message, event!.resources?.[0]?.tags]).toEqual([
      '</script><img src=x onerror=alert(1)>',
      'line one\nline two\u2028"quoted"',
      [{ name: '"key"', value: '\\value\r\n' }, { name: '', value: '' }],
    ]);
  });

  it('rejects an event the class does not allow (the schema check has teeth)', () => {
    const [event] = renderOcsf(demo.scan, demo.findings.slice(0, 1)).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const broken = [
      { ...event, type_uid: 200302 },
      { ...event, class_uid: 2004 },
      { ...event, severity: 'Low' },
      { ...event, cloud: undefined },
      { ...event, finding_info: { title: 'no uid' } },
      { ...event, invented_attribute: true },
    ];
    expect(broken.map((e) => ocsfComplianceFindingSchema.safeParse(e).success)).toEqual(broken.map(() => false));
  });
});
