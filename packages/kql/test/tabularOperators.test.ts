import { describe, expect, it } from 'vitest';
import { executeQuery, UnsupportedQueryError, type KqlRow, type KqlTables } from '../src/index.js';

const vaults: KqlRow[] = [
  { name: 'kv-b', location: 'westeurope', size: 2, tags: { env: 'prod' } },
  { name: 'kv-a', location: 'northeurope', size: null, tags: {} },
  { name: 'kv-c', location: 'westeurope', size: 5 },
];

const tables: KqlTables = { Vaults: vaults, Extra: [{ name: 'kv-x', owner: 'alice' }] };

function run(query: string): KqlRow[] {
  return executeQuery(query, tables);
}

describe('table references', () => {
  it.each(['Vaults', 'vaults', 'VAULTS'])('table names resolve case-insensitively: %s', (name) => {
    expect(run(`${name} | count`)).toEqual([{ Count: 3 }]);
  });

  it('every output row carries every column, null where the input row had no value', () => {
    expect(run('Vaults | where name == "kv-c"')).toEqual([{ name: 'kv-c', location: 'westeurope', size: 5, tags: null }]);
  });

  it('an empty source table has no known columns, so references to any column read null', () => {
    expect(executeQuery(`resources | where type =~ 'x' | project id`, { resources: [] })).toEqual([]);
  });

  it('input rows are not mutated', () => {
    const input = structuredClone(vaults);
    executeQuery('Vaults | extend size = 1 | mv-expand tags | project-rename n = name | order by n asc', { Vaults: input });
    expect(input).toEqual(vaults);
  });
});

describe('where', () => {
  it('keeps input order and the rows whose condition is true', () => {
    expect(run(`Vaults | where location == 'westeurope' | project name`)).toEqual([{ name: 'kv-b' }, { name: 'kv-c' }]);
  });
});

describe('project, project-away, project-rename, extend', () => {
  it.each<[string, string, KqlRow[]]>([
    [
      'project selects, renames and computes columns in the order given',
      `Vaults | project location, n = name, big = size > 3`,
      [
        { location: 'westeurope', n: 'kv-b', big: false },
        { location: 'northeurope', n: 'kv-a', big: null },
        { location: 'westeurope', n: 'kv-c', big: true },
      ],
    ],
    ['project names a dynamic member path after its parts', 'Vaults | take 1 | project tags.env', [{ tags_env: 'prod' }]],
    ['project keeps the name of a converted column', 'Vaults | take 1 | project tostring(size)', [{ size: '2' }]],
    ['project-away drops columns, wildcards included', 'Vaults | take 1 | project-away t*, size', [{ name: 'kv-b', location: 'westeurope' }]],
    ['project-rename renames in place', 'Vaults | take 1 | project-rename vault = name, where = location', [{ vault: 'kv-b', where: 'westeurope', size: 2, tags: { env: 'prod' } }]],
    ['extend appends new columns', `Vaults | take 1 | project name | extend upper = toupper(name)`, [{ name: 'kv-b', upper: 'KV-B' }]],
    ['extend replaces an existing column in place', `Vaults | take 1 | project name, size | extend name = 'x'`, [{ name: 'x', size: 2 }]],
    ['extend sees columns assigned earlier in the same operator', 'Vaults | take 1 | project size | extend a = size + 1, b = a * 10', [{ size: 2, a: 3, b: 30 }]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });
});

describe('take, limit, top, count, distinct', () => {
  it.each<[string, string, KqlRow[]]>([
    ['take returns the first rows', 'Vaults | take 2 | project name', [{ name: 'kv-b' }, { name: 'kv-a' }]],
    ['limit is take', 'Vaults | limit 1 | project name', [{ name: 'kv-b' }]],
    ['take accepts a let-bound count', 'let n = 1; Vaults | take n | project name', [{ name: 'kv-b' }]],
    ['top sorts descending by default', 'Vaults | top 2 by size | project name', [{ name: 'kv-c' }, { name: 'kv-b' }]],
    ['top asc puts nulls first by default', 'Vaults | top 2 by size asc | project name', [{ name: 'kv-a' }, { name: 'kv-b' }]],
    ['count counts rows into a Count column', 'Vaults | where size > 0 | count', [{ Count: 2 }]],
    ['distinct keeps the first occurrence of each combination', 'Vaults | distinct location', [{ location: 'westeurope' }, { location: 'northeurope' }]],
    ['distinct * compares whole rows', 'Vaults | project location | distinct *', [{ location: 'westeurope' }, { location: 'northeurope' }]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });
});

describe('order by / sort by', () => {
  it.each<[string, string, string[]]>([
    ['order by sorts descending by default, nulls last', 'Vaults | order by size', ['kv-c', 'kv-b', 'kv-a']],
    ['asc sorts ascending, nulls first', 'Vaults | order by size asc', ['kv-a', 'kv-b', 'kv-c']],
    ['desc nulls first', 'Vaults | sort by size desc nulls first', ['kv-a', 'kv-c', 'kv-b']],
    ['asc nulls last', 'Vaults | sort by size asc nulls last', ['kv-b', 'kv-c', 'kv-a']],
    ['later keys break ties', 'Vaults | order by location asc, name desc', ['kv-a', 'kv-c', 'kv-b']],
    ['the sort is stable: ties keep input order', 'Vaults | order by location desc', ['kv-b', 'kv-c', 'kv-a']],
    ['sort keys may be expressions', 'Vaults | order by strlen(location) asc', ['kv-b', 'kv-c', 'kv-a']],
  ])('%s', (_scenario, query, expectedNames) => {
    expect(run(query).map((row) => row.name)).toEqual(expectedNames);
  });
});

describe('union', () => {
  it.each<[string, string, KqlRow[]]>([
    [
      'union as an operator appends legs with the union of their columns',
      'Vaults | where size == 5 | project name | union Extra',
      [{ name: 'kv-c', owner: null }, { name: 'kv-x', owner: 'alice' }],
    ],
    [
      'union at the start of a query accepts tables and sub-queries',
      'union Extra, (Vaults | where size == 2 | project name, size)',
      [{ name: 'kv-x', owner: 'alice', size: null }, { name: 'kv-b', owner: null, size: 2 }],
    ],
    [
      'isfuzzy=true leaves out a leg whose table does not exist yet, as Log Analytics does',
      'union isfuzzy=true (Missing | project name), (Extra | project name)',
      [{ name: 'kv-x' }],
    ],
    ['isfuzzy=false is the default', 'union isfuzzy=false Extra | project name', [{ name: 'kv-x' }]],
    [
      'an empty datatable leg keeps an isfuzzy union resolvable when no table exists yet',
      'union isfuzzy=true (Missing | project name), (datatable(name: string) [])',
      [],
    ],
    [
      'a datatable holds constants row by row, a datetime column read as datetimes',
      "datatable(name: string, at: datetime) ['a', '2026-01-01T00:00:00Z', 'b', '2026-01-02T00:00:00Z'] | where at > datetime(2026-01-01T12:00:00Z)",
      [{ name: 'b', at: '2026-01-02T00:00:00.000Z' }],
    ],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it.each([
    ['without isfuzzy, a missing table fails the query', 'union Missing, Extra', /Failed to resolve table or column expression named 'Missing'/],
    ['with isfuzzy, a leg that fails for another reason still fails the query', 'union isfuzzy=true (Extra | project nope), Extra', /nope/],
    ['with isfuzzy, no leg resolving fails the query', 'union isfuzzy=true Missing, Gone', /none of its legs resolves to a table/],
  ])('%s', (_scenario, query, error) => {
    expect(() => run(query)).toThrow(error);
  });
});

describe('let statements', () => {
  it.each<[string, string, KqlRow[]]>([
    ['a scalar let is usable in expressions', `let region = 'northeurope'; Vaults | where location == region | project name`, [{ name: 'kv-a' }]],
    ['a tabular let is usable as a table', 'let big = Vaults | where size > 3; big | project name', [{ name: 'kv-c' }]],
    ['a let may use earlier lets', `let limit = 3; let big = Vaults | where size >= limit; big | project name`, [{ name: 'kv-c' }]],
    ['a column shadows a let of the same name', `let name = 'shadowed'; Vaults | take 1 | project name`, [{ name: 'kv-b' }]],
    ['a tabular let shadows a source table', 'let Extra = Vaults | take 1; Extra | project name', [{ name: 'kv-b' }]],
    ['a scalar let may hold toscalar() of a query', 'let biggest = toscalar(Vaults | summarize max(size)); Vaults | where size == biggest | project name', [{ name: 'kv-c' }]],
    ['toscalar() of a tabular let', 'let big = Vaults | where size > 3; let n = toscalar(big | count); Vaults | take 1 | project total = n', [{ total: 1 }]],
    ['toscalar() inline', 'Vaults | where size < toscalar(Vaults | summarize max(size)) | project name', [{ name: 'kv-b' }]],
    ['a user-defined function returns a table', 'let bigger = (n: long) { Vaults | where size > n | project name }; bigger(2)', [{ name: 'kv-c' }]],
    ['a parameter may have a default', 'let bigger = (n: long = 4) { Vaults | where size > n | project name }; bigger()', [{ name: 'kv-c' }]],
    [
      'a function body sees the names bound before its declaration, and binds its own',
      `let n = 1; let firstIn = (region: string) { let inRegion = Vaults | where location == region; inRegion | take n | project name }; let n = 5; firstIn('westeurope')`,
      [{ name: 'kv-b' }],
    ],
    ['a function call may be a join side', `let big = (n: long) { Vaults | where size > n }; Vaults | join kind=leftsemi (big(3)) on name | project name`, [{ name: 'kv-c' }]],
    ['toscalar() of no rows is null', 'let none = toscalar(Vaults | where size > 100 | project size); Vaults | take 1 | project empty = isnull(none)', [{ empty: true }]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });
});

describe('in with a tabular expression', () => {
  it.each<[string, string, KqlRow[]]>([
    [
      'in takes the values of the sub-query\'s first column',
      'Vaults | where location in (Vaults | where size > 3 | project location) | project name',
      [{ name: 'kv-b' }, { name: 'kv-c' }],
    ],
    ['!in with a tabular let', 'let big = Vaults | where size > 3 | project name; Vaults | where name !in (big) | project name', [{ name: 'kv-b' }, { name: 'kv-a' }]],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query)).toEqual(expected);
  });
});

describe('project-reorder', () => {
  it.each<[string, string, string[]]>([
    ['listed columns come first, the rest keep their order', 'Vaults | project-reorder size, name', ['size', 'name', 'location', 'tags']],
    ['a wildcard takes its matches in table order', 'Vaults | project-reorder t*, n*', ['tags', 'name', 'location', 'size']],
    ['a column matched twice keeps its first place', 'Vaults | project-reorder size, s*, name', ['size', 'name', 'location', 'tags']],
  ])('%s', (_scenario, query, expectedColumns) => {
    const rows = run(query);
    expect(rows.map((row) => Object.keys(row))).toEqual(rows.map(() => expectedColumns));
    expect(rows.map((row) => row.name)).toEqual(['kv-b', 'kv-a', 'kv-c']);
  });

  it('rejects ordering options with a message naming them', () => {
    const detail = "project-reorder: 'name asc' is not supported (list column names or wildcards)";
    expect(() => run('Vaults | project-reorder name asc')).toThrow(new UnsupportedQueryError([detail]));
  });
});
