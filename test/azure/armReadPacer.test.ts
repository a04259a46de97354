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

/** A pacer that has heard from `subscriptionId` once, at 0: its first read answered, 9 of the 10 reads left. */
function heardFrom(subscriptionId: string): ArmReadPacer {
  const pacer = new ArmReadPacer(limits);
  pacer.sent(subscriptionId, 0);
  pacer.observed(subscriptionId, { remainingReads: 9, remainingGlobalReads: null }, 0);
  pacer.finished(subscriptionId, 0);
  return pacer;
}

describe('pacing reads to a subscription’s ARM read budget', () => {
  it.each([
    { scenario: 'with tokens left, the next read goes now', sent: 8, at: 0, readyAt: 0 },
    { scenario: 'a drained bucket waits for one token to refill (1/5 s)', sent: 9, at: 0, readyAt: 200 },
    { scenario: 'reads beyond the bucket push the wait out by one refill each', sent: 11, at: 0, readyAt: 600 },
    { scenario: 'time refills the bucket', sent: 9, at: 1_000, readyAt: 1_000 },
  ])('$scenario', ({ sent, at, readyAt }) => {
    const pacer = heardFrom(hot);
    send(pacer, hot, sent, 0);
    expect(pacer.readyAt(hot, at)).toBeCloseTo(readyAt, 6);
  });

  it.each([
    { scenario: 'its own bucket is the lower', remainingReads: 0, remainingGlobalReads: 3_000, readyAt: 600 },
    { scenario: 'the global bucket, drained by other principals, is the lower', remainingReads: 200, remainingGlobalReads: 0, readyAt: 600 },
    { scenario: 'only its own bucket is reported', remainingReads: 2, remainingGlobalReads: null, readyAt: 200 },
    { scenario: 'neither is reported: the model stands', remainingReads: null, remainingGlobalReads: null, readyAt: 0 },
  ])('believes what ARM says is left, less the reads still on their way: $scenario', ({ remainingReads, remainingGlobalReads, readyAt }) => {
    const pacer = heardFrom(hot);
    send(pacer, hot, 3, 0);
    // Two of our three reads are still in flight when ARM answers the first.
    pacer.observed(hot, { remainingReads, remainingGlobalReads }, 0);
    expect(pacer.readyAt(hot, 0)).toBeCloseTo(readyAt, 6);
  });

  it('a 429 stops that subscription until its Retry-After and leaves the others alone', () => {
    const pacer = heardFrom(hot);
    send(pacer, hot, 1, 0);
    pacer.pause(hot, 3_000, 0);
    expect(pacer.readyAt(hot, 0)).toBe(3_000);
    expect(pacer.readyAt(quiet, 0)).toBe(0);
  });

  it('subscription ids are compared case-insensitively, as ARM does', () => {
    const pacer = heardFrom(hot);
    send(pacer, hot.toUpperCase(), 9, 0);
    expect(pacer.readyAt(hot, 0)).toBeCloseTo(200, 6);
  });

  it('the bucket never refills beyond its size', () => {
    const pacer = heardFrom(hot);
    send(pacer, hot, 1, 0);
    send(pacer, hot, 10, 60_000);
    expect(pacer.readyAt(hot, 60_000)).toBeCloseTo(60_200, 6);
  });

  it('a subscription not heard from yet gets one read, and the rest wait for its answer', () => {
    const pacer = new ArmReadPacer(limits);
    const before = pacer.readyAt(hot, 0);
    send(pacer, hot, 1, 0);
    const waiting = pacer.readyAt(hot, 0);
    pacer.observed(hot, { remainingReads: 9, remainingGlobalReads: 140 }, 100);
    expect([before, waiting > 0, pacer.readyAt(hot, 100)]).toEqual([0, true, 100]);
  });

  it("the first answer shows the bucket's size: smaller than documented, it is never refilled beyond", () => {
    const pacer = new ArmReadPacer(limits);
    send(pacer, hot, 1, 0);
    // A bucket of 6, not the 10 assumed.
    pacer.observed(hot, { remainingReads: 5, remainingGlobalReads: null }, 0);
    pacer.finished(hot, 0);
    send(pacer, hot, 6, 60_000);
    expect(pacer.readyAt(hot, 60_000)).toBeCloseTo(60_200, 6);
  });

  it.each([
    // Each hold starts with the bucket empty; when the last ends, 5 reads go and the wait shows the refill.
    { scenario: 'one 429 lowers the refill by a tenth (5/s to 4.5/s)', pauses: [[0, 1_000]], readyAt: 1_000 + (1.5 / 4.5) * 1_000 },
    { scenario: 'another 429 of the same hold does not lower it again', pauses: [[0, 1_000], [500, 1_000]], readyAt: 1_000 + (3.75 / 4.5) * 1_000 },
    { scenario: 'a 429 after the hold ended lowers it again (4.05/s)', pauses: [[0, 1_000], [2_000, 3_000]], readyAt: 3_000 + (1.95 / 4.05) * 1_000 },
  ])('ARM refusing a read says the refill was overestimated: $scenario', ({ pauses, readyAt }) => {
    const pacer = heardFrom(hot);
    send(pacer, hot, 9, 0);
    for (const [at, until] of pauses) pacer.pause(hot, until!, at!);
    const end = pauses.at(-1)![1]!;
    send(pacer, hot, 5, end);
    expect(pacer.readyAt(hot, end)).toBeCloseTo(readyAt, 3);
  });

  it.each([
    // Nine reads out, 9 tokens before them. Answered last, the first says 8 were left: the eight after it are gone too.
    { scenario: 'the first, answered last: less the eight sent after it', answered: 0, remainingReads: 8, readyAt: 200 },
    // Answered first, the last may have overtaken the eight before it, still out: they are counted gone as well.
    { scenario: 'the last, answered first: less the eight before it still out', answered: 8, remainingReads: 8, readyAt: 200 },
  ])('an answer counts the requests that went out around it and are not counted in it: $scenario', ({ answered, remainingReads, readyAt }) => {
    const pacer = heardFrom(hot);
    const marks = Array.from({ length: 9 }, () => {
      pacer.sent(hot, 0);
      return pacer.onWire(hot, 0);
    });
    pacer.observed(hot, { remainingReads, remainingGlobalReads: null }, 0, marks[answered]);
    expect(pacer.readyAt(hot, 0)).toBeCloseTo(readyAt, 6);
  });
});
