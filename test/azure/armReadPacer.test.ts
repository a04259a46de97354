import { describe, expect, it } from 'vitest';
import { ArmReadPacer } from '../../src/azure/armReadPacer.js';

/** The pacer's model of ARM's per-subscription read bucket, with time passed in. */

const hot = '11111111-0000-4000-8000-000000000000';
const quiet = '22222222-0000-4000-8000-000000000000';
const limits = { bucketSize: 10, refillPerSecond: 5 };

/** Sends `n` reads for a subscription at time `at`. */
function send(pacer: ArmReadPacer, subscriptionId: string, n: number, at: number): void {
  for (let i = 0; i < n; i++) pacer.sent(subscriptionId, at);
}

describe('pacing reads to a subscription’s ARM read budget', () => {
  it.each([
    { scenario: 'a subscription not seen yet may send at once (a full bucket is assumed)', sent: 0, at: 0, readyAt: 0 },
    { scenario: 'with tokens left, the next read goes now', sent: 9, at: 0, readyAt: 0 },
    { scenario: 'a drained bucket waits for one token to refill (1/5 s)', sent: 10, at: 0, readyAt: 200 },
    { scenario: 'reads beyond the bucket push the wait out by one refill each', sent: 12, at: 0, readyAt: 600 },
    { scenario: 'time refills the bucket', sent: 10, at: 1_000, readyAt: 1_000 },
  ])('$scenario', ({ sent, at, readyAt }) => {
    const pacer = new ArmReadPacer(limits);
    send(pacer, hot, sent, 0);
    expect(pacer.readyAt(hot, at)).toBeCloseTo(readyAt, 6);
  });

  it.each([
    { scenario: 'its own bucket is the lower', remainingReads: 0, remainingGlobalReads: 3_000, readyAt: 600 },
    { scenario: 'the global bucket, drained by other principals, is the lower', remainingReads: 200, remainingGlobalReads: 0, readyAt: 600 },
    { scenario: 'only its own bucket is reported', remainingReads: 2, remainingGlobalReads: null, readyAt: 200 },
    { scenario: 'neither is reported: the model stands', remainingReads: null, remainingGlobalReads: null, readyAt: 0 },
  ])('believes what ARM says is left, less the reads still on their way: $scenario', ({ remainingReads, remainingGlobalReads, readyAt }) => {
    const pacer = new ArmReadPacer(limits);
    send(pacer, hot, 3, 0);
    // Two of our three reads are still in flight when ARM answers the first.
    pacer.observed(hot, { remainingReads, remainingGlobalReads }, 0);
    expect(pacer.readyAt(hot, 0)).toBeCloseTo(readyAt, 6);
  });

  it('a 429 stops that subscription until its Retry-After and leaves the others alone', () => {
    const pacer = new ArmReadPacer(limits);
    send(pacer, hot, 1, 0);
    pacer.pause(hot, 3_000, 0);
    expect(pacer.readyAt(hot, 0)).toBe(3_000);
    expect(pacer.readyAt(quiet, 0)).toBe(0);
  });

  it('subscription ids are compared case-insensitively, as ARM does', () => {
    const pacer = new ArmReadPacer(limits);
    send(pacer, hot.toUpperCase(), 10, 0);
    expect(pacer.readyAt(hot, 0)).toBeCloseTo(200, 6);
  });

  it('the bucket never refills beyond its size', () => {
    const pacer = new ArmReadPacer(limits);
    send(pacer, hot, 1, 0);
    send(pacer, hot, 10, 60_000);
    expect(pacer.readyAt(hot, 60_000)).toBeCloseTo(60_200, 6);
  });
});
