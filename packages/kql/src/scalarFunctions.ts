import {
  asDateTime,
  binDateTime,
  datetimeDiff,
  dateTimeOrNull,
  formatDateTime,
  KqlTimespan,
  startOf,
  toDateTime,
  type CalendarUnit,
} from './datetime.js';
import { unsupported } from './errors.js';
import { xxhash64 } from './xxhash64.js';
import { bagOf, finiteOrNull, isBag, sameValue, toJson, toKqlString, type KqlValue, type ScalarValue } from './values.js';

/** Supplies `now()`; injectable so that tests and the emulator can pin time. */
export type Clock = () => Date;

export interface ScalarFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  /**
   * How KQL names an unnamed column computed by this function (Kusto.Language's ResultNameKind):
   * `firstArgument` keeps the argument's name (`tostring(x)` → `x`), `nameAndFirstArgument` prefixes
   * the function name (`strlen(x)` → `strlen_x`). Other functions get no name and must be named explicitly.
   */
  readonly resultName?: 'firstArgument' | 'nameAndFirstArgument';
  readonly apply: (args: readonly ScalarValue[], now: Clock) => ScalarValue;
}

/**
 * hash(source [, mod]): XXH64 of a string's UTF-8 bytes; with `mod`, the unsigned hash modulo it, from 0 to
 * mod - 1 (exact). Without `mod`, Kusto's signed long, which a JavaScript number holds only approximately.
 * Other source types hash differently in Kusto and are not supported.
 */
function hashOf([source = null, mod = null]: readonly ScalarValue[]): ScalarValue {
  if (source === null) return null;
  if (typeof source !== 'string') throw unsupported('hash() of a non-string value is not supported');
  const hash = xxhash64(new TextEncoder().encode(source));
  if (mod === null) return Number(BigInt.asIntN(64, hash));
  if (typeof mod !== 'number' || !Number.isInteger(mod) || mod <= 0) return null;
  return Number(hash % BigInt(mod));
}

const MAX_ARGS = 64;

function fn(minArgs: number, maxArgs: number, apply: ScalarFunction['apply'], resultName?: ScalarFunction['resultName']): ScalarFunction {
  return { minArgs, maxArgs, apply, resultName };
}

function arg(args: readonly ScalarValue[], index: number): ScalarValue {
  return args[index] ?? null;
}

function toLong(value: ScalarValue): number | null {
  const n = toReal(value);
  return n === null ? null : Math.trunc(n);
}

/** A timespan converts to its count of 100 ns ticks, as in Kusto (`tolong(1s)` is 10000000). */
function toReal(value: ScalarValue): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') return finiteOrNull(Number(value));
  if (value instanceof KqlTimespan) return Math.round(value.ms * 10_000);
  return null;
}

function toBool(value: ScalarValue): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
  }
  return null;
}

/** parse_json: a string holding JSON becomes that JSON; any other string stays as it is (per the KQL docs). */
function parseJson(value: ScalarValue): KqlValue {
  if (typeof value !== 'string') return toJson(value);
  try {
    return JSON.parse(value) as KqlValue;
  } catch {
    return value;
  }
}

/** KQL index arguments: a negative position counts from the end of the string. */
function startPosition(start: number, length: number): number {
  return start < 0 ? Math.max(0, length + start) : Math.min(start, length);
}

function substring(source: string, start: ScalarValue, length: ScalarValue): string | null {
  const from = toLong(start);
  if (from === null) return null;
  const begin = startPosition(from, source.length);
  if (length === null) return source.slice(begin);
  const count = toLong(length);
  return count === null || count < 0 ? '' : source.slice(begin, begin + count);
}

function indexOf(source: string, lookup: string, start: ScalarValue): number | null {
  const from = start === null ? 0 : toLong(start);
  return from === null ? null : source.indexOf(lookup, startPosition(from, source.length));
}

function split(source: string, delimiter: string, index: ScalarValue): KqlValue {
  const parts = source.split(delimiter);
  if (index === null) return parts;
  const i = toLong(index);
  const part = i === null ? undefined : parts[i];
  return part === undefined ? [] : [part];
}

const trimPatterns = new Map<string, { start: RegExp; end: RegExp }>();

/** trim()/trim_end() take a regular expression (RE2 in Kusto; the simple patterns used in queries read the same in JS). */
function trimPattern(regex: string): { start: RegExp; end: RegExp } {
  let pattern = trimPatterns.get(regex);
  if (pattern === undefined) {
    try {
      pattern = { start: new RegExp(`^(?:${regex})+`), end: new RegExp(`(?:${regex})+$`) };
    } catch {
      throw unsupported(`Invalid regular expression '${regex}'`);
    }
    trimPatterns.set(regex, pattern);
  }
  return pattern;
}

function trim(regex: string, source: string, sides: 'both' | 'end'): string {
  const pattern = trimPattern(regex);
  const trimmedEnd = source.replace(pattern.end, '');
  return sides === 'both' ? trimmedEnd.replace(pattern.start, '') : trimmedEnd;
}

function isEmpty(value: ScalarValue): boolean {
  return value === null || value === '';
}

function caseOf(args: readonly ScalarValue[]): ScalarValue {
  if (args.length % 2 === 0) throw unsupported('case() takes predicate/value pairs followed by an else value');
  for (let i = 0; i + 1 < args.length; i += 2) {
    if (args[i] === true) return arg(args, i + 1);
  }
  return arg(args, args.length - 1);
}

function pack(args: readonly ScalarValue[]): KqlValue {
  if (args.length % 2 !== 0) throw unsupported('pack()/bag_pack() takes key/value pairs');
  const entries: [string, KqlValue][] = [];
  for (let i = 0; i + 1 < args.length; i += 2) entries.push([toKqlString(arg(args, i)), toJson(arg(args, i + 1))]);
  return bagOf(entries);
}

function arrayOrNull(value: ScalarValue): KqlValue[] | null {
  return Array.isArray(value) ? value : null;
}

/** round(): half away from zero, to `digits` decimal places (negative: to tens, hundreds…), per the KQL docs' examples. */
function round(value: ScalarValue, digits: ScalarValue): number | null {
  const places = digits === null ? 0 : toLong(digits);
  if (typeof value !== 'number' || places === null) return null;
  const scale = 10 ** places;
  return finiteOrNull((Math.sign(value) * Math.round(Math.abs(value) * scale)) / scale);
}

/** now(offset) is now + offset, ago(span) now - span; null when the argument is not a timespan. */
function nowPlus(now: Clock, offset: ScalarValue, sign: 1 | -1): ScalarValue {
  return offset instanceof KqlTimespan ? dateTimeOrNull(now().getTime() + sign * offset.ms) : null;
}


/** bin(): down to a multiple of the bin size; a datetime or timespan takes a timespan size (per the KQL docs). */
function bin(value: ScalarValue, size: ScalarValue): ScalarValue {
  if (typeof value === 'number' && typeof size === 'number') return size > 0 ? finiteOrNull(Math.floor(value / size) * size) : null;
  if (!(size instanceof KqlTimespan) || size.ms <= 0) return null;
  if (value instanceof KqlTimespan) return new KqlTimespan(Math.floor(value.ms / size.ms) * size.ms);
  const ms = asDateTime(value);
  return ms === null ? null : dateTimeOrNull(binDateTime(ms, size.ms));
}

function startOfFunction(unit: CalendarUnit): ScalarFunction['apply'] {
  return ([value = null, offset = null]) => {
    const ms = asDateTime(value);
    const units = offset === null ? 0 : toLong(offset);
    return ms === null || units === null ? null : dateTimeOrNull(startOf(unit, ms, units));
  };
}

function datetimeDiffOf(period: ScalarValue, a: ScalarValue, b: ScalarValue): number | null {
  const x = asDateTime(a);
  const y = asDateTime(b);
  if (x === null || y === null) return null;
  const diff = datetimeDiff(toKqlString(period), x, y);
  if (diff === undefined) throw unsupported(`datetime_diff: period '${toKqlString(period)}' is not supported`);
  return diff;
}

function formatDateTimeOf(value: ScalarValue, format: ScalarValue): string | null {
  const ms = asDateTime(value);
  if (ms === null) return null;
  const text = formatDateTime(ms, toKqlString(format));
  if (text === undefined) throw unsupported(`format_datetime: format '${toKqlString(format)}' is not supported`);
  return text;
}

/** The scalar functions the interpreter supports, by KQL name (names are case-sensitive in KQL). */
export const scalarFunctions: ReadonlyMap<string, ScalarFunction> = new Map<string, ScalarFunction>([
  ['hash', fn(1, 2, hashOf)],
  ['hash_xxhash64', fn(1, 2, hashOf)],
  ['tolower', fn(1, 1, ([v = null]) => toKqlString(v).toLowerCase())],
  ['toupper', fn(1, 1, ([v = null]) => toKqlString(v).toUpperCase())],
  ['tostring', fn(1, 1, ([v = null]) => toKqlString(v), 'firstArgument')],
  ['toint', fn(1, 1, ([v = null]) => toLong(v), 'firstArgument')],
  ['tolong', fn(1, 1, ([v = null]) => toLong(v), 'firstArgument')],
  ['todouble', fn(1, 1, ([v = null]) => toReal(v), 'firstArgument')],
  ['toreal', fn(1, 1, ([v = null]) => toReal(v), 'firstArgument')],
  ['tobool', fn(1, 1, ([v = null]) => toBool(v), 'firstArgument')],
  ['toboolean', fn(1, 1, ([v = null]) => toBool(v), 'firstArgument')],
  ['todynamic', fn(1, 1, ([v = null]) => parseJson(v), 'firstArgument')],
  ['parse_json', fn(1, 1, ([v = null]) => parseJson(v), 'firstArgument')],
  ['strlen', fn(1, 1, ([v = null]) => toKqlString(v).length, 'nameAndFirstArgument')],
  ['substring', fn(2, 3, ([s = null, start = null, length = null]) => substring(toKqlString(s), start, length))],
  ['indexof', fn(2, 3, ([s = null, lookup = null, start = null]) => indexOf(toKqlString(s), toKqlString(lookup), start))],
  ['split', fn(2, 3, ([s = null, d = null, i = null]) => split(toKqlString(s), toKqlString(d), i), 'firstArgument')],
  ['strcat', fn(1, MAX_ARGS, (args) => args.map(toKqlString).join(''))],
  ['strcat_array', fn(2, 2, ([a = null, d = null]) => (arrayOrNull(a) ?? []).map(toKqlString).join(toKqlString(d)))],
  ['trim', fn(2, 2, ([re = null, s = null]) => trim(toKqlString(re), toKqlString(s), 'both'))],
  ['trim_end', fn(2, 2, ([re = null, s = null]) => trim(toKqlString(re), toKqlString(s), 'end'))],
  ['replace_string', fn(3, 3, ([s = null, lookup = null, rewrite = null]) => toKqlString(s).replaceAll(toKqlString(lookup), toKqlString(rewrite)))],
  ['iff', fn(3, 3, ([c = null, then = null, otherwise = null]) => (c === true ? then : otherwise))],
  ['iif', fn(3, 3, ([c = null, then = null, otherwise = null]) => (c === true ? then : otherwise))],
  ['case', fn(3, MAX_ARGS, caseOf)],
  ['isnull', fn(1, 1, ([v = null]) => v === null)],
  ['isnotnull', fn(1, 1, ([v = null]) => v !== null)],
  ['isempty', fn(1, 1, ([v = null]) => isEmpty(v))],
  ['isnotempty', fn(1, 1, ([v = null]) => !isEmpty(v))],
  // Per the docs: the first value that is not null, nor an empty string.
  ['coalesce', fn(2, MAX_ARGS, (args) => args.find((v) => !isEmpty(v)) ?? arg(args, args.length - 1))],
  ['not', fn(1, 1, ([v = null]) => (typeof v === 'boolean' ? !v : null))],
  ['array_length', fn(1, 1, ([a = null]) => arrayOrNull(a)?.length ?? null)],
  ['array_index_of', fn(2, 2, ([a = null, v = null]) => arrayOrNull(a)?.findIndex((e) => e !== null && sameValue(e, v)) ?? null)],
  ['set_has_element', fn(2, 2, ([a = null, v = null]) => arrayOrNull(a)?.some((e) => e !== null && sameValue(e, v)) ?? null)],
  ['pack', fn(0, MAX_ARGS, pack)],
  ['bag_pack', fn(0, MAX_ARGS, pack)],
  ['pack_array', fn(0, MAX_ARGS, (args) => args.map(toJson))],
  ['bag_keys', fn(1, 1, ([b = null]) => (isBag(b) ? Object.keys(b) : null))],
  ['round', fn(1, 2, ([v = null, digits = null]) => round(v, digits), 'firstArgument')],
  // Date and time: strings in ISO 8601 form are read as datetimes (see datetime.ts).
  ['now', fn(0, 1, ([offset = new KqlTimespan(0)], now) => nowPlus(now, offset, 1))],
  ['ago', fn(1, 1, ([span = null], now) => nowPlus(now, span, -1))],
  ['todatetime', fn(1, 1, ([v = null]) => toDateTime(v), 'firstArgument')],
  ['bin', fn(2, 2, ([v = null, size = null]) => bin(v, size), 'firstArgument')],
  ['startofday', fn(1, 2, startOfFunction('day'), 'firstArgument')],
  ['startofweek', fn(1, 2, startOfFunction('week'))],
  ['startofmonth', fn(1, 2, startOfFunction('month'))],
  ['startofyear', fn(1, 2, startOfFunction('year'))],
  ['datetime_diff', fn(3, 3, ([period = null, a = null, b = null]) => datetimeDiffOf(period, a, b))],
  ['format_datetime', fn(2, 2, ([v = null, format = null]) => formatDateTimeOf(v, format), 'firstArgument')],
]);
