import { type ArmRead, type ArmReadOptions, type ArmSettingsClients, type ArmThrottle, readFailed, readSettingsFromArm } from './armDiagnosticSettings.js';
import type { ArmReadPacer } from './armReadPacer.js';
import { subscriptionIdOf } from '../control/resourceId.js';
import { describeError } from '../errors.js';

/*
 * Schedules ARM reads as resources arrive: a queue per subscription and region, at most `concurrency` reads in
 * flight (one socket each), and a read is sent only when the pacer says its subscription's budget allows and
 * its region is not held by a resource provider's own throttle. Among the queues that may send, the one with
 * the most reads waiting goes first: a subscription with more resources than ARM's burst is paced by the
 * refill rate, so it bounds the scan and must never wait behind the others.
 *
 * A throttled read goes back to the head of its queue for the Retry-After. When that wait would end after the
 * scan's deadline, the queue's reads are given up at once instead — the scan finishes what it can and says
 * what it could not read, rather than waiting past its time.
 */

export interface ArmReadQueueOptions extends ArmReadOptions {
  readonly concurrency: number;
  readonly now?: () => number;
  /** When reading must be over (ms, the `now` clock); reads that could only be sent later are given up. */
  readonly deadline?: number;
}

/** One try of a read: its result, and whether ARM asked to wait and try again. */
export interface ArmAttempt<T> {
  readonly value: T;
  readonly throttle: ArmThrottle | null;
}

export interface ArmReadQueue {
  /** Reads one resource's diagnostic settings when a socket, its subscription's budget and its region allow. */
  readSettings(resourceId: string, location: string): Promise<ArmRead>;
  /** Any other ARM read of a subscription (a destination's GET), paced with the settings reads; `giveUp` says what a read that never ran yields. */
  run<T>(subscriptionId: string, location: string, attempt: () => Promise<ArmAttempt<T>>, giveUp: (why: string) => T): Promise<T>;
}

interface QueuedRead {
  readonly subscriptionId: string;
  readonly attempt: () => Promise<ArmAttempt<unknown>>;
  readonly giveUp: (why: string) => unknown;
  readonly resolve: (value: unknown) => void;
  throttledTries: number;
}

const outOfTime = "not read: the scan's time budget ran out";

/** Times one read may be throttled and put back before it is given up (as the SDK would retry). */
const maxThrottledTries = 6;
/** Waits when a throttled answer gives no Retry-After. */
const defaultSubscriptionPauseMs = 1_000;
const defaultProviderPauseMs = 60_000;

export function createArmReadQueue(arm: ArmSettingsClients, pacer: ArmReadPacer, options: ArmReadQueueOptions): ArmReadQueue {
  const now = options.now ?? Date.now;
  const waiting = new Map<string, QueuedRead[]>();
  /** A resource provider's hold on a subscription's region, by queue key. */
  const providerHolds = new Map<string, number>();
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;

  const keyOf = (subscriptionId: string, location: string) => `${subscriptionId.toLowerCase()} ${location.toLowerCase()}`;
  const readyAt = (key: string, queued: QueuedRead, at: number) =>
    Math.max(pacer.readyAt(queued.subscriptionId, at), providerHolds.get(key) ?? 0);

  function giveUpQueue(key: string, why: string): void {
    for (const queued of waiting.get(key) ?? []) queued.resolve(queued.giveUp(why));
    waiting.delete(key);
  }

  function nextQueue(at: number): { key: string | null; wakeAt: number } {
    let best: string | null = null;
    let bestQueued = 0;
    let wakeAt = Infinity;
    for (const [key, queue] of waiting) {
      const ready = readyAt(key, queue[0]!, at);
      if (options.deadline !== undefined && ready > options.deadline) {
        const holder = (providerHolds.get(key) ?? 0) >= ready ? 'its resource provider (ResourceRequestsThrottled)' : 'ARM';
        giveUpQueue(key, `not read: ${holder} throttles it until ${new Date(ready).toISOString()}, after the scan's read budget ends`);
      } else if (ready > at) wakeAt = Math.min(wakeAt, ready);
      else if (queue.length > bestQueued) {
        best = key;
        bestQueued = queue.length;
      }
    }
    return { key: best, wakeAt };
  }

  function throttled(key: string, queued: QueuedRead, throttle: ArmThrottle): void {
    const at = now();
    if (throttle.scope === 'provider') {
      providerHolds.set(key, Math.max(providerHolds.get(key) ?? 0, at + (throttle.retryAfterMs ?? defaultProviderPauseMs)));
    } else {
      pacer.pause(queued.subscriptionId, at + (throttle.retryAfterMs ?? defaultSubscriptionPauseMs), at);
    }
  }

  async function send(key: string, queued: QueuedRead): Promise<void> {
    try {
      const { value, throttle } = await queued.attempt();
      if (throttle) throttled(key, queued, throttle);
      // The read waits at the head of its queue for the Retry-After.
      if (throttle && ++queued.throttledTries < maxThrottledTries && !options.abortSignal?.aborted) enqueue(key, queued, 'front');
      else queued.resolve(value);
    } catch (error) {
      // Never leave a read without an answer: a scan waiting on it would not end.
      queued.resolve(queued.giveUp(describeError(error)));
    } finally {
      inFlight -= 1;
      pacer.finished(queued.subscriptionId, now());
      pump();
    }
  }

  function pump(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (options.abortSignal?.aborted) {
      for (const key of [...waiting.keys()]) giveUpQueue(key, outOfTime);
      return;
    }
    while (inFlight < options.concurrency && waiting.size > 0) {
      const at = now();
      const { key, wakeAt } = nextQueue(at);
      if (key === null) {
        // Every queue with work is held: wake when the first one may send again.
        if (wakeAt < Infinity) timer = setTimeout(pump, Math.max(1, Math.ceil(wakeAt - at)));
        return;
      }
      const queue = waiting.get(key)!;
      const queued = queue.shift()!;
      if (queue.length === 0) waiting.delete(key);
      inFlight += 1;
      pacer.sent(queued.subscriptionId, at);
      void send(key, queued);
    }
  }

  function enqueue(key: string, queued: QueuedRead, end: 'front' | 'back'): void {
    const queue = waiting.get(key);
    if (!queue) waiting.set(key, [queued]);
    else if (end === 'front') queue.unshift(queued);
    else queue.push(queued);
  }

  options.abortSignal?.addEventListener('abort', pump, { once: true });

  function run<T>(subscriptionId: string, location: string, attempt: () => Promise<ArmAttempt<T>>, giveUp: (why: string) => T): Promise<T> {
    if (options.abortSignal?.aborted) return Promise.resolve(giveUp(outOfTime));
    return new Promise<T>((resolve) => {
      const queued: QueuedRead = { subscriptionId, attempt, giveUp, resolve: resolve as (value: unknown) => void, throttledTries: 0 };
      enqueue(keyOf(subscriptionId, location), queued, 'back');
      pump();
    });
  }

  return {
    run,
    readSettings(resourceId, location) {
      return run(
        subscriptionIdOf(resourceId) ?? '',
        location,
        async () => {
          const read = await readSettingsFromArm(arm, resourceId, { ...options, now });
          return { value: read, throttle: read.throttle };
        },
        (why) => readFailed(why),
      );
    },
  };
}
