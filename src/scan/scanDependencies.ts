import { randomUUID } from 'node:crypto';
import { type AzureConnection, createAzureClients } from '../azure/clients.js';
import { logsIngestionSink } from '../azure/ingestion.js';
import type { Settings } from '../config/settings.js';
import type { FindingRow } from '../findings/schema.js';
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
  },
): ScanDependencies {
  const clients = createAzureClients(connection);
  const ingestion = options.ingest ? settings.ingestion : null;
  const retryDelay = connection.retryDelayInMs === undefined ? {} : { retryDelayMs: connection.retryDelayInMs };
  return {
    clients,
    sink: ingestion ? logsIngestionSink(clients.logsIngestion(ingestion.endpoint), ingestion.ruleId, retryDelay) : null,
    now: () => new Date(),
    newScanId: randomUUID,
    log: options.log,
    ...retryDelay,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onFinding ? { onFinding: options.onFinding } : {}),
    ...(options.readBudgetMs === undefined ? {} : { readBudgetMs: options.readBudgetMs }),
  };
}
