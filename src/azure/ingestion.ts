import { isRestError } from '@azure/core-rest-pipeline';
import { type LogsIngestionClient, isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import { capRow } from '../findings/rowLimits.js';
import { describeError } from '../errors.js';
import { describeRestError } from './armError.js';
import { backoffDelayMs, sleep as sleepFor } from './backoff.js';
import { isCutOffResponse } from './transientFailures.js';

/*
 * Writes rows to a DCR stream through the Logs Ingestion API. The SDK chunks at
 * 1 MB, gzips and retries each request; a chunk that still fails transiently is
 * uploaded again here, and one that cannot be written is counted and reported,
 * never swallowed.
 */

export interface UploadOutcome {
  /** Rows the service accepted. */
  readonly accepted: number;
  /** One line per chunk that could not be written: how many rows and why. */
  readonly failures: readonly string[];
}

export interface RowSink {
  upload(streamName: string, rows: readonly Record<string, unknown>[]): Promise<UploadOutcome>;
}

export interface SinkOptions {
  /** First delay before re-uploading failed chunks; doubles each time. */
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const maxUploadRounds = 3;

interface FailedChunk {
  readonly rows: readonly Record<string, unknown>[];
  readonly cause: unknown;
}

/** Worth another round: throttling, server errors and broken connections, not a rejected payload. */
function isRetriable(cause: unknown): boolean {
  if (isCutOffResponse(cause)) return true;
  const status = isRestError(cause) ? cause.statusCode : undefined;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/** One upload call (the SDK chunks and retries inside it) gives up after this long. */
const uploadTimeoutMs = 5 * 60_000;

async function uploadOnce(client: LogsIngestionClient, ruleId: string, streamName: string, rows: readonly Record<string, unknown>[]): Promise<FailedChunk[]> {
  const failed: FailedChunk[] = [];
  try {
    await client.upload(ruleId, streamName, [...rows], {
      onError: (failure) => failed.push({ rows: failure.failedLogs, cause: failure.cause }),
      abortSignal: AbortSignal.timeout(uploadTimeoutMs),
    });
  } catch (error) {
    // The SDK throws its aggregate error even after reporting each chunk to onError.
    if (!isAggregateLogsUploadError(error)) failed.push({ rows, cause: error });
  }
  return failed;
}

export function logsIngestionSink(client: LogsIngestionClient, ruleId: string, options: SinkOptions = {}): RowSink {
  const sleep = options.sleep ?? sleepFor;
  return {
    async upload(streamName, rows) {
      const failed: FailedChunk[] = [];
      let retrying: FailedChunk[] = [];
      let pending: readonly Record<string, unknown>[] = rows.map(capRow);
      for (let round = 0; round < maxUploadRounds && pending.length > 0; round++) {
        if (round > 0) await sleep(backoffDelayMs(round - 1, options.retryDelayMs ?? 2_000));
        const chunks = await uploadOnce(client, ruleId, streamName, pending);
        failed.push(...chunks.filter((chunk) => !isRetriable(chunk.cause)));
        retrying = chunks.filter((chunk) => isRetriable(chunk.cause));
        pending = retrying.flatMap((chunk) => chunk.rows);
      }
      failed.push(...retrying);
      const failedRows = failed.reduce((sum, chunk) => sum + chunk.rows.length, 0);
      return {
        accepted: rows.length - failedRows,
        failures: failed.map((chunk) => {
          const { summary, details } = describeRestError(chunk.cause);
          const why = details.length > 0 ? `${summary} (${details.slice(0, 3).join('; ')})` : summary;
          return `Logs Ingestion upload to ${streamName}: ${chunk.rows.length} rows not written: ${why}`;
        }),
      };
    },
  };
}

export interface StreamingUpload {
  /** Queues a row; waits only when enough batches are already on their way (backpressure). */
  add(row: Record<string, unknown>): Promise<void>;
  /** Sends what is left and waits for every batch. */
  finish(): Promise<UploadOutcome>;
}

export interface StreamingUploadOptions {
  /** Rows per upload call; the SDK cuts each call into requests of at most 1 MB. */
  readonly rowsPerBatch?: number;
  /** Upload calls in flight at once. */
  readonly maxBatchesInFlight?: number;
}

/**
 * Writes rows as they are produced, in batches of about 1 MB of findings, so a
 * scan never holds more than a few batches however large the estate is.
 */
export function streamingUpload(sink: RowSink, streamName: string, options: StreamingUploadOptions = {}): StreamingUpload {
  const rowsPerBatch = options.rowsPerBatch ?? 500;
  const maxBatchesInFlight = options.maxBatchesInFlight ?? 4;
  let buffer: Record<string, unknown>[] = [];
  const inFlight = new Set<Promise<void>>();
  let accepted = 0;
  const failures: string[] = [];

  function send(): void {
    // Rows finish in no particular order; sorted, the same batch makes the same requests every run.
    const rows = buffer.sort((a, b) => String(a['ResourceId']).localeCompare(String(b['ResourceId'])));
    buffer = [];
    const upload = sink.upload(streamName, rows).then(
      (outcome) => {
        accepted += outcome.accepted;
        failures.push(...outcome.failures);
      },
      (error: unknown) => {
        failures.push(`Logs Ingestion upload to ${streamName}: ${rows.length} rows not written: ${describeError(error)}`);
      },
    );
    const tracked = upload.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  return {
    async add(row) {
      buffer.push(row);
      while (buffer.length >= rowsPerBatch) {
        if (inFlight.size < maxBatchesInFlight) send();
        else await Promise.race(inFlight);
      }
    },
    async finish() {
      if (buffer.length > 0) send();
      await Promise.all(inFlight);
      return { accepted, failures };
    },
  };
}
