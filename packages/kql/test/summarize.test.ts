import { describe, expect, it } from 'vitest';
import { executeQuery, type KqlRow, type UnsupportedQueryError } from '../src/index.js';
import { unsupportedError } from './unsupported.js';

const settings: KqlRow[] = [
  { vault: 'kv1', category: 'AuditEvent', days: 30, properties: { kind: 'logs' } },
  { vault: 'kv1', category: 'AllMetrics', days: null, properties: { kind: 'metrics' } },
  { vault: 'kv2', category: 'AuditEvent', days: 90, properties: { kind: 'logs' } },
  { vault: 'kv1', category: 'AuditEvent', days: 7, properties: { kind: 'logs' } },
  { vault: null, category: '', days: 1, properties: {} },
];

function run(query: string, rows: readonly KqlRow[] = settings): KqlRow[] {
  return executeQuery(query, { s: rows });
}

const errorOf = (query: string): UnsupportedQueryError => unsupportedError(query, run);

describe('summarize', () => {
  it.each<[string, string, KqlRow[]]>([
    [
      'count() by a column: one row per key in order of first appearance, default name count_',
      's | summarize count() by vault',
      [
        { vault: 'kv1', count_: 3 },
        { vault: 'kv2', count_: 1 },
        { vault: null, count_: 1 },
      ],
    ],
    ['named aggregates and several keys', 's | where isnotnull(vault) | summarize n = count() by vault, category | where vault == "kv1"', [
      { vault: 'kv1', category: 'AuditEvent', n: 2 },
      { vault: 'kv1', category: 'AllMetrics', n: 1 },
    ]],
    ['countif counts rows whose predicate is true', 's | summarize countif(days > 10)', [{ countif_: 2 }]],
    ['make_list collects non-null values in order, named list_<column>', 's | summarize make_list(days)', [{ list_days: [30, 90, 7, 1] }]],
    ['make_set collects distinct values, named set_<column>', 's | summarize make_set(category)', [{ set_category: ['AuditEvent', 'AllMetrics', ''] }]],
    ['make_set compares dynamic values by content', 's | summarize make_set(properties)', [{ set_properties: [{ kind: 'logs' }, { kind: 'metrics' }, {}] }]],
    ['take_any keeps the column name and prefers a non-empty value', 's | where vault == "kv1" | summarize take_any(days)', [{ days: 30 }]],
    ['any is the deprecated take_any and prefixes any_', 's | where vault == "kv2" | summarize any(category)', [{ any_category: 'AuditEvent' }]],
    ['min and max ignore nulls', 's | summarize min(days), max(days)', [{ min_days: 1, max_days: 90 }]],
    ['sum adds the numbers', 's | summarize sum(days)', [{ sum_days: 128 }]],
    ['dcount counts distinct non-null values', 's | summarize dcount(vault)', [{ dcount_vault: 2 }]],
    ['an unnamed dynamic path key is named after its parts', 's | summarize count() by properties.kind', [
      { properties_kind: 'logs', count_: 3 },
      { properties_kind: 'metrics', count_: 1 },
      { properties_kind: null, count_: 1 },
    ]],
    ['a conversion in by keeps its argument name', 's | summarize count() by tostring(properties.kind) | where properties_kind == ""', [{ properties_kind: '', count_: 1 }]],
    ['aggregate arguments may be expressions', 's | summarize total = sum(days * 2) by vault | where vault == "kv2"', [{ vault: 'kv2', total: 180 }]],
    ['summarize by alone lists distinct keys', 's | summarize by vault', [{ vault: 'kv1' }, { vault: 'kv2' }, { vault: null }]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it('without by, empty input still gives one row (per the summarize docs)', () => {
    expect(run('s | summarize count(), make_list(days), max(days), sum(days), dcount(days)', [])).toEqual([
      { count_: 0, list_days: [], max_days: null, sum_days: null, dcount_days: 0 },
    ]);
  });

  it('with by, empty input gives no rows', () => {
    expect(run('s | where days > 1000 | summarize count() by vault')).toEqual([]);
  });

  it.each<[string, string, string]>([
    ['a scalar function as the aggregate', 's | summarize tolower(vault)', "summarize: 'tolower()' is not an aggregation function"],
    ['an unknown aggregate', 's | summarize percentile(days, 50)', "Unknown or unsupported aggregation function 'percentile'"],
    ['an aggregate inside an expression', 's | summarize n = count() * 2', "summarize: 'count() * 2' is not a call of an aggregation function"],
    ['two columns with one name', 's | summarize count(), count()', "summarize: duplicate column name 'count_'"],
    ['an unnamed computed key', 's | summarize count() by strcat(vault, category)', "summarize: name the computed column, e.g. 'name = strcat(vault, category)'"],
    ['arg_max without columns to return', 's | summarize arg_max(days)', "Function 'arg_max' expects at least 2 arguments, got 1"],
    ['a tuple assignment', 's | summarize (d, c) = arg_max(days, category)', "summarize: tuple assignment '(d, c) = arg_max(days, category)' is not supported"],
    ['arg_max and arg_min returning one column twice', 's | summarize arg_max(days, vault), arg_min(days, vault)', "summarize: duplicate column name 'days'"],
    ['arg_max outside summarize', 's | project v = arg_max(days, vault)', "Aggregate function 'arg_max()' can only be used in summarize"],
  ])('rejects %s with a message naming it', (_scenario, query, detail) => {
    expect(errorOf(query).details).toEqual([detail]);
  });
});

describe('conditional and averaging aggregates', () => {
  it.each<[string, string, KqlRow[]]>([
    ['avg ignores nulls', 's | summarize avg(days)', [{ avg_days: 32 }]],
    ['avgif', `s | summarize avgif(days, vault == 'kv1')`, [{ avgif_days: 18.5 }]],
    ['sumif', `s | summarize sumif(days, vault == 'kv1')`, [{ sumif_days: 37 }]],
    ['maxif and minif', `s | summarize maxif(days, vault == 'kv1'), minif(days, vault == 'kv1')`, [{ maxif_days: 30, minif_days: 7 }]],
    ['dcountif counts distinct values where the predicate holds', `s | summarize dcountif(category, vault == 'kv1')`, [{ dcountif_category: 2 }]],
    ['take_anyif keeps the column name', `s | summarize take_anyif(category, vault == 'kv2')`, [{ category: 'AuditEvent' }]],
    ['make_list_if skips nulls', `s | summarize make_list_if(days, vault == 'kv1')`, [{ list_days: [30, 7] }]],
    ['make_set_if', 's | summarize make_set_if(category, isnotempty(category))', [{ set_category: ['AuditEvent', 'AllMetrics'] }]],
    ['make_list and make_set keep at most maxSize values', 's | summarize make_list(days, 2), make_set(vault, 1)', [{ list_days: [30, 90], set_vault: ['kv1'] }]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });
});

describe('arg_max and arg_min (per the arg_max docs and Kusto.Language naming)', () => {
  it.each<[string, string, KqlRow[]]>([
    [
      'arg_max(x, *) by k returns k, x, then the other columns of the row with the greatest x',
      's | summarize arg_max(days, *) by vault',
      [
        { vault: 'kv1', days: 30, category: 'AuditEvent', properties: { kind: 'logs' } },
        { vault: 'kv2', days: 90, category: 'AuditEvent', properties: { kind: 'logs' } },
        { vault: null, days: 1, category: '', properties: {} },
      ],
    ],
    [
      'arg_max with listed columns returns only those',
      's | summarize arg_max(days, category) by vault',
      [
        { vault: 'kv1', days: 30, category: 'AuditEvent' },
        { vault: 'kv2', days: 90, category: 'AuditEvent' },
        { vault: null, days: 1, category: '' },
      ],
    ],
    [
      'arg_min with a named expression, without by',
      's | summarize arg_min(days, category, logKind = tostring(properties.kind))',
      [{ days: 1, category: '', logKind: '' }],
    ],
    ['naming the aggregate names the extreme value', 's | summarize latest = arg_max(days, category)', [{ latest: 90, category: 'AuditEvent' }]],
    [
      'a column listed before * is not repeated',
      `s | where vault == 'kv2' | summarize arg_max(days, category, *) by vault`,
      [{ vault: 'kv2', days: 90, category: 'AuditEvent', properties: { kind: 'logs' } }],
    ],
    [
      'arg_max next to other aggregates',
      's | where isnotnull(vault) | summarize arg_max(days, category), n = count() by vault',
      [
        { vault: 'kv1', days: 30, category: 'AuditEvent', n: 3 },
        { vault: 'kv2', days: 90, category: 'AuditEvent', n: 1 },
      ],
    ],
    [
      'when every value is null, the first row of the group (the docs example)',
      `s | where category == 'AllMetrics' | summarize arg_max(days, category)`,
      [{ days: null, category: 'AllMetrics' }],
    ],
    ['without by, empty input gives one row of nulls', 's | where days > 1000 | summarize arg_max(days, category)', [{ days: null, category: null }]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it('orders the columns by-columns, the extreme value, then the returned columns (as Kusto.Language does)', () => {
    const rows = run('s | project category, vault, days, properties | summarize arg_max(days, *) by vault');
    expect(rows.map((row) => Object.keys(row))).toEqual(rows.map(() => ['vault', 'days', 'category', 'properties']));
  });
});
