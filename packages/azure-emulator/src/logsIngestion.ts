import { gunzipSync } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { EmulatorInputError } from './errors.js';
import { type EmulatorResponse, errorResponse } from './http.js';
import { type StreamColumn, rowProblems, streamColumnTypes } from './rowValidation.js';

/*
 * POST /dataCollectionRules/{immutableId}/streams/{stream}?api-version=2023-01-01: the Logs Ingestion API
 * for the one DCR the emulator hosts. Its streams are given to the emulator, as a DCR's streamDeclarations
 * are given to Azure: the demo and the tests pass the column files the deployment's Bicep loads.
 */

const ingestionPath = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)\/?$/i;
const ingestionApiVersion = '2023-01-01';
/**
 * "1 MB, both compressed and uncompressed". Taken as 1 MiB: the SDK fills chunks up to 1,000,000 bytes of
 * rows and adds brackets and commas on top, which a 1,000,000-byte limit would reject.
 */
const maxRequestBytes = 1024 * 1024;
/** Enough details to fix a batch without flooding a terminal. */
const maxReportedProblems = 100;

export interface UploadTarget {
  readonly ruleId: string;
  readonly stream: string;
}

export function uploadTarget(path: string): UploadTarget | null {
  const match = ingestionPath.exec(path);
  return match?.[1] && match[2] ? { ruleId: match[1], stream: match[2] } : null;
}

/** A DCR stream declaration: the stream's name and its columns (other fields, such as descriptions, are ignored). */
const streamDeclarationSchema = z.looseObject({
  streamName: z.string().regex(/^Custom-[A-Za-z0-9_]+$/, "must be 'Custom-' followed by letters, digits or underscores"),
  columns: z
    .array(z.looseObject({ name: z.string().min(1), type: z.enum(streamColumnTypes) }))
    .min(1, 'must declare at least one column'),
});
export type StreamDeclaration = z.input<typeof streamDeclarationSchema>;

/** The DCR's streams by name, every problem with the declarations reported at once. */
export function declareStreams(declarations: readonly unknown[]): ReadonlyMap<string, readonly StreamColumn[]> {
  const problems: string[] = [];
  const streams = new Map<string, readonly StreamColumn[]>();
  declarations.forEach((declaration, i) => {
    const parsed = streamDeclarationSchema.safeParse(declaration);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => `streams[${i}]${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`));
    } else if (streams.has(parsed.data.streamName)) {
      problems.push(`streams[${i}].streamName: '${parsed.data.streamName}' is declared twice`);
    } else {
      streams.set(parsed.data.streamName, parsed.data.columns.map(({ name, type }) => ({ name, type })));
    }
  });
  if (problems.length > 0) {
    throw new EmulatorInputError('InvalidStreams', `Invalid stream declarations (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, { details: problems });
  }
  return streams;
}

export interface IngestionOutcome {
  readonly response: EmulatorResponse;
  /** Rows to store when the batch is accepted. */
  readonly accepted?: { readonly stream: string; readonly rows: readonly Record<string, unknown>[] };
}

const fail = (status: number, code: string, message: string, details?: readonly string[]): IngestionOutcome => ({
  response: errorResponse(status, code, message, details ? { details: details.map((d) => ({ code: 'InvalidRow', message: d })) } : {}),
});

export function ingest(
  target: UploadTarget,
  request: { readonly apiVersion: string | undefined; readonly headers: IncomingHttpHeaders; readonly body: Buffer },
  dcrImmutableId: string,
  streams: ReadonlyMap<string, readonly StreamColumn[]>,
): IngestionOutcome {
  if (target.ruleId !== dcrImmutableId) return fail(404, 'NotFound', `Data collection rule with immutable id '${target.ruleId}' not found.`);
  const columns = streams.get(target.stream);
  if (!columns) {
    return fail(400, 'InvalidStream', `Stream '${target.stream}' is not declared in data collection rule '${dcrImmutableId}'; declared: ${[...streams.keys()].join(', ')}.`);
  }
  if (request.apiVersion !== ingestionApiVersion) {
    return fail(400, 'InvalidApiVersion', `api-version must be ${ingestionApiVersion}, got '${request.apiVersion ?? ''}'.`);
  }
  if (request.headers['content-encoding']?.toLowerCase() !== 'gzip') {
    return fail(400, 'InvalidContentEncoding', "The emulator requires 'Content-Encoding: gzip', which the SDK always sends.");
  }
  const tooLarge = () => fail(413, 'ContentLengthLimitExceeded', `The request exceeds ${maxRequestBytes} bytes, compressed or uncompressed.`);
  if (request.body.length > maxRequestBytes) return tooLarge();
  let text: string;
  try {
    text = gunzipSync(request.body, { maxOutputLength: maxRequestBytes }).toString('utf8');
  } catch (error) {
    if (error instanceof RangeError) return tooLarge();
    return fail(400, 'InvalidContentEncoding', 'The body is not valid gzip.');
  }
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    return fail(400, 'InvalidJson', 'The body is not valid JSON.');
  }
  if (!Array.isArray(rows)) return fail(400, 'InvalidPayload', 'The body must be a JSON array of row objects.');
  const problems = rowProblems(rows, columns);
  if (problems.length > 0) {
    const shown = problems.slice(0, maxReportedProblems);
    const more = problems.length - shown.length;
    return fail(
      400,
      'InvalidRows',
      // The first problem goes into the message too: some clients keep only the message of an error body.
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${rows.length} row${rows.length === 1 ? '' : 's'} for stream '${target.stream}'${more > 0 ? ` (first ${shown.length} listed)` : ''}; first: ${shown[0]}.`,
      shown,
    );
  }
  return { response: { status: 204 }, accepted: { stream: target.stream, rows: rows as Record<string, unknown>[] } };
}
