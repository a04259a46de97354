import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { kvAudit } from '../../src/cli/kvAudit.js';
import type { Env } from '../../src/config/settings.js';
import { type FindingRow, type ScanRow, findingRowSchema, scanRowSchema } from '../../src/findings/schema.js';
import type { Emulator } from '../support/emulator.js';
import { emulatorConnection } from '../support/emulatorScan.js';

/** The kv-audit command line as a user runs it: arguments in, text and files and an exit code out. */

export interface CliOptions {
  readonly emulator?: Emulator;
  /** Both streams look like a terminal, so the progress line is drawn. */
  readonly tty?: boolean;
}

async function runIn(cwd: string, argv: readonly string[], env: Env, options: CliOptions) {
  let stdout = '';
  let stderr = '';
  const isTTY = options.tty ?? false;
  const { emulator } = options;
  const code = await kvAudit(argv, {
    stdout: { isTTY, write: (t: string) => (stdout += t) },
    stderr: { isTTY, write: (t: string) => (stderr += t) },
    env,
    cwd,
    ...(emulator ? { azure: () => emulatorConnection(emulator) } : {}),
  });
  return { code, stdout, stderr, cwd };
}

/** A temporary folder that is removed when the current test finishes. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs kv-audit, in a test, in a fresh working folder that goes when the test ends. */
export const runCli = (argv: readonly string[], env: Env = {}, options: CliOptions = {}) => runIn(tempDir('kv-audit-cli-'), argv, env, options);

/** `kv-audit demo -o json` with these extra arguments, usable in beforeAll: its scan row and findings, checked. */
export async function demoScan(argv: readonly string[] = [], env: Env = {}): Promise<{ scan: ScanRow; findings: FindingRow[] }> {
  const cwd = mkdtempSync(join(tmpdir(), 'kv-audit-cli-'));
  try {
    const { code, stdout, stderr } = await runIn(cwd, ['demo', '-o', 'json', ...argv], env, {});
    if (code !== 0) throw new Error(`kv-audit demo exited ${code}: ${stderr}`);
    const { scan, findings } = JSON.parse(stdout) as { scan: unknown; findings: unknown[] };
    return { scan: scanRowSchema.parse(scan), findings: findings.map((f) => findingRowSchema.parse(f)) };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
