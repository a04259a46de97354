import type { ScanRow } from '../findings/schema.js';
import type { ScanProgress } from './runScan.js';

/** "1 vault", "2 vaults": counts read as a person would write them. */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** One line that tells an operator how the scan went. */
export function summaryLine(scan: ScanRow): string {
  const state = scan.Complete ? 'complete' : 'INCOMPLETE';
  return (
    `Scan ${scan.ScanId} ${state}: ${plural(scan.ResourceCount, 'resource', 'resources')} — ${scan.PassCount} Pass, ${scan.FailCount} Fail, ` +
    `${scan.ExemptCount} Exempt, ${scan.ErrorCount} Error; ${plural(scan.FindingsWritten, 'finding', 'findings')} written; ` +
    `${plural(scan.ArgQueries, 'ARG request', 'ARG requests')}, ${plural(scan.ArmCalls, 'ARM request', 'ARM requests')} (${scan.ArmThrottled} throttled) in ${scan.DurationMs} ms` +
    (scan.Errors.length > 0 ? `; ${plural(scan.Errors.length, 'error', 'errors')}` : '')
  );
}

/** Where a running scan is, in one line. */
export function progressSummary({ listed, total, evaluated }: ScanProgress): string {
  if (listed === 0) return 'Listing vaults and Managed HSMs (Azure Resource Graph)…';
  const of = total === null ? '' : ` of ${total}`;
  return `Listed ${listed}${of} vaults and Managed HSMs; evaluated ${evaluated}${of}`;
}

/** Progress for a log rather than a terminal: a line at most every `intervalMs`. */
export function progressLog(write: (line: string) => void, intervalMs: number, now: () => number = Date.now): (progress: ScanProgress) => void {
  let last = -Infinity;
  return (progress) => {
    if (now() - last < intervalMs) return;
    last = now();
    write(`Scan progress: ${progressSummary(progress)}`);
  };
}
