import { describe, expect, it } from 'vitest';
import { executeQuery, type KqlRow, type KqlValue, type UnsupportedQueryError } from '../src/index.js';
import { unsupportedError } from './unsupported.js';

/** Evaluates one scalar expression against one row (the only row of table `t`): one value per output row. */
function evaluate(expression: string, row: KqlRow = {}): (KqlValue | undefined)[] {
  return executeQuery(`t | project v = ${expression}`, { t: [row] }).map((r) => r.v);
}

const errorOf = (query: string, row: KqlRow = {}): UnsupportedQueryError => unsupportedError(query, (q) => executeQuery(q, { t: [row] }));

const nullRow: KqlRow = { n: null };

describe('literals', () => {
  it.each<[string, string, KqlValue]>([
    ['single-quoted string with escapes', String.raw`'a\'b\n'`, "a'b\n"],
    ['double-quoted string with escapes', String.raw`"x\"y"`, 'x"y'],
    ['verbatim string keeps backslashes', String.raw`@'c:\temp'`, String.raw`c:\temp`],
    ['long', '42', 42],
    ['real', '1.5', 1.5],
    ['real in exponent form', '1e3', 1000],
    ['negative number', '-7', -7],
    ['boolean', 'true', true],
    ['typed null', 'int(null)', null],
    ['dynamic array', `dynamic([1, 'a', {"b": null}])`, [1, 'a', { b: null }]],
    ['dynamic bag with a negative number', `dynamic({"a": {"b": -2}})`, { a: { b: -2 } }],
    ['dynamic null', 'dynamic(null)', null],
    ['date-only datetime as UTC midnight', 'datetime(2024-01-02)', '2024-01-02T00:00:00.000Z'],
    ['datetime without offset read as UTC', 'datetime(2024-01-02 03:04:05)', '2024-01-02T03:04:05.000Z'],
    ['datetime with offset converted to UTC', 'datetime(2024-01-02T03:04:05+02:00)', '2024-01-02T01:04:05.000Z'],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual([expected]);
  });
});

describe('columns and dynamic member access', () => {
  const row: KqlRow = { props: { a: { b: [10, 20] }, 'odd key': 1 }, name: 'kv' };

  it.each<[string, string, KqlValue]>([
    ['column reference', 'name', 'kv'],
    ['nested property and array index', 'props.a.b[1]', 20],
    ['bracketed property name', `props['odd key']`, 1],
    ['missing property is null, not an error', 'props.absent.deeper', null],
    ['index past the end is null', 'props.a.b[5]', null],
    ['inherited object members are not properties', 'props.constructor', null],
    ['member of a non-bag is null', 'name.length', null],
    ['column_ifexists of a column the table has', `column_ifexists('name', 'none')`, 'kv'],
    ['column_ifexists of a column the table lacks', `column_ifexists('absent', 'none')`, 'none'],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression, row)).toEqual([expected]);
  });
});

describe('comparison operators', () => {
  it.each<[string, string, KqlValue]>([
    ['== is case-sensitive (equal)', `'abc' == 'abc'`, true],
    ['== is case-sensitive (different case)', `'abc' == 'ABC'`, false],
    ['!= is case-sensitive', `'abc' != 'ABC'`, true],
    ['=~ ignores case', `'abc' =~ 'ABC'`, true],
    ['!~ ignores case', `'abc' !~ 'ABC'`, false],
    ['< on numbers', '2 < 3', true],
    ['<= on equal numbers', '3 <= 3', true],
    ['> on strings', `'b' > 'a'`, true],
    ['>= false', '2 >= 3', false],
    ['values of different types are not equal', `1 == '1'`, false],
    ['dynamic values compare by content', `dynamic([1, {"a": 2}]) == dynamic([1, {"a": 2}])`, true],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual([expected]);
  });
});

describe('null semantics (per the KQL null-values docs)', () => {
  it.each<[string, string, KqlValue]>([
    ['null == value is false', 'n == 1', false],
    ['null != value is true', 'n != 1', true],
    ['null == null is null', 'n == n', null],
    ['null < value is null', 'n < 1', null],
    ['arithmetic with null is null', 'n + 1', null],
    ['null and false is false', '(n > 1) and false', false],
    ['null or true is true', '(n > 1) or true', true],
    ['null and true is null', '(n > 1) and true', null],
    ['not(null) is null', 'not(n > 1)', null],
    ['tostring(null) is empty', 'tostring(n)', ''],
    ['tolower(null) is empty', 'tolower(n)', ''],
    ['strcat skips nulls', `strcat('a', n, 1)`, 'a1'],
    ['isempty(null)', 'isempty(n)', true],
    ['isempty of an empty string', `isempty('')`, true],
    ['isnull of an empty string is false', `isnull('')`, false],
    ['iff with a null condition takes the else branch', `iff(n > 1, 'y', 'n')`, 'n'],
    ['a null value is in no list', 'n in (1, 2)', false],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression, nullRow)).toEqual([expected]);
  });

  it('where drops rows whose condition is null', () => {
    const rows = [{ x: 1 }, { x: null }, { x: 3 }];
    expect(executeQuery('t | where x > 1', { t: rows })).toEqual([{ x: 3 }]);
  });
});

describe('in operators', () => {
  it.each<[string, string, KqlValue]>([
    ['in finds a listed string', `'b' in ('a', 'b')`, true],
    ['in is case-sensitive', `'B' in ('a', 'b')`, false],
    ['in~ ignores case', `'B' in~ ('a', 'b')`, true],
    ['!in', `'c' !in ('a', 'b')`, true],
    ['!in~ ignores case', `'B' !in~ ('a', 'b')`, false],
    ['in expands a dynamic array', `'b' in (dynamic(['a', 'b']))`, true],
    ['in on numbers', '2 in (1, 2)', true],
    ['in is type-sensitive', `'2' in (1, 2)`, false],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual([expected]);
  });

  it('in accepts a list bound by let', () => {
    const rows = executeQuery(`let wanted = dynamic(['a', 'c']); t | where x in (wanted)`, { t: [{ x: 'a' }, { x: 'b' }, { x: 'c' }] });
    expect(rows).toEqual([{ x: 'a' }, { x: 'c' }]);
  });
});

describe('logical and string operators', () => {
  it.each<[string, string, KqlValue]>([
    ['and', 'true and false', false],
    ['or', 'true or false', true],
    ['not()', 'not(true)', false],
    ['has matches a whole term, ignoring case', `'North America' has 'america'`, true],
    ['has does not match part of a term', `'North America' has 'amer'`, false],
    ['!has', `'North America' !has 'amer'`, true],
    ['has_cs is case-sensitive', `'North America' has_cs 'america'`, false],
    ['!has_cs', `'North America' !has_cs 'america'`, true],
    ['has with punctuation in the needle', `'/providers/Microsoft.KeyVault/vaults/kv' has 'microsoft.keyvault'`, true],
    ['contains ignores case', `'Fabrikam' contains 'BRik'`, true],
    ['contains_cs is case-sensitive', `'Fabrikam' contains_cs 'BRik'`, false],
    ['!contains', `'Fabrikam' !contains 'xyz'`, true],
    ['!contains_cs', `'Fabrikam' !contains_cs 'BRik'`, true],
    ['startswith ignores case', `'Fabrikam' startswith 'fab'`, true],
    ['!startswith', `'Fabrikam' !startswith 'fab'`, false],
    ['startswith_cs', `'Fabrikam' startswith_cs 'fab'`, false],
    ['endswith ignores case', `'Fabrikam' endswith 'KAM'`, true],
    ['!endswith', `'Fabrikam' !endswith 'KAM'`, false],
    ['endswith_cs', `'Fabrikam' endswith_cs 'kam'`, true],
    ['!endswith_cs', `'Fabrikam' !endswith_cs 'KAM'`, true],
    ['!startswith_cs', `'Fabrikam' !startswith_cs 'fab'`, true],
    ['string operators read dynamic values as text', `dynamic({"a": "Secret"}) contains 'secret'`, true],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual([expected]);
  });
});

describe('arithmetic', () => {
  it.each<[string, string, KqlValue]>([
    ['+', '1 + 2', 3],
    ['-', '5 - 7', -2],
    ['*', '6 * 7', 42],
    ['/ on longs truncates', '7 / 2', 3],
    ['/ with a real literal is exact', '7.0 / 2', 3.5],
    ['/ after todouble() is exact', 'todouble(7) / 2', 3.5],
    ['%', '7 % 3', 1],
    ['division by zero is null', '1 / 0', null],
    ['unary minus', '-(3 + 1)', -4],
    ['non-numbers give null', `'a' + 1`, null],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual([expected]);
  });
});

describe('scalar functions', () => {
  it.each<[string, string, KqlValue]>([
    ['tolower', `tolower('AbC')`, 'abc'],
    ['toupper', `toupper('AbC')`, 'ABC'],
    ['tolower of a dynamic value converts it to text', `tolower(dynamic({"A": "B"}))`, '{"a":"b"}'],
    ['tostring of a number', 'tostring(12)', '12'],
    ['tostring of an array', 'tostring(dynamic([1, 2]))', '[1,2]'],
    ['toint of a numeric string', `toint('42')`, 42],
    ['toint truncates', 'toint(2.7)', 2],
    ['tolong of a non-number is null', `tolong('x')`, null],
    ['todouble of a string', `todouble('1.5')`, 1.5],
    ['toreal', 'toreal(2)', 2],
    ['tobool of a string ignores case', `tobool('TRUE')`, true],
    ['tobool of an unrecognised string is null', `tobool('yes')`, null],
    ['toboolean of a number', 'toboolean(0)', false],
    ['todynamic parses JSON', `todynamic('{"a": [1]}')`, { a: [1] }],
    ['parse_json keeps a string that is not JSON', `parse_json('not json')`, 'not json'],
    ['strlen', `strlen('hello')`, 5],
    ['substring with length', `substring('123456', 1, 2)`, '23'],
    ['substring to the end', `substring('123456', 2)`, '3456'],
    ['substring past the end is clamped', `substring('abc', 1, 10)`, 'bc'],
    ['substring with a negative start counts from the end', `substring('abcdef', -2)`, 'ef'],
    ['indexof finds a substring', `indexof('abcdefg', 'cde')`, 2],
    ['indexof is case-sensitive', `indexof('abc', 'B')`, -1],
    ['indexof from a start position', `indexof('abcabc', 'b', 2)`, 4],
    ['indexof from a negative start counts from the end', `indexof('abcabc', 'b', -3)`, 4],
    ['split', `split('aa_bb', '_')`, ['aa', 'bb']],
    ['split with an index returns a one-element array', `split('aaa_bbb_ccc', '_', 1)`, ['bbb']],
    ['split of an empty string', `split('', '_')`, ['']],
    ['strcat', `strcat('a', 'b', 1)`, 'ab1'],
    ['strcat_array', `strcat_array(dynamic([1, 'b']), '-')`, '1-b'],
    ['trim removes leading and trailing matches', `trim(@'[ /]+', ' /a/b/ ')`, 'a/b'],
    ['trim_end removes trailing matches only', `trim_end('/', '/a//')`, '/a'],
    ['replace_string replaces every occurrence', `replace_string('a.b.c', '.', '/')`, 'a/b/c'],
    ['iff', `iff(1 > 2, 'y', 'n')`, 'n'],
    ['iif', `iif(2 > 1, 'y', 'n')`, 'y'],
    ['case picks the first true predicate', `case(1 > 2, 'a', 2 > 1, 'b', 'c')`, 'b'],
    ['case falls back to its else value', `case(false, 'a', 'z')`, 'z'],
    ['isnull', 'isnull(1)', false],
    ['isnotnull', 'isnotnull(1)', true],
    ['isempty of an empty array is false (per the docs)', 'isempty(dynamic([]))', false],
    ['isnotempty', `isnotempty('x')`, true],
    ['coalesce skips nulls and empty strings', `coalesce(dynamic(null), '', 'x')`, 'x'],
    ['coalesce of numbers', 'coalesce(int(null), 5)', 5],
    ['array_length', 'array_length(dynamic([1, 2, 3]))', 3],
    ['array_length of a non-array is null', `array_length('abc')`, null],
    ['pack builds a bag, keeping null values', `pack('a', 1, 'b', dynamic(null))`, { a: 1, b: null }],
    ['bag_pack', `bag_pack('k', 'v')`, { k: 'v' }],
    ['pack_array', `pack_array(1, 'a')`, [1, 'a']],
    ['bag_keys', 'bag_keys(dynamic({"x": 1, "y": 2}))', ['x', 'y']],
    ['array_index_of', `array_index_of(dynamic(['a', 'b']), 'b')`, 1],
    ['array_index_of of a missing value', `array_index_of(dynamic(['a']), 'z')`, -1],
    ['set_has_element', 'set_has_element(dynamic([1, 2]), 2)', true],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual([expected]);
  });

  it('now() reads the injected clock once per query', () => {
    const ticks = [new Date('2024-05-06T07:08:09Z'), new Date('2030-01-01T00:00:00Z')];
    const clock = () => ticks.shift() ?? new Date(0);
    const rows = executeQuery('t | project a = now(), b = now()', { t: [{}] }, { now: clock });
    expect(rows).toEqual([{ a: '2024-05-06T07:08:09.000Z', b: '2024-05-06T07:08:09.000Z' }]);
  });
});

describe('unsupported scalar constructs', () => {
  it.each<[string, string, string]>([
    ['unknown function', 't | project v = frobnicate(1)', "Unknown or unsupported function 'frobnicate'"],
    ['aggregate outside summarize', 't | project v = count()', "Aggregate function 'count()' can only be used in summarize"],
    ['wrong number of arguments', `t | project v = substring('a')`, "Function 'substring' expects 2 to 3 argument(s), got 1"],
    ['unknown column', 't | where nosuch == 1', "Failed to resolve scalar expression named 'nosuch'"],
    ['unsupported operator', `t | where 'a' matches regex 'a'`, "The 'matches regex' operator is not supported"],
    ['an impossible datetime literal', 't | project v = datetime(2024-02-30)', "Unsupported datetime literal 'datetime(2024-02-30)'"],
    ['a timespan literal in an unknown form', 't | project v = time(abc)', "Unsupported timespan literal 'time(abc)'"],
    ['unnamed computed column', `t | project tolower('A')`, "project: name the computed column, e.g. 'name = tolower('A')'"],
    ['case() without an else value', `t | project v = case(true, 1, false, 2)`, 'case() takes predicate/value pairs followed by an else value'],
    ['bag_pack() with a key but no value', `t | project v = bag_pack('a')`, 'pack()/bag_pack() takes key/value pairs'],
    ['an invalid trim() pattern', `t | project v = trim('(', 'a')`, "Invalid regular expression '('"],
  ])('%s is rejected with a message naming it', (_scenario, query, detail) => {
    expect(errorOf(query).details).toEqual([detail]);
  });
});

describe('hash(): XXH64, as Kusto computes it', () => {
  it.each([
    { scenario: "Kusto's documented example", expression: "hash('World', 100)", value: 51 },
    { scenario: 'the unmodded hash of the same string', expression: "hash('World')", value: 1846988464401551951 },
    { scenario: 'hash_xxhash64, its other name', expression: "hash_xxhash64('World', 100)", value: 51 },
    { scenario: 'the empty string: XXH64 of no bytes, modulo 1000', expression: "hash('', 1000)", value: Number(0xef46db3751d8e999n % 1000n) },
  ])('$scenario', ({ expression, value }) => {
    expect(executeQuery(`one | project h = ${expression}`, { one: [{}] })).toEqual([{ h: value }]);
  });

  it('puts every id in exactly one of n partitions, whatever its casing after tolower', () => {
    const ids = Array.from({ length: 200 }, (_, i) => ({ id: `/subscriptions/S/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv-${i}` }));
    const partitions = [0, 1, 2, 3].map((i) => executeQuery(`items | where hash(tolower(id), 4) == ${i} | project id`, { items: ids }).map((r) => r['id']));
    expect(partitions.flat().sort()).toEqual(ids.map((r) => r.id).sort());
    expect(partitions.every((p) => p.length > 20)).toBe(true);
  });
});
