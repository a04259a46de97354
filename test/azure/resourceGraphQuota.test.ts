import { describe, expect, it } from 'vitest';
import { parseResetsAfter } from '../../src/azure/resourceGraph.js';

describe('reading x-ms-user-quota-resets-after', () => {
  it.each([
    ['00:00:05', 5_000],
    ['00:00:03', 3_000],
    ['00:01:00', 60_000],
    ['01:00:00', 3_600_000],
    ['00:00:00.5', 500],
    ['1.00:00:01', 86_401_000],
  ])('%s is %i ms', (header, ms) => {
    expect(parseResetsAfter(header)).toBe(ms);
  });

  it.each([[undefined], [null], [''], ['5'], ['soon'], ['00:5:00']])('%s is not a reset time', (header) => {
    expect(parseResetsAfter(header)).toBeNull();
  });
});
