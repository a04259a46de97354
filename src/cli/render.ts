import { plural } from '../scan/summary.js';
import { printable } from './printable.js';
import { type FindingRow, type ScanRow, findingReasons, findingStatuses } from '../findings/schema.js';

/** Human and machine renderings of a scan result. */

export function toNdjson(rows: readonly object[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

function table(headers: readonly string[], cells: readonly (readonly string[])[]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function describeScope(scan: ScanRow): string {
  switch (scan.Scope.Kind) {
    case 'Tenant':
      return scan.Trigger === 'Demo' ? "every subscription in the emulator's estate" : 'every subscription the identity can read';
    case 'Subscriptions':
      return plural(scan.Scope.Ids.length, 'subscription', 'subscriptions');
    case 'ManagementGroups':
      return `management group${scan.Scope.Ids.length === 1 ? '' : 's'} ${printable(scan.Scope.Ids.join(', '))}`;
  }
}

/** Rows of "Needs attention" shown at most; a large estate's list goes to a file instead of the terminal. */
export const maxAttentionRows = 50;
/** Subscriptions named in the counts above the list, the ones with most first. */
const maxSubscriptionCounts = 10;

/** Fails before errors (a Fail is evidence that audit logs are not shipped), each furthest from passing first. */
const attentionOrder = (f: FindingRow) => (f.Status === 'Fail' ? 0 : 1) * 100 - findingReasons.indexOf(f.Reason);

/** "NoDiagnosticSettings 3, …" counting findings by a key, most first. */
function countsBy(findings: readonly FindingRow[], key: (f: FindingRow) => string, limit = Infinity): string {
  const counts = new Map<string, number>();
  for (const finding of findings) counts.set(key(finding), (counts.get(key(finding)) ?? 0) + 1);
  const sorted = [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const shown = sorted.slice(0, limit).map(([name, n]) => `${name} ${n}`);
  return [...shown, ...(sorted.length > limit ? [`… ${sorted.length - limit} more`] : [])].join(', ');
}

function attentionSection(findings: readonly FindingRow[]): string[] {
  const attention = findings
    .filter((f) => f.Status === 'Fail' || f.Status === 'Error')
    .sort((a, b) => attentionOrder(a) - attentionOrder(b) || a.SubscriptionId.localeCompare(b.SubscriptionId) || a.ResourceId.localeCompare(b.ResourceId));
  if (attention.length === 0) return [];
  const shown = attention.slice(0, maxAttentionRows);
  const lines = ['', `Needs attention: ${plural(attention.length, 'resource', 'resources')}`];
  if (attention.length > maxAttentionRows) {
    lines.push(
      `  by reason:       ${printable(countsBy(attention, (f) => `${f.Status}/${f.Reason}`))}`,
      `  by subscription: ${printable(countsBy(attention, (f) => f.SubscriptionId, maxSubscriptionCounts))}`,
      `The first ${maxAttentionRows}, worst first (all of them: -o csv > findings.csv, or --out FILE for NDJSON):`,
    );
  }
  lines.push(table(['STATUS', 'REASON', 'RESOURCE', 'RESOURCE GROUP', 'SUBSCRIPTION'], shown.map((f) => [f.Status, f.Reason, f.ResourceName, f.ResourceGroup, f.SubscriptionId])));
  if (attention.length > maxAttentionRows) lines.push(`… and ${attention.length - maxAttentionRows} more.`);
  return lines;
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

/** The readable summary: counts by status and reason, then the resources that need attention, worst first. */
export function renderSummary(scan: ScanRow, findings: readonly FindingRow[]): string {
  // Removed rows come only from scans that keep state (kv-audit scan --state): listed when there are some.
  const byStatus = countByStatusAndReason(findings).filter(({ status, count }) => status !== 'Removed' || count > 0).map(({ status, count, reasons }) => [
    status,
    String(count),
    reasons.map(({ reason, count: n }) => `${reason} ${n}`).join(', '),
  ]);

  const seconds = (scan.DurationMs / 1000).toFixed(1);
  const parts = [
    `Scan ${scan.ScanId} (${scan.Trigger}, ${describeScope(scan)}) ${scan.Complete ? 'complete' : 'INCOMPLETE'} in ${seconds} s: ` +
      `${plural(scan.ResourceCount, 'vault or Managed HSM', 'vaults and Managed HSMs')}.`,
    '',
    table(['STATUS', 'COUNT', 'REASONS'], byStatus),
    ...attentionSection(findings),
  ];
  parts.push(
    '',
    `Evidence: ${plural(scan.ArgQueries, 'Resource Graph request', 'Resource Graph requests')} (diagnostic settings indexed: ${scan.ResourceGraphHasDiagnosticSettings ? 'yes' : 'no'}), ` +
      `${plural(scan.ArmCalls, 'ARM request', 'ARM requests')} (${scan.ArmThrottled} throttled), ${plural(scan.FindingsWritten, 'finding', 'findings')} written.`,
  );
  if (scan.Errors.length > 0) parts.push('', 'Errors:', ...scan.Errors.map((e) => `  - ${printable(e)}`));
  return `${parts.join('\n')}\n`;
}
