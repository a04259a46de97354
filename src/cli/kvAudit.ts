import { DefaultAzureCredential } from '@azure/identity';
import type { AzureConnection } from '../azure/clients.js';
import { type Env, type Settings, loadSettings } from '../config/settings.js';
import { KvAuditError, isKvAuditError } from '../errors.js';
import { version } from '../version.js';
import { type CliCommand, parseCommandLine } from './args.js';
import { runDemoCommand } from './demo.js';
import { demoHelp, generalHelp, scanHelp } from './help.js';
import { openOutputFile } from './outputFile.js';
import { printable } from './printable.js';
import { type CliIo, exitCodeOf, render, scanWith, writeFindingsFile } from './session.js';

/*
 * The kv-audit command line: parse, build settings and a connection, call the
 * same runScan as the timer, render. Everything it touches comes in through `io`.
 */

export type { CliIo } from './session.js';

const realAzure = (): AzureConnection => ({ credential: new DefaultAzureCredential() });

const flagOf = { KV_AUDIT_SUBSCRIPTIONS: '--subscription', KV_AUDIT_MANAGEMENT_GROUPS: '--management-group' } as const;

/** Flag values become the settings they override, so one validation path checks both; problems name the flag. */
function scanSettings(command: Extract<CliCommand, { command: 'scan' }>, env: Env): Settings {
  const fromFlags = command.subscriptions.length > 0 || command.managementGroups.length > 0;
  const merged = fromFlags
    ? { ...env, KV_AUDIT_SUBSCRIPTIONS: command.subscriptions.join(','), KV_AUDIT_MANAGEMENT_GROUPS: command.managementGroups.join(',') }
    : env;
  try {
    return loadSettings(merged, { requireIngestion: command.ingest });
  } catch (error) {
    if (!fromFlags || !isKvAuditError(error)) throw error;
    const details = error.details.map((d) => d.replace(/^(KV_AUDIT_SUBSCRIPTIONS|KV_AUDIT_MANAGEMENT_GROUPS):/, (_, name: keyof typeof flagOf) => `${flagOf[name]}:`));
    throw new KvAuditError(error.code, error.message.split('\n')[0] ?? error.message, { details });
  }
}

async function runScanCommand(io: CliIo, command: Extract<CliCommand, { command: 'scan' }>): Promise<number> {
  const settings = scanSettings(command, io.env);
  const out = command.out === null ? null : openOutputFile(io.cwd, '--out', command.out);
  const result = await scanWith(io, settings, (io.azure ?? realAzure)(), 'Cli', command.ingest);
  render(io, command.output, result, result.findings);
  if (out) writeFindingsFile(io, out, result.findings);
  return exitCodeOf(result);
}

/** A message of several lines (a problem per line), each made safe for the terminal. */
const printableLines = (message: string) => message.split('\n').map(printable).join('\n');

/** Runs the command line; returns the process exit code. */
export async function kvAudit(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = parseCommandLine(argv);
    switch (command.command) {
      case 'version':
        io.stdout.write(`${version}\n`);
        return 0;
      case 'help':
        io.stdout.write(`${command.topic === 'scan' ? scanHelp : command.topic === 'demo' ? demoHelp : generalHelp}\n`);
        return 0;
      case 'scan':
        return await runScanCommand(io, command);
      case 'demo':
        return await runDemoCommand(io, command);
    }
  } catch (error) {
    if (isKvAuditError(error) && ['InvalidArguments', 'InvalidConfiguration', 'InvalidEstate', 'DemoUnavailable'].includes(error.code)) {
      io.stderr.write(`kv-audit: ${printableLines(error.message)}\n`);
      return 2;
    }
    io.stderr.write(`kv-audit: ${printableLines(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}
