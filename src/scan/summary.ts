import type { ScanRow } from '../findings/schema.js';

/** One line that tells an operator how the scan went. */
export function summaryLine(scan: ScanRow): string {
  const state = scan.Complete ? 'complete' : 'INCOMPLETE';
  return (
    `Scan ${scan.ScanId} ${state}: ${scan.ResourceCount} resources — ${scan.PassCount} Pass, ${scan.FailCount} Fail, ` +
    `${scan.ExemptCount} Exempt, ${scan.ErrorCount} Error; ${scan.FindingsWritten} findings written; ` +
    `${scan.ArgQueries} ARG requests, ${scan.ArmCalls} ARM requests (${scan.ArmThrottled} throttled) in ${scan.DurationMs} ms` +
    (scan.Errors.length > 0 ? `; ${scan.Errors.length} errors` : '')
  );
}
