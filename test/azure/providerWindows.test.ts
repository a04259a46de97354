import { describe, expect, it } from 'vitest';
import { type ProviderWindows, createProviderWindows } from '../../src/azure/providerWindows.js';

/*
 * A resource provider's read limit learned from its answers, without the read queue around it: each scenario is a
 * script of reads sent, taken and refused, in ms, and what the region may send when. (The queue's own scenarios,
 * the provider simulated, are in armReadQueue.test.ts.)
 */

const key = '00000001-0000-4000-8000-000000000000 westeurope';

type Step =
  | { readonly send: number; readonly at: number }
  | { readonly take: number; readonly at: number }
  | { readonly refuse: number; readonly at: number; readonly until: number };

/** When the region may send next, as of `at`: 'now', or the time it is held until. */
function next(windows: ProviderWindows, at: number): 'now' | number {
  const readyAt = windows.readyAt(key, at);
  return readyAt <= at ? 'now' : readyAt;
}

function play(steps: readonly Step[]): ProviderWindows {
  const windows = createProviderWindows();
  for (const step of steps) {
    if ('send' in step) for (let n = 0; n < step.send; n++) windows.sent(key, step.at);
    else if ('take' in step) for (let n = 0; n < step.take; n++) windows.took(key, step.at, step.at + 100);
    else windows.refused(key, step.until, step.at, step.refuse);
  }
  return windows;
}

/** A provider taking `budget` reads per 10 s window from t=0: the first window's reads, taken, and one refused. */
const firstWindow = (budget: number): Step[] => [
  { send: budget + 1, at: 0 },
  { take: budget, at: 0 },
  { refuse: 0, at: 200, until: 10_000 },
];

/** The next window spent whole (its reads sent and taken at `at`) and, if `refusedAt`, one more refused. */
const windowAt = (at: number, budget: number, refusedUntil?: number): Step[] => [
  { send: budget, at },
  { take: budget, at },
  ...(refusedUntil === undefined ? [] : [{ send: 1, at }, { refuse: at, at: at + 200, until: refusedUntil }]),
];

describe("a provider's window, learned", () => {
  it.each([
    { scenario: 'nothing heard yet: send at once', steps: [], at: 0, readyAt: 'now' },
    { scenario: 'a first refusal holds the region until its Retry-After', steps: firstWindow(5), at: 300, readyAt: 10_000 },
    { scenario: 'after the hold, the budget the window took may be sent', steps: [...firstWindow(5), { send: 4, at: 10_000 }], at: 10_001, readyAt: 'now' },
    {
      scenario: 'a second refusal a window later teaches the window: the budget spent, the region waits for the next',
      steps: [...firstWindow(5), ...windowAt(10_000, 5, 20_000), ...windowAt(20_000, 5)],
      at: 20_500,
      readyAt: 30_000,
    },
  ] as const)('$scenario', ({ steps, at, readyAt }) => {
    expect(next(play(steps), at)).toBe(readyAt);
  });

  it('reads the provider took that land after its refusal still count in that window', () => {
    // Each window: six sent, the refusal back first, then five taken. The budget is five, not the none answered when
    // the refusal came.
    const refusedFirst = (at: number): Step[] => [{ send: 6, at }, { refuse: at, at: at + 50, until: at + 10_000 }, { take: 5, at }];
    const windows = play([...refusedFirst(0), ...refusedFirst(10_000), { send: 4, at: 20_000 }]);
    expect(next(windows, 20_100)).toBe('now');
    windows.sent(key, 20_100);
    expect(next(windows, 20_200)).toBe(30_000);
  });

  it('a refusal of a read sent before the current window only extends the hold: it teaches nothing', () => {
    const windows = play([...firstWindow(5), ...windowAt(10_000, 5, 20_000), { refuse: 5_000, at: 20_100, until: 25_000 }, { send: 5, at: 25_000 }]);
    expect(next(windows, 25_001)).toBe(30_000);
  });

  it('a budget taught too small (a window drained by others) is restored after one clean window', () => {
    const windows = play([
      ...firstWindow(5),
      ...windowAt(10_000, 5, 20_000),
      // Others drained this window: a refusal before any read of it landed teaches a budget of one.
      { send: 1, at: 20_000 },
      { refuse: 20_000, at: 20_100, until: 30_000 },
      // The next window spends that one read and is not refused...
      ...windowAt(30_000, 1),
    ]);
    // ...so the window after may send the five a window was seen to take.
    for (let n = 0; n < 4; n++) windows.sent(key, 40_000);
    expect(next(windows, 40_001)).toBe('now');
    windows.sent(key, 40_001);
    expect(next(windows, 40_002)).toBe(50_000);
  });

  it('after eight clean windows a quarter more is tried: the provider may take more than was seen', () => {
    const clean = Array.from({ length: 8 }, (_, n) => windowAt(20_000 + n * 10_000, 4)).flat();
    const windows = play([...firstWindow(4), ...windowAt(10_000, 4, 20_000), ...clean]);
    // Window nine: four and one more.
    for (let n = 0; n < 5; n++) {
      expect(next(windows, 100_000 + n)).toBe('now');
      windows.sent(key, 100_000 + n);
    }
    expect(next(windows, 100_010)).toBe(110_000);
  });
});
