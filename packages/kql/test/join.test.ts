import { describe, expect, it } from 'vitest';
import { executeQuery, type KqlRow, type KqlTables, type UnsupportedQueryError } from '../src/index.js';
import { unsupportedError } from './unsupported.js';

const tables: KqlTables = {
  Vaults: [
    { id: 'a', name: 'kv-a' },
    { id: 'b', name: 'kv-b' },
    { id: 'b', name: 'kv-b-again' },
    { id: 'c', name: 'kv-c' },
    { id: null, name: 'kv-null' },
  ],
  Settings: [
    { id: 'b', name: 'ds-1' },
    { id: 'b', name: 'ds-2' },
    { id: 'c', name: 'ds-3' },
    { id: 'z', name: 'ds-orphan' },
    { id: null, name: 'ds-null' },
  ],
};

function run(query: string, input: KqlTables = tables): KqlRow[] {
  return executeQuery(query, input);
}

const errorOf = (query: string): UnsupportedQueryError => unsupportedError(query, run);

describe('join', () => {
  it('leftouter join keeps unmatched left rows with null right columns', () => {
    expect(run('Vaults | join kind=leftouter (Settings) on id')).toEqual([
      { id: 'a', name: 'kv-a', id1: null, name1: null },
      { id: 'b', name: 'kv-b', id1: 'b', name1: 'ds-1' },
      { id: 'b', name: 'kv-b', id1: 'b', name1: 'ds-2' },
      { id: 'b', name: 'kv-b-again', id1: 'b', name1: 'ds-1' },
      { id: 'b', name: 'kv-b-again', id1: 'b', name1: 'ds-2' },
      { id: 'c', name: 'kv-c', id1: 'c', name1: 'ds-3' },
      { id: null, name: 'kv-null', id1: null, name1: null },
    ]);
  });

  it('inner join returns every matching pair and drops unmatched rows on both sides', () => {
    expect(run('Vaults | join kind=inner (Settings | project sid = id, setting = name) on $left.id == $right.sid')).toEqual([
      { id: 'b', name: 'kv-b', sid: 'b', setting: 'ds-1' },
      { id: 'b', name: 'kv-b', sid: 'b', setting: 'ds-2' },
      { id: 'b', name: 'kv-b-again', sid: 'b', setting: 'ds-1' },
      { id: 'b', name: 'kv-b-again', sid: 'b', setting: 'ds-2' },
      { id: 'c', name: 'kv-c', sid: 'c', setting: 'ds-3' },
    ]);
  });

  it('the default kind (innerunique) uses only the first left row of each key', () => {
    expect(run('Vaults | join (Settings) on id | project name, name1')).toEqual([
      { name: 'kv-b', name1: 'ds-1' },
      { name: 'kv-b', name1: 'ds-2' },
      { name: 'kv-c', name1: 'ds-3' },
    ]);
  });

  it('a right column whose name is taken gets the next free number suffix', () => {
    const input: KqlTables = { L: [{ k: 1, name: 'l', name1: 'l1' }], R: [{ k: 1, name: 'r' }] };
    expect(run('L | join kind=inner (R) on k', input)).toEqual([{ k: 1, name: 'l', name1: 'l1', k1: 1, name2: 'r' }]);
  });

  it.each<[string, string, [number, number][]]>([
    ['$right on the left of ==', 'L | join kind=inner (R) on $right.rk == $left.lk', [[1, 1], [2, 2]]],
    ['several conditions separated by commas', 'L | join kind=inner (R) on $left.lk == $right.rk, $left.g == $right.g', [[1, 1]]],
    ['several conditions joined by and', 'L | join kind=inner (R) on $left.lk == $right.rk and $left.g == $right.g', [[1, 1]]],
    ['a bare table name on the right', 'L | join kind=inner R on $left.lk == $right.rk, g', [[1, 1]]],
  ])('join conditions: %s', (_scenario, query, expectedPairs) => {
    const input: KqlTables = {
      L: [{ lk: 1, g: 'x' }, { lk: 2, g: 'y' }],
      R: [{ rk: 1, g: 'x' }, { rk: 2, g: 'other' }],
    };
    expect(run(query, input).map((row) => [row.lk, row.rk])).toEqual(expectedPairs);
  });

  it.each<[string, string, KqlRow[]]>([
    [
      'rightouter keeps unmatched right rows, after the matches, with null left columns',
      'Vaults | join kind=rightouter (Settings) on id | project name, name1',
      [
        { name: 'kv-b', name1: 'ds-1' },
        { name: 'kv-b', name1: 'ds-2' },
        { name: 'kv-b-again', name1: 'ds-1' },
        { name: 'kv-b-again', name1: 'ds-2' },
        { name: 'kv-c', name1: 'ds-3' },
        { name: null, name1: 'ds-orphan' },
        { name: null, name1: 'ds-null' },
      ],
    ],
    [
      'fullouter keeps unmatched rows of both sides',
      'Vaults | join kind=fullouter (Settings) on id | project name, name1',
      [
        { name: 'kv-a', name1: null },
        { name: 'kv-b', name1: 'ds-1' },
        { name: 'kv-b', name1: 'ds-2' },
        { name: 'kv-b-again', name1: 'ds-1' },
        { name: 'kv-b-again', name1: 'ds-2' },
        { name: 'kv-c', name1: 'ds-3' },
        { name: 'kv-null', name1: null },
        { name: null, name1: 'ds-orphan' },
        { name: null, name1: 'ds-null' },
      ],
    ],
    [
      'leftsemi returns each matching left row once, with the left columns only',
      'Vaults | join kind=leftsemi (Settings) on id',
      [
        { id: 'b', name: 'kv-b' },
        { id: 'b', name: 'kv-b-again' },
        { id: 'c', name: 'kv-c' },
      ],
    ],
    [
      'leftanti returns the left rows without a match, a null key matching nothing',
      'Vaults | join kind=leftanti (Settings) on id',
      [
        { id: 'a', name: 'kv-a' },
        { id: null, name: 'kv-null' },
      ],
    ],
    [
      'anti is leftanti',
      'Vaults | join kind=anti (Settings) on id | project name',
      [{ name: 'kv-a' }, { name: 'kv-null' }],
    ],
    [
      'rightsemi returns each matching right row once, with the right columns only',
      'Vaults | join kind=rightsemi (Settings) on id',
      [
        { id: 'b', name: 'ds-1' },
        { id: 'b', name: 'ds-2' },
        { id: 'c', name: 'ds-3' },
      ],
    ],
    [
      'rightanti returns the right rows without a match',
      'Vaults | join kind=rightanti (Settings | project sid = id, setting = name) on $left.id == $right.sid',
      [
        { sid: 'z', setting: 'ds-orphan' },
        { sid: null, setting: 'ds-null' },
      ],
    ],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it.each<[string, string, KqlRow[]]>([
    [
      'lookup is a leftouter join by default and does not repeat the right key column',
      'Vaults | lookup (Settings | project id, setting = name) on id',
      [
        { id: 'a', name: 'kv-a', setting: null },
        { id: 'b', name: 'kv-b', setting: 'ds-1' },
        { id: 'b', name: 'kv-b', setting: 'ds-2' },
        { id: 'b', name: 'kv-b-again', setting: 'ds-1' },
        { id: 'b', name: 'kv-b-again', setting: 'ds-2' },
        { id: 'c', name: 'kv-c', setting: 'ds-3' },
        { id: null, name: 'kv-null', setting: null },
      ],
    ],
    [
      'lookup kind=inner drops unmatched rows and renames other right columns whose name is taken',
      `Vaults | where id != 'b' | lookup kind=inner (Settings) on id`,
      [{ id: 'c', name: 'kv-c', name1: 'ds-3' }],
    ],
    [
      'lookup on $left.a == $right.b drops the right key column',
      `Vaults | where id == 'c' | lookup (Settings | project sid = id, setting = name) on $left.id == $right.sid`,
      [{ id: 'c', name: 'kv-c', setting: 'ds-3' }],
    ],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it('keys match by type as well as value', () => {
    const input: KqlTables = { L: [{ k: 1 }, { k: '2' }], R: [{ k: '1' }, { k: 2 }] };
    expect(run('L | join kind=inner (R) on k', input)).toEqual([]);
  });

  it('leftouter join against a right side without rows still adds the right columns', () => {
    expect(run(`Vaults | take 1 | join kind=leftouter (Settings | where id == 'none') on id`)).toEqual([{ id: 'a', name: 'kv-a', id1: null, name1: null }]);
  });

  it('joins thousands of rows on each side, every left row finding its match', () => {
    const left = Array.from({ length: 3000 }, (_, i) => ({ id: `v${i}` }));
    const right = Array.from({ length: 3000 }, (_, i) => ({ id: `v${i}`, n: i }));
    const rows = run('L | join kind=leftouter (R) on id | summarize total = sum(n), matched = countif(isnotnull(id1))', { L: left, R: right });
    expect(rows).toEqual([{ total: (2999 * 3000) / 2, matched: 3000 }]);
  });

  it.each<[string, string, string]>([
    [
      'an unknown kind',
      'Vaults | join kind=bogus (Settings) on id',
      'join kind=bogus is not supported (supported: innerunique, inner, leftouter, rightouter, fullouter, leftsemi, leftanti, rightsemi, rightanti)',
    ],
    ['a hint', 'Vaults | join hint.strategy=broadcast (Settings) on id', "join: parameter 'hint.strategy=broadcast' is not supported"],
    ['a lookup kind other than leftouter and inner', 'Vaults | lookup kind=fullouter (Settings) on id', 'lookup kind=fullouter is not supported (supported: leftouter, inner)'],
    ['a non-equality condition', 'Vaults | join kind=inner (Settings) on $left.id != $right.id', "join: condition '$left.id != $right.id' is not supported (use 'on column' or 'on $left.a == $right.b')"],
    ['an unknown key column', 'Vaults | join kind=inner (Settings) on nosuch', "Failed to resolve scalar expression named 'nosuch'"],
  ])('rejects %s with a message naming it', (_scenario, query, detail) => {
    expect(errorOf(query).details).toEqual([detail]);
  });
});
