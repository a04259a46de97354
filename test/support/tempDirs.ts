import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/*
 * Temporary folders for tests, removed when the test file ends. Every one is named kv-audit-…, and
 * test/support/noLeftovers.ts fails the run if any is left in the temp directory afterwards.
 */

const created: string[] = [];

afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new, empty folder `kv-audit-<purpose>-XXXXXX` in the temp directory. */
export function tempDir(purpose: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kv-audit-${purpose}-`));
  created.push(dir);
  return dir;
}
