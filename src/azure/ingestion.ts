import { isRestError } from '@azure/core-rest-pipeline';
import { type LogsIngestionClient, isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import { capRow } from '../findings/rowLimits.js';
import { describeError } from '../errors.js';
import { describeRestError } from './armError.js';
import { backoffDelayMs, sleep as sleepFor } from './backoff.js';
import { isCutOffResponse } from './transientFailures.js';

/*
 * Writes rows to a DCR stream through the Logs Ingestion API. Rows are cut into
 * chunks here, by the SDK's own rule, and each chunk is one upload call, so a row
 * counts as accepted only when the call that carried it returned: the SDK, given
 * many chunks, stops launching them when its abort signal fires and reports the
 * ones it never sent to nobody (LogsIngestionClient.upload's concurrentRun). The
 * SDK gzips and retries each request; a chunk that still fails transiently is
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
  /** One chunk's upload (the SDK retries inside it) gives up after this long (default 5 minutes). */
  readonly uploadTimeoutMs?: number;
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

const defaultUploadTimeoutMs = 5 * 60_000;

/** The SDK's chunk limit (splitDataToChunks): a chunk's rows, as JSON, stay under 1,000,000 bytes. */
const maxChunkBytes = 1_000_000;

/** Rows in the chunks the SDK itself would make, so that each upload call sends exactly one request. */
function chunksOf(rows: readonly Record<string, unknown>[]): Record<string, unknown>[][] {
  const chunks: Record<string, unknown>[][] = [];
  let chunk: Record<string, unknown>[] = [];
  let size = 0;
  for (const row of rows) {
    const rowSize = Buffer.byteLength(JSON.stringify(row));
    if (chunk.length > 0 && size + rowSize >= maxChunkBytes) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(row);
    size += rowSize;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Uploads one chunk in one call: its rows were accepted only if the call returned and its signal never fired. */
async function uploadChunk(client: LogsIngestionClient, ruleId: string, streamName: string, chunk: Record<string, unknown>[], timeoutMs: number): Promise<FailedChunk | null> {
  const signal = AbortSignal.timeout(timeoutMs);
  let failure: FailedChunk | null = null;
  try {
    await client.upload(ruleId, streamName, chunk, {
      onError: (reported) => (failure = { rows: reported.failedLogs, cause: reported.cause }),
      abortSignal: signal,
    });
  } catch (error) {
    // The SDK throws its aggregate error even after reporting the chunk to onError.
    if (!isAggregateLogsUploadError(error)) failure = { rows: chunk, cause: error };
  }
  // Aborted before the request went out, the SDK skips the chunk and says nothing: nothing confirms it landed.
  if (failure === null && signal.aborted) failure = { rows: chunk, cause: new Error(`the upload timed out after ${timeoutMs} ms before it was confirmed`) };
  return failure;
}

async function uploadOnce(client: LogsIngestionClient, ruleId: string, streamName: string, rows: readonly Record<string, unknown>[], timeoutMs: number): Promise<FailedChunk[]> {
  const failed: FailedChunk[] = [];
  for (const chunk of chunksOf(rows)) {
    const failure = await uploadChunk(client, ruleId, streamName, chunk, timeoutMs);
    if (failure) failed.push(failure);
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
        const chunks = await uploadOnce(client, ruleId, streamName, pending, options.uploadTimeoutMs ?? defaultUploadTimeoutMs);
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
