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
 *
 * A resource provider's own limit (Microsoft.Insights: so many reads per window, then 429 until the window ends)
 * is learned from its answers: when it refuses a read, the reads it took of those sent since its last window began
 * are its budget (counted as they land, since a refusal may come back first), and the shortest gap between two
 * refusals' ends is its window. The region then sends that budget each window and waits for the next, rather than
 * having most of its reads refused every window, and given up after six refusals. A budget taught too small is
 * restored, and a clean run of windows tries for more (ProviderWindow's `known` and `cleanWindows`).
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

/** A resource provider's limit on a subscription's region, as its answers have shown it. */
interface ProviderWindow {
  /** When its current window began (ms). */
  start: number;
  /** Its length, once two refusals have shown it. */
  windowMs: number | null;
  /** Reads it takes a window, once a refusal has shown it. */
  budget: number | null;
  /** Reads sent in the current window, and those of them answered (not refused). */
  sent: number;
  answered: number;
  /** No read until then: the last refusal's Retry-After. */
  holdUntil: number;
  /**
   * The window the last new refusal ended: reads sent in it [from, to) still answering. A refusal can come back
   * before reads the provider took in the same window (it answers faster), so each of them that lands later raises
   * the budget: what the window took, not what had answered when the refusal came.
   */
  refusedWindow: { readonly from: number; readonly to: number; accepted: number } | null;
  /**
   * The most reads one window has been seen to take. A refusal in a window the scanner has out of step with the
   * provider's (or one that others drained) teaches a budget far too small; the first window that spends it whole
   * without a refusal restores this one, and a refusal teaches again if the provider really takes fewer now.
   */
  known: number;
  /**
   * Windows in a row that spent a budget at least `known` without a refusal. While no window has been seen to take
   * anything, each such window doubles the budget; after, every `cleanWindowsBeforeProbe` of them try a quarter more:
   * the provider may take more than has been seen, and one refusal says again what it takes.
   */
  cleanWindows: number;
}

const cleanWindowsBeforeProbe = 8;

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
  const providerWindows = new Map<string, ProviderWindow>();
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
  const readyAt = (key: string, queued: QueuedRead, at: number) => Math.max(pacer.readyAt(queued.subscriptionId, at), providerReadyAt(key, at));

  function providerWindow(key: string, at: number): ProviderWindow {
    let window = providerWindows.get(key);
    if (!window) {
      window = { start: at, windowMs: null, budget: null, sent: 0, answered: 0, holdUntil: 0, refusedWindow: null, known: 0, cleanWindows: 0 };
      providerWindows.set(key, window);
    }
    if (window.windowMs !== null && window.windowMs > 0 && at >= window.start + window.windowMs) {
      const spent = window.budget !== null && window.sent >= window.budget;
      window.cleanWindows = spent ? window.cleanWindows + 1 : 0;
      if (spent && window.budget! < window.known) {
        window.budget = window.known;
        window.cleanWindows = 0;
      } else if (spent && window.known === 0) {
        window.budget = window.budget! * 2;
      } else if (window.cleanWindows >= cleanWindowsBeforeProbe) {
        window.budget = window.budget! + Math.max(1, Math.floor(window.budget! / 4));
        window.cleanWindows = 0;
      }
      window.start += Math.floor((at - window.start) / window.windowMs) * window.windowMs;
      window.sent = 0;
      window.answered = 0;
    }
    return window;
  }

  /** When the provider takes this region's next read: after its hold, and within the budget of its window. */
  function providerReadyAt(key: string, at: number): number {
    const window = providerWindow(key, at);
    const spent = window.budget !== null && window.windowMs !== null && window.sent >= window.budget;
    return Math.max(window.holdUntil, spent ? window.start + window.windowMs! : 0);
  }

  /** The provider refused a read sent at `sentAt` until `until`: a new window's refusal teaches its budget, and its length. */
  function providerRefused(key: string, until: number, at: number, sentAt: number): void {
    const window = providerWindow(key, at);
    // A read sent before this window began was refused in the window already learned from.
    if (sentAt < window.start) {
      window.holdUntil = Math.max(window.holdUntil, until);
      return;
    }
    window.budget = Math.max(1, window.answered);
    window.known = Math.max(window.known, window.answered);
    window.cleanWindows = 0;
    window.refusedWindow = { from: window.start, to: at, accepted: window.answered };
    // Refusals' ends lie whole windows apart, one or many: the shortest gap seen is the window.
    const gap = window.holdUntil > 0 ? until - window.holdUntil : null;
    window.windowMs = gap === null || gap <= 0 ? window.windowMs : window.windowMs === null ? gap : Math.min(window.windowMs, gap);
    window.holdUntil = until;
    window.start = until;
    window.sent = 0;
    window.answered = 0;
  }

  /** The provider took a read sent at `sentAt`: counted in the window it was sent in. */
  function providerTook(key: string, sentAt: number, at: number): void {
    const window = providerWindow(key, at);
    const refused = window.refusedWindow;
    if (refused && sentAt >= refused.from && sentAt < refused.to) {
      refused.accepted += 1;
      window.budget = Math.max(window.budget ?? 1, refused.accepted);
      window.known = Math.max(window.known, refused.accepted);
    } else if (sentAt >= window.start) {
      window.answered += 1;
    }
  }

  /** Files a queue with reads anew: ready by its length, or held until it may send. */
  function file(key: string, at: number): void {
    const queue = waiting.get(key);
    const current = (generation.get(key) ?? 0) + 1;
    generation.set(key, current);
    if (!queue) return;
    const wakeAt = readyAt(key, queue[0]!, at);
    if (options.deadline !== undefined && wakeAt > options.deadline) {
      const holder = providerReadyAt(key, at) >= wakeAt ? 'its resource provider (ResourceRequestsThrottled)' : 'ARM';
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
      providerRefused(key, at + (throttle.retryAfterMs ?? defaultProviderPauseMs), at, queued.sentAt);
    } else {
      pacer.pause(queued.subscriptionId, at + (throttle.retryAfterMs ?? defaultSubscriptionPauseMs), at);
    }
  }

  async function send(key: string, queued: QueuedRead): Promise<void> {
    try {
      const { value, throttle } = await queued.attempt();
      if (throttle) throttled(key, queued, throttle);
      else providerTook(key, queued.sentAt, now());
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
      providerWindow(key, at).sent += 1;
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
