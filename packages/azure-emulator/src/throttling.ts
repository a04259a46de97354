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

export interface BucketDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this request: ARM's `x-ms-ratelimit-remaining-subscription-reads`. */
  readonly remaining: number;
}

export class ArmReadBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limit: TokenBucketLimit) {}

  take(subscriptionId: string, now: number): BucketDecision {
    const bucket = this.buckets.get(subscriptionId) ?? { tokens: this.limit.bucketSize, at: now };
    bucket.tokens = Math.min(this.limit.bucketSize, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.refillPerSecond);
    bucket.at = now;
    this.buckets.set(subscriptionId, bucket);
    if (bucket.tokens < 1) return { allowed: false, remaining: 0 };
    bucket.tokens -= 1;
    return { allowed: true, remaining: Math.floor(bucket.tokens) };
  }
}
