import type { AzureConnection } from '../../src/azure/clients.js';
import { kvAudit } from '../../src/cli/kvAudit.js';
import type { Env } from '../../src/config/settings.js';
import { type FindingRow, type ScanRow, findingRowSchema, scanRowSchema } from '../../src/findings/schema.js';
import type { Emulator } from '../support/emulator.js';
import { emulatorConnection } from '../support/emulatorScan.js';
import { tempDir } from '../support/tempDirs.js';

/** The kv-audit command line as a user runs it: arguments in, text and files and an exit code out. */

export interface CliOptions {
  readonly emulator?: Emulator;
  /** Where `kv-audit scan` connects, when not to an emulator. */
  readonly azure?: () => AzureConnection;
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
    ...(emulator ? { azure: () => emulatorConnection(emulator) } : options.azure ? { azure: options.azure } : {}),
  });
  return { code, stdout, stderr, cwd };
}

/** Runs kv-audit, in a test, in a fresh working folder that goes when the test ends. */
export const runCli = (argv: readonly string[], env: Env = {}, options: CliOptions = {}) => runIn(tempDir('cli'), argv, env, options);

/** `kv-audit demo -o json` with these extra arguments, usable in beforeAll: its scan row and findings, checked. */
export async function demoScan(argv: readonly string[] = [], env: Env = {}): Promise<{ scan: ScanRow; findings: FindingRow[] }> {
  const { code, stdout, stderr } = await runIn(tempDir('cli'), ['demo', '-o', 'json', ...argv], env, {});
  if (code !== 0) throw new Error(`kv-audit demo exited ${code}: ${stderr}`);
  const { scan, findings } = JSON.parse(stdout) as { scan: unknown; findings: unknown[] };
  return { scan: scanRowSchema.parse(scan), findings: findings.map((f) => findingRowSchema.parse(f)) };
}
