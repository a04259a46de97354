import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { BlockBlobClient } from '@azure/storage-blob';
import { isRestError } from '@azure/core-rest-pipeline';
import { describeError } from '../errors.js';
import { type ScanState, parseScanState, serializeScanState } from './scanState.js';

/*
 * Where a scan's state is kept between scans: a blob for the scheduled function (one writer at a time, guarded by
 * its ETag, so two overlapping scans cannot interleave their states), a file for `kv-audit scan --state`. State
 * that is missing, unreadable or of another version is no state: the next scan is full, and says why.
 */

export interface LoadedState {
  readonly state: ScanState | null;
  /** Why there is no usable state, for the log; null when there is one, or simply none yet. */
  readonly problem: string | null;
}

export interface StateStore {
  /** What the last scan left. */
  load(): Promise<LoadedState>;
  /** Keeps this scan's state; false, with the reason, when another scan saved first or it cannot be written. */
  save(state: ScanState): Promise<{ readonly saved: boolean; readonly problem: string | null }>;
}

function parsed(text: string, where: string): LoadedState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { state: null, problem: `the state in ${where} is not JSON (${describeError(error)})` };
  }
  const result = parseScanState(raw);
  return 'state' in result ? { state: result.state, problem: null } : { state: null, problem: `the state in ${where} is not one this version reads (${result.problem})` };
}

/** A file, replaced whole on save so a crash leaves the old state or the new one, never half of either. */
export function fileStateStore(path: string): StateStore {
  return {
    async load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        const missing = error instanceof Error && 'code' in error && error.code === 'ENOENT';
        return { state: null, problem: missing ? null : `the state file ${path} cannot be read (${describeError(error)})` };
      }
      return parsed(text, path);
    },
    async save(state) {
      const temporary = `${path}.tmp`;
      try {
        writeFileSync(temporary, serializeScanState(state));
        renameSync(temporary, path);
        return { saved: true, problem: null };
      } catch (error) {
        return { saved: false, problem: `the state file ${path} cannot be written (${describeError(error)})` };
      }
    },
  };
}

/** A blob: saved only over the version it loaded (If-Match), or only if still absent (If-None-Match: *). */
export function blobStateStore(blob: BlockBlobClient): StateStore {
  let etag: string | null = null;
  return {
    async load() {
      try {
        // The ETag of the very version read: a save may only replace that one.
        const response = await blob.download(0);
        etag = response.etag ?? null;
        const chunks: Buffer[] = [];
        for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
        return parsed(Buffer.concat(chunks).toString('utf8'), blob.url);
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return { state: null, problem: null };
        return { state: null, problem: `the state blob ${blob.url} cannot be read (${describeError(error)})` };
      }
    },
    async save(state) {
      try {
        const body = serializeScanState(state);
        const response = await blob.upload(body, body.length, {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          conditions: etag === null ? { ifNoneMatch: '*' } : { ifMatch: etag },
        });
        etag = response.etag ?? null;
        return { saved: true, problem: null };
      } catch (error) {
        const raced = isRestError(error) && (error.statusCode === 412 || error.statusCode === 409);
        return {
          saved: false,
          problem: raced
            ? `the state blob ${blob.url} changed since it was read (another scan saved first); this scan's state is not kept`
            : `the state blob ${blob.url} cannot be written (${describeError(error)})`,
        };
      }
    },
  };
}
