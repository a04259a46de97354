import { closeSync, createReadStream, openSync, renameSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { isRestError } from '@azure/core-rest-pipeline';
import { describeError } from '../errors.js';
import { type ScanState, readScanState, scanStateChunks } from './scanState.js';

/*
 * Where a scan's state is kept between scans: a blob for the scheduled function (one writer at a time, guarded by
 * its ETag, so two overlapping scans cannot interleave their states), a file for `kv-audit scan --state`. State
 * that is missing, unreadable or of another version is no state: the next scan is full, and says why. Both are read
 * and written as streams of lines: a million resources' state is never one string or buffer in memory.
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

async function parsed(chunks: AsyncIterable<Buffer | string>, where: string): Promise<LoadedState> {
  const result = await readScanState(chunks);
  return 'state' in result ? { state: result.state, problem: null } : { state: null, problem: `the state in ${where} is not one this version reads (${result.problem})` };
}

const isMissingFile = (error: unknown) => error instanceof Error && 'code' in error && error.code === 'ENOENT';

/** A file, replaced whole on save so a crash leaves the old state or the new one, never half of either. */
export function fileStateStore(path: string): StateStore {
  return {
    async load() {
      try {
        return await parsed(createReadStream(path), path);
      } catch (error) {
        return { state: null, problem: isMissingFile(error) ? null : `the state file ${path} cannot be read (${describeError(error)})` };
      }
    },
    async save(state) {
      const temporary = `${path}.tmp`;
      try {
        const file = openSync(temporary, 'w');
        try {
          for (const chunk of scanStateChunks(state)) writeSync(file, chunk);
        } finally {
          closeSync(file);
        }
        renameSync(temporary, path);
        return { saved: true, problem: null };
      } catch (error) {
        return { saved: false, problem: `the state file ${path} cannot be written (${describeError(error)})` };
      }
    },
  };
}

/** Blocks of the blob's upload, and how many are staged at once: a few megabytes in memory. */
const uploadBlockBytes = 4 * 2 ** 20;
const uploadConcurrency = 2;

/** A blob: saved only over the version it loaded (If-Match), or only if still absent (If-None-Match: *). */
export function blobStateStore(blob: BlockBlobClient): StateStore {
  let etag: string | null = null;
  return {
    async load() {
      try {
        // The ETag of the very version read: a save may only replace that one.
        const response = await blob.download(0);
        etag = response.etag ?? null;
        return await parsed((response.readableStreamBody ?? Readable.from([])) as AsyncIterable<Buffer>, blob.url);
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return { state: null, problem: null };
        return { state: null, problem: `the state blob ${blob.url} cannot be read (${describeError(error)})` };
      }
    },
    async save(state) {
      try {
        // Staged in blocks and committed under the condition: the commit is what replaces the blob, or fails to.
        const response = await blob.uploadStream(Readable.from(scanStateChunks(state)), uploadBlockBytes, uploadConcurrency, {
          blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' },
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
