/*
 * ARM throttles reads per subscription with a token bucket (documented: 250
 * requests, refilled at 25 a second) and says what is left in every response's
 * x-ms-ratelimit-remaining-subscription-reads. The pacer keeps an estimate of
 * each subscription's bucket so a read is sent only when ARM will take it, and
 * stops sending to a subscription for its 429's Retry-After: one exhausted
 * subscription waits while the others go on. Time is passed in (ms).
 */

export interface ArmReadLimits {
  readonly bucketSize: number;
  readonly refillPerSecond: number;
}

/** ARM's published read limits per subscription. */
export const armReadLimits: ArmReadLimits = { bucketSize: 250, refillPerSecond: 25 };

/** What one ARM answer says about its subscription's budget. */
export interface ArmBudgetSignal {
  readonly status: number;
  /** x-ms-ratelimit-remaining-subscription-reads, when present. */
  readonly remainingReads: number | null;
  /** Retry-After of a 429, in ms. */
  readonly retryAfterMs: number | null;
}

interface Budget {
  tokens: number;
  at: number;
  pausedUntil: number;
  inFlight: number;
}

/** When a 429 comes without Retry-After. */
const defaultPauseMs = 1_000;

export class ArmReadPacer {
  private readonly budgets = new Map<string, Budget>();

  constructor(private readonly limits: ArmReadLimits = armReadLimits) {}

  private budget(subscriptionId: string, now: number): Budget {
    const key = subscriptionId.toLowerCase();
    let budget = this.budgets.get(key);
    if (!budget) {
      // A subscription not seen yet is assumed to have a full bucket; its first answers correct that.
      budget = { tokens: this.limits.bucketSize, at: now, pausedUntil: 0, inFlight: 0 };
      this.budgets.set(key, budget);
    }
    budget.tokens = Math.min(this.limits.bucketSize, budget.tokens + ((now - budget.at) / 1000) * this.limits.refillPerSecond);
    budget.at = now;
    return budget;
  }

  /** The earliest time a read for this subscription should be sent; at or before `now` means now. */
  readyAt(subscriptionId: string, now: number): number {
    const budget = this.budget(subscriptionId, now);
    const refilled = budget.tokens >= 1 ? now : now + ((1 - budget.tokens) / this.limits.refillPerSecond) * 1000;
    return Math.max(budget.pausedUntil, refilled);
  }

  /** A read was sent: it takes a token now, before ARM has counted it. */
  sent(subscriptionId: string, now: number): void {
    const budget = this.budget(subscriptionId, now);
    budget.tokens -= 1;
    budget.inFlight += 1;
  }

  /** A read finished (after any retries). */
  finished(subscriptionId: string, now: number): void {
    this.budget(subscriptionId, now).inFlight -= 1;
  }

  /** ARM answered one attempt. Its count is the truth (other clients share the bucket), less the reads still on their way. */
  observed(subscriptionId: string, signal: ArmBudgetSignal, now: number): void {
    const budget = this.budget(subscriptionId, now);
    if (signal.remainingReads !== null) budget.tokens = signal.remainingReads - Math.max(0, budget.inFlight - 1);
    if (signal.status === 429) {
      budget.tokens = Math.min(budget.tokens, 0);
      budget.pausedUntil = Math.max(budget.pausedUntil, now + (signal.retryAfterMs ?? defaultPauseMs));
    }
  }
}
