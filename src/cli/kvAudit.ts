import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import type { AzureConnection } from '../azure/clients.js';
import { type Env, type Settings, loadSettings } from '../config/settings.js';
import { KvAuditError, isKvAuditError } from '../errors.js';
import { type FindingRow, type ScanTrigger, findingsTable } from '../findings/schema.js';
import { type ScanResult, runScan, scanSucceeded } from '../scan/runScan.js';
import { scanDependencies } from '../scan/scanDependencies.js';
import { version } from '../version.js';
import { type CliCommand, type OutputFormat, parseCommandLine } from './args.js';
import { demoHelp, generalHelp, scanHelp } from './help.js';
import { progressLine } from './progress.js';
import { renderSummary, toNdjson } from './render.js';

/*
 * The kv-audit command line: parse, build settings and a connection, call the
 * same runScan as the timer, render. Everything it touches comes in through `io`.
 */

export interface CliIo {
  readonly stdout: { isTTY?: boolean; write(text: string): unknown };
  readonly stderr: { isTTY?: boolean; write(text: string): unknown };
  readonly env: Env;
  readonly cwd: string;
  /** Where `kv-audit scan` connects: real Azure with DefaultAzureCredential unless told otherwise. */
  readonly azure?: () => AzureConnection;
}

const realAzure = (): AzureConnection => ({ credential: new DefaultAzureCredential() });

const defaultDemoOut = '.kv-audit/demo-findings.ndjson';

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

function writeFindingsFile(io: CliIo, path: string, rows: readonly object[]): string {
  const target = resolve(io.cwd, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, toNdjson(rows));
  return target;
}

interface CliScan extends ScanResult {
  /** Sorted by resource id, for output that reads the same run after run. */
  readonly findings: readonly FindingRow[];
}

async function scanWith(io: CliIo, settings: Settings, connection: AzureConnection, trigger: ScanTrigger, ingest: boolean): Promise<CliScan> {
  const progress = progressLine(io.stderr);
  const findings: FindingRow[] = [];
  try {
    const result = await runScan(
      settings,
      trigger,
      scanDependencies(connection, settings, {
        ingest,
        log: { info: (m) => progress.note(m), warn: (m) => progress.note(`warning: ${m}`) },
        onProgress: progress.onProgress,
        onFinding: (finding) => findings.push(finding),
      }),
    );
    return { ...result, findings: findings.sort((a, b) => a.ResourceId.localeCompare(b.ResourceId)) };
  } finally {
    progress.done();
  }
}

function render(io: CliIo, output: OutputFormat, result: ScanResult, findings: readonly FindingRow[]): void {
  switch (output) {
    case 'table':
      io.stdout.write(renderSummary(result.scan, findings));
      return;
    case 'json':
      io.stdout.write(`${JSON.stringify({ scan: result.scan, findings }, null, 2)}\n`);
      return;
    case 'ndjson':
      io.stdout.write(toNdjson(findings));
      return;
  }
}

/** Exit code of a finished scan: 0 only when all of it landed. */
const exitCodeOf = (result: ScanResult) => (scanSucceeded(result) ? 0 : 1);

async function runScanCommand(io: CliIo, command: Extract<CliCommand, { command: 'scan' }>): Promise<number> {
  const settings = scanSettings(command, io.env);
  const result = await scanWith(io, settings, (io.azure ?? realAzure)(), 'Cli', command.ingest);
  render(io, command.output, result, result.findings);
  if (command.out) io.stderr.write(`Findings written to ${writeFindingsFile(io, command.out, result.findings)}\n`);
  return exitCodeOf(result);
}

async function runDemoCommand(io: CliIo, command: Extract<CliCommand, { command: 'demo' }>): Promise<number> {
  // Loaded only here: the emulator needs dev dependencies that `kv-audit scan` must not.
  const { emulatorCredential, parseFaultSpec, readEstateFile, sampleEnv, sampleEstate, startEmulator } = await import('../emulator/index.js');
  const faults = command.faults ? parseFaultSpec(command.faults) : [];
  const estate = command.estate ? readEstateFile(resolve(io.cwd, command.estate)) : sampleEstate;
  const emulator = await startEmulator({ estate, faults, seed: command.seed });
  try {
    // The built-in estate comes with the settings that exercise every reason; an estate file uses the environment's.
    const env: Env = {
      ...(command.estate ? io.env : sampleEnv),
      KV_AUDIT_LOGS_INGESTION_ENDPOINT: emulator.url,
      KV_AUDIT_DCR_IMMUTABLE_ID: emulator.dcrImmutableId,
    };
    const settings = loadSettings(env, { requireIngestion: true });
    io.stderr.write(`Local Azure emulator listening on ${emulator.url} (ARM, Resource Graph, Logs Ingestion).\n`);
    const connection: AzureConnection = {
      credential: emulatorCredential,
      armEndpoint: emulator.url,
      trustedCertificatePem: emulator.certificatePem,
      retryDelayInMs: 100,
    };
    const result = await scanWith(io, settings, connection, 'Demo', true);
    // The NDJSON is what the emulated Logs Ingestion API accepted: the round trip, not the in-memory copy.
    const landed = emulator.rows(findingsTable.streamName).filter((row) => row['ScanId'] === result.scan.ScanId) as FindingRow[];
    render(io, command.output, result, landed);
    io.stderr.write(`Findings written to ${writeFindingsFile(io, command.out ?? defaultDemoOut, landed)}\n`);
    return exitCodeOf(result);
  } finally {
    await emulator.close();
  }
}

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
    if (isKvAuditError(error) && ['InvalidArguments', 'InvalidConfiguration', 'InvalidEstate'].includes(error.code)) {
      io.stderr.write(`kv-audit: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`kv-audit: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
