import { expect, test } from 'vitest';
import { type AzureModel, lowerBoundMs, realisticModel } from './bound.js';

const fastGraph: AzureModel = { ...realisticModel, latencyMs: { ...realisticModel.latencyMs, arg: 10 } };
const skewed = (vaults: number, subscriptions: number, largest: number) => {
  const rest = (vaults - largest) / (subscriptions - 1);
  return [largest, ...Array.from({ length: subscriptions - 1 }, () => rest)];
};

// Expected values computed by hand from the formula in bound.ts.
test.each([
  {
    name: '10k vaults: the hottest subscription dominates',
    model: realisticModel,
    input: { concurrency: 64, vaultsPerSubscription: skewed(10_000, 50, 3_000) },
    // 300 + ((3000 - 250) / 25 s + 80) + 150
    expected: 300 + 110_080 + 150,
  },
  {
    name: '100k vaults: the concurrency cap dominates',
    model: realisticModel,
    input: { concurrency: 64, vaultsPerSubscription: skewed(100_000, 500, 3_000) },
    // 300 + 100000 · 80 / 64 + 150
    expected: 300 + 125_000 + 150,
  },
  {
    name: 'the ARG quota dominates: 31 pages need two full windows',
    model: fastGraph,
    input: { concurrency: 10_000, vaultsPerSubscription: Array.from({ length: 310 }, () => 100) },
    // (2 · 5000 + 10) + 80 + 150
    expected: 10_010 + 80 + 150,
  },
  {
    name: 'a small estate: page latency, one read, one upload',
    model: realisticModel,
    input: { concurrency: 8, vaultsPerSubscription: [10] },
    // 300 + max(10 · 80 / 8, 80) + 150
    expected: 300 + 100 + 150,
  },
])('$name', ({ model, input, expected }) => {
  expect(lowerBoundMs(model, input)).toBeCloseTo(expected, 6);
});
