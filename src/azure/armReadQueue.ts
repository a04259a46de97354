import { type ArmRead, type ArmReadOptions, type ArmSettingsClients, type ArmThrottle, readFailed, readSettingsFromArm } from './armDiagnosticSettings.js';
import type { ArmReadPacer } from './armReadPacer.js';
import { createProviderWindows } from './providerWindows.js';
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
 *
 * A resource provider's own limit (Microsoft.Insights: so many reads per window, then 429 until the window ends)
 * is learned from its answers (providerWindows.ts): the region then sends the budget learned each window and waits
 * for the next, rather than having most of its reads refused every window, and given up after six refusals.
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
  /** When it was last sent. */
  sentAt: number;
}

const outOfTime = "not read: the scan's time budget ran out";

/** Times one read may be throttled and put back before it is given up (as the SDK would retry). */
const maxThrottledTries = 6;
/** Waits when a throttled answer gives no Retry-After. */
const defaultSubscriptionPauseMs = 1_000;
const defaultProviderPauseMs = 60_000;

/** A binary heap: `before(a, b)` when a comes out first. */
function heap<T>(before: (a: T, b: T) => boolean) {
  const items: T[] = [];
  const swap = (i: number, j: number) => ([items[i], items[j]] = [items[j]!, items[i]!]);
  return {
    get size() {
      return items.length;
    },
    peek: (): T | undefined => items[0],
    push(item: T): void {
      items.push(item);
      for (let i = items.length - 1; i > 0 && before(items[i]!, items[(i - 1) >> 1]!); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
    },
    /** Keeps only the items `keep` accepts, in heap order again. */
    rebuild(keep: (item: T) => boolean): void {
      const kept = items.filter(keep);
      items.length = 0;
      for (const item of kept) this.push(item);
    },
    pop(): T | undefined {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last !== undefined) {
        items[0] = last;
        for (let i = 0; ; ) {
          const [l, r] = [2 * i + 1, 2 * i + 2];
          let first = i;
          if (l < items.length && before(items[l]!, items[first]!)) first = l;
          if (r < items.length && before(items[r]!, items[first]!)) first = r;
          if (first === i) break;
          swap(i, first);
          i = first;
        }
      }
      return top;
    },
  };
}

export function createArmReadQueue(arm: ArmSettingsClients, pacer: ArmReadPacer, options: ArmReadQueueOptions): ArmReadQueue {
  const now = options.now ?? Date.now;
  const waiting = new Map<string, QueuedRead[]>();
  /** What a resource provider's answers have told about a subscription's region, by queue key. */
  const providers = createProviderWindows();
  /** Queue keys by subscription (lowercase): an answer about a subscription may make its queues ready sooner. */
  const keysOf = new Map<string, Set<string>>();
  /*
   * Which queue sends next, without looking at every queue on every send (a tenant has thousands): queues that may
   * send sit in `ready` by how many reads wait (the most first), held ones in `held` by when they may send again.
   * Entries are checked when they come out; one that no longer matches its queue (a length or generation since
   * changed) is dropped.
   */
  const generation = new Map<string, number>();
  const ready = heap<{ key: string; length: number; generation: number; order: number }>((a, b) => a.length > b.length || (a.length === b.length && a.order < b.order));
  const held = heap<{ key: string; wakeAt: number; generation: number }>((a, b) => a.wakeAt < b.wakeAt);
  let order = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;

  const keyOf = (subscriptionId: string, location: string) => `${subscriptionId.toLowerCase()} ${location.toLowerCase()}`;
  const readyAt = (key: string, queued: QueuedRead, at: number) => Math.max(pacer.readyAt(queued.subscriptionId, at), providers.readyAt(key, at));

  /** Files a queue with reads anew: ready by its length, or held until it may send. */
  function file(key: string, at: number): void {
    const queue = waiting.get(key);
    const current = (generation.get(key) ?? 0) + 1;
    generation.set(key, current);
    if (!queue) return;
    const wakeAt = readyAt(key, queue[0]!, at);
    if (options.deadline !== undefined && wakeAt > options.deadline) {
      const holder = providers.readyAt(key, at) >= wakeAt ? 'its resource provider (ResourceRequestsThrottled)' : 'ARM';
      giveUpQueue(key, `not read: ${holder} throttles it until ${new Date(wakeAt).toISOString()}, after the scan's read budget ends`);
    } else if (wakeAt > at) held.push({ key, wakeAt, generation: current });
    else ready.push({ key, length: queue.length, generation: current, order: order++ });
    // Entries left behind by a queue filed anew sink below the live ones and are never taken out: drop them now and
    // then, or a long scan would keep millions of them.
    const live = (entry: { key: string; generation: number }) => entry.generation === generation.get(entry.key) && waiting.has(entry.key);
    if (ready.size > 2 * waiting.size + 1_024) ready.rebuild(live);
    if (held.size > 2 * waiting.size + 1_024) held.rebuild(live);
  }

  function giveUpQueue(key: string, why: string): void {
    for (const queued of waiting.get(key) ?? []) queued.resolve(queued.giveUp(why));
    waiting.delete(key);
  }

  /** The queue that sends next, or when the first held one may send again. */
  function nextQueue(at: number): { key: string | null; wakeAt: number } {
    while (held.size > 0 && held.peek()!.wakeAt <= at) {
      const entry = held.pop()!;
      if (entry.generation === generation.get(entry.key)) file(entry.key, at);
    }
    while (ready.size > 0) {
      const entry = ready.pop()!;
      if (entry.generation !== generation.get(entry.key) || waiting.get(entry.key)?.length !== entry.length) continue;
      const queue = waiting.get(entry.key)!;
      // It may have been held since it was filed (its budget spent, a 429): file it again.
      if (readyAt(entry.key, queue[0]!, at) > at) {
        file(entry.key, at);
        continue;
      }
      return { key: entry.key, wakeAt: at };
    }
    return { key: null, wakeAt: held.size > 0 ? held.peek()!.wakeAt : Infinity };
  }

  function throttled(key: string, queued: QueuedRead, throttle: ArmThrottle): void {
    const at = now();
    if (throttle.scope === 'provider') {
      providers.refused(key, at + (throttle.retryAfterMs ?? defaultProviderPauseMs), at, queued.sentAt);
    } else {
      pacer.pause(queued.subscriptionId, at + (throttle.retryAfterMs ?? defaultSubscriptionPauseMs), at);
    }
  }

  async function send(key: string, queued: QueuedRead): Promise<void> {
    try {
      const { value, throttle } = await queued.attempt();
      if (throttle) throttled(key, queued, throttle);
      else providers.took(key, queued.sentAt, now());
      // The read waits at the head of its queue for the Retry-After.
      if (throttle && ++queued.throttledTries < maxThrottledTries && !options.abortSignal?.aborted) enqueue(key, queued, 'front');
      else queued.resolve(value);
    } catch (error) {
      // Never leave a read without an answer: a scan waiting on it would not end.
      queued.resolve(queued.giveUp(describeError(error)));
    } finally {
      inFlight -= 1;
      const at = now();
      pacer.finished(queued.subscriptionId, at);
      // Its answer may have changed when the subscription's queues may send: file them anew.
      for (const other of keysOf.get(queued.subscriptionId.toLowerCase()) ?? []) if (waiting.has(other)) file(other, at);
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
      queued.sentAt = at;
      pacer.sent(queued.subscriptionId, at);
      providers.sent(key, at);
      file(key, at);
      void send(key, queued);
    }
  }

  function enqueue(key: string, queued: QueuedRead, end: 'front' | 'back'): void {
    const queue = waiting.get(key);
    if (!queue) waiting.set(key, [queued]);
    else if (end === 'front') queue.unshift(queued);
    else queue.push(queued);
    const subscription = queued.subscriptionId.toLowerCase();
    const keys = keysOf.get(subscription) ?? new Set<string>();
    keysOf.set(subscription, keys.add(key));
    file(key, now());
  }

  options.abortSignal?.addEventListener('abort', pump, { once: true });

  function run<T>(subscriptionId: string, location: string, attempt: () => Promise<ArmAttempt<T>>, giveUp: (why: string) => T): Promise<T> {
    if (options.abortSignal?.aborted) return Promise.resolve(giveUp(outOfTime));
    return new Promise<T>((resolve) => {
      const queued: QueuedRead = { subscriptionId, attempt, giveUp, resolve: resolve as (value: unknown) => void, throttledTries: 0, sentAt: 0 };
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
