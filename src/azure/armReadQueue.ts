import type { MonitorClient } from '@azure/arm-monitor';
import { type ArmRead, type ArmReadOptions, readFailed, readSettingsFromArm } from './armDiagnosticSettings.js';
import type { ArmReadPacer } from './armReadPacer.js';
import { subscriptionIdOf } from '../control/resourceId.js';
import { describeError } from '../errors.js';

/*
 * Schedules ARM diagnostic-settings reads as resources arrive: a queue per
 * subscription, at most `concurrency` reads in flight (one socket each), and a
 * read is sent only when the pacer says its subscription's budget allows.
 * Among the subscriptions that may send, the one with the most reads waiting
 * goes first: a subscription with more resources than ARM's burst is paced by
 * the refill rate, so it bounds the scan and must never wait behind the others.
 */

export interface ArmReadQueueOptions extends ArmReadOptions {
  readonly concurrency: number;
  readonly now?: () => number;
}

export interface ArmReadQueue {
  /** Reads one resource's settings when a socket and its subscription's budget allow. */
  read(resourceId: string): Promise<ArmRead>;
}

interface QueuedRead {
  readonly resourceId: string;
  readonly resolve: (read: ArmRead) => void;
  throttledReads: number;
}

const outOfTime = readFailed("not read: the scan's time budget ran out");

/** Times one resource's read may be throttled and put back before it is given up (as the SDK would retry). */
const maxThrottledReads = 6;

export function createArmReadQueue(monitor: MonitorClient, pacer: ArmReadPacer, options: ArmReadQueueOptions): ArmReadQueue {
  const now = options.now ?? Date.now;
  const waiting = new Map<string, QueuedRead[]>();
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;

  function nextSubscription(at: number): { subscriptionId: string | null; wakeAt: number } {
    let best: string | null = null;
    let bestQueued = 0;
    let wakeAt = Infinity;
    for (const [subscriptionId, queue] of waiting) {
      const readyAt = pacer.readyAt(subscriptionId, at);
      if (readyAt > at) wakeAt = Math.min(wakeAt, readyAt);
      else if (queue.length > bestQueued) {
        best = subscriptionId;
        bestQueued = queue.length;
      }
    }
    return { subscriptionId: best, wakeAt };
  }

  async function run(subscriptionId: string, queued: QueuedRead): Promise<void> {
    try {
      const read = await readSettingsFromArm(monitor, queued.resourceId, options);
      // The pacer has paused the subscription for the 429's Retry-After; the read waits at the head of its queue.
      if (read.throttled && ++queued.throttledReads < maxThrottledReads) enqueue(subscriptionId, queued, 'front');
      else queued.resolve(read);
    } catch (error) {
      // Never leave a resource without an answer: a scan waiting on it would not end.
      queued.resolve(readFailed(describeError(error)));
    } finally {
      inFlight -= 1;
      pacer.finished(subscriptionId, now());
      pump();
    }
  }

  function pump(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (options.abortSignal?.aborted) {
      for (const queue of waiting.values()) for (const queued of queue) queued.resolve(outOfTime);
      waiting.clear();
      return;
    }
    while (inFlight < options.concurrency && waiting.size > 0) {
      const at = now();
      const { subscriptionId, wakeAt } = nextSubscription(at);
      if (subscriptionId === null) {
        // Every subscription with work is out of budget: wake when the first one has a token again.
        timer = setTimeout(pump, Math.max(1, Math.ceil(wakeAt - at)));
        return;
      }
      const queue = waiting.get(subscriptionId)!;
      const queued = queue.shift()!;
      if (queue.length === 0) waiting.delete(subscriptionId);
      inFlight += 1;
      pacer.sent(subscriptionId, at);
      void run(subscriptionId, queued);
    }
  }

  function enqueue(subscriptionId: string, queued: QueuedRead, end: 'front' | 'back'): void {
    const queue = waiting.get(subscriptionId);
    if (!queue) waiting.set(subscriptionId, [queued]);
    else if (end === 'front') queue.unshift(queued);
    else queue.push(queued);
  }

  options.abortSignal?.addEventListener('abort', pump, { once: true });

  return {
    read(resourceId) {
      if (options.abortSignal?.aborted) return Promise.resolve(outOfTime);
      return new Promise<ArmRead>((resolve) => {
        enqueue(subscriptionIdOf(resourceId) ?? '', { resourceId, resolve, throttledReads: 0 }, 'back');
        pump();
      });
    },
  };
}
