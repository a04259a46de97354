import type { GeneratedEstateSpec } from '../../support/generatedEstate.js';
import type { Floor } from './floor.js';
import type { Verification, VirtualOutcome } from './protocol.js';

/*
 * The benchmark's figures from one scale's runs, the goals they are held to, and the summary line. How to read
 * them: docs/design.md, "Measured".
 */

export type Field = 'ratio_to_floor' | 'speedup_vs_prowler_style' | 'speedup_vs_sequential' | 'peak_rss_mb' | 'throttled_pct' | 'cpu_per_vault_ratio';

export interface Goal {
  readonly field: Field;
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
  ];
  const values: Record<Field, number> = {
    ratio_to_floor: scan.virtualMs / floor.floorMs,
    speedup_vs_prowler_style: prowlerStyle.virtualMs / scan.virtualMs,
    speedup_vs_sequential: sequential.virtualMs / scan.virtualMs,
    peak_rss_mb: scan.peakRssMb,
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
    `scanner_cpu_s=${s(scan.processCpuMs - scan.simulationMs)} simulation_cpu_s=${s(scan.simulationMs)} calibration_unit_us=${fixed(scan.calibrationMs * 1000)}`,
    `real_s: scan=${s(scan.realMs)} prowler_style=${s(prowlerStyle.realMs)} sequential=${s(sequential.realMs)}`,
    `correct=${verification ? verification.checked - verification.mismatchCount : 0}/${spec.vaults} landed_twice=${verification?.duplicates ?? 0} complete=${scan.succeeded}`,
  ].join(' ');
  return { values, verdictsOk: problems.length === 0, seed, vaults: spec.vaults, subscriptions: spec.subscriptions, detail, problems };
}

/** Met, or missed and by how much. */
export function goalLines(run: ScaleRun, figures: BenchFigures): string[] {
  return run.goals.map((goal) => {
    const value = figures.values[goal.field];
    const met = goal.at === 'most' ? value <= goal.value : value >= goal.value;
    const sign = goal.at === 'most' ? '<=' : '>=';
    const by = Math.abs(value - goal.value);
    return `goal ${run.label} ${goal.field} ${fixed(value)} ${sign} ${goal.value}: ${met ? 'met' : `MISSED by ${fixed(by)} (${fixed((by / goal.value) * 100)}%)`}`;
  });
}

/** The issue's summary line, exactly. */
export function summaryLine(label: string, f: BenchFigures): string {
  const v = f.values;
  return (
    `${label}: vaults=${f.vaults} subscriptions=${f.subscriptions} seed=${f.seed} ratio_to_floor=${fixed(v.ratio_to_floor)} ` +
    `speedup_vs_prowler_style=${fixed(v.speedup_vs_prowler_style)} speedup_vs_sequential=${fixed(v.speedup_vs_sequential)} ` +
    `peak_rss_mb=${fixed(v.peak_rss_mb)} throttled_pct=${fixed(v.throttled_pct)} cpu_per_vault_ratio=${fixed(v.cpu_per_vault_ratio)} verdicts_ok=${f.verdictsOk}`
  );
}
