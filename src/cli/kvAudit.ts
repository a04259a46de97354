import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import type { AzureConnection } from '../azure/clients.js';
import { type Env, type Settings, loadSettings } from '../config/settings.js';
import { isResourceIdOf, normalizeResourceId } from '../control/resourceId.js';
import { type KvAuditErrorCode, isKvAuditError } from '../errors.js';
import { fileStateStore } from '../state/stateStore.js';
import { version } from '../version.js';
import { type CliCommand, parseCommandLine } from './args.js';
import { runDemoCommand } from './demo.js';
import { renderFix, runFix } from './fix.js';
import { exitCodes, helpFor } from './help.js';
import { outputFileOrProblem } from './outputFile.js';
import { printable } from './printable.js';
import { type CliIo, exitCodeOf, render, scanWith, writeFindingsFile } from './session.js';
import { ensureSignedIn } from './signIn.js';
import { configurationProblems, usageError } from './usage.js';

/*
 * The kv-audit command line: parse, build settings and a connection, call the
 * same runScan as the timer, render. Everything it touches comes in through `io`.
 */

export type { CliIo } from './session.js';

const realAzure = (): AzureConnection => ({ credential: new DefaultAzureCredential() });

const flagOf = { KV_AUDIT_SUBSCRIPTIONS: '--subscription', KV_AUDIT_MANAGEMENT_GROUPS: '--management-group' } as const;

/** Flag values become the settings they override, so one validation path checks both; problems name the flag. */
function scanSettings(command: Extract<CliCommand, { command: 'scan' | 'fix' }>, env: Env, problems: string[], ingest = false): Settings | null {
  const fromFlags = command.subscriptions.length > 0 || command.managementGroups.length > 0;
  const merged = fromFlags
    ? { ...env, KV_AUDIT_SUBSCRIPTIONS: command.subscriptions.join(','), KV_AUDIT_MANAGEMENT_GROUPS: command.managementGroups.join(',') }
    : env;
  try {
    return loadSettings(merged, { requireIngestion: ingest });
  } catch (error) {
    problems.push(
      ...configurationProblems(error).map((d) =>
        fromFlags ? d.replace(/^(KV_AUDIT_SUBSCRIPTIONS|KV_AUDIT_MANAGEMENT_GROUPS):/, (_, name: keyof typeof flagOf) => `${flagOf[name]}:`) : d,
      ),
    );
    return null;
  }
}

async function runScanCommand(io: CliIo, command: Extract<CliCommand, { command: 'scan' }>, argumentProblems: readonly string[]): Promise<number> {
  // Arguments, settings and the output file are all checked before any work, and every problem is reported at once.
  const problems = [...argumentProblems];
  const settings = scanSettings(command, io.env, problems, command.ingest);
  const out = command.out === null ? null : outputFileOrProblem(io.cwd, '--out', command.out, problems);
  const statePath = command.state === null ? null : resolve(io.cwd, command.state);
  const store = statePath === null ? null : fileStateStore(statePath);
  const loaded = store ? await store.load() : null;
  if (loaded?.problem) problems.push(`--state ${command.state}: ${loaded.problem}`);
  else if (statePath !== null && !existsSync(dirname(statePath))) {
    problems.push(`--state ${command.state}: the folder ${dirname(statePath)} does not exist, so the state could not be kept`);
  } else if (command.since && loaded?.state === null) problems.push(`--since: --state ${command.state} holds no earlier scan to build on`);
  if (problems.length > 0 || settings === null) throw usageError('scan', problems);
  const connection = (io.azure ?? realAzure)();
  await ensureSignedIn(connection, command.verbose);
  const history = loaded ? { previous: loaded.state, ...(command.since ? { since: command.since } : {}) } : undefined;
  const result = await scanWith(io, settings, connection, 'Cli', command.ingest, history);
  render(io, command.output, result, result.findings);
  if (out) writeFindingsFile(io, out, result.findings);
  if (store && result.state) {
    const { problem } = await store.save(result.state);
    io.stderr.write(problem ? `warning: ${problem}; the next scan with --state builds on the state it holds, if any\n` : `State for the next scan written to ${statePath}\n`);
  }
  return result.noAccess ? exitCodes.noAccess : exitCodeOf(result);
}

const workspaceType = new Set(['microsoft.operationalinsights/workspaces']);

/** `kv-audit fix`: scan (without writing findings anywhere), then plan, or with --apply add, one setting per failing vault. */
async function runFixCommand(io: CliIo, command: Extract<CliCommand, { command: 'fix' }>, argumentProblems: readonly string[]): Promise<number> {
  const problems = [...argumentProblems];
  const settings = scanSettings(command, io.env, problems);
  const workspace = command.workspace ?? settings?.remediationWorkspaceId ?? null;
  if (workspace === null) problems.push('--workspace: required: the Log Analytics workspace the new settings send to (or set KV_AUDIT_REMEDIATION_WORKSPACE_ID)');
  else if (!isResourceIdOf(workspace, workspaceType)) problems.push(`--workspace: '${workspace}' is not a Log Analytics workspace resource id`);
  else if (settings?.approvedDestinations && !settings.approvedDestinations.has(normalizeResourceId(workspace))) {
    problems.push(`--workspace: '${workspace}' is not in KV_AUDIT_APPROVED_DESTINATIONS: the vaults would still fail DestinationNotApproved`);
  }
  if (problems.length > 0 || settings === null || workspace === null) throw usageError('fix', problems);
  const connection = (io.azure ?? realAzure)();
  await ensureSignedIn(connection, command.verbose);
  const scan = await scanWith(io, settings, connection, 'Cli', false);
  const run = await runFix(connection, settings, scan.findings, workspace, command.apply);
  if (run.blockers.length > 0) throw usageError('fix', run.blockers);
  io.stdout.write(command.output === 'json' ? `${JSON.stringify({ scan: scan.scan, apply: command.apply, ...run }, null, 2)}\n` : renderFix(run, command.apply, settings.profile));
  for (const error of scan.scan.Errors) io.stderr.write(`warning: ${printable(error)}\n`);
  return run.results.some((r) => r.action === 'Failed') || !scan.scan.Complete ? exitCodes.incomplete : exitCodes.complete;
}

/** A message of several lines (a problem per line), each made safe for the terminal. */
const printableLines = (message: string) => message.split('\n').map(printable).join('\n');

const exitCodeOfError: Partial<Record<KvAuditErrorCode, number>> = {
  InvalidArguments: exitCodes.usage,
  InvalidConfiguration: exitCodes.usage,
  InvalidEstate: exitCodes.usage,
  DemoUnavailable: exitCodes.usage,
  NotSignedIn: exitCodes.notSignedIn,
};

/** Runs the command line; returns the process exit code. */
export async function kvAudit(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { command, problems } = parseCommandLine(argv);
    switch (command.command) {
      case 'version':
        io.stdout.write(`${version}\n`);
        return 0;
      case 'help':
        io.stdout.write(`${helpFor(command.topic)}\n`);
        return 0;
      case 'scan':
        return await runScanCommand(io, command, problems);
      case 'fix':
        return await runFixCommand(io, command, problems);
      case 'demo':
        return await runDemoCommand(io, command, problems);
    }
  } catch (error) {
    const code = isKvAuditError(error) ? exitCodeOfError[error.code] : undefined;
    io.stderr.write(`kv-audit: ${printableLines(error instanceof Error ? error.message : String(error))}\n`);
    return code ?? exitCodes.incomplete;
  }
}
