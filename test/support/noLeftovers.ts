import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Global setup: a run must leave nothing behind. The tests get a temp directory of their own (TMPDIR, which
 * os.tmpdir() and the test workers read); anything still in it when the run ends fails the run, and is then removed.
 */

const toolCaches = new Set(['node-compile-cache', '.bicep']);

export function setup(): () => void {
  const runDir = mkdtempSync(join(tmpdir(), 'kv-audit-test-run-'));
  process.env['TMPDIR'] = runDir;
  return () => {
    // Caches that tools keep in the temp directory are not leftovers: Node's module compile cache (which the test
    // runner turns on) and the Bicep CLI's startup profile.
    const left = readdirSync(runDir).filter((name) => !toolCaches.has(name));
    rmSync(runDir, { recursive: true, force: true });
    if (left.length === 0) return;
    // A throw here is only reported; the exit code is what CI reads.
    process.exitCode = 1;
    throw new Error(`The tests left ${left.length} temporary file(s) or folder(s) behind: ${left.sort().join(', ')}`);
  };
}
