import { describe, expect, it } from 'vitest';
import { executeQuery, type KqlRow, type UnsupportedQueryError } from '../src/index.js';
import { unsupportedError } from './unsupported.js';

const rows: KqlRow[] = [
  { name: 'two', logs: [{ category: 'AuditEvent' }, { category: 'AllLogs' }] },
  { name: 'empty', logs: [] },
  { name: 'null', logs: null },
  { name: 'absent' },
  { name: 'bag', logs: { a: 1, b: 2 } },
  { name: 'scalar', logs: 'text' },
];

function run(query: string): KqlRow[] {
  return executeQuery(query, { t: rows });
}

const errorOf = (query: string): UnsupportedQueryError => unsupportedError(query, run);

describe('mv-expand', () => {
  it.each<[string, string, KqlRow[]]>([
    [
      'an array expands to one row per element, other columns repeated',
      `t | where name == 'two' | mv-expand logs`,
      [
        { name: 'two', logs: { category: 'AuditEvent' } },
        { name: 'two', logs: { category: 'AllLogs' } },
      ],
    ],
    [
      'name = expr expands into a new column',
      `t | where name == 'two' | mv-expand category = logs | project name, c = category.category`,
      [
        { name: 'two', c: 'AuditEvent' },
        { name: 'two', c: 'AllLogs' },
      ],
    ],
    ['an empty array yields no row', `t | where name == 'empty' | mv-expand logs`, []],
    ['null yields one row holding null', `t | where name == 'null' | mv-expand logs`, [{ name: 'null', logs: null }]],
    ['a missing value is null and yields one row', `t | where name == 'absent' | mv-expand logs`, [{ name: 'absent', logs: null }]],
    [
      'a property bag yields one single-property bag per property',
      `t | where name == 'bag' | mv-expand logs`,
      [
        { name: 'bag', logs: { a: 1 } },
        { name: 'bag', logs: { b: 2 } },
      ],
    ],
    ['a scalar value stays as it is', `t | where name == 'scalar' | mv-expand logs`, [{ name: 'scalar', logs: 'text' }]],
    ['an unnamed member path is named after its parts', `t | where name == 'two' | take 1 | project p = pack('xs', pack_array(1, 2)) | mv-expand p.xs`, [
      { p: { xs: [1, 2] }, p_xs: 1 },
      { p: { xs: [1, 2] }, p_xs: 2 },
    ]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['two columns at once', 't | mv-expand logs, name', 'mv-expand: expanding more than one column at once is not supported'],
    ['with_itemindex', 't | mv-expand with_itemindex=i logs', "mv-expand: parameter 'with_itemindex=i' is not supported"],
    ['to typeof()', 't | mv-expand logs to typeof(string)', 'mv-expand: to typeof() is not supported'],
    ['a row limit', 't | mv-expand logs limit 5', 'mv-expand: limit is not supported'],
  ])('rejects %s with a message naming it', (_scenario, query, detail) => {
    expect(errorOf(query).details).toEqual([detail]);
  });
});
