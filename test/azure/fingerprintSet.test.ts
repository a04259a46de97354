import { describe, expect, it } from 'vitest';
import { fingerprintSet } from '../../src/azure/fingerprintSet.js';

/** The inventory's record of listed vaults: each fingerprint counted once, however the table was sized. */

describe('a set of 52-bit fingerprints', () => {
  it.each([
    { scenario: 'sized for the estate it holds', expected: 10_000, count: 10_000 },
    { scenario: 'an estate that grew well past its count (the table doubles)', expected: 100, count: 10_000 },
    { scenario: 'a count of zero, then vaults after all', expected: 0, count: 500 },
  ])('$scenario: every fingerprint added once, every repeat refused', ({ expected, count }) => {
    const set = fingerprintSet(expected);
    // Spread like hash bits, and bunched at the ends of the range: both must land and be found.
    const values = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? 2 ** 52 - 1 - i : Math.floor(((i * 2654435761) % 2 ** 32) * 2 ** 20)));
    expect(new Set(values).size).toBe(count);
    expect(values.map((v) => set.add(v)).every(Boolean)).toBe(true);
    expect(values.map((v) => set.add(v)).some(Boolean)).toBe(false);
    expect(set.size).toBe(count);
  });

  it.each([
    { scenario: 'negative', value: -1 },
    { scenario: 'beyond 52 bits', value: 2 ** 52 },
    { scenario: 'not an integer', value: 1.5 },
    { scenario: 'not a number', value: Number.NaN },
  ])('refuses a fingerprint that is $scenario', ({ value }) => {
    expect(() => fingerprintSet(10).add(value)).toThrow(RangeError);
  });
});
