/*
 * The emulator's model of Azure (latencies and throttles) and the shortest scan that model allows: the
 * yardstick `ratio_to_bound` is measured against. The emulator process is configured from the same model,
 * so the two cannot drift apart.
 */

export interface AzureModel {
  readonly latencyMs: { readonly arg: number; readonly arm: number; readonly ingest: number };
  /** ARG's per-user quota: a fixed window. */
  readonly argQuota: { readonly requests: number; readonly windowMs: number };
  readonly argPageSize: number;
  /** ARM's per-subscription read token bucket. */
  readonly armReads: { readonly bucketSize: number; readonly refillPerSecond: number };
}

/** The realistic emulator settings: documented throttles, typical latencies. */
export const realisticModel: AzureModel = {
  latencyMs: { arg: 300, arm: 80, ingest: 150 },
  argQuota: { requests: 15, windowMs: 5_000 },
  argPageSize: 1_000,
  armReads: { bucketSize: 250, refillPerSecond: 25 },
};

/** The emulator's fault spec for the model's latencies. */
export function latencySpec(model: AzureModel): string {
  const { arg, arm, ingest } = model.latencyMs;
  return `latency:arg=${arg}ms,latency:arm=${arm}ms,latency:ingest=${ingest}ms`;
}

export interface BoundInput {
  /** The scanner's global cap on concurrent ARM requests. */
  readonly concurrency: number;
  /** Vaults in each subscription; their sum is the estate. */
  readonly vaultsPerSubscription: readonly number[];
}

/** A lower bound, in ms, on a scan that reads every vault's diagnostic settings through ARM and writes findings. */
export function lowerBoundMs(model: AzureModel, input: BoundInput): number {
  const { arg: argMs, arm: armMs, ingest: ingestMs } = model.latencyMs;
  const vaults = input.vaultsPerSubscription.reduce((sum, n) => sum + n, 0);
  // Pages are read one after another (each needs the previous page's skipToken), and an empty estate still costs one.
  const pages = Math.max(1, Math.ceil(vaults / model.argPageSize));
  // Each page costs its latency, and page k+1 of the quota cannot be sent before the k-th window has passed.
  const inventoryMs = Math.max(pages * argMs, Math.floor((pages - 1) / model.argQuota.requests) * model.argQuota.windowMs + argMs);
  // The last vault is listed on the last page, and its ARM read starts only then.
  const lastListedReadMs = inventoryMs + armMs;
  // Each ARM call holds one of the C sockets for its latency; none can start before the first page arrives.
  const socketsMs = (vaults * armMs) / input.concurrency;
  // The hottest subscription, read first at best, drains its burst and then gets a token every 1/refill s.
  const hottest = Math.max(0, ...input.vaultsPerSubscription);
  const hottestMs = (Math.max(0, hottest - model.armReads.bucketSize) / model.armReads.refillPerSecond) * 1000 + armMs;
  const readsMs = argMs + Math.max(socketsMs, hottestMs);
  // The last findings chunk can be written only after the last read.
  return Math.max(lastListedReadMs, readsMs) + ingestMs;
}
