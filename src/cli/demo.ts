import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { AzureConnection } from '../azure/clients.js';
import { type Env, loadSettings, settingDefinitions } from '../config/settings.js';
import { KvAuditError } from '../errors.js';
import { columnFilePath } from '../findings/columns.js';
import { type FindingRow, findingsTable, tables } from '../findings/schema.js';
import type { CliCommand } from './args.js';
import { renderFix, runFix } from './fix.js';
import { configurationProblems, usageError } from './usage.js';
import { type OutputFile, outputFileOrProblem } from './outputFile.js';
import { type WatchedEmulator, type WatchedQueue, readHostQueueSettings, sameVerdict, verdictChange, watchEvents } from './demoWatch.js';
import { printable } from './printable.js';
import { summaryLine } from '../scan/summary.js';
import { lastSegment } from '../control/resourceId.js';
import { type CliIo, exitCodeOf, render, scanWith, writeFindingsFile } from './session.js';

/*
 * `kv-audit demo`: the real scan against the local Azure emulator. The emulator is a development tool in its
 * own package (packages/azure-emulator), never deployed, so it is loaded by name only when the demo runs; this
 * is the shape the demo uses of it (test/cli/demoEmulator.test.ts keeps the package to it).
 */

/** The part of the emulator the demo drives. */
export interface DemoEmulator extends WatchedEmulator {
  readonly url: string;
  /** Starts the estate's timeline, held until the first scan is done (`--watch`). */
  playTimeline(): void;
  readonly certificatePem: string;
  readonly dcrImmutableId: string;
  rows(streamName: string): readonly Record<string, unknown>[];
  close(): Promise<void>;
}

/** The emulator's module; its estates and faults are opaque here, only handed back to it (and a timeline looked for). */
export interface EmulatorModule<Estate extends { readonly timeline?: readonly unknown[] | undefined }, Faults> {
  startEmulator(options: {
    estate: Estate;
    streams: readonly unknown[];
    faults: Faults;
    seed: number;
    events?: { readonly connectionString: string };
    holdTimeline?: boolean;
  }): Promise<DemoEmulator>;
  /** Azurite, the real Azure Storage emulator: the queue Event Grid delivers to (`--watch`). */
  startAzurite(): Promise<{ readonly connectionString: string; close(): Promise<void> }>;
  connectEventQueue(connectionString: string): Promise<WatchedQueue>;
  readEstateFile(path: string): Estate;
  parseFaultSpec(spec: string): Faults;
  readonly sampleEstate: Estate;
  /** The sample estate with a timeline of changes for `--watch`. */
  readonly sampleWatchEstate: Estate;
  readonly sampleEnv: Readonly<Record<string, string>>;
  readonly emulatorCredential: TokenCredential;
  isEmulatorInputError(error: unknown): error is Error & { readonly code: string; readonly details: readonly string[] };
}

type AnyEmulatorModule = EmulatorModule<{ readonly timeline?: readonly unknown[] | undefined }, unknown>;

const emulatorPackage = '@kv-audit/azure-emulator';
const repoRoot = resolve(import.meta.dirname, '..', '..');
const defaultDemoOut = '.kv-audit/demo-findings.ndjson';

async function loadEmulator(): Promise<AnyEmulatorModule> {
  try {
    // A specifier in a variable: the product builds, and is deployed, without the emulator package.
    return (await import(emulatorPackage)) as AnyEmulatorModule;
  } catch (error) {
    throw new KvAuditError(
      'DemoUnavailable',
      `kv-audit demo needs the local Azure emulator (${emulatorPackage}), which comes with a clone of the repository, ` +
        "not with the deployed app: run 'npm install && npm run demo' in the repository",
      { cause: error },
    );
  }
}

/** The DCR's stream declarations exactly as the deployment loads them (infra/generated/*.columns.json). */
function deployedStreams(): unknown[] {
  return tables.map((table) => JSON.parse(readFileSync(resolve(repoRoot, columnFilePath(table)), 'utf8')) as unknown);
}

/** What an emulator input error says, problem by problem; anything else is rethrown. */
function inputProblems(emulator: AnyEmulatorModule, error: unknown): readonly string[] {
  if (!emulator.isEmulatorInputError(error)) throw error;
  // "Invalid estate file x.json (3 problems):" → "estate file x.json: <problem>", one line per problem.
  const source = /^Invalid (.*?)(?: \(\d+ [a-z ]+\))?:?$/.exec(error.message.split('\n')[0] ?? '')?.[1];
  return error.details.length > 0 && source ? error.details.map((d) => `${source}: ${d}`) : [error.message.split('\n')[0] ?? error.message];
}

/** Settings the demo sets itself: it writes to the emulator's own DCR. */
const emulatorOwned = ['KV_AUDIT_LOGS_INGESTION_ENDPOINT', 'KV_AUDIT_DCR_IMMUTABLE_ID'];

/**
 * The demo's settings. An estate file uses the environment's. The built-in estate comes with settings that exercise
 * every reason, and any KV_AUDIT_* setting in the environment overrides them: the demo says which.
 */
function demoEnv(io: CliIo, sampleEnv: Env, builtIn: boolean): Env {
  const fromEnvironment = settingDefinitions
    .map((d) => d.name)
    .filter((name) => name.startsWith('KV_AUDIT_') && (io.env[name] ?? '').trim() !== '' && !emulatorOwned.includes(name));
  if (builtIn && fromEnvironment.length > 0) {
    io.stderr.write(`Demo settings from the environment: ${fromEnvironment.join(', ')}; the others from the built-in sample estate's settings.\n`);
  }
  const env = builtIn ? { ...sampleEnv, ...Object.fromEntries(fromEnvironment.map((name) => [name, io.env[name]])) } : io.env;
  return Object.fromEntries(Object.entries(env).filter(([name]) => !emulatorOwned.includes(name)));
}

export async function runDemoCommand(io: CliIo, command: Extract<CliCommand, { command: 'demo' }>, argumentProblems: readonly string[]): Promise<number> {
  const emulatorModule = await loadEmulator();
  const { emulatorCredential, parseFaultSpec, readEstateFile, sampleEnv, sampleEstate, sampleWatchEstate, startEmulator } = emulatorModule;
  // Every input is checked before anything starts, and every problem is reported at once.
  const problems = [...argumentProblems];
  const checked = <T>(read: () => T): T | null => {
    try {
      return read();
    } catch (error) {
      problems.push(...inputProblems(emulatorModule, error));
      return null;
    }
  };
  const faults = command.faults === null ? [] : checked(() => parseFaultSpec(command.faults!));
  const estate = command.estate === null ? (command.watch ? sampleWatchEstate : sampleEstate) : checked(() => readEstateFile(resolve(io.cwd, command.estate!)));
  if (command.watch && estate !== null && (estate.timeline ?? []).length === 0) {
    problems.push(`--watch: estate file ${command.estate} has no timeline, so nothing would change; add one (docs/emulator.md) or leave out --estate`);
  }
  const env = demoEnv(io, sampleEnv, command.estate === null);
  try {
    const checked = loadSettings(env, { requireIngestion: false });
    if (command.fix && checked.remediationWorkspaceId === null) problems.push('--fix: needs KV_AUDIT_REMEDIATION_WORKSPACE_ID, the workspace the new settings send to');
  } catch (error) {
    problems.push(...configurationProblems(error));
  }
  if (command.fix && command.output !== 'table') problems.push(`--fix: prints the scan before and after as tables; it takes no -o ${command.output}`);
  if (command.watch && command.output !== 'table') problems.push(`--watch: prints each event and its finding as it comes; it takes no -o ${command.output}`);
  if (command.watch && command.fix) problems.push('--watch and --fix: choose one (the watch shows changes the estate goes through; --fix makes them)');
  const out = outputFileOrProblem(io.cwd, command.out === null ? '--out (default)' : '--out', command.out ?? defaultDemoOut, problems);
  if (problems.length > 0 || out === null || faults === null || estate === null) throw usageError('demo', problems);

  const azurite = command.watch ? await emulatorModule.startAzurite() : null;
  try {
    const emulator = await startEmulator({
      estate,
      streams: deployedStreams(),
      faults,
      seed: command.seed,
      // Watching, the timeline starts once the first scan is done, however long the scan takes.
      ...(azurite ? { events: { connectionString: azurite.connectionString }, holdTimeline: true } : {}),
    });
    try {
      return await demoRun(io, command, env, emulator, emulatorCredential, out, azurite ? () => emulatorModule.connectEventQueue(azurite.connectionString) : null);
    } finally {
      await emulator.close();
    }
  } finally {
    await azurite?.close();
  }
}

async function demoRun(
  io: CliIo,
  command: Extract<CliCommand, { command: 'demo' }>,
  env: Env,
  emulator: DemoEmulator,
  credential: TokenCredential,
  out: OutputFile,
  eventQueue: (() => Promise<WatchedQueue>) | null,
): Promise<number> {
  const settings = loadSettings({ ...env, KV_AUDIT_LOGS_INGESTION_ENDPOINT: emulator.url, KV_AUDIT_DCR_IMMUTABLE_ID: emulator.dcrImmutableId }, { requireIngestion: true });
  io.stderr.write(`Local Azure emulator listening on ${emulator.url} (ARM, Resource Graph, Log Analytics queries, Logs Ingestion${eventQueue ? ', Event Grid to Azurite' : ''}).\n`);
  const connection: AzureConnection = {
    credential,
    armEndpoint: emulator.url,
    logsQueryEndpoint: `${emulator.url}/v1`,
    trustedCertificatePem: emulator.certificatePem,
    retryDelayInMs: 100,
  };
  // The NDJSON is what the emulated Logs Ingestion API accepted: the round trip, not the in-memory copy.
  const landedOf = (scanIds: readonly string[]) =>
    emulator.rows(findingsTable.streamName).filter((row) => scanIds.includes(String(row['ScanId']))) as FindingRow[];
  // Watching, the scan keeps its state, as the scheduled scan does: the event path reads it for deleted destinations.
  let result = await scanWith(io, settings, connection, 'Demo', true, eventQueue ? { previous: null } : undefined);
  render(io, command.output, result, landedOf([result.scan.ScanId]));
  if (command.fix && settings.remediationWorkspaceId) {
    const run = await runFix(connection, settings, result.findings, settings.remediationWorkspaceId, true);
    io.stdout.write(`\n${run.blockers.length > 0 ? `kv-audit fix cannot run: ${run.blockers.join('; ')}\n` : renderFix(run, true, settings.profile)}\nThe scan again, after kv-audit fix --apply:\n\n`);
    result = await scanWith(io, settings, connection, 'Demo', true);
    render(io, command.output, result, landedOf([result.scan.ScanId]));
  }
  if (eventQueue === null) {
    writeFindingsFile(io, out, landedOf([result.scan.ScanId]));
    return exitCodeOf(result);
  }
  emulator.playTimeline();
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const watched = await watchEvents({
      io,
      emulator,
      queue: await eventQueue(),
      host: readHostQueueSettings(resolve(repoRoot, 'host.json')),
      settings,
      connection,
      state: result.state,
      findings: result.findings,
      signal: stop.signal,
    });
    const scanIds = [result.scan.ScanId, ...watched.scanIds];
    let exitCode = Math.max(exitCodeOf(result), watched.poisoned > 0 ? 1 : 0);
    if (watched.lost > 0 && !stop.signal.aborted) {
      // What a lost event costs: the wait for the next scheduled scan, which finds the change in the Activity Log.
      // Incremental when it may be (it then reads the Activity Log since the first scan); it says which, and why.
      io.stdout.write('\nThe next scheduled scan, run now:\n');
      const next = await scanWith(io, settings, connection, 'Demo', true, { previous: result.state });
      scanIds.push(next.scan.ScanId);
      exitCode = Math.max(exitCode, exitCodeOf(next));
      const caught = next.findings.filter((finding) => !sameVerdict(watched.latest.get(finding.ResourceId), finding));
      io.stdout.write(`${next.scan.Mode === 'Incremental' ? 'Incremental: from the Activity Log since the first scan' : `${next.scan.Mode}: every resource read again`}\n${summaryLine(next.scan)}\n`);
      for (const finding of caught) io.stdout.write(`  → ${printable(lastSegment(finding.ResourceId))}: ${verdictChange(watched.latest.get(finding.ResourceId), finding)}\n`);
      if (caught.length === 0) io.stdout.write('  It changes no finding the event path wrote.\n');
    }
    writeFindingsFile(io, out, landedOf(scanIds));
    return exitCode;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
