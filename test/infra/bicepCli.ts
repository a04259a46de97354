import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/*
 * The real Bicep CLI, as the infrastructure tests run it: where it is found, and what it says. Nothing here reads
 * Bicep itself; the CLI compiles, lints and evaluates, and the tests read its output.
 */

export const repoRoot = resolve(import.meta.dirname, '../..');
export const infraDir = join(repoRoot, 'infra');
/** Every .bicep file under infra/, as the CLI's --pattern takes it (relative to the repository root). */
export const infraPattern = 'infra/**/*.bicep';

export interface BicepCli {
  readonly path: string;
  readonly version: string;
  /** Where it came from, for the test names and the skip message. */
  readonly origin: string;
}

/** CI must compile: there a missing CLI fails the tests instead of skipping them. */
export const compileRequired = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false';

const runFile = promisify(execFile);

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The CLI to use, in order: the pinned one scripts/fetch-bicep.sh puts in .tools/bin (what CI runs), `bicep` on
 * PATH, then the one `az bicep install` keeps in the Azure CLI's configuration folder. Undefined when none exists.
 */
export async function findBicep(): Promise<BicepCli | undefined> {
  const azureConfigDir = process.env['AZURE_CONFIG_DIR'] ?? join(homedir(), '.azure');
  const candidates = [
    { path: join(repoRoot, '.tools/bin/bicep'), origin: 'pinned, from scripts/fetch-bicep.sh' },
    ...(process.env['PATH'] ?? '')
      .split(delimiter)
      .filter((dir) => dir !== '')
      .map((dir) => ({ path: join(dir, 'bicep'), origin: 'bicep on PATH' })),
    { path: join(azureConfigDir, 'bin/bicep'), origin: 'installed by az bicep install' },
  ];
  const found = candidates.find((c) => existsSync(c.path) && isExecutable(c.path));
  if (found === undefined) return undefined;
  const { stdout } = await runFile(found.path, ['--version']);
  return { ...found, version: /Bicep CLI version (\S+)/.exec(stdout)?.[1] ?? stdout.trim() };
}

export const noBicepReason =
  'no Bicep CLI found (run scripts/fetch-bicep.sh, which needs the .NET SDK, or put bicep on PATH, or run az bicep install)';

export interface Diagnostic {
  /** Relative to the repository root. */
  readonly file: string;
  readonly line: number;
  readonly level: 'Error' | 'Warning' | 'Info';
  readonly code: string;
  readonly message: string;
}

export interface CliRun {
  readonly exitCode: number;
  readonly diagnostics: readonly Diagnostic[];
  /** Output lines that are not diagnostics: the CLI's own errors, which a test must see too. */
  readonly otherOutput: readonly string[];
}

const diagnosticLine = /^(.+)\((\d+),\d+\) : (Error|Warning|Info) ([\w-]+): (.*)$/;

/** Runs the CLI from the repository root; never throws on a non-zero exit, which the result carries. */
export async function runBicep(cli: BicepCli, args: readonly string[], cwd = repoRoot): Promise<CliRun & { stdout: string }> {
  const result = await runFile(cli.path, [...args], { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } }).then(
    ({ stdout, stderr }) => ({ exitCode: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ exitCode: error.code ?? 1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  const diagnostics: Diagnostic[] = [];
  const otherOutput: string[] = [];
  for (const line of lines) {
    const m = diagnosticLine.exec(line);
    if (m === null) otherOutput.push(line);
    else {
      // The CLI prints absolute paths; a module's diagnostics repeat once per file that uses it.
      const [, file = '', lineNumber = '0', level, code = '', message = ''] = m;
      const diagnostic = { file: file.startsWith(repoRoot) ? file.slice(repoRoot.length + 1) : file, line: Number(lineNumber), level: level as Diagnostic['level'], code, message };
      if (!diagnostics.some((d) => JSON.stringify(d) === JSON.stringify(diagnostic))) diagnostics.push(diagnostic);
    }
  }
  return { exitCode: result.exitCode, stdout: result.stdout, diagnostics, otherOutput };
}
