import { describe, expect, it } from 'vitest';
import { executeQuery, isUnsupportedQueryError, UnsupportedQueryError, type KqlTables } from '../src/index.js';
import { unsupportedError } from './unsupported.js';

const tables: KqlTables = { T: [{ a: 1, b: 'x' }], U: [{ a: 2 }] };

const errorOf = (query: string): UnsupportedQueryError => unsupportedError(query, (q) => executeQuery(q, tables));

describe('syntax errors', () => {
  it('carry the parser diagnostic with its code and offset', () => {
    expect(errorOf('T | where').details).toEqual(['Missing expression (KS006 at offset 9)']);
  });

  it('carry one detail line per parser diagnostic', () => {
    expect(errorOf('T | project a,, b').details).toEqual([
      'Missing expression (KS006 at offset 14)',
      'The incomplete fragment is unexpected. (KS198 at offset 14)',
    ]);
  });

  it('are UnsupportedQueryErrors whose message lists the details', () => {
    const error = errorOf(`T | where b == 'unterminated`);
    expect(error).toBeInstanceOf(UnsupportedQueryError);
    expect(error.name).toBe('UnsupportedQueryError');
    expect(error.message).toBe(`Invalid query: ${error.details.join('; ')}`);
  });
});

describe('unsupported constructs are rejected with a message naming them', () => {
  it.each<[string, string, string]>([
    ['parse', 'T | parse b with x', "The 'parse' operator is not supported"],
    ['make-series', 'T | make-series count() on a step 1', "The 'make-series' operator is not supported"],
    ['evaluate', 'T | evaluate bag_unpack(b)', "The 'evaluate' operator is not supported"],
    ['render', 'T | render table', "The 'render' operator is not supported"],
    ['facet', 'T | facet by a', "The 'facet' operator is not supported"],
    ['sample', 'T | sample 1', "The 'sample' operator is not supported"],
    ['as', 'T | as X', "The 'as' operator is not supported"],
    ['a window function other than row_number, prev and next', 'T | serialize | extend s = row_cumsum(a)', "Unknown or unsupported function 'row_cumsum'"],
    ['print', 'print 1', "The 'print' operator is not supported"],
    ['datatable rows it cannot fill', 'datatable(a: long, b: long)[1, 2, 3]', 'datatable: 3 values do not fill rows of 2 columns'],
    ['union parameters', 'union kind=inner T, U', "union: parameter 'kind=inner' is not supported"],
    ['an unknown table', 'nosuch | take 1', "Failed to resolve table or column expression named 'nosuch'"],
    ['several result sets', 'T; U', 'A query with more than one result set is not supported'],
    ['a user-defined function returning a scalar', 'let f = (x: long) { x + 1 }; f(1)', "Function 'f': user-defined functions that return a scalar are not supported"],
    ['a user-defined function called in a scalar expression', 'let f = (x: long) { x + 1 }; T | extend y = f(a)', "Unknown or unsupported function 'f'"],
    ['a user-defined function with a tabular parameter', 'let f = (t: (a: long)) { t | take 1 }; f(T)', "Function 'f': tabular parameter 't' is not supported"],
    ['a user-defined function called without a required argument', 'let f = (n: long) { T | take n }; f()', "Function 'f': missing argument 'n'"],
    ['duplicate projected names', 'T | project a, a', "project: duplicate column name 'a'"],
    ['a non-constant row count', 'T | take a', "Failed to resolve scalar expression named 'a'"],
    ['a negative row count', 'T | take -1', "take: expected a non-negative whole number of rows, got '-1'"],
  ])('%s', (_scenario, query, detail) => {
    expect(errorOf(query).details).toEqual([detail]);
  });
});

describe('isUnsupportedQueryError', () => {
  it.each<[string, unknown, boolean]>([
    ['an UnsupportedQueryError', new UnsupportedQueryError(['x']), true],
    ['another error', new Error('x'), false],
    ['a non-error', 'x', false],
  ])('recognises %s', (_scenario, value, expected) => {
    expect(isUnsupportedQueryError(value)).toBe(expected);
  });
});
