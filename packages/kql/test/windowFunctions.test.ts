import { describe, expect, it } from 'vitest';
import { executeQuery, type KqlRow, type UnsupportedQueryError } from '../src/index.js';
import { unsupportedError } from './unsupported.js';

const results: KqlRow[] = [
  { vault: 'kv-a', at: 1, status: 'Pass' },
  { vault: 'kv-b', at: 1, status: 'Pass' },
  { vault: 'kv-a', at: 2, status: 'Fail' },
  { vault: 'kv-b', at: 2, status: 'Pass' },
  { vault: 'kv-a', at: 3, status: 'Fail' },
];

function run(query: string): KqlRow[] {
  return executeQuery(query, { T: results });
}

const errorOf = (query: string): UnsupportedQueryError => unsupportedError(query, run);

const byVault = 'T | order by vault asc, at asc';

describe('window functions on a serialized row set', () => {
  it.each<[string, string, KqlRow[]]>([
    [
      'row_number() numbers rows from 1 in order',
      `${byVault} | extend rn = row_number() | project vault, at, rn`,
      [
        { vault: 'kv-a', at: 1, rn: 1 },
        { vault: 'kv-a', at: 2, rn: 2 },
        { vault: 'kv-a', at: 3, rn: 3 },
        { vault: 'kv-b', at: 1, rn: 4 },
        { vault: 'kv-b', at: 2, rn: 5 },
      ],
    ],
    [
      'row_number(start) starts at the given index',
      `${byVault} | project rn = row_number(0)`,
      [{ rn: 0 }, { rn: 1 }, { rn: 2 }, { rn: 3 }, { rn: 4 }],
    ],
    [
      'row_number(start, restart) starts over where the predicate is true',
      `${byVault} | extend rn = row_number(1, vault != prev(vault)) | project vault, at, rn`,
      [
        { vault: 'kv-a', at: 1, rn: 1 },
        { vault: 'kv-a', at: 2, rn: 2 },
        { vault: 'kv-a', at: 3, rn: 3 },
        { vault: 'kv-b', at: 1, rn: 1 },
        { vault: 'kv-b', at: 2, rn: 2 },
      ],
    ],
    [
      'row numbers do not depend on which rows an enclosing expression evaluates them for',
      `${byVault} | project late = at > 1 and row_number() > 2`,
      [{ late: false }, { late: false }, { late: true }, { late: false }, { late: true }],
    ],
    [
      'prev() reads the previous row, null before the first',
      `${byVault} | project status, previous = prev(status)`,
      [
        { status: 'Pass', previous: null },
        { status: 'Fail', previous: 'Pass' },
        { status: 'Fail', previous: 'Fail' },
        { status: 'Pass', previous: 'Fail' },
        { status: 'Pass', previous: 'Pass' },
      ],
    ],
    [
      'prev() with an offset and a default',
      `${byVault} | project at, twoBack = prev(at, 2, -1)`,
      [
        { at: 1, twoBack: -1 },
        { at: 2, twoBack: -1 },
        { at: 3, twoBack: 1 },
        { at: 1, twoBack: 2 },
        { at: 2, twoBack: 3 },
      ],
    ],
    [
      'next() reads the following row, null after the last',
      `${byVault} | project at, following = next(at)`,
      [
        { at: 1, following: 2 },
        { at: 2, following: 3 },
        { at: 3, following: 1 },
        { at: 1, following: 2 },
        { at: 2, following: null },
      ],
    ],
    [
      'window functions may read columns extended earlier in the same operator',
      `${byVault} | extend changed = status != prev(status), flips = row_number(0, changed) | project status, changed, flips`,
      [
        { status: 'Pass', changed: true, flips: 0 },
        { status: 'Fail', changed: true, flips: 0 },
        { status: 'Fail', changed: false, flips: 1 },
        { status: 'Pass', changed: true, flips: 0 },
        { status: 'Pass', changed: false, flips: 1 },
      ],
    ],
    [
      'serialize keeps the input order and may compute columns',
      'T | serialize n = row_number() | project vault, at, n',
      [
        { vault: 'kv-a', at: 1, n: 1 },
        { vault: 'kv-b', at: 1, n: 2 },
        { vault: 'kv-a', at: 2, n: 3 },
        { vault: 'kv-b', at: 2, n: 4 },
        { vault: 'kv-a', at: 3, n: 5 },
      ],
    ],
    [
      'top output is serialized',
      'T | top 3 by at | extend rn = row_number() | project vault, at, rn',
      [
        { vault: 'kv-a', at: 3, rn: 1 },
        { vault: 'kv-a', at: 2, rn: 2 },
        { vault: 'kv-b', at: 2, rn: 3 },
      ],
    ],
    [
      'where, take and project keep the serialization',
      `${byVault} | where vault == 'kv-a' | take 2 | project at | extend previous = prev(at)`,
      [
        { at: 1, previous: null },
        { at: 2, previous: 1 },
      ],
    ],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });
});

describe('window functions need a serialized row set (per the serialize operator docs)', () => {
  const detail = (name: string): string =>
    `Function '${name}()' needs a serialized row set (after serialize, order by or top) and is supported in extend, project and serialize`;

  it.each<[string, string, string]>([
    ['a source table is not serialized', 'T | extend rn = row_number()', 'row_number'],
    ['summarize clears it', `${byVault} | summarize count() by vault | extend rn = row_number()`, 'row_number'],
    ['distinct clears it', `${byVault} | distinct vault | extend p = prev(vault)`, 'prev'],
    ['join clears it', `${byVault} | join kind=inner (T) on vault | extend n = next(at)`, 'next'],
    ['mv-expand clears it', `${byVault} | mv-expand status | extend rn = row_number()`, 'row_number'],
    ['union clears it', `${byVault} | union T | extend rn = row_number()`, 'row_number'],
    ['where does not support window functions', `${byVault} | where prev(at) == 1`, 'prev'],
    ['summarize does not support window functions', `${byVault} | summarize max(row_number())`, 'row_number'],
  ])('%s', (_scenario, query, functionName) => {
    expect(errorOf(query).details).toEqual([detail(functionName)]);
  });
});
