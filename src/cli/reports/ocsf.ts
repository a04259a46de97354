import { type ControlMetadata, auditLoggingControl } from '../../control/auditLogging.metadata.js';
import type { FindingRow, ScanRow } from '../../findings/schema.js';
import { toNdjson } from '../render.js';

/*
 * `-o ocsf`: one OCSF Compliance Finding (class 2003) per finding, as NDJSON (one event per line), for SIEMs and
 * security data lakes. Every column of the finding lands in the event: the mapped ones in their OCSF attributes, the
 * evidence that OCSF has no attribute for in `evidences[0].data`, under the findings table's column names.
 * The class, its enums and the attributes required are those of OCSF 1.8.0 (test/support/ocsfComplianceFinding.ts
 * checks every event against them).
 */

export const ocsfSchemaVersion = '1.8.0';

const classUid = 2003;
const activityId = 1; // Create: every scan reports its findings anew.

interface Enum {
  readonly id: number;
  readonly caption: string;
}

/** The control's severity: OCSF severity_id 1–5 has the same five levels. */
const severityOf: Readonly<Record<FindingRow['Severity'], Enum>> = {
  Informational: { id: 1, caption: 'Informational' },
  Low: { id: 2, caption: 'Low' },
  Medium: { id: 3, caption: 'Medium' },
  High: { id: 4, caption: 'High' },
  Critical: { id: 5, caption: 'Critical' },
};

/*
 * compliance.status_id: Warning is OCSF's "the check did not yield a result due to missing information", which is
 * what Error means. An Exempt resource would fail: the check's result is Fail, and the finding itself (status_id) is
 * Suppressed, as a reviewed and accepted one; its Reason and Detail say so.
 */
const complianceStatusOf: Readonly<Record<FindingRow['Status'], Enum>> = {
  Pass: { id: 1, caption: 'Pass' },
  Fail: { id: 3, caption: 'Fail' },
  Exempt: { id: 3, caption: 'Fail' },
  Error: { id: 2, caption: 'Warning' },
  // A resource that left the scope has no result: OCSF's Other, named.
  Removed: { id: 99, caption: 'Removed' },
};
const findingStatusOf: Readonly<Record<FindingRow['Status'], Enum>> = {
  Pass: { id: 1, caption: 'New' },
  Fail: { id: 1, caption: 'New' },
  Exempt: { id: 3, caption: 'Suppressed' },
  Error: { id: 1, caption: 'New' },
  // Its earlier finding no longer applies.
  Removed: { id: 5, caption: 'Archived' },
};

const controls: ReadonlyMap<string, ControlMetadata> = new Map([[auditLoggingControl.id, auditLoggingControl]]);

/** What the control's metadata adds: its description, compliance mappings and references. */
function controlContext(control: ControlMetadata | undefined) {
  if (control === undefined) return { compliance: {}, analytic: {}, remediation: {} };
  return {
    compliance: {
      desc: control.description,
      standards: [...new Set(control.compliance.map((m) => `${m.framework} ${m.version}`))],
      requirements: control.compliance.map((m) => `${m.framework} ${m.version} ${m.control}`),
    },
    analytic: { name: control.title },
    remediation: { references: control.references.map((r) => r.url) },
  };
}

export function toOcsfComplianceFinding(scan: ScanRow, finding: FindingRow): Record<string, unknown> {
  const {
    TimeGenerated,
    ScanId,
    ControlId,
    ResourceId,
    ResourceName,
    ResourceType,
    SubscriptionId,
    ResourceGroup,
    Location,
    AzureTenantId,
    Status,
    Reason,
    Detail,
    Severity,
    Remediation,
    Tags,
    ...evidence
  } = finding;
  const time = Date.parse(TimeGenerated);
  const context = controlContext(controls.get(ControlId));
  const findingStatus = findingStatusOf[Status];
  const complianceStatus = complianceStatusOf[Status];
  return {
    activity_id: activityId,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: classUid,
    class_name: 'Compliance Finding',
    type_uid: classUid * 100 + activityId,
    type_name: 'Compliance Finding: Create',
    severity_id: severityOf[Severity].id,
    severity: severityOf[Severity].caption,
    status_id: findingStatus.id,
    status: findingStatus.caption,
    time,
    timezone_offset: 0,
    message: Detail,
    metadata: {
      version: ocsfSchemaVersion,
      profiles: ['cloud'],
      product: { name: 'kv-audit-monitor', vendor_name: 'kv-audit-monitor', version: scan.Version },
      correlation_uid: ScanId,
      original_time: TimeGenerated,
    },
    finding_info: {
      uid: `${ScanId}:${ResourceId}`,
      title: `${Status} ${Reason}: ${ResourceName}`,
      desc: Detail,
      types: [Reason],
      created_time: time,
      analytic: { uid: ControlId, type_id: 1, type: 'Rule', ...context.analytic },
    },
    compliance: {
      control: ControlId,
      ...context.compliance,
      status_id: complianceStatus.id,
      status: complianceStatus.caption,
      status_code: Reason,
      status_details: [Detail],
    },
    cloud: {
      provider: 'Azure',
      region: Location,
      account: { uid: SubscriptionId, type_id: 13, type: 'Azure Subscription' },
      // The tenant heads Azure's hierarchy: its root management group carries the tenant's id.
      org: { uid: AzureTenantId },
    },
    resources: [
      {
        uid: ResourceId,
        name: ResourceName,
        type: ResourceType,
        region: Location,
        group: { name: ResourceGroup },
        role_id: 1,
        role: 'Target',
        tags: Object.entries(Tags).map(([name, value]) => ({ name, value })),
      },
    ],
    evidences: [{ name: 'Diagnostic settings', data: evidence }],
    // An empty Remediation means nothing needs fixing; OCSF requires a remediation to have a desc.
    ...(Remediation === '' ? {} : { remediation: { desc: Remediation, ...context.remediation } }),
  };
}

export function renderOcsf(scan: ScanRow, findings: readonly FindingRow[]): string {
  return toNdjson(findings.map((finding) => toOcsfComplianceFinding(scan, finding)));
}
