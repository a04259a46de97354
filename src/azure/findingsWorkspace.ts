import { type LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { z } from 'zod';
import { findingsTable } from '../findings/schema.js';

/*
 * Whether a scan's rows arrived: the Logs Ingestion API answers 204 before it stores rows, and drops what it cannot
 * map, so only the workspace can say. An incremental scan asks about the last scan before it builds on it (the
 * function's identity reads its own findings workspace: Log Analytics Reader). Any doubt is "cannot be asked", and
 * the scan is full.
 */

/** Resources with a finding row of the scan, counted once each (retried uploads can land twice). */
export function landedRowsQuery(scanId: string): string {
  return `${findingsTable.tableName}
| where ScanId == '${z.uuid().parse(scanId)}'
| distinct ResourceId
| count`;
}

/** The rows land within minutes; a scan builds on one at most a day or two old. */
const lookbackDays = 3;

export async function landedRowCount(logs: LogsQueryClient, workspaceResourceId: string, scanId: string): Promise<number | null> {
  try {
    // The SDK's URL template adds its own leading slash (/{resourceId}/query).
    const result = await logs.queryResource(workspaceResourceId.replace(/^\/+/, ''), landedRowsQuery(scanId), { duration: `P${lookbackDays}D` });
    if (result.status !== LogsQueryResultStatus.Success) return null;
    const count = result.tables[0]?.rows[0]?.[0];
    return typeof count === 'number' && Number.isSafeInteger(count) ? count : null;
  } catch {
    return null;
  }
}
