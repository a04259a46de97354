import { describe, expect, it } from 'vitest';
import { progressLog, progressSummary } from '../../src/scan/summary.js';

/** How a running scan says where it is: one line, and in a log at most once per interval. */

describe('progress of a running scan', () => {
  it.each([
    { scenario: 'before the first page: listing', progress: { listed: 0, total: null, evaluated: 0 }, line: 'Listing vaults and Managed HSMs (Azure Resource Graph)…' },
    { scenario: 'ARG said how many there are', progress: { listed: 3000, total: 100000, evaluated: 1200 }, line: 'Listed 3000 of 100000 vaults and Managed HSMs; evaluated 1200 of 100000' },
    { scenario: 'ARG did not say (more than 1,000 subscriptions, read in batches)', progress: { listed: 1000, total: null, evaluated: 10 }, line: 'Listed 1000 vaults and Managed HSMs; evaluated 10' },
  ])('$scenario', ({ progress, line }) => {
    expect(progressSummary(progress)).toBe(line);
  });

  it('in a log, writes a line at most once per interval however often it is told', () => {
    let clock = 0;
    const lines: string[] = [];
    const onProgress = progressLog((line) => lines.push(line), 60_000, () => clock);
    for (const [at, evaluated] of [[0, 1], [30_000, 2], [59_999, 3], [60_000, 4], [90_000, 5], [125_000, 6]] as const) {
      clock = at;
      onProgress({ listed: 10, total: 10, evaluated });
    }
    expect(lines).toEqual([
      'Scan progress: Listed 10 of 10 vaults and Managed HSMs; evaluated 1 of 10',
      'Scan progress: Listed 10 of 10 vaults and Managed HSMs; evaluated 4 of 10',
      'Scan progress: Listed 10 of 10 vaults and Managed HSMs; evaluated 6 of 10',
    ]);
  });
});
