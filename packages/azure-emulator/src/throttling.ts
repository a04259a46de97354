/*
 * The two documented throttles, with time passed in (milliseconds) so they stay deterministic:
 * ARG's per-user quota (a fixed number of queries per window) and ARM's per-subscription read
 * token bucket (a bucket that refills continuously).
 */

export interface ArgQuotaLimit {
  readonly requests: number;
  readonly windowMs: number;
}

export interface QuotaDecision {
  readonly allowed: boolean;
  /** Requests left in the window after this one. */
  readonly remaining: number;
  readonly resetsAfterMs: number;
}

export class ArgUserQuota {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(private readonly limit: ArgQuotaLimit) {}

  take(user: string, now: number): QuotaDecision {
    let window = this.windows.get(user);
    if (!window || now - window.start >= this.limit.windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(user, window);
    }
    const resetsAfterMs = window.start + this.limit.windowMs - now;
    if (window.used >= this.limit.requests) return { allowed: false, remaining: 0, resetsAfterMs };
    window.used += 1;
    return { allowed: true, remaining: this.limit.requests - window.used, resetsAfterMs };
  }
}

/** ARG's `x-ms-user-quota-resets-after` format, `hh:mm:ss`, rounded up to whole seconds. */
export function formatResetsAfter(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

export interface TokenBucketLimit {
  readonly bucketSize: number;
  readonly refillPerSecond: number;
}

/** ARM's read limits per subscription since 2024 (Learn: "Request limits and throttling"). */
export interface ArmReadLimits {
  /** Each security principal's own bucket in a subscription: 250 reads, refilled at 25 a second. */
  readonly principal: TokenBucketLimit;
  /** The subscription's global bucket, 15 times a principal's, shared by every principal. */
  readonly global: TokenBucketLimit;
  /** What other principals (Policy, Defender, deployments) take from the global bucket, per second. */
  readonly othersDrainPerSecond: number;
}

export const defaultArmReadLimits: ArmReadLimits = {
  principal: { bucketSize: 250, refillPerSecond: 25 },
  global: { bucketSize: 3750, refillPerSecond: 375 },
  othersDrainPerSecond: 0,
};

export interface BucketDecision {
  readonly allowed: boolean;
  /** Whole tokens left in the principal's bucket: ARM's `x-ms-ratelimit-remaining-subscription-reads`. */
  readonly remaining: number;
  /** Whole tokens left in the global bucket: `x-ms-ratelimit-remaining-subscription-global-reads`. */
  readonly globalRemaining: number;
  /** When refused: whole seconds until the empty bucket has a token again (ARM's Retry-After). */
  readonly retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A continuously refilling bucket's level at `now`; a drain faster than the refill empties it. */
function refill(bucket: Bucket, size: number, netPerSecond: number, now: number): void {
  bucket.tokens = Math.max(0, Math.min(size, bucket.tokens + ((now - bucket.at) / 1000) * netPerSecond));
  bucket.at = now;
}

/** Seconds until a bucket refilling at `netPerSecond` holds a whole token; an hour when it never will. */
function secondsToToken(bucket: Bucket, netPerSecond: number): number {
  if (bucket.tokens >= 1) return 0;
  return netPerSecond > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / netPerSecond)) : 3600;
}

export class ArmReadBuckets {
  private readonly principals = new Map<string, Bucket>();
  private readonly globals = new Map<string, Bucket>();

  constructor(private readonly limits: ArmReadLimits) {}

  take(subscriptionId: string, principal: string, now: number): BucketDecision {
    const key = `${subscriptionId} ${principal}`;
    const own = this.principals.get(key) ?? { tokens: this.limits.principal.bucketSize, at: now };
    const shared = this.globals.get(subscriptionId) ?? { tokens: this.limits.global.bucketSize, at: now };
    this.principals.set(key, own);
    this.globals.set(subscriptionId, shared);
    const globalNet = this.limits.global.refillPerSecond - this.limits.othersDrainPerSecond;
    refill(own, this.limits.principal.bucketSize, this.limits.principal.refillPerSecond, now);
    refill(shared, this.limits.global.bucketSize, globalNet, now);
    if (own.tokens < 1 || shared.tokens < 1) {
      return {
        allowed: false,
        remaining: Math.floor(own.tokens),
        globalRemaining: Math.floor(shared.tokens),
        retryAfterSeconds: Math.max(secondsToToken(own, this.limits.principal.refillPerSecond), secondsToToken(shared, globalNet)),
      };
    }
    own.tokens -= 1;
    shared.tokens -= 1;
    return { allowed: true, remaining: Math.floor(own.tokens), globalRemaining: Math.floor(shared.tokens), retryAfterSeconds: 0 };
  }
}

export interface ProviderThrottleRule {
  readonly subscriptionId: string;
  readonly location: string;
  readonly retryAfterSeconds: number;
  readonly fromRead?: number | undefined;
}

/**
 * A resource provider's own throttle (ResourceRequestsThrottled), per subscription and region: once tripped, every
 * read there is refused until its Retry-After has passed. Tripped by an estate rule at a given read, or by a fault.
 */
export class ProviderThrottle {
  private readonly blockedUntil = new Map<string, number>();
  private readonly reads = new Map<string, number>();
  private readonly rules: Map<string, ProviderThrottleRule>;

  constructor(rules: readonly ProviderThrottleRule[]) {
    this.rules = new Map(rules.map((rule) => [`${rule.subscriptionId.toLowerCase()} ${rule.location.toLowerCase()}`, rule]));
  }

  /** Counts a read and says how many seconds its subscription and region are still throttled for (0: not). */
  check(subscriptionId: string, location: string, now: number): number {
    const key = `${subscriptionId.toLowerCase()} ${location.toLowerCase()}`;
    const read = (this.reads.get(key) ?? 0) + 1;
    this.reads.set(key, read);
    const rule = this.rules.get(key);
    if (rule && read === (rule.fromRead ?? 1)) this.trip(subscriptionId, location, now, rule.retryAfterSeconds);
    const until = this.blockedUntil.get(key) ?? 0;
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  trip(subscriptionId: string, location: string, now: number, seconds: number): void {
    const key = `${subscriptionId.toLowerCase()} ${location.toLowerCase()}`;
    this.blockedUntil.set(key, Math.max(this.blockedUntil.get(key) ?? 0, now + seconds * 1000));
  }
}
