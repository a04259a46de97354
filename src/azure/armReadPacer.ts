/*
 * ARM throttles reads per subscription with token buckets (Learn: "Request limits and throttling", since
 * 2024): each security principal has its own bucket of 250 reads, refilled at 25 a second, and every
 * principal shares the subscription's global bucket, 15 times larger, which Azure Policy, Defender for
 * Cloud and deployments drain too. Every answer says what is left of both
 * (x-ms-ratelimit-remaining-subscription-reads / -global-reads). The pacer keeps an estimate of each
 * subscription's budget, the lower of the two, so a read is sent only when ARM will take it, and holds a
 * subscription for the Retry-After of a 429: one exhausted subscription waits while the others go on.
 * Time is passed in (ms).
 *
 * The documented numbers are where it starts, not what it trusts: a tenant's buckets can be smaller and refill more
 * slowly, and they differ from subscription to subscription. So a subscription not heard from yet gets one read,
 * whose answer tells what its bucket holds (its size, when it was full), before the rest; and every 429 from ARM's own throttle says the refill
 * was overestimated, and lowers that subscription's by a tenth (once per hold).
 */

export interface ArmReadLimits {
  readonly bucketSize: number;
  readonly refillPerSecond: number;
}

/** A principal's published read limits per subscription: the scanner's own bucket. */
export const armReadLimits: ArmReadLimits = { bucketSize: 250, refillPerSecond: 25 };

/** What one ARM answer says about its subscription's budget. */
export interface ArmBudgetSignal {
  /** x-ms-ratelimit-remaining-subscription-reads: the principal's bucket. */
  readonly remainingReads: number | null;
  /** x-ms-ratelimit-remaining-subscription-global-reads: the bucket every principal shares. */
  readonly remainingGlobalReads: number | null;
}

interface Budget {
  tokens: number;
  at: number;
  pausedUntil: number;
  inFlight: number;
  refillPerSecond: number;
  bucketSize: number;
  /** Requests put on the wire so far. */
  onWire: number;
  /** The marks of those not answered yet, in the order they went out. */
  outstanding: number[];
  /** An answer has said what the bucket holds. */
  heardFrom: boolean;
}

/** Reads in flight to a subscription not heard from yet: one answer tells its bucket. */
const readsBeforeAnswer = 1;
/** A read waiting on that answer is looked at again this soon, if no answer has come (a hold, not a throttle). */
const answerWaitMs = 100;
/** What one 429 from ARM's throttle leaves of the refill rate assumed, and the least it goes down to. */
const refillCut = 0.9;
const minRefillPerSecond = 1;

export class ArmReadPacer {
  private readonly budgets = new Map<string, Budget>();

  constructor(private readonly limits: ArmReadLimits = armReadLimits) {}

  private budget(subscriptionId: string, now: number): Budget {
    const key = subscriptionId.toLowerCase();
    let budget = this.budgets.get(key);
    if (!budget) {
      // A subscription not seen yet is assumed to have a full bucket; its first answers correct that.
      budget = { tokens: this.limits.bucketSize, at: now, pausedUntil: 0, inFlight: 0, refillPerSecond: this.limits.refillPerSecond, bucketSize: this.limits.bucketSize, onWire: 0, outstanding: [], heardFrom: false };
      this.budgets.set(key, budget);
    }
    budget.tokens = Math.min(budget.bucketSize, budget.tokens + ((now - budget.at) / 1000) * budget.refillPerSecond);
    budget.at = now;
    return budget;
  }

  /** The earliest time a read for this subscription should be sent; at or before `now` means now. */
  readyAt(subscriptionId: string, now: number): number {
    const budget = this.budget(subscriptionId, now);
    if (!budget.heardFrom && budget.inFlight >= readsBeforeAnswer) return Math.max(budget.pausedUntil, now + answerWaitMs);
    const refilled = budget.tokens >= 1 ? now : now + ((1 - budget.tokens) / budget.refillPerSecond) * 1000;
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

  /** A request for this subscription goes on the wire (retries too); the mark tells its answer what went out around it. */
  onWire(subscriptionId: string, now: number): number {
    const budget = this.budget(subscriptionId, now);
    budget.outstanding.push(++budget.onWire);
    return budget.onWire;
  }

  /** The request `mark` came back, or never will (its connection broke): how many still out went before it. */
  offWire(subscriptionId: string, mark: number, now: number): number {
    const { outstanding } = this.budget(subscriptionId, now);
    let [low, high] = [0, outstanding.length];
    while (low < high) {
      const middle = (low + high) >> 1;
      if (outstanding[middle]! < mark) low = middle + 1;
      else high = middle;
    }
    if (outstanding[low] === mark) outstanding.splice(low, 1);
    return low;
  }

  /**
   * ARM answered one attempt: the lower of the two buckets, since either one empty refuses the read, as ARM counted
   * it. Requests reach ARM roughly in the order they went out, but not exactly, and answers come back in any order.
   * So what is left now is that less every request that went out after this one (`mark`, from onWire), which ARM
   * had not counted yet if it kept the order, and less those that went out before it and are still unanswered,
   * which it may have counted after. Without a mark, the reads still in flight stand in for both.
   */
  observed(subscriptionId: string, signal: ArmBudgetSignal, now: number, mark?: number): void {
    const counts = [signal.remainingReads, signal.remainingGlobalReads].filter((n): n is number => n !== null);
    const budget = this.budget(subscriptionId, now);
    const earlierOut = mark === undefined ? 0 : this.offWire(subscriptionId, mark, now);
    if (counts.length === 0) return;
    const sentSince = mark === undefined ? Math.max(0, budget.inFlight - 1) : budget.onWire - mark + earlierOut;
    // The first answer, to the one read sent before it, shows the bucket as it was: its size, when it was full.
    if (!budget.heardFrom) budget.bucketSize = Math.min(...counts) + 1 + sentSince;
    budget.tokens = Math.min(...counts) - sentSince;
    budget.heardFrom = true;
  }

  /** ARM refused a read of this subscription (429): send nothing to it until `until`, and refill more slowly. */
  pause(subscriptionId: string, until: number, now: number): void {
    const budget = this.budget(subscriptionId, now);
    if (budget.pausedUntil <= now) budget.refillPerSecond = Math.max(minRefillPerSecond, budget.refillPerSecond * refillCut);
    budget.tokens = Math.min(budget.tokens, 0);
    budget.pausedUntil = Math.max(budget.pausedUntil, until);
  }
}
