import { asDateTime, KqlDateTime, KqlTimespan, temporalText } from './datetime.js';

/** Values as rows carry them in and out: plain JSON. Kusto's `dynamic` is the JSON value itself. */
export type KqlValue = null | boolean | number | string | KqlValue[] | { [key: string]: KqlValue };
/**
 * Values as the interpreter computes them: JSON, or a datetime or timespan (see datetime.ts). These two appear
 * only as whole values: putting one into a dynamic array or bag writes it as text, as output rows do.
 */
export type ScalarValue = KqlValue | KqlDateTime | KqlTimespan;
export type KqlRow = Record<string, KqlValue>;
/** Tables by name; lookup is case-insensitive (ARG accepts `Resources` and `resources`). */
export type KqlTables = Readonly<Record<string, readonly KqlRow[]>>;

export type KqlBag = { [key: string]: KqlValue };

function isTemporal(value: ScalarValue): value is KqlDateTime | KqlTimespan {
  return value instanceof KqlDateTime || value instanceof KqlTimespan;
}

export function isBag(value: ScalarValue): value is KqlBag {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isTemporal(value);
}

/** The JSON for a value: what an output row or a dynamic array or bag holds. */
export function toJson(value: ScalarValue): KqlValue {
  return isTemporal(value) ? temporalText(value) : value;
}

/** A property of a bag, or null when absent (own properties only: `constructor` is not a property of `{}`). */
export function bagProperty(bag: KqlBag, key: string): KqlValue {
  return Object.hasOwn(bag, key) ? (bag[key] ?? null) : null;
}

/** Builds a bag whose keys may be any string, `__proto__` included. */
export function bagOf(entries: Iterable<readonly [string, KqlValue]>): KqlBag {
  return Object.fromEntries(entries) as KqlBag;
}

/** KQL `tostring()`: null is '', dynamic arrays and bags are their JSON text, datetimes and timespans as output. */
export function toKqlString(value: ScalarValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (isTemporal(value)) return temporalText(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A string that is equal for equal values and differs across types (1 vs '1', a datetime vs its text),
 * used to hash group-by, join, distinct and make_set keys.
 */
export function valueKey(value: ScalarValue): string {
  if (value instanceof KqlDateTime) return `datetime ${value.ms}`;
  if (value instanceof KqlTimespan) return `timespan ${value.ms}`;
  return `json ${JSON.stringify(value)}`;
}

/** valueKey() for several values at once (a row, the keys of a group). */
export function valuesKey(values: readonly ScalarValue[]): string {
  return JSON.stringify(values.map(valueKey));
}

/** Arithmetic can leave the JSON domain (1/0, 0/0); KQL's null is the closest JSON value. */
export function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/**
 * KQL `==` on values of one type; comparing values of different types is a type error in KQL, so false here.
 * A datetime equals a string denoting the same instant (datetime.ts explains when strings are datetimes).
 */
export function sameValue(a: ScalarValue, b: ScalarValue): boolean {
  if (a instanceof KqlDateTime || b instanceof KqlDateTime) {
    const ms = asDateTime(a);
    return ms !== null && ms === asDateTime(b);
  }
  if (a instanceof KqlTimespan || b instanceof KqlTimespan) {
    return a instanceof KqlTimespan && b instanceof KqlTimespan && a.ms === b.ms;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  return valueKey(a) === valueKey(b);
}

const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Orders two values of one KQL type: numbers numerically, strings ordinally (as Kusto sorts them), datetimes and
 * timespans by time. A datetime and a string denoting an instant compare as datetimes; so do two such strings,
 * which for ISO strings written alike is their ordinal order anyway (ties broken ordinally, so that only equal
 * strings compare equal). Undefined when either is null or they are of types KQL does not compare.
 */
export function compareScalars(a: ScalarValue, b: ScalarValue): number | undefined {
  if (a === null || b === null) return undefined;
  if (a instanceof KqlTimespan || b instanceof KqlTimespan) {
    return a instanceof KqlTimespan && b instanceof KqlTimespan ? a.ms - b.ms : undefined;
  }
  const bothStrings = typeof a === 'string' && typeof b === 'string';
  if (a instanceof KqlDateTime || b instanceof KqlDateTime || bothStrings) {
    const x = asDateTime(a);
    const y = asDateTime(b);
    if (x !== null && y !== null) return x - y || (bothStrings ? ordinal(a, b) : 0);
    if (!bothStrings) return undefined;
  }
  if (typeof a !== typeof b) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return ordinal(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return ordinal(valueKey(a), valueKey(b));
}

const typeRank = (value: NonNullable<ScalarValue>): number => {
  if (value instanceof KqlTimespan) return 2;
  if (value instanceof KqlDateTime) return 3;
  return { boolean: 0, number: 1, string: 4, object: 5 }[typeof value as 'boolean' | 'number' | 'string' | 'object'];
};

/**
 * A total order on non-null values for sorting and min/max: compareScalars(), and for values of different types,
 * which a typed Kusto column cannot hold, an order by type.
 */
export function compareValues(a: NonNullable<ScalarValue>, b: NonNullable<ScalarValue>): number {
  return compareScalars(a, b) ?? typeRank(a) - typeRank(b);
}
