import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import type { GeneratedEstateSpec } from '../support/generatedEstate.js';
import { type BenchFigures, type Goal, type ScaleRun, figuresOf, goalLines, incrementalFiguresOf, problemsOf, summaryLine } from './scale/figures.js';
import { floorOf, floorSubscriptionsOf } from './scale/floor.js';
import { writeLastFullScanState } from './scale/history.js';
import { describeMemory, instanceConfinement, instanceMemoryMb, releaseConfinement, spawnConfined } from './scale/instanceMemory.js';
import { describeModel, drawModel } from './scale/model.js';
import { virtualEpoch } from './scale/virtualTime.js';
import { type EmulatorCalls, type EventCalls, type EventOutcome, type IncrementalRun, type ScannerCalls, type VirtualCalls, type VirtualOutcome, caller } from './scale/protocol.js';
import { estateShape } from '../support/generatedEstate.js';

/*
 * The honest benchmark (issue 15). A service model the scanner does not know is drawn from a seed, printed so the
 * run can be replayed (KV_AUDIT_BENCH_SEED). At 100k vaults over 500 subscriptions and at a million over 5,000,
 * the monitor's real scan, a sequential scanner and a Prowler-style one each run in virtual time against a
 * simulated Azure enforcing that model (scale/virtualProcess.ts), and are measured against the floor the model and
 * the estate allow (scale/floor.ts). One real-HTTP leg scans 20k vaults through the HTTPS emulator, set up from the
 * same model, so TLS, sockets and parsing are measured for real. Every run of the monitor must give every vault its
 * expected verdict, and the real leg's estate scanned twice in virtual time must give the same answer: otherwise the
 * bench fails. The goals are
 * figures, printed as met or missed and by how much. docs/design.md says how to read them.
 *
 * Issue 16's phase: at the 100k scale, in virtual time, a full scan keeping state, 0.1% of the vaults changed over
 * an hour, the incremental scan an hour later and a full scan to compare its verdicts with (scale/incremental.ts);
 * and in real time, through the HTTPS emulator, Azurite and the event path, diagnostic settings deleted over a
 * minute, each timed to its Fail finding's acceptance (scale/eventProcess.ts). Its figures end the `bench:` line.
 *
 * KV_AUDIT_BENCH_SCALE=small runs 10k and 50k vaults and a 3k real leg instead, to check the harness in a minute.
 */

interface Scale {
  readonly label: 'bench' | 'bench-1m';
  readonly spec: GeneratedEstateSpec;
  readonly goals: readonly Goal[];
}

const seed = Number(process.env['KV_AUDIT_BENCH_SEED'] ?? randomInt(1, 2 ** 31));
const small = process.env['KV_AUDIT_BENCH_SCALE'] === 'small';
/**
 * KV_AUDIT_BENCH_HISTORY=1: the scan legs run as the timer's daily full scan, the last state loaded and the next
 * saved (scale/history.ts). By default they scan as `kv-audit scan` does without --state, as the goals were set.
 */
const history = process.env['KV_AUDIT_BENCH_HISTORY'] === '1';
const estateSeed = 20_240_601;
const goals100k: readonly Goal[] = [
  { field: 'ratio_to_floor', at: 'most', value: 1.15 },
  { field: 'speedup_vs_prowler_style', at: 'least', value: 5 },
  { field: 'peak_rss_mb', at: 'most', value: 300 },
  { field: 'throttled_pct', at: 'most', value: 1 },
];
const goals1m: readonly Goal[] = [
  { field: 'ratio_to_floor', at: 'most', value: 1.2 },
  { field: 'peak_rss_mb', at: 'most', value: 400 },
];
const scales: readonly Scale[] = small
  ? [
      { label: 'bench', spec: { vaults: 10_000, subscriptions: 50, largestSubscription: 1_000, seed: estateSeed }, goals: goals100k },
      { label: 'bench-1m', spec: { vaults: 50_000, subscriptions: 250, largestSubscription: 1_500, seed: estateSeed }, goals: goals1m },
    ]
  : [
      // The largest subscription is far beyond ARM's burst: its refill sets the 100k floor.
      { label: 'bench', spec: { vaults: 100_000, subscriptions: 500, largestSubscription: 3_000, seed: estateSeed }, goals: goals100k },
      { label: 'bench-1m', spec: { vaults: 1_000_000, subscriptions: 5_000, largestSubscription: 3_000, seed: estateSeed }, goals: goals1m },
    ];
const realLeg: GeneratedEstateSpec = small
  ? { vaults: 3_000, subscriptions: 15, largestSubscription: 400, seed: estateSeed }
  : { vaults: 20_000, subscriptions: 100, largestSubscription: 600, seed: estateSeed };

/** The event leg's estate: the latency is per event, not per vault in the estate. */
const eventLeg = {
  spec: { vaults: 2_000, subscriptions: 10, largestSubscription: 400, seed: estateSeed },
  deletions: small ? 40 : 150,
} as const;

const buildDir = new URL('../../.bench-build/test/bench/scale/', import.meta.url);
const benchStartedAt = performance.now();

function progress(message: string): void {
  process.stderr.write(`scale bench [${((performance.now() - benchStartedAt) / 1000).toFixed(0)} s]: ${message}\n`);
}

/**
 * Runs `use` with a compiled child process, and ends the child afterwards whatever happened. A scanning process
 * (`confined`) starts in a memory cgroup the size of the deployed instance (scale/instanceMemory.ts).
 */
async function withChild<T>(entry: string, use: (child: ChildProcess) => Promise<T>, { confined = false } = {}): Promise<T> {
  const path = fileURLToPath(new URL(entry, buildDir));
  if (!existsSync(path)) throw new Error(`${path} is missing: 'npm run bench' compiles test/bench/tsconfig.json first`);
  const confinement = confined ? instanceConfinement() : ({ kind: 'none', why: 'not a scanning process' } as const);
  if (confined && confinement.kind === 'none') unconfined.add(confinement.why);
  // No execArgv: vitest's worker flags are not the child's business.
  const child = spawnConfined(path, confinement);
  try {
    return await use(child).catch((error: unknown) => {
      // The kernel ends a confined process that needs more than the instance has with SIGKILL.
      if (confinement.kind === 'cgroup' && child.signalCode === 'SIGKILL') throw new Error(`${entry} was killed: more than the instance's ${instanceMemoryMb} MB?`, { cause: error });
      throw error;
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    }
    releaseConfinement(confinement);
  }
}

/** Why scanning processes ran without the instance's confinement, when they did. */
const unconfined = new Set<string>();

type VirtualJob = { readonly kind: 'scan' | 'sequential' | 'prowler-style'; readonly spec: GeneratedEstateSpec; readonly history?: boolean };

/**
 * One run in virtual time, in a fresh process (its peak RSS is the run's own); the monitor's scan in the instance's
 * memory, and with `history` as the timer's daily full scan (the last state loaded, the next saved: scale/history.ts).
 */
async function runVirtual({ kind, spec, history = false }: VirtualJob): Promise<VirtualOutcome> {
  const stateDir = history ? mkdtempSync(join(tmpdir(), 'kv-audit-bench-state-')) : null;
  try {
    const stateFile = stateDir && join(stateDir, 'scan-state.txt');
    if (stateFile) {
      const bytes = await writeLastFullScanState(estateShape(spec), stateFile, virtualEpoch);
      progress(`scan, ${spec.vaults} vaults: the last full scan's state written (${(bytes / 2 ** 20).toFixed(0)} MB)`);
    }
    return await withChild(
      'virtualProcess.js',
      async (child) => {
        progress(`${kind}, ${spec.vaults} vaults: started`);
        const call = caller<VirtualCalls>(child);
        const outcome = kind === 'scan' ? await call('scan', { spec, seed, env: {}, stateFile }) : await call('baseline', { spec, seed, kind });
        progress(`${kind}, ${spec.vaults} vaults: ${(outcome.virtualMs / 1000).toFixed(1)} virtual s in ${(outcome.realMs / 1000).toFixed(1)} s`);
        return outcome;
      },
      { confined: kind === 'scan' },
    );
  } finally {
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The real-HTTP leg: the emulator and the scanner, each in a process of its own, in real time. */
function runRealLeg(spec: GeneratedEstateSpec) {
  return withChild('emulatorProcess.js', async (emulatorChild) => {
    const emulator = caller<EmulatorCalls>(emulatorChild);
    progress(`real HTTP, ${spec.vaults} vaults: generating the estate`);
    const ready = await emulator('start', { spec, seed });
    progress(`real HTTP, ${spec.vaults} vaults: scanning`);
    const outcome = await withChild('scanProcess.js', (scanner) => caller<ScannerCalls>(scanner)('scan', { target: ready.target, env: ready.scanEnv }), { confined: true });
    const { stats } = await emulator('stats', {});
    const verification = await emulator('verify', { scanId: outcome.scanId });
    await emulator('close', {});
    progress(`real HTTP, ${spec.vaults} vaults: ${(outcome.wallMs / 1000).toFixed(1)} s`);
    return { outcome, stats, verification };
  });
}

/** Runs the jobs two at a time (two cores), in order; after a failure, starts no more and waits for the running one. */
async function inTwoLanes<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (next < jobs.length && !failed) {
      const index = next++;
      try {
        results[index] = await jobs[index]!();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const lanes = await Promise.allSettled([lane(), lane()]);
  for (const settled of lanes) if (settled.status === 'rejected') throw settled.reason;
  return results;
}

/** Issue 16's incremental leg, in virtual time in a process of its own. */
function runIncremental(spec: GeneratedEstateSpec): Promise<IncrementalRun> {
  return withChild(
    'virtualProcess.js',
    async (child) => {
      progress(`incremental leg, ${spec.vaults} vaults: started`);
      const run = await caller<VirtualCalls>(child)('incremental', { spec, seed });
      progress(`incremental leg, ${spec.vaults} vaults: ${(run.realMs / 1000).toFixed(1)} s`);
      return run;
    },
    { confined: true },
  );
}

/** Issue 16's event leg, in real time: the emulator, Azurite and the event path in a process of their own. */
function runEvents(): Promise<EventOutcome> {
  return withChild('eventProcess.js', async (child) => {
    progress(`event leg, ${eventLeg.deletions} settings deletions over a minute: started`);
    const outcome = await caller<EventCalls>(child)('events', { spec: eventLeg.spec, seed, deletions: eventLeg.deletions });
    progress(`event leg: p95 ${outcome.p95Seconds.toFixed(1)} s`);
    return outcome;
  });
}

const fixed = (n: number) => n.toFixed(2);

/*
 * A safety net only. The goal is 15 minutes on two idle cores; on a shared machine the run takes longer, and says
 * how much CPU its processes used, which is what two idle cores would need.
 */
const timeoutMs = 60 * 60_000;

test(
  `the honest benchmark: ${scales.map((s) => s.spec.vaults).join(' and ')} vaults in virtual time, ${realLeg.vaults} over real HTTP`,
  async () => {
    const model = drawModel(seed);
    console.log(`bench seed=${seed} (replay with KV_AUDIT_BENCH_SEED=${seed}); service model: ${describeModel(model)}`);
    const [hundred, million] = scales;
    const jobs: (() => Promise<unknown>)[] = [
      () => runVirtual({ kind: 'scan', spec: million!.spec, history }),
      () => runVirtual({ kind: 'sequential', spec: million!.spec }),
      () => runVirtual({ kind: 'prowler-style', spec: million!.spec }),
      () => runVirtual({ kind: 'scan', spec: hundred!.spec, history }),
      () => runVirtual({ kind: 'sequential', spec: hundred!.spec }),
      () => runVirtual({ kind: 'prowler-style', spec: hundred!.spec }),
      () => runRealLeg(realLeg),
      // The real leg's estate in virtual time, twice: the same seed must give the same scan.
      () => runVirtual({ kind: 'scan', spec: realLeg }),
      () => runVirtual({ kind: 'scan', spec: realLeg }),
      () => runIncremental(hundred!.spec),
    ];
    const [scan1m, sequential1m, prowler1m, scan100k, sequential100k, prowler100k, real, virtualLeg, replayLeg, incremental] = (await inTwoLanes(jobs)) as [
      VirtualOutcome,
      VirtualOutcome,
      VirtualOutcome,
      VirtualOutcome,
      VirtualOutcome,
      VirtualOutcome,
      Awaited<ReturnType<typeof runRealLeg>>,
      VirtualOutcome,
      VirtualOutcome,
      IncrementalRun,
    ];
    // In real time, alone: beside the million-vault scan its latencies would measure the machine's contention.
    const events = await runEvents();

    const runs: ScaleRun[] = [
      { scale: hundred!, scan: scan100k, sequential: sequential100k, prowlerStyle: prowler100k },
      { scale: million!, scan: scan1m, sequential: sequential1m, prowlerStyle: prowler1m },
    ].map(({ scale, ...outcomes }) => ({ ...outcomes, label: scale.label, spec: scale.spec, goals: scale.goals, floor: floorOf(model, floorSubscriptionsOf(estateShape(scale.spec), model)) }));

    const problems: string[] = [];
    const answer = (o: VirtualOutcome) => JSON.stringify([o.virtualMs, o.stats.armRequests, o.stats.armThrottled, o.stats.argRequests, o.stats.ingestRequests, o.verification]);
    const deterministic = answer(virtualLeg) === answer(replayLeg);
    if (!deterministic) problems.push(`the same seed gave two different ${realLeg.vaults}-vault scans in virtual time: ${answer(virtualLeg)} and ${answer(replayLeg)}`);
    problems.push(...problemsOf(`virtual ${realLeg.vaults}-vault scan`, virtualLeg.verification!));

    const { outcome: realOutcome, stats: realStats, verification: realVerification } = real;
    const realCpu = realOutcome.cpuMs / realVerification.expected / realOutcome.calibrationMs;
    console.log(
      `real-http: vaults=${realLeg.vaults} subscriptions=${realLeg.subscriptions} wall_s=${fixed(realOutcome.wallMs / 1000)} arm_calls=${realStats.armRequests} ` +
        `arm_429=${realStats.armThrottled} peak_rss_mb=${fixed(realOutcome.memory.peakRssMb)} (${describeMemory(realOutcome.memory)}) cpu_per_vault_ratio=${fixed(realCpu)} ` +
        `correct=${realVerification.checked - realVerification.mismatchCount}/${realVerification.expected} complete=${realOutcome.succeeded}`,
    );
    console.log(
      `virtual-time twin of the real leg: scan_s=${fixed(virtualLeg.virtualMs / 1000)} arm_calls=${virtualLeg.stats.armRequests} arm_429=${virtualLeg.stats.armThrottled} ` +
        `cpu_per_vault_ratio=${fixed((virtualLeg.processCpuMs - virtualLeg.simulationMs) / realLeg.vaults / virtualLeg.calibrationMs)} same_answer_twice=${deterministic}`,
    );
    if (!realOutcome.succeeded) problems.push(`real HTTP leg: the scan is incomplete: ${realOutcome.errors.slice(0, 3).join(' | ')}`);
    problems.push(...problemsOf(`real HTTP leg (${realLeg.vaults} vaults)`, realVerification));

    for (const why of unconfined) {
      console.log(`memory: a scanning process ran WITHOUT the instance's ${instanceMemoryMb} MB (${why}): its peak RSS is this machine's V8 slack, not the instance's`);
    }
    const figures: BenchFigures[] = runs.map((run) => figuresOf(run, seed));
    for (const [index, run] of runs.entries()) {
      const detail = figures[index]!;
      console.log(detail.detail);
      problems.push(...detail.problems);
      for (const line of goalLines(run.label, run.goals, detail.values)) console.log(line);
    }
    const issue16 = incrementalFiguresOf(incremental, events);
    console.log(issue16.detail);
    problems.push(...issue16.problems);
    for (const line of goalLines(runs[0]!.label, issue16.goals, issue16.values)) console.log(line);
    const virtualRuns = [scan1m, sequential1m, prowler1m, scan100k, sequential100k, prowler100k, virtualLeg, replayLeg];
    const cpuMinutes = (virtualRuns.reduce((sum, o) => sum + o.processCpuMs, 0) + realOutcome.cpuMs + incremental.processCpuMs) / 60_000;
    console.log(
      `bench time: ${((performance.now() - benchStartedAt) / 60_000).toFixed(1)} min wall; the runs' own CPU ${cpuMinutes.toFixed(1)} min ` +
        `(the million-vault scan's ${(scan1m.processCpuMs / 60_000).toFixed(1)}), about ${Math.max(cpuMinutes / 2, scan1m.processCpuMs / 60_000).toFixed(1)} min on two idle cores`,
    );
    for (const [index, run] of runs.entries()) console.log(summaryLine(run.label, figures[index]!, index === 0 ? issue16 : null));
    progress('done');
    expect(problems).toEqual([]);
  },
  timeoutMs,
);
