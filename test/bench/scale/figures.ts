import type { GeneratedEstateSpec } from '../../support/generatedEstate.js';
import type { Floor } from './floor.js';
import { describeMemory } from './instanceMemory.js';
import type { EventOutcome, IncrementalRun, Verification, VirtualOutcome } from './protocol.js';

/*
 * The benchmark's figures from one scale's runs, the goals they are held to, and the summary line. How to read
 * them: docs/design.md, "Measured".
 */

export type Field = 'ratio_to_floor' | 'speedup_vs_prowler_style' | 'speedup_vs_sequential' | 'peak_rss_mb' | 'throttled_pct' | 'cpu_per_vault_ratio';

export interface Goal<F extends string = Field> {
  readonly field: F;
  readonly at: 'most' | 'least';
  readonly value: number;
}

export interface ScaleRun {
  readonly label: 'bench' | 'bench-1m';
  readonly spec: GeneratedEstateSpec;
  readonly goals: readonly Goal[];
  readonly floor: Floor;
  readonly scan: VirtualOutcome;
  readonly sequential: VirtualOutcome;
  readonly prowlerStyle: VirtualOutcome;
}

export interface BenchFigures {
  readonly values: Readonly<Record<Field, number>>;
  readonly verdictsOk: boolean;
  readonly seed: number;
  readonly vaults: number;
  readonly subscriptions: number;
  /** Everything measured, on one line. */
  readonly detail: string;
  /** What makes the bench fail: wrong findings, an incomplete scan. */
  readonly problems: readonly string[];
}

/**
 * What is wrong with the findings; empty when they equal the expected verdicts. A finding landing twice, the same,
 * is not wrong: an upload retried after its answer was lost lands again, and the shipped queries de-duplicate by
 * ScanId and ResourceId (design.md, De-duplication). A second finding that differs counts as a mismatch.
 */
export function problemsOf(what: string, v: Verification): string[] {
  return [
    ...(v.mismatchCount > 0 ? [`${v.mismatchCount} findings differ from the expected verdict, e.g. ${v.mismatches.slice(0, 3).map((m) => `${m.resourceId}: expected ${m.expected}, got ${m.actual}`).join('; ')}`] : []),
    ...(v.missing > 0 ? [`${v.missing} vaults have no finding`] : []),
    ...(v.unexpected > 0 ? [`${v.unexpected} findings for vaults the estate does not have`] : []),
  ].map((problem) => `${what}: ${problem}`);
}

const fixed = (n: number) => n.toFixed(2);

export function figuresOf(run: ScaleRun, seed: number): BenchFigures {
  const { scan, sequential, prowlerStyle, floor, spec } = run;
  const verification = scan.verification;
  const what = `${spec.vaults}-vault scan`;
  const problems = [
    ...(verification ? problemsOf(what, verification) : [`${what}: nothing was verified`]),
    ...(scan.succeeded ? [] : [`${what}: incomplete: ${scan.errors.slice(0, 3).join(' | ')}`]),
    ...(scan.scanRows === 1 ? [] : [`${what}: ${scan.scanRows} scan rows landed, not one`]),
    ...(scan.history?.saveProblem ? [`${what}: the next state was not saved: ${scan.history.saveProblem}`] : []),
    ...(scan.history && scan.history.mode !== 'Full' ? [`${what}: a day after the last full scan it was ${scan.history.mode}, not Full`] : []),
  ];
  const values: Record<Field, number> = {
    ratio_to_floor: scan.virtualMs / floor.floorMs,
    speedup_vs_prowler_style: prowlerStyle.virtualMs / scan.virtualMs,
    speedup_vs_sequential: sequential.virtualMs / scan.virtualMs,
    peak_rss_mb: scan.memory.peakRssMb,
    throttled_pct: scan.stats.armRequests === 0 ? 0 : (scan.stats.armThrottled / scan.stats.armRequests) * 100,
    cpu_per_vault_ratio: (scan.processCpuMs - scan.simulationMs) / spec.vaults / scan.calibrationMs,
  };
  const s = (ms: number) => fixed(ms / 1000);
  const detail = [
    `${run.label} detail:`,
    `vaults=${spec.vaults} subscriptions=${spec.subscriptions}`,
    `scan_s=${s(scan.virtualMs)} floor_s=${s(floor.floorMs)} (set by the ${floor.boundBy}: inventory ${s(floor.inventoryMs)} s, slowest subscription ${s(floor.slowestSubscriptionMs)} s)`,
    `prowler_style_s=${s(prowlerStyle.virtualMs)} sequential_s=${s(sequential.virtualMs)}`,
    `arm_calls=${scan.stats.armRequests} arm_429=${scan.stats.armThrottled} (provider ${scan.stats.armProviderThrottled})`,
    `arg_queries=${scan.stats.argRequests} arg_429=${scan.stats.argThrottled} ingest_calls=${scan.stats.ingestRequests} failures_injected=${scan.stats.failuresInjected}`,
    `baseline_failed_reads: prowler_style=${prowlerStyle.errors.length > 0 ? prowlerStyle.errors[0] : 0} sequential=${sequential.errors.length > 0 ? sequential.errors[0] : 0}`,
    `memory: ${describeMemory(scan.memory)}`,
    `history: ${scan.history ? `the last state of ${scan.history.loadedResources} resources loaded, the next ${scan.history.saveProblem ? 'NOT saved' : 'saved'}` : 'none (KV_AUDIT_BENCH_HISTORY=1: as the timer\'s daily full scan)'}`,
    `scanner_cpu_s=${s(scan.processCpuMs - scan.simulationMs)} simulation_cpu_s=${s(scan.simulationMs)} calibration_unit_us=${fixed(scan.calibrationMs * 1000)}`,
    `real_s: scan=${s(scan.realMs)} prowler_style=${s(prowlerStyle.realMs)} sequential=${s(sequential.realMs)}`,
    `correct=${verification ? verification.checked - verification.mismatchCount : 0}/${spec.vaults} landed_twice=${verification?.duplicates ?? 0} complete=${scan.succeeded}`,
  ].join(' ');
  return { values, verdictsOk: problems.length === 0, seed, vaults: spec.vaults, subscriptions: spec.subscriptions, detail, problems };
}

/** Met, or missed and by how much. */
export function goalLines<F extends string>(label: string, goals: readonly Goal<F>[], values: Readonly<Record<F, number>>): string[] {
  return goals.map((goal) => {
    const value = values[goal.field];
    const met = goal.at === 'most' ? value <= goal.value : value >= goal.value;
    const sign = goal.at === 'most' ? '<=' : '>=';
    const by = Math.abs(value - goal.value);
    return `goal ${label} ${goal.field} ${fixed(value)} ${sign} ${goal.value}: ${met ? 'met' : `MISSED by ${fixed(by)} (${fixed((by / goal.value) * 100)}%)`}`;
  });
}

/** The issue's summary line, exactly; issue 16's fields follow issue 15's on the line that has them. */
export function summaryLine(label: string, f: BenchFigures, incremental: IncrementalFigures | null = null): string {
  const v = f.values;
  const i = incremental?.values;
  return (
    `${label}: vaults=${f.vaults} subscriptions=${f.subscriptions} seed=${f.seed} ratio_to_floor=${fixed(v.ratio_to_floor)} ` +
    `speedup_vs_prowler_style=${fixed(v.speedup_vs_prowler_style)} speedup_vs_sequential=${fixed(v.speedup_vs_sequential)} ` +
    `peak_rss_mb=${fixed(v.peak_rss_mb)} throttled_pct=${fixed(v.throttled_pct)} cpu_per_vault_ratio=${fixed(v.cpu_per_vault_ratio)} verdicts_ok=${f.verdictsOk}` +
    (i
      ? ` incremental_arm_reads_per_change=${fixed(i.incremental_arm_reads_per_change)} incremental_rows=${i.incremental_rows} ` +
        `incremental_verdicts_equal=${incremental!.verdictsEqual} event_to_finding_p95_s=${fixed(i.event_to_finding_p95_s)}`
      : '')
  );
}

// ---- Issue 16: the incremental scan and the event path ----

export type IncrementalField = 'incremental_arm_reads_per_change' | 'incremental_read_reduction' | 'incremental_rows' | 'event_to_finding_p95_s';

export interface IncrementalFigures {
  readonly values: Readonly<Record<IncrementalField, number>>;
  readonly verdictsEqual: boolean;
  /** The issue's goals; the rows' bound depends on how many vaults changed. */
  readonly goals: readonly Goal<IncrementalField>[];
  readonly detail: string;
  readonly problems: readonly string[];
}

/**
 * The phase's figures. `incremental_arm_reads_per_change` is every ARM request the incremental scan put on the wire
 * (its scan row's ArmCalls: settings reads, destination checks, Activity Log pages, retries and 429s included)
 * divided by the vaults that changed. The issue's allowance for reconciliation (N/24 an hour) is 0 here: runScan
 * reconciles with a full scan every KV_AUDIT_FULL_SCAN_INTERVAL_HOURS (24), not a rolling share each hour, so an
 * incremental hour carries none of it (the full scan's N reads, over 24 hours, are that share). The detail line splits
 * the figure: reads that evaluate (settings and destinations) per change, and Activity Log pages per change, at least
 * one per subscription whatever changed.
 */
export function incrementalFiguresOf(run: IncrementalRun, events: EventOutcome): IncrementalFigures {
  const { outcome: o } = run;
  const inc = o.incremental;
  const values: Record<IncrementalField, number> = {
    incremental_arm_reads_per_change: inc.armCalls / o.changes,
    incremental_read_reduction: inc.armCalls === 0 ? Infinity : o.full.armCalls / inc.armCalls,
    incremental_rows: inc.findingRows + inc.scanRows,
    event_to_finding_p95_s: events.p95Seconds,
  };
  const verdictsEqual = o.verdictMismatches === 0;
  const problems = [
    ...problemsOf(`incremental leg, first full scan (${o.first.verification.expected} vaults)`, o.first.verification),
    ...problemsOf(`incremental leg, full scan of the changed estate (${o.full.verification.expected} vaults)`, o.full.verification),
    ...[o.first, inc, o.full].flatMap((scan) => (scan.succeeded ? [] : [`incremental leg: a ${scan.mode} scan is incomplete: ${scan.errors.slice(0, 3).join(' | ')}`])),
    ...(inc.mode === 'Incremental' ? [] : [`incremental leg: the scan an hour later was ${inc.mode}, not Incremental`]),
    ...(verdictsEqual ? [] : [`incremental leg: ${o.verdictMismatches} vaults' verdicts in the workspace differ from a full scan's, e.g. ${o.mismatchExamples.join('; ')}`]),
    ...events.problems.map((problem) => `event leg: ${problem}`),
  ];
  const kinds = Object.entries(o.byKind).map(([kind, n]) => `${kind}=${n}`).join(',');
  const s = (ms: number) => fixed(ms / 1000);
  const detail = [
    'incremental detail:',
    `vaults=${o.full.verification.expected} changes=${o.changes} (${kinds})`,
    `incremental: mode=${inc.mode} virtual_s=${s(inc.virtualMs)} arm_calls=${inc.armCalls} (settings=${inc.stats.armSettingsRequests} activity_log=${inc.stats.armActivityLogRequests} destinations=${inc.stats.armOtherRequests} arm_429=${inc.stats.armThrottled})`,
    `resources_read=${inc.resourcesRead} settings_reads_per_change=${fixed(inc.stats.armSettingsRequests / o.changes)} ` +
      `evaluation_reads_per_change=${fixed((inc.stats.armSettingsRequests + inc.stats.armOtherRequests) / o.changes)} ` +
      `activity_log_pages_per_change=${fixed(inc.stats.armActivityLogRequests / o.changes)} finding_rows=${inc.findingRows} scan_rows=${inc.scanRows} log_queries=${inc.stats.logQueries}`,
    `full_scan: virtual_s=${s(o.full.virtualMs)} arm_calls=${o.full.armCalls} read_reduction=${fixed(values.incremental_read_reduction)}`,
    `reconciliation: a full scan every 24 h, so 0 reads of it in an incremental hour`,
    `verdicts: compared=${o.verdictsCompared} differing=${o.verdictMismatches}`,
    `real_s=${s(run.realMs)} peak_rss_mb_with_history=${fixed(run.memory.peakRssMb)} (${describeMemory(run.memory)})`,
  ].join(' ');
  const eventDetail =
    `event detail: vaults=${events.vaults} measured=${events.measured} events_delivered=${events.eventsDelivered} poisoned=${events.poisoned} ` +
    `p50_s=${fixed(events.p50Seconds)} p95_s=${fixed(events.p95Seconds)} max_s=${fixed(events.maxSeconds)}`;
  return {
    values,
    verdictsEqual,
    goals: [
      { field: 'incremental_arm_reads_per_change', at: 'most', value: 1.1 },
      { field: 'incremental_read_reduction', at: 'least', value: 20 },
      { field: 'incremental_rows', at: 'most', value: o.changes + 1 },
      { field: 'event_to_finding_p95_s', at: 'most', value: 30 },
    ],
    detail: `${detail}\n${eventDetail}`,
    problems,
  };
}
