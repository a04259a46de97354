import type { EstateShape } from '../../support/generatedEstate.js';
import { type ProviderLimit, type ServiceModel, providerLimitOf } from './model.js';

/*
 * The floor: the shortest time any scanner could take on this estate under this service model, with unlimited
 * concurrency. It depends on the model and the estate only, never on the scanner: a scan that reads every vault's
 * diagnostic settings through ARM and writes findings cannot beat the largest of
 *   - Resource Graph listing the estate: ceil(vaults / 1,000) pages, at most `requests` per quota window, the last
 *     vault then read through ARM;
 *   - each subscription's reads draining its ARM buckets (the principal's, and the global one less what other
 *     principals take), after the first page has listed something;
 *   - each Microsoft.Insights-limited region's reads, `reads` per fixed window;
 * plus the last findings upload. The few hops in sequence (first page, last read, last upload) count at their
 * median latency. Retries, destination reads and the count query a scanner may add are its own cost: left out.
 */

export interface LimitedRegion {
  readonly vaults: number;
  readonly limit: ProviderLimit;
}

export interface FloorSubscription {
  readonly vaults: number;
  /** Its regions that Microsoft.Insights limits, with their vaults. */
  readonly limitedRegions: readonly LimitedRegion[];
}

export type FloorModel = Pick<ServiceModel, 'armPrincipal' | 'armGlobal' | 'othersShare' | 'argQuota' | 'argPageSize' | 'latency'>;

export interface Floor {
  readonly floorMs: number;
  /** When the last page can have arrived. */
  readonly inventoryMs: number;
  /** The slowest subscription's last read, from its first: its buckets or its provider limit. */
  readonly slowestSubscriptionMs: number;
  /** What sets the floor: 'inventory' or 'subscription'. */
  readonly boundBy: 'inventory' | 'subscription';
}

/** Seconds from the first read until a bucket, full at the start, has let `reads` through: the first `bucketSize` at once. */
function drainMs(reads: number, bucketSize: number, netRefillPerSecond: number): number {
  if (reads <= bucketSize) return 0;
  return netRefillPerSecond > 0 ? ((reads - bucketSize) / netRefillPerSecond) * 1000 : Infinity;
}

/** Until the last of `reads` can be let through, in fixed windows from the first: one window per `reads` of the limit. */
function windowsMs(reads: number, limit: ProviderLimit): number {
  return reads === 0 ? 0 : (Math.ceil(reads / limit.reads) - 1) * limit.windowMs;
}

export function subscriptionMs(model: FloorModel, subscription: FloorSubscription): number {
  const own = drainMs(subscription.vaults, model.armPrincipal.bucketSize, model.armPrincipal.refillPerSecond);
  const global = drainMs(subscription.vaults, model.armGlobal.bucketSize, model.armGlobal.refillPerSecond * (1 - model.othersShare));
  const provider = Math.max(0, ...subscription.limitedRegions.map((region) => windowsMs(region.vaults, region.limit)));
  return Math.max(own, global, provider);
}

export function floorOf(model: FloorModel, subscriptions: readonly FloorSubscription[]): Floor {
  const vaults = subscriptions.reduce((sum, s) => sum + s.vaults, 0);
  const { arg, arm, ingest } = model.latency;
  const pages = Math.max(1, Math.ceil(vaults / model.argPageSize));
  const inventoryMs = Math.floor((pages - 1) / model.argQuota.requests) * model.argQuota.windowMs + arg.medianMs;
  const slowestSubscriptionMs = Math.max(0, ...subscriptions.map((s) => subscriptionMs(model, s)));
  const listedLast = inventoryMs + arm.medianMs;
  const drained = arg.medianMs + slowestSubscriptionMs + arm.medianMs;
  return {
    floorMs: Math.max(listedLast, drained) + ingest.medianMs,
    inventoryMs,
    slowestSubscriptionMs,
    boundBy: listedLast >= drained ? 'inventory' : 'subscription',
  };
}

/** A generated estate's subscriptions as the floor sees them, with the model's Microsoft.Insights limits. */
export function floorSubscriptionsOf(shape: EstateShape, model: ServiceModel): FloorSubscription[] {
  return shape.subscriptions.map((subscriptionId, s) => {
    const [first, end] = [shape.firstVault[s]!, shape.firstVault[s + 1]!];
    const limits = new Map(shape.locations.flatMap((location) => {
      const limit = providerLimitOf(model, subscriptionId, location);
      return limit ? [[location, limit] as const] : [];
    }));
    const perRegion = new Map<string, number>();
    if (limits.size > 0) {
      for (let serial = first; serial < end; serial++) {
        const location = shape.vault(serial).resource.location;
        if (limits.has(location)) perRegion.set(location, (perRegion.get(location) ?? 0) + 1);
      }
    }
    return { vaults: end - first, limitedRegions: [...perRegion].map(([location, vaults]) => ({ vaults, limit: limits.get(location)! })) };
  });
}
