import FakeTimers from '@sinonjs/fake-timers';

/*
 * Virtual time for a whole process: @sinonjs/fake-timers replaces the global timers and Date, so the scanner's own
 * waits (the read queue's, the pacer's Retry-After holds, Resource Graph's quota waits) and the Azure SDK's (its
 * retry delays, its token cycler's clock) all run on one clock, and the simulated Azure's latencies too. A driver
 * advances that clock to the next timer whenever the process has nothing else to do: every promise settled, no
 * real work pending. Nothing else in the process may be asynchronous for real, or the driver would move time on
 * under it: the only real asynchronous work on the scan path is the Logs Ingestion client's gzip (a zlib thread),
 * which syncGzip.ts makes synchronous (same bytes). performance.now and process.hrtime stay real: they measure the
 * run itself. AbortSignal.timeout cannot be faked and stays real: the scan's read budget is unset in the benchmark,
 * and the upload timeout (5 minutes) never fires in a few real seconds.
 */

/** Virtual time starts here in every bench run: the same seed gives the same run. */
export const virtualEpoch = Date.UTC(2026, 0, 5, 9, 0, 0);

export interface VirtualRun<T> {
  readonly value: T;
  /** Virtual milliseconds from start to end. */
  readonly virtualMs: number;
  /** Timers the driver fired. */
  readonly steps: number;
}

/** Runs `work` in virtual time starting at `start` (ms since the epoch); resolves when it settles. */
export async function inVirtualTime<T>(start: number, work: () => Promise<T>): Promise<VirtualRun<T>> {
  const realImmediate = globalThis.setImmediate;
  const idle = () => new Promise<void>((resolve) => realImmediate(resolve));
  const clock = FakeTimers.install({
    now: start,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'],
    loopLimit: Number.MAX_SAFE_INTEGER,
  });
  let steps = 0;
  try {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
    work().then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    let stoodStill = false;
    for (;;) {
      await idle();
      if (outcome !== null) break;
      // Counting the timers costs as much as finding the next: only when the last step did not move time.
      if (stoodStill && clock.countTimers() === 0) throw new Error('virtual time: nothing is pending and the work has not finished (a deadlock)');
      const before = clock.now;
      clock.next();
      stoodStill = clock.now === before;
      steps += 1;
    }
    const settled = outcome as { ok: true; value: T } | { ok: false; error: unknown };
    if (!settled.ok) throw settled.error;
    return { value: settled.value, virtualMs: clock.now - start, steps };
  } finally {
    clock.uninstall();
  }
}
