import type { KqlRow, KqlTables } from '@kv-audit/kql';
import { type FindingRow, type ScanRow, findingRowSchema } from '../../src/findings/schema.js';
import { scanRow } from '../support/rows.js';

/*
 * Sample data for the picture of the workbook (docs/images/workbook.png): a month of scheduled scans, every six hours,
 * of ten Key Vaults and Managed HSMs in three subscriptions, written as the scanner writes them (every row passes the
 * zod schema). Made up, and said so wherever the picture is shown. What happens in it:
 *   kv-pay-dev      fails (no diagnostic settings) until its owner fixes it on day 12
 *   kv-ml-train     cannot be read on days 5-7 (AccessDenied: a role still propagating), then passes
 *   kv-checkout     sends its audit log to an unapproved storage account from day 24
 *   kv-lake-dev     stops sending AuditEvent (metrics only) from day 21
 *   kv-it-secrets   its workspace is deleted: it fails in the latest scan only, a new failure
 *   kv-legal        exempt all month, until 12 days from now
 *   the scan two days ago did not complete: ARM throttled one subscription's reads
 */

export const sampleNow = '2026-11-22T12:30:00Z';
const scansPerDay = 4;
const days = 30;

const subscriptions = {
  payments: '6f1c2a3b-0d4e-4f5a-9b6c-7d8e9f0a1b2c',
  corporate: 'a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d',
  data: 'c7d8e9f0-a1b2-4c3d-8e4f-5a6b7c8d9e0f',
} as const;

type Verdict = readonly [FindingRow['Status'], FindingRow['Reason'], string];
const pass: Verdict = ['Pass', 'AuditLogsDelivered', 'AuditEvent goes to the central workspace.'];

interface SampleVault {
  readonly name: string;
  readonly subscription: keyof typeof subscriptions;
  readonly hsm?: boolean;
  /** The verdict of the scan `index` scans ago (0: the latest), on day `day` of the month (0: the first). */
  readonly verdict: (day: number, index: number) => Verdict;
}

const vaults: readonly SampleVault[] = [
  { name: 'kv-pay-prod', subscription: 'payments', verdict: () => pass },
  { name: 'kv-pay-dev', subscription: 'payments', verdict: (day) => (day < 12 ? ['Fail', 'NoDiagnosticSettings', 'The vault has no diagnostic setting.'] : pass) },
  { name: 'kv-checkout', subscription: 'payments', verdict: (day) => (day < 24 ? pass : ['Fail', 'DestinationNotApproved', 'AuditEvent goes to storage account stcheckoutlogs, not an approved destination.']) },
  { name: 'hsm-pay', subscription: 'payments', hsm: true, verdict: () => pass },
  { name: 'kv-hr', subscription: 'corporate', verdict: () => pass },
  { name: 'kv-it-secrets', subscription: 'corporate', verdict: (_, index) => (index > 0 ? pass : ['Fail', 'DestinationNotFound', 'AuditEvent goes to workspace log-it-old, which no longer exists.']) },
  { name: 'kv-legal', subscription: 'corporate', verdict: () => ['Exempt', 'Exempted', 'No diagnostic setting; exempt: vendor-managed, ticket SEC-42.'] },
  { name: 'kv-lake', subscription: 'data', verdict: () => pass },
  { name: 'kv-lake-dev', subscription: 'data', verdict: (day) => (day < 21 ? pass : ['Fail', 'AuditLogsNotEnabled', 'The only diagnostic setting sends metrics, not AuditEvent.']) },
  { name: 'kv-ml-train', subscription: 'data', verdict: (day) => (day >= 5 && day <= 7 ? ['Error', 'AccessDenied', 'Reading diagnostic settings: 403 AuthorizationFailed.'] : pass) },
];

const resourceId = (vault: SampleVault) =>
  `/subscriptions/${subscriptions[vault.subscription]}/resourcegroups/rg-${vault.subscription}/providers/` +
  (vault.hsm === true ? `microsoft.keyvault/managedhsms/${vault.name}` : `microsoft.keyvault/vaults/${vault.name}`);

const exemptUntil = new Date(Date.parse(sampleNow) + 12 * 86_400_000).toISOString().slice(0, 10);

function findingOf(vault: SampleVault, scanId: string, time: Date, [status, reason, detail]: Verdict): FindingRow {
  const id = resourceId(vault);
  return findingRowSchema.parse({
    TimeGenerated: time.toISOString(),
    ScanId: scanId,
    ControlId: 'kv-audit-logging-delivered',
    ResourceId: id,
    ResourceName: vault.name,
    ResourceType: vault.hsm === true ? 'microsoft.keyvault/managedhsms' : 'microsoft.keyvault/vaults',
    SubscriptionId: subscriptions[vault.subscription],
    ResourceGroup: `rg-${vault.subscription}`,
    Location: 'westeurope',
    AzureTenantId: '0f0e0d0c-0b0a-4909-8807-060504030201',
    Status: status,
    Reason: reason,
    Detail: detail,
    Severity: 'High',
    EvidenceSource: 'ARM',
    DiagnosticSettingCount: status === 'Error' ? null : status === 'Pass' ? 1 : 0,
    AuditSettings: [],
    AuditSources: [],
    Destinations: [],
    CisStrict: status === 'Error' ? null : false,
    DisabledAuditEntry: status === 'Error' ? null : false,
    Exemption: status === 'Exempt' ? { Source: 'Tag', Scope: null, Reason: 'Vendor-managed, ticket SEC-42', Until: exemptUntil, ApprovedBy: null, State: 'Active', Problem: null } : null,
    Remediation: status === 'Fail' ? `az monitor diagnostic-settings create --resource '${id}' --workspace <workspace id> --logs '[{"category":"AuditEvent","enabled":true}]'` : '',
    Tags: {},
    Profile: 'default',
    DeliveryCheck: 'NotChecked',
    LastAuditEventAt: null,
  });
}

/** The month's rows: the findings of every scan, then each scan's row, as the scanner writes them. */
export function sampleMonth(): KqlTables {
  const findings: FindingRow[] = [];
  const scans: ScanRow[] = [];
  const scanCount = days * scansPerDay;
  for (let n = 0; n < scanCount; n++) {
    const index = scanCount - 1 - n;
    const startedAt = new Date(Date.parse(sampleNow) - 30 * 60_000 - index * (24 / scansPerDay) * 3_600_000);
    const day = Math.floor(n / scansPerDay);
    const scanId = `5ca40000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    // Two days ago, ARM throttled the data subscription's reads: the scan gave up on it and did not complete.
    const throttled = index === 2 * scansPerDay;
    const scanned = throttled ? vaults.filter((v) => v.subscription !== 'data') : vaults;
    const rows = scanned.map((vault, i) => findingOf(vault, scanId, new Date(startedAt.getTime() + (i + 1) * 4_000), vault.verdict(day, index)));
    findings.push(...rows);
    const durationMs = 48_000 + ((n * 7919) % 37_000);
    const finishedAt = new Date(startedAt.getTime() + durationMs).toISOString();
    const count = (status: FindingRow['Status']) => rows.filter((r) => r.Status === status).length;
    scans.push(
      scanRow({
        TimeGenerated: finishedAt,
        ScanId: scanId,
        Trigger: 'Timer',
        StartedAt: startedAt.toISOString(),
        FinishedAt: finishedAt,
        DurationMs: durationMs,
        Complete: !throttled,
        InventoryComplete: true,
        ResourceCount: vaults.length,
        PassCount: count('Pass'),
        FailCount: count('Fail'),
        ExemptCount: count('Exempt'),
        ErrorCount: count('Error'),
        FindingsWritten: rows.length,
        ArmCalls: rows.length + 3,
        ArmThrottled: throttled ? 14 : 0,
        Errors: throttled ? [`ARM diagnostic settings for subscription ${subscriptions.data}: throttled (HTTP 429) after 6 retries`] : [],
      }),
    );
  }
  return { KeyVaultAuditFindings_CL: findings as unknown as KqlRow[], KeyVaultAuditScans_CL: scans as unknown as KqlRow[] };
}
