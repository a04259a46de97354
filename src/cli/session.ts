import type { AzureConnection } from '../azure/clients.js';
import type { Env, Settings } from '../config/settings.js';
import type { FindingRow, ScanTrigger } from '../findings/schema.js';
import { type ScanResult, runScan, scanSucceeded } from '../scan/runScan.js';
import { scanDependencies } from '../scan/scanDependencies.js';
import type { ScanState } from '../state/scanState.js';
import type { OutputFormat } from './args.js';
import type { OutputFile } from './outputFile.js';
import { progressLine } from './progress.js';
import { renderSummary, toNdjson } from './render.js';
import { reports } from './reports/index.js';

/** What `kv-audit scan` and `kv-audit demo` share: the process's streams and environment, one scan, its output. */

export interface CliIo {
  readonly stdout: { isTTY?: boolean; write(text: string): unknown };
  readonly stderr: { isTTY?: boolean; write(text: string): unknown };
  readonly env: Env;
  readonly cwd: string;
  /** Where `kv-audit scan` connects: real Azure with DefaultAzureCredential unless told otherwise. */
  readonly azure?: () => AzureConnection;
}

export interface CliScan extends ScanResult {
  /** Sorted by resource id, for output that reads the same run after run. */
  readonly findings: readonly FindingRow[];
}

/** Runs one scan with a progress line on stderr, collecting its findings. */
/** How a CLI scan builds on an earlier one (kv-audit scan --state, --since). */
export interface CliHistory {
  readonly previous: ScanState | null;
  readonly since?: Date;
}

export async function scanWith(
  io: CliIo,
  settings: Settings,
  connection: AzureConnection,
  trigger: ScanTrigger,
  ingest: boolean,
  history?: CliHistory,
): Promise<CliScan> {
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
        ...(history ? { previous: history.previous, ...(history.since ? { since: history.since } : {}) } : {}),
      }),
    );
    return { ...result, findings: findings.sort((a, b) => a.ResourceId.localeCompare(b.ResourceId)) };
  } finally {
    progress.done();
  }
}

/** The chosen output on stdout, and nothing else there: progress, notes and file paths go to stderr. */
export function render(io: CliIo, output: OutputFormat, result: ScanResult, findings: readonly FindingRow[]): void {
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
    default:
      io.stdout.write(reports[output](result.scan, findings));
  }
}

/** Writes the findings as NDJSON to a file opened before the scan, and says where. */
export function writeFindingsFile(io: CliIo, file: OutputFile, rows: readonly object[]): void {
  file.write(toNdjson(rows));
  io.stderr.write(`Findings written to ${file.path}\n`);
}

/** Exit code of a finished scan: 0 only when all of it landed. */
export const exitCodeOf = (result: ScanResult) => (scanSucceeded(result) ? 0 : 1);
