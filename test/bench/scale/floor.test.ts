import { expect, test } from 'vitest';
import { type FloorModel, type FloorSubscription, floorOf } from './floor.js';

/** The floor follows from the model and the estate alone. Expected values worked out by hand from the rules in floor.ts. */

const model: FloorModel = {
  armPrincipal: { bucketSize: 250, refillPerSecond: 25 },
  armGlobal: { bucketSize: 3_750, refillPerSecond: 375 },
  othersShare: 0.2,
  argQuota: { requests: 15, windowMs: 5_000 },
  argPageSize: 1_000,
  latency: { arm: { medianMs: 100, p99Ms: 1_000 }, arg: { medianMs: 300, p99Ms: 2_000 }, ingest: { medianMs: 150, p99Ms: 1_500 } },
};
const plain = (vaults: number): FloorSubscription => ({ vaults, limitedRegions: [] });
const spread = (vaults: number, subscriptions: number, largest: number) => [
  plain(largest),
  ...Array.from({ length: subscriptions - 1 }, () => plain((vaults - largest) / (subscriptions - 1))),
];

test.each([
  {
    scenario: "100k vaults over 500 subscriptions: the largest subscription's bucket sets it",
    model,
    subscriptions: spread(100_000, 500, 3_000),
    // 100 pages: 6 full windows (30 s) + 300 ms, then one read, is less than 300 + (3000 - 250) / 25 s + 100.
    expected: { floorMs: 300 + 110_000 + 100 + 150, boundBy: 'subscription' },
  },
  {
    scenario: 'a million vaults: Resource Graph paging under its quota sets it',
    model,
    subscriptions: spread(1_000_000, 5_000, 3_000),
    // 1,000 pages: floor(999 / 15) = 66 full windows of 5 s, the last page's 300 ms, then the last read's 100 ms.
    expected: { floorMs: 66 * 5_000 + 300 + 100 + 150, boundBy: 'inventory' },
  },
  {
    scenario: 'a drained global bucket is slower than the principal’s own',
    model: { ...model, othersShare: 0.99 },
    subscriptions: [plain(4_000)],
    // Global: (4000 - 3750) / (375 · 0.01) s = 66,667 ms; the principal's: 150 s. The larger wins.
    expected: { floorMs: 300 + 150_000 + 100 + 150, boundBy: 'subscription' },
  },
  {
    scenario: "Microsoft.Insights' limit on one region is slower than the buckets",
    model,
    subscriptions: [{ vaults: 400, limitedRegions: [{ vaults: 200, limit: { reads: 50, windowMs: 20_000 } }] }],
    // 200 reads at 50 per window take 4 windows: the last starts 60 s after the first. The bucket: 6 s.
    expected: { floorMs: 300 + 60_000 + 100 + 150, boundBy: 'subscription' },
  },
  {
    scenario: 'a small estate: one page, the burst, one upload',
    model,
    subscriptions: [plain(10)],
    expected: { floorMs: 300 + 0 + 100 + 150, boundBy: 'inventory' },
  },
])('$scenario', ({ model: m, subscriptions, expected }) => {
  const floor = floorOf(m, subscriptions);
  expect({ floorMs: Math.round(floor.floorMs), boundBy: floor.boundBy }).toEqual(expected);
});
