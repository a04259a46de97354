import { randomUUID } from 'node:crypto';
import { type AzureConnection, createAzureClients } from '../azure/clients.js';
import { logsIngestionSink } from '../azure/ingestion.js';
import type { Settings } from '../config/settings.js';
import { landedRowCount } from '../azure/findingsWorkspace.js';
import type { FindingRow } from '../findings/schema.js';
import type { ScanState } from '../state/scanState.js';
import type { ScanDependencies, ScanLog, ScanProgress } from './runScan.js';

/**
 * The scan's dependencies for a connection (real Azure or the emulator): the
 * one place where clients, clock and ids are made, shared by every entry point.
 */
export function scanDependencies(
  connection: AzureConnection,
  settings: Settings,
  options: {
    readonly ingest: boolean;
    readonly log: ScanLog;
    readonly onProgress?: (progress: ScanProgress) => void;
    readonly onFinding?: (finding: FindingRow) => void;
    readonly readBudgetMs?: number;
    /** The last scan's state: given (even as null), the scan keeps history and may be incremental. */
    readonly previous?: ScanState | null;
    /** Read the Activity Log from this time instead of the last scan's start less the overlap. */
    readonly since?: Date;
  },
): ScanDependencies {
  const clients = createAzureClients(connection);
  const ingestion = options.ingest ? settings.ingestion : null;
  const retryDelay = connection.retryDelayInMs === undefined ? {} : { retryDelayMs: connection.retryDelayInMs };
  return {
    clients,
    sink: ingestion ? logsIngestionSink(clients.logsIngestion(ingestion.endpoint), ingestion.ruleId, retryDelay) : null,
    now: connection.now ? () => new Date(connection.now!()) : () => new Date(),
    newScanId: randomUUID,
    log: options.log,
    ...retryDelay,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onFinding ? { onFinding: options.onFinding } : {}),
    ...(options.readBudgetMs === undefined ? {} : { readBudgetMs: options.readBudgetMs }),
    ...(options.previous === undefined
      ? {}
      : {
          history: {
            previous: options.previous,
            landedRows: settings.findingsWorkspaceId ? (scanId: string) => landedRowCount(clients.logsQuery, settings.findingsWorkspaceId!, scanId) : null,
            policy: {
              fullIntervalMs: settings.fullScanIntervalHours * 3_600_000,
              overlapMs: settings.activityLogOverlapMinutes * 60_000,
              ...(options.since ? { since: options.since } : {}),
            },
          },
        }),
  };
}
