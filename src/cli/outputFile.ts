import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KvAuditError, describeError, isKvAuditError } from '../errors.js';

/*
 * The findings file is opened before any work: a path that cannot be written is a usage error at once, not after
 * a scan of thousands of vaults (or after --ingest has already sent the findings). Missing folders are created one
 * at a time: Node's recursive mkdir spins forever under /proc.
 */

export interface OutputFile {
  /** The absolute path, for "Findings written to …". */
  readonly path: string;
  /** Writes the whole content and closes the file. */
  write(text: string): void;
}

const errorCode = (error: unknown) => (error instanceof Error && 'code' in error ? String(error.code) : describeError(error));

/** `what` names the flag and its value for messages: "--out /proc/x.ndjson". */
function problem(what: string, why: string): KvAuditError {
  return new KvAuditError('InvalidArguments', `${what}: ${why}`);
}

function createFolders(what: string, folder: string): void {
  const missing: string[] = [];
  for (let dir = folder; !existsSync(dir) && dir !== dirname(dir); dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      throw problem(what, `cannot create the folder ${dir} (${errorCode(error)})`);
    }
  }
}

export function openOutputFile(cwd: string, flag: string, path: string): OutputFile {
  const what = `${flag} ${path}`;
  if (path.trim() === '') throw problem(flag, 'needs a value');
  const target = resolve(cwd, path);
  createFolders(what, dirname(target));
  if (existsSync(target)) {
    const stat = statSync(target);
    if (stat.isDirectory()) throw problem(what, 'is a folder; name a file');
    // A device or pipe cannot be checked before the scan (/dev/full accepts the open and refuses the write).
    if (!stat.isFile()) throw problem(what, 'is not a regular file; to read the findings on standard output, use -o ndjson');
  }
  let fd: number;
  try {
    fd = openSync(target, 'w');
  } catch (error) {
    throw problem(what, `cannot be written (${errorCode(error)})`);
  }
  return {
    path: target,
    write(text) {
      try {
        const bytes = Buffer.from(text, 'utf8');
        for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      } catch (error) {
        throw new KvAuditError('OutputFailed', `Writing the findings to ${target}: ${describeError(error)}`, { cause: error });
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** The file opened, or null with its problem added to `problems`, for reporting with every other problem at once. */
export function outputFileOrProblem(cwd: string, flag: string, path: string, problems: string[]): OutputFile | null {
  try {
    return openOutputFile(cwd, flag, path);
  } catch (error) {
    if (!isKvAuditError(error) || error.code !== 'InvalidArguments') throw error;
    problems.push(error.message);
    return null;
  }
}
