import { KqlTimespan } from './datetime.js';
import type { Evaluate, Row } from './table.js';
import { compareValues, toJson, valueKey, type ScalarValue } from './values.js';

export interface AggregateFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  /**
   * KQL's default column name is `<prefix>_<argument name>` (`make_list(x)` → `list_x`, `count()` → `count_`);
   * undefined means the argument's own name (`take_any(x)` → `x`). From Kusto.Language's Aggregates.
   */
  readonly namePrefix: string | undefined;
  /** Folds a group's rows, given the compiled arguments. */
  readonly aggregate: (rows: readonly Row[], args: readonly Evaluate[]) => ScalarValue;
}

/** The first argument's non-null values over the group's rows: per the docs, these aggregates ignore nulls. */
function nonNullValues(rows: readonly Row[], args: readonly Evaluate[]): NonNullable<ScalarValue>[] {
  const [evaluate] = args;
  if (evaluate === undefined) return [];
  return rows.map(evaluate).filter((v) => v !== null);
}

function distinctValues(values: readonly ScalarValue[]): ScalarValue[] {
  const seen = new Map<string, ScalarValue>();
  for (const v of values) if (!seen.has(valueKey(v))) seen.set(valueKey(v), v);
  return [...seen.values()];
}

function extreme(rows: readonly Row[], args: readonly Evaluate[], sign: 1 | -1): ScalarValue {
  let best: ScalarValue = null;
  for (const v of nonNullValues(rows, args)) {
    if (best === null || sign * compareValues(v, best) > 0) best = v;
  }
  return best;
}

/** take_any(x): "attempts to return a non-null/non-empty value, if present" (KQL docs). */
function takeAny(rows: readonly Row[], args: readonly Evaluate[]): ScalarValue {
  const values = nonNullValues(rows, args);
  return values.find((v) => v !== '') ?? values[0] ?? null;
}

/** The numbers, or else the timespans, among the values (a typed Kusto column holds one or the other). */
function addends(rows: readonly Row[], args: readonly Evaluate[]): { total: number; count: number; timespans: boolean } | undefined {
  const values = nonNullValues(rows, args);
  const numbers = values.filter((v) => typeof v === 'number');
  const timespans = values.filter((v) => v instanceof KqlTimespan).map((t) => t.ms);
  const terms = numbers.length > 0 ? numbers : timespans;
  if (terms.length === 0) return undefined;
  return { total: terms.reduce((sum, n) => sum + n, 0), count: terms.length, timespans: terms === timespans };
}

function sum(rows: readonly Row[], args: readonly Evaluate[]): ScalarValue {
  const terms = addends(rows, args);
  if (terms === undefined) return null;
  return terms.timespans ? new KqlTimespan(terms.total) : terms.total;
}

function avg(rows: readonly Row[], args: readonly Evaluate[]): ScalarValue {
  const terms = addends(rows, args);
  if (terms === undefined) return null;
  const mean = terms.total / terms.count;
  return terms.timespans ? new KqlTimespan(mean) : mean;
}

/**
 * make_list(x, maxSize) and make_set: the values as a dynamic array (which holds JSON: datetimes and timespans go in
 * as text), at most `maxSize` of them when it is given (a constant, so evaluated on no row).
 */
function collect(distinct: boolean): AggregateFunction['aggregate'] {
  return (rows, [value, maxSize]) => {
    const values = value === undefined ? [] : nonNullValues(rows, [value]);
    const limit = maxSize?.([]);
    const kept = distinct ? distinctValues(values) : values;
    return (typeof limit === 'number' ? kept.slice(0, Math.max(0, limit)) : kept).map(toJson);
  };
}

const makeList = collect(false);
const makeSet = collect(true);

/** The `…if` variant of an aggregate: the same over the rows where the predicate (the second argument) is true. */
function onlyIf(aggregate: AggregateFunction['aggregate']): AggregateFunction['aggregate'] {
  return (rows, [value, predicate, ...rest]) => {
    const matching = predicate === undefined ? [] : rows.filter((row) => predicate(row) === true);
    return aggregate(matching, value === undefined ? [] : [value, ...rest]);
  };
}

const dcount: AggregateFunction['aggregate'] = (rows, args) => distinctValues(nonNullValues(rows, args)).length;

/** The aggregation functions `summarize` supports, by KQL name (arg_max and arg_min are below). */
export const aggregateFunctions: ReadonlyMap<string, AggregateFunction> = new Map<string, AggregateFunction>([
  ['count', { minArgs: 0, maxArgs: 0, namePrefix: 'count', aggregate: (rows) => rows.length }],
  ['countif', { minArgs: 1, maxArgs: 1, namePrefix: 'countif', aggregate: (rows, [p]) => rows.filter((r) => p?.(r) === true).length }],
  ['make_list', { minArgs: 1, maxArgs: 2, namePrefix: 'list', aggregate: makeList }],
  ['make_list_if', { minArgs: 2, maxArgs: 3, namePrefix: 'list', aggregate: onlyIf(makeList) }],
  ['make_set', { minArgs: 1, maxArgs: 2, namePrefix: 'set', aggregate: makeSet }],
  ['make_set_if', { minArgs: 2, maxArgs: 3, namePrefix: 'set', aggregate: onlyIf(makeSet) }],
  ['take_any', { minArgs: 1, maxArgs: 1, namePrefix: undefined, aggregate: takeAny }],
  ['take_anyif', { minArgs: 2, maxArgs: 2, namePrefix: undefined, aggregate: onlyIf(takeAny) }],
  ['any', { minArgs: 1, maxArgs: 1, namePrefix: 'any', aggregate: takeAny }],
  ['min', { minArgs: 1, maxArgs: 1, namePrefix: 'min', aggregate: (rows, args) => extreme(rows, args, -1) }],
  ['minif', { minArgs: 2, maxArgs: 2, namePrefix: 'minif', aggregate: onlyIf((rows, args) => extreme(rows, args, -1)) }],
  ['max', { minArgs: 1, maxArgs: 1, namePrefix: 'max', aggregate: (rows, args) => extreme(rows, args, 1) }],
  ['maxif', { minArgs: 2, maxArgs: 2, namePrefix: 'maxif', aggregate: onlyIf((rows, args) => extreme(rows, args, 1)) }],
  ['sum', { minArgs: 1, maxArgs: 1, namePrefix: 'sum', aggregate: sum }],
  ['sumif', { minArgs: 2, maxArgs: 2, namePrefix: 'sumif', aggregate: onlyIf(sum) }],
  ['avg', { minArgs: 1, maxArgs: 1, namePrefix: 'avg', aggregate: avg }],
  ['avgif', { minArgs: 2, maxArgs: 2, namePrefix: 'avgif', aggregate: onlyIf(avg) }],
  // dcount's optional accuracy level only trades estimation error for speed; counting exactly satisfies every level.
  ['dcount', { minArgs: 1, maxArgs: 2, namePrefix: 'dcount', aggregate: dcount }],
  ['dcountif', { minArgs: 2, maxArgs: 3, namePrefix: 'dcountif', aggregate: onlyIf(dcount) }],
]);

/**
 * arg_max(ExprToMaximize, * | ExprToReturn, ...) and arg_min: they return columns of the row that maximizes
 * (minimizes) the expression, so summarize compiles them itself; this is the sign of the comparison.
 */
export const argExtremeFunctions: ReadonlyMap<string, 1 | -1> = new Map([
  ['arg_max', 1],
  ['arg_min', -1],
]);

export function isAggregateFunction(name: string): boolean {
  return aggregateFunctions.has(name) || argExtremeFunctions.has(name);
}

/**
 * The row of the group whose value is greatest (sign 1) or least (-1), the first such row on ties. Rows where the
 * value is null are skipped unless all are null; then it is the first row, as the arg_max docs' example shows.
 */
export function extremeRow(rows: readonly Row[], evaluate: Evaluate, sign: 1 | -1): { row: Row; value: ScalarValue } | undefined {
  let best: { row: Row; value: ScalarValue } | undefined;
  for (const row of rows) {
    const value = evaluate(row);
    const better = best === undefined || (value !== null && (best.value === null || sign * compareValues(value, best.value) > 0));
    if (better) best = { row, value };
  }
  return best;
}
