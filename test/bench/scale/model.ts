import { hashSeed, seededRandom } from '@kv-audit/azure-emulator';

/*
 * The service model the benchmark's simulated Azure enforces, drawn from a seed chosen at run time and printed,
 * so a run can be replayed. The scanner never sees it: it learns what it can from answers and headers, as it
 * does in Azure, whose limits differ from the documented ones by tenant, by subscription and from run to run.
 *
 *   ARM reads, per subscription (Learn: "Request limits and throttling", token buckets since 2024):
 *     the principal's bucket, 200-250 reads, refilled at 20-25 a second (documented: 250 and 25);
 *     the subscription's global bucket, 15 times that, of whose refill other principals (Policy, Defender,
 *     deployments) drain 10-30%.
 *   Microsoft.Insights' own limit on ~5% of subscriptions: in each of its fixed windows of 1-30 s, a
 *     subscription's region takes a few diagnostic-settings reads (5-15 a second's worth) and answers the rest
 *     429 ResourceRequestsThrottled, Retry-After: the rest of the window.
 *   Resource Graph: 15 queries per 5 s per user (the documented example), pages of at most 1,000 rows.
 *   Latency: lognormal per service, median 80-120 ms, 99th percentile 0.8-1.2 s.
 *   Failures: 0.5% of attempts fail, a third each 500, 503 without Retry-After, and a reset connection.
 */

export interface Lognormal {
  readonly medianMs: number;
  readonly p99Ms: number;
}

export interface TokenBucket {
  readonly bucketSize: number;
  readonly refillPerSecond: number;
}

/** Microsoft.Insights' limit on one subscription's region: `reads` per fixed window of `windowMs`. */
export interface ProviderLimit {
  readonly reads: number;
  readonly windowMs: number;
}

export interface ServiceModel {
  readonly seed: number;
  readonly armPrincipal: TokenBucket;
  readonly armGlobal: TokenBucket;
  /** Share of the global bucket's refill other principals take. */
  readonly othersShare: number;
  /** Share of subscriptions whose regions Microsoft.Insights limits. */
  readonly providerLimitedShare: number;
  readonly argQuota: { readonly requests: number; readonly windowMs: number };
  readonly argPageSize: number;
  readonly latency: { readonly arm: Lognormal; readonly arg: Lognormal; readonly ingest: Lognormal };
  /** Share of attempts that fail (500, 503 without Retry-After, or a reset connection). */
  readonly failureRate: number;
}

const between = (random: () => number, low: number, high: number) => low + random() * (high - low);
const round = (value: number, step: number) => Math.round(value / step) * step;

export function drawModel(seed: number): ServiceModel {
  const random = seededRandom(hashSeed(`service model ${seed}`));
  const armPrincipal = { bucketSize: Math.floor(between(random, 200, 251)), refillPerSecond: round(between(random, 20, 25), 0.1) };
  const lognormal = (): Lognormal => ({ medianMs: Math.round(between(random, 80, 120)), p99Ms: Math.round(between(random, 800, 1200)) });
  return {
    seed,
    armPrincipal,
    armGlobal: { bucketSize: armPrincipal.bucketSize * 15, refillPerSecond: armPrincipal.refillPerSecond * 15 },
    othersShare: round(between(random, 0.1, 0.3), 0.01),
    providerLimitedShare: 0.05,
    argQuota: { requests: 15, windowMs: 5_000 },
    argPageSize: 1_000,
    latency: { arm: lognormal(), arg: lognormal(), ingest: lognormal() },
    failureRate: 0.005,
  };
}

/** Microsoft.Insights' limit on a subscription's region, or null for most: drawn from the seed and the subscription. */
export function providerLimitOf(model: ServiceModel, subscriptionId: string, location: string): ProviderLimit | null {
  const subscription = seededRandom(hashSeed(`provider ${model.seed} ${subscriptionId.toLowerCase()}`));
  if (subscription() >= model.providerLimitedShare) return null;
  const region = seededRandom(hashSeed(`provider ${model.seed} ${subscriptionId.toLowerCase()} ${location.toLowerCase()}`));
  const windowSeconds = 1 + Math.floor(region() * 30);
  const perSecond = between(region, 5, 15);
  return { reads: Math.max(1, Math.round(perSecond * windowSeconds)), windowMs: windowSeconds * 1000 };
}

/** σ of a lognormal whose 99th percentile is `p99Ms`: ln(p99 / median) / z(0.99). */
const z99 = 2.3263478740408408;
export const sigmaOf = (latency: Lognormal) => Math.log(latency.p99Ms / latency.medianMs) / z99;

/** One latency draw from two uniform numbers (Box-Muller). */
export function latencyMs(latency: Lognormal, u1: number, u2: number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  return latency.medianMs * Math.exp(sigmaOf(latency) * normal);
}

export function describeModel(model: ServiceModel): string {
  const l = (x: Lognormal) => `${x.medianMs}/${x.p99Ms}ms`;
  return (
    `seed=${model.seed} arm_bucket=${model.armPrincipal.bucketSize} arm_refill=${model.armPrincipal.refillPerSecond}/s ` +
    `global_drained_by_others=${Math.round(model.othersShare * 100)}% provider_limited_subs=${model.providerLimitedShare * 100}% ` +
    `arg_quota=${model.argQuota.requests}/${model.argQuota.windowMs / 1000}s latency_p50/p99 arm=${l(model.latency.arm)} ` +
    `arg=${l(model.latency.arg)} ingest=${l(model.latency.ingest)} failures=${model.failureRate * 100}%`
  );
}

/** The model as the HTTPS emulator's faults: its median latencies (fixed, not lognormal) and its failure rate. */
export function emulatorFaultSpec(model: ServiceModel): string {
  const { arg, arm, ingest } = model.latency;
  const each = (model.failureRate / 3).toFixed(5);
  const failures = ['arg', 'arm', 'ingest'].flatMap((service) => [`${service}:500@${each}`, `${service}:503@${each}`, `${service}:reset@${each}`]);
  return [`latency:arg=${arg.medianMs}ms`, `latency:arm=${arm.medianMs}ms`, `latency:ingest=${ingest.medianMs}ms`, ...failures].join(',');
}
