import type { ChildProcess } from 'node:child_process';
import type { Env } from '../../../src/config/settings.js';
import type { EmulatorStats } from '../../support/emulator.js';
import type { GeneratedEstateSpec } from '../../support/generatedEstate.js';
import type { IncrementalOutcome } from './incremental.js';
import type { ProcessMemory } from './instanceMemory.js';
import type { SimulationStats } from './simulatedAzure.js';

/*
 * The calls between the scale bench and its child processes (the emulator, the scanner), typed per call
 * name. A child answers one call at a time, so a call and its answer are matched by order alone.
 */

/** Where a client reaches the emulator. */
export interface EmulatorTarget {
  readonly url: string;
  readonly certificatePem: string;
}

export interface EmulatorReady {
  readonly target: EmulatorTarget;
  /** Everything the scanner's settings need: the estate's settings, its scope and the ingestion target. */
  readonly scanEnv: Env;
  readonly vaultsPerSubscription: readonly number[];
}

export interface FindingMismatch {
  readonly resourceId: string;
  readonly expected: string;
  readonly actual: string;
}

/** The findings ingested for one scan against the estate's expected verdicts. */
export interface Verification {
  readonly expected: number;
  /** Finding rows whose resource the estate expects. */
  readonly checked: number;
  readonly mismatchCount: number;
  /** The first few, to start debugging from. */
  readonly mismatches: readonly FindingMismatch[];
  /** Expected resources without a finding. */
  readonly missing: number;
  /** Findings for resources the estate does not expect. */
  readonly unexpected: number;
  /** Second and later findings for the same resource. */
  readonly duplicates: number;
}

export interface EmulatorCalls {
  /** `seed`: of the service model the emulator is set up from. */
  start: { args: { readonly spec: GeneratedEstateSpec; readonly seed: number }; answer: EmulatorReady };
  /**
   * The counters, and how busy the emulator's event loop has been since it was ready (0..1): near 1, the
   * emulator, not the scanner, limits the scan.
   */
  stats: { args: Record<string, never>; answer: { readonly stats: EmulatorStats; readonly busy: number } };
  verify: { args: { readonly scanId: string }; answer: Verification };
  close: { args: Record<string, never>; answer: null };
}

export interface ScanOutcome {
  readonly scanId: string;
  /** Every vault evaluated, every finding and the scan row written. */
  readonly succeeded: boolean;
  /** What made the scan incomplete, as its scan row says. */
  readonly errors: readonly string[];
  readonly wallMs: number;
  /** CPU the scan spent, user and system: near the wall time, the scanner is CPU-bound. */
  readonly cpuMs: number;
  /** The scanning process's peak resident set, and the limits it ran under. */
  readonly memory: ProcessMemory;
  /** CPU ms of one calibration unit in this process (calibration.ts). */
  readonly calibrationMs: number;
}

export interface ScannerCalls {
  scan: { args: { readonly target: EmulatorTarget; readonly env: Env }; answer: ScanOutcome };
}

/** A scan run as the timer's daily full scan (history.ts): the last state loaded before it, the next saved after. */
export interface HistoryFigure {
  readonly loadedResources: number;
  /** The scan's mode: Full, as a day after the last full scan. */
  readonly mode: string;
  /** Why the next state was not saved; null when it was. */
  readonly saveProblem: string | null;
}

/** A run in virtual time against the simulated Azure: the monitor's scan or a baseline. */
export interface VirtualOutcome {
  readonly scanId: string | null;
  readonly succeeded: boolean;
  readonly errors: readonly string[];
  /** Vaults the run listed. */
  readonly vaults: number;
  readonly virtualMs: number;
  /** How long the run took for real. */
  readonly realMs: number;
  /** CPU the process spent during the run, user and system. */
  readonly processCpuMs: number;
  /** Of that, the simulated Azure's own answering: not the scanner's. */
  readonly simulationMs: number;
  /** CPU ms of one calibration unit in this process (calibration.ts). */
  readonly calibrationMs: number;
  readonly memory: ProcessMemory;
  readonly stats: SimulationStats;
  /** The findings against the expected verdicts; null for a baseline, which writes none. */
  readonly verification: Verification | null;
  /** Scan rows ingested. */
  readonly scanRows: number;
  /** The state the scan loaded and saved; null for a baseline or a scan without history. */
  readonly history: HistoryFigure | null;
}

/** The incremental leg's run (incremental.ts), in virtual time. */
export interface IncrementalRun {
  readonly outcome: IncrementalOutcome;
  readonly realMs: number;
  readonly processCpuMs: number;
  /** The leg's process at its peak: three scans, two of them keeping the state a scheduled scan keeps. */
  readonly memory: ProcessMemory;
}

export interface VirtualCalls {
  /** `stateFile`: the last scan's state, loaded before the scan and replaced after it; null for a scan without history. */
  scan: { args: { readonly spec: GeneratedEstateSpec; readonly seed: number; readonly env: Env; readonly stateFile: string | null }; answer: VirtualOutcome };
  incremental: { args: { readonly spec: GeneratedEstateSpec; readonly seed: number }; answer: IncrementalRun };
  baseline: { args: { readonly spec: GeneratedEstateSpec; readonly seed: number; readonly kind: 'sequential' | 'prowler-style' }; answer: VirtualOutcome };
}

/** The event leg's latencies (eventProcess.ts): from a setting deleted to its Fail finding accepted. */
export interface EventOutcome {
  /** Vaults whose settings were deleted, and of those, how many a latency was measured for. */
  readonly vaults: number;
  readonly measured: number;
  readonly p50Seconds: number;
  readonly p95Seconds: number;
  readonly maxSeconds: number;
  readonly eventsDelivered: number;
  /** Messages the event path gave up on (moved to the poison queue). */
  readonly poisoned: number;
  /** Vaults without an event or a Fail finding: the bench fails. */
  readonly problems: readonly string[];
}

export interface EventCalls {
  events: { args: { readonly spec: GeneratedEstateSpec; readonly seed: number; readonly deletions: number }; answer: EventOutcome };
}

/** A call table: each call's arguments and answer. */
type Calls<C> = { [N in keyof C]: { args: object; answer: unknown } };
interface CallMessage {
  readonly name: string;
  readonly args: object;
}
type AnswerMessage = { readonly ok: true; readonly answer: unknown } | { readonly ok: false; readonly error: string };

/** A typed call function for a child; a call rejects when the child's handler throws or the child exits first. */
export function caller<C extends Calls<C>>(child: ChildProcess) {
  return <N extends keyof C & string>(name: N, args: C[N]['args']): Promise<C[N]['answer']> =>
    new Promise((resolve, reject) => {
      const cleanUp = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (message: AnswerMessage) => {
        cleanUp();
        if (message.ok) resolve(message.answer as C[N]['answer']);
        else reject(new Error(`${name} failed in the child process: ${message.error}`));
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanUp();
        reject(new Error(`the child process exited (code ${code}, signal ${signal}) before answering ${name}`));
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ name, args } satisfies CallMessage);
    });
}

/** Answers the parent's calls with `handlers`, one at a time. */
export function serveCalls<C extends Calls<C>>(handlers: { [N in keyof C]: (args: C[N]['args']) => Promise<C[N]['answer']> }): void {
  // A parent that is gone (its run timed out, or was stopped) takes its children with it: no emulator left running.
  process.on('disconnect', () => process.exit(1));
  let queue = Promise.resolve();
  process.on('message', (message: CallMessage) => {
    queue = queue.then(async () => {
      const handler = (handlers as Record<string, ((args: object) => Promise<unknown>) | undefined>)[message.name];
      let answer: AnswerMessage;
      try {
        if (!handler) throw new Error(`no such call: ${message.name}`);
        answer = { ok: true, answer: await handler(message.args) };
      } catch (error) {
        answer = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      }
      await new Promise<void>((resolve) => process.send!(answer, () => resolve()));
    });
  });
}
