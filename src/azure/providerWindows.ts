/*
 * A resource provider's own read limit, learned from its answers (Microsoft.Insights: so many reads per fixed
 * window on a subscription's region, then 429 ResourceRequestsThrottled with Retry-After until the window ends).
 * When it refuses a read, the reads it took of those sent since its window began are its budget (counted as they
 * land, since a refusal may come back first), and the shortest gap between two refusals' ends is its window. The
 * read queue then sends that budget each window and waits for the next, rather than having most of its reads
 * refused every window. A budget taught too small is restored, and a clean run of windows tries for more.
 */

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

/** What resource providers' answers have told, by queue key (a subscription's region). Times in ms. */
export interface ProviderWindows {
  /** When the provider takes this region's next read: after its hold, and within the budget of its window. */
  readyAt(key: string, at: number): number;
  /** A read of this region went out. */
  sent(key: string, at: number): void;
  /** The provider refused a read sent at `sentAt` until `until`: a new window's refusal teaches its budget, and its length. */
  refused(key: string, until: number, at: number, sentAt: number): void;
  /** The provider took a read sent at `sentAt`: counted in the window it was sent in. */
  took(key: string, sentAt: number, at: number): void;
}

export function createProviderWindows(): ProviderWindows {
  const windows = new Map<string, ProviderWindow>();

  /** The region's window as of `at`: rolled on to the window `at` falls in, its budget revised by the one that ended. */
  function windowAt(key: string, at: number): ProviderWindow {
    let window = windows.get(key);
    if (!window) {
      window = { start: at, windowMs: null, budget: null, sent: 0, answered: 0, holdUntil: 0, refusedWindow: null, known: 0, cleanWindows: 0 };
      windows.set(key, window);
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

  return {
    readyAt(key, at) {
      const window = windowAt(key, at);
      const spent = window.budget !== null && window.windowMs !== null && window.sent >= window.budget;
      return Math.max(window.holdUntil, spent ? window.start + window.windowMs! : 0);
    },
    sent(key, at) {
      windowAt(key, at).sent += 1;
    },
    refused(key, until, at, sentAt) {
      const window = windowAt(key, at);
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
    },
    took(key, sentAt, at) {
      const window = windowAt(key, at);
      const refused = window.refusedWindow;
      if (refused && sentAt >= refused.from && sentAt < refused.to) {
        refused.accepted += 1;
        window.budget = Math.max(window.budget ?? 1, refused.accepted);
        window.known = Math.max(window.known, refused.accepted);
      } else if (sentAt >= window.start) {
        window.answered += 1;
      }
    },
  };
}
