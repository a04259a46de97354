import { type FindingRow, type ScanRow, findingReasons, findingStatuses } from '../findings/schema.js';

/** Human and machine renderings of a scan result. */

export function toNdjson(rows: readonly object[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function describeScope(scan: ScanRow): string {
  switch (scan.Scope.Kind) {
    case 'Tenant':
      return 'every subscription the identity can read';
    case 'Subscriptions':
      return `${scan.Scope.Ids.length} subscription${scan.Scope.Ids.length === 1 ? '' : 's'}`;
    case 'ManagementGroups':
      return `management group${scan.Scope.Ids.length === 1 ? '' : 's'} ${scan.Scope.Ids.join(', ')}`;
  }
}

export interface StatusCount {
  readonly status: FindingRow['Status'];
  readonly count: number;
  /** The reasons that occur, in schema order. */
  readonly reasons: readonly { readonly reason: FindingRow['Reason']; readonly count: number }[];
}

/** Findings counted by status (every status, in schema order) and by the reasons that occur under each. */
export function countByStatusAndReason(findings: readonly FindingRow[]): StatusCount[] {
  return findingStatuses.map((status) => {
    const ofStatus = findings.filter((f) => f.Status === status);
    const reasons = findingReasons
      .map((reason) => ({ reason, count: ofStatus.filter((f) => f.Reason === reason).length }))
      .filter(({ count }) => count > 0);
    return { status, count: ofStatus.length, reasons };
  });
}

/** The readable summary: counts by status and reason, then every resource that needs attention. */
export function renderSummary(scan: ScanRow, findings: readonly FindingRow[]): string {
  const byStatus = countByStatusAndReason(findings).map(({ status, count, reasons }) => [
    status,
    String(count),
    reasons.map(({ reason, count: n }) => `${reason} ${n}`).join(', '),
  ]);
  const attention = findings
    .filter((f) => f.Status === 'Fail' || f.Status === 'Error')
    .sort((a, b) => a.Status.localeCompare(b.Status) || a.Reason.localeCompare(b.Reason) || a.ResourceId.localeCompare(b.ResourceId))
    .map((f) => [f.Status, f.Reason, f.ResourceName, f.ResourceGroup, f.SubscriptionId]);

  const seconds = (scan.DurationMs / 1000).toFixed(1);
  const parts = [
    `Scan ${scan.ScanId} (${scan.Trigger}, ${describeScope(scan)}) ${scan.Complete ? 'complete' : 'INCOMPLETE'} in ${seconds} s: ` +
      `${scan.ResourceCount} vaults and Managed HSMs.`,
    '',
    table(['STATUS', 'COUNT', 'REASONS'], byStatus),
  ];
  if (attention.length > 0) {
    parts.push('', 'Needs attention:', table(['STATUS', 'REASON', 'RESOURCE', 'RESOURCE GROUP', 'SUBSCRIPTION'], attention));
  }
  parts.push(
    '',
    `Evidence: ${scan.ArgQueries} Resource Graph requests (diagnostic settings indexed: ${scan.ResourceGraphHasDiagnosticSettings ? 'yes' : 'no'}), ` +
      `${scan.ArmCalls} ARM requests (${scan.ArmThrottled} throttled), ${scan.FindingsWritten} findings written.`,
  );
  if (scan.Errors.length > 0) parts.push('', 'Errors:', ...scan.Errors.map((e) => `  - ${e}`));
  return `${parts.join('\n')}\n`;
}
