import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { AzureConnection } from '../azure/clients.js';
import { type Env, loadSettings } from '../config/settings.js';
import { KvAuditError } from '../errors.js';
import { columnFilePath } from '../findings/columns.js';
import { type FindingRow, findingsTable, tables } from '../findings/schema.js';
import type { CliCommand } from './args.js';
import { openOutputFile } from './outputFile.js';
import { type CliIo, exitCodeOf, render, scanWith, writeFindingsFile } from './session.js';

/*
 * `kv-audit demo`: the real scan against the local Azure emulator. The emulator is a development tool in its
 * own package (packages/azure-emulator), never deployed, so it is loaded by name only when the demo runs; this
 * is the shape the demo uses of it (test/cli/demoEmulator.test.ts keeps the package to it).
 */

/** The part of the emulator the demo drives. */
export interface DemoEmulator {
  readonly url: string;
  readonly certificatePem: string;
  readonly dcrImmutableId: string;
  rows(streamName: string): readonly Record<string, unknown>[];
  close(): Promise<void>;
}

/** The emulator's module; its estates and faults are opaque here, only handed back to it. */
export interface EmulatorModule<Estate, Faults> {
  startEmulator(options: { estate: Estate; streams: readonly unknown[]; faults: Faults; seed: number }): Promise<DemoEmulator>;
  readEstateFile(path: string): Estate;
  parseFaultSpec(spec: string): Faults;
  readonly sampleEstate: Estate;
  readonly sampleEnv: Readonly<Record<string, string>>;
  readonly emulatorCredential: TokenCredential;
  isEmulatorInputError(error: unknown): error is Error & { readonly code: string; readonly details: readonly string[] };
}

const emulatorPackage = '@kv-audit/azure-emulator';
const repoRoot = resolve(import.meta.dirname, '..', '..');
const defaultDemoOut = '.kv-audit/demo-findings.ndjson';

async function loadEmulator(): Promise<EmulatorModule<unknown, unknown>> {
  try {
    // A specifier in a variable: the product builds, and is deployed, without the emulator package.
    return (await import(emulatorPackage)) as EmulatorModule<unknown, unknown>;
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

/** Emulator input errors are usage errors: exit code 2, every problem listed. */
function asUsageError(emulator: EmulatorModule<unknown, unknown>, error: unknown): unknown {
  if (!emulator.isEmulatorInputError(error)) return error;
  const code = error.code === 'InvalidFaults' ? 'InvalidArguments' : 'InvalidEstate';
  return new KvAuditError(code, error.message.split('\n')[0] ?? error.message, { cause: error, details: error.details });
}

export async function runDemoCommand(io: CliIo, command: Extract<CliCommand, { command: 'demo' }>): Promise<number> {
  const emulatorModule = await loadEmulator();
  const { emulatorCredential, parseFaultSpec, readEstateFile, sampleEnv, sampleEstate, startEmulator } = emulatorModule;
  const out = openOutputFile(io.cwd, command.out === null ? `--out (default)` : '--out', command.out ?? defaultDemoOut);
  let emulator: DemoEmulator;
  try {
    const faults = command.faults ? parseFaultSpec(command.faults) : [];
    const estate = command.estate ? readEstateFile(resolve(io.cwd, command.estate)) : sampleEstate;
    emulator = await startEmulator({ estate, streams: deployedStreams(), faults, seed: command.seed });
  } catch (error) {
    throw asUsageError(emulatorModule, error);
  }
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
    writeFindingsFile(io, out, landed);
    return exitCodeOf(result);
  } finally {
    await emulator.close();
  }
}
