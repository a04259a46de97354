/**
 * KQL's datetime and timespan values, and the calendar arithmetic on them.
 *
 * Inside the interpreter both are tagged values holding milliseconds (since the Unix epoch, or of duration),
 * so comparisons and arithmetic are exact to the millisecond; Kusto's 100 ns ticks below that are not kept.
 * Rows in and out carry them as text: a datetime leaves as an ISO 8601 string (`toISOString()`), a timespan
 * as Kusto writes it (`[-][d.]hh:mm:ss[.fffffff]`).
 *
 * Input rows are JSON, so a datetime column of a source table (Log Analytics' `TimeGenerated`) holds strings.
 * Rule: a string in ISO 8601 form (see `parseDateTime`) is read as the instant it denotes wherever KQL needs a
 * datetime: in arithmetic with a timespan or datetime (and `-` of two such strings, which KQL only allows for
 * datetimes), in a comparison or `between` with a datetime, as the argument of a datetime function; and two such
 * strings order by instant (sort, top, min, max, arg_max), which keeps fixtures written as `...00Z` and
 * `...00.000Z` in time order. Elsewhere a string stays a string: `==` between two strings compares text, and
 * `summarize by`, `join` and `distinct` key on it; a row's string passes through to the output unchanged.
 */

export class KqlDateTime {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}

export class KqlTimespan {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
const TICKS_PER_MS = 10_000;

/** Kusto's datetime range: 0001-01-01 to 9999-12-31. */
const MIN_DATETIME_MS = -62_135_596_800_000;
const MAX_DATETIME_MS = 253_402_300_799_999;

const inDateTimeRange = (ms: number): boolean => Number.isFinite(ms) && ms >= MIN_DATETIME_MS && ms <= MAX_DATETIME_MS;

/** A datetime, or null outside Kusto's range (arithmetic can leave it). */
export function dateTimeOrNull(ms: number): KqlDateTime | null {
  return inDateTimeRange(ms) ? new KqlDateTime(ms) : null;
}

export function timespanOrNull(ms: number): KqlTimespan | null {
  return Number.isFinite(ms) ? new KqlTimespan(ms) : null;
}

const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Epoch milliseconds of an ISO 8601 date or date-time (`2026-01-02`, `2026-01-02T03:04:05.678Z`, `2026-01-02 03:04`,
 * `...+02:00`), else null. Without an offset it is UTC, as in Kusto. Digits below the millisecond are dropped.
 */
export function parseDateTime(text: string): number | null {
  const match = isoDateTime.exec(text.trim());
  if (match === null) return null;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const fields = [year, month, day, hour, minute, second].map(Number);
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = fields;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // unlike Date.UTC, keeps years below 100 as they are
  date.setUTCHours(h, mi, s, Number(fraction.slice(1, 4).padEnd(3, '0')));
  // Date rolls 2026-02-30 over into March; Kusto rejects it.
  const actual = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ];
  if (actual.some((value, i) => value !== fields[i])) return null;
  const ms = date.getTime() - zoneOffsetMs(zone);
  return inDateTimeRange(ms) ? ms : null;
}

function zoneOffsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return (zone.startsWith('-') ? -minutes : minutes) * MS_PER_MINUTE;
}

/** Epoch milliseconds of a datetime, or of a string holding one (the rule above); else null. */
export function asDateTime(value: unknown): number | null {
  if (value instanceof KqlDateTime) return value.ms;
  return typeof value === 'string' ? parseDateTime(value) : null;
}

/** todatetime(): a datetime, or a string in ISO 8601 form (other formats Kusto accepts, such as RFC 822, are not). */
export function toDateTime(value: unknown): KqlDateTime | null {
  const ms = asDateTime(value);
  return ms === null ? null : new KqlDateTime(ms);
}

const timespanUnits = new Map<string, number>([
  ...['d', 'day', 'days'].map((u) => [u, MS_PER_DAY] as const),
  ...['h', 'hr', 'hrs', 'hour', 'hours'].map((u) => [u, MS_PER_HOUR] as const),
  ...['m', 'min', 'minute', 'minutes'].map((u) => [u, MS_PER_MINUTE] as const),
  ...['s', 'sec', 'second', 'seconds'].map((u) => [u, MS_PER_SECOND] as const),
  ...['ms', 'milli', 'millis', 'millisec', 'millisecond', 'milliseconds'].map((u) => [u, 1] as const),
  ...['micro', 'micros', 'microsec', 'microsecond', 'microseconds'].map((u) => [u, 1 / 1000] as const),
  ...['nano', 'nanos', 'nanosec', 'nanosecond', 'nanoseconds'].map((u) => [u, 1 / 1_000_000] as const),
  ...['tick', 'ticks'].map((u) => [u, 1 / TICKS_PER_MS] as const),
]);

const unitTimespan = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;
const clockTimespan = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?$/;

/**
 * Milliseconds of a timespan literal's text, as the parser gives it: `2d`, `1.5h`, `30m`, `10s`, `100ms`, `1tick`,
 * `15 seconds`, a bare number of days (`time(2)`), or `[-][d.]hh:mm[:ss[.fffffff]]` (`time(1.00:00:00)`).
 * Undefined when the text is none of these.
 */
export function parseTimespan(text: string): number | undefined {
  const unit = unitTimespan.exec(text.trim());
  if (unit !== null) {
    const size = timespanUnits.get((unit[2] ?? '').toLowerCase() || 'd');
    return size === undefined ? undefined : Number(unit[1]) * size;
  }
  const clock = clockTimespan.exec(text.trim());
  if (clock === null) return undefined;
  const [, minus, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = clock;
  const ms =
    Number(days) * MS_PER_DAY +
    Number(hours) * MS_PER_HOUR +
    Number(minutes) * MS_PER_MINUTE +
    Number(seconds) * MS_PER_SECOND +
    Number(fraction.slice(1).padEnd(7, '0')) / TICKS_PER_MS; // the fraction counts ticks
  return minus === undefined ? ms : -ms;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Kusto's text for a timespan: `1.02:03:04.5000000`, `00:30:00`, `-01:00:00`. */
function timespanText(value: KqlTimespan): string {
  const ticks = Math.round(Math.abs(value.ms) * TICKS_PER_MS);
  const totalSeconds = Math.floor(ticks / (MS_PER_SECOND * TICKS_PER_MS));
  const fraction = ticks % (MS_PER_SECOND * TICKS_PER_MS);
  const days = Math.floor(totalSeconds / 86_400);
  const clock = `${pad(Math.floor(totalSeconds / 3600) % 24)}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
  return `${value.ms < 0 ? '-' : ''}${days > 0 ? `${days}.` : ''}${clock}${fraction > 0 ? `.${pad(fraction, 7)}` : ''}`;
}

/** How a datetime or timespan is written into JSON: into an output row, or into a dynamic array or bag. */
export function temporalText(value: KqlDateTime | KqlTimespan): string {
  return value instanceof KqlDateTime ? new Date(value.ms).toISOString() : timespanText(value);
}

/**
 * bin() of a datetime: bins are aligned to 0001-01-01 as in Kusto (so 7d bins start on Mondays);
 * for bins that divide a day this is the same as aligning to midnight.
 */
export function binDateTime(ms: number, size: number): number {
  return Math.floor((ms - MIN_DATETIME_MS) / size) * size + MIN_DATETIME_MS;
}

export type CalendarUnit = 'day' | 'week' | 'month' | 'year';

/** startofday()/startofweek()/…: the start of the unit holding `ms`, moved by `offset` units. Weeks start on Sunday. */
export function startOf(unit: CalendarUnit, ms: number, offset: number): number {
  const date = new Date(ms);
  switch (unit) {
    case 'day':
      return (Math.floor(ms / MS_PER_DAY) + offset) * MS_PER_DAY;
    case 'week':
      return (Math.floor(ms / MS_PER_DAY) - date.getUTCDay() + 7 * offset) * MS_PER_DAY;
    case 'month':
      return utcDate(date.getUTCFullYear(), date.getUTCMonth() + offset);
    case 'year':
      return utcDate(date.getUTCFullYear() + offset, 0);
  }
}

function utcDate(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 1);
  return date.getTime();
}

const fixedPeriods = new Map<string, number>([
  ['hour', MS_PER_HOUR],
  ['minute', MS_PER_MINUTE],
  ['second', MS_PER_SECOND],
  ['millisecond', 1],
]);

/**
 * datetime_diff(): how many period boundaries lie between b and a (a - b), per the KQL docs' examples:
 * from 2017-09-30 23:59 to 2017-10-29 00:00 is 29 days and 5 weeks. Undefined for a period this module
 * cannot count (microsecond and nanosecond need the ticks it does not keep).
 */
export function datetimeDiff(period: string, a: number, b: number): number | undefined {
  const da = new Date(a);
  const db = new Date(b);
  const years = da.getUTCFullYear() - db.getUTCFullYear();
  switch (period.toLowerCase()) {
    case 'year':
      return years;
    case 'quarter':
      return years * 4 + Math.floor(da.getUTCMonth() / 3) - Math.floor(db.getUTCMonth() / 3);
    case 'month':
      return years * 12 + da.getUTCMonth() - db.getUTCMonth();
    case 'week':
      return (startOf('week', a, 0) - startOf('week', b, 0)) / (7 * MS_PER_DAY);
    case 'day':
      return (startOf('day', a, 0) - startOf('day', b, 0)) / MS_PER_DAY;
  }
  const size = fixedPeriods.get(period.toLowerCase());
  return size === undefined ? undefined : Math.floor(a / size) - Math.floor(b / size);
}

const hour12 = (d: Date): number => d.getUTCHours() % 12 || 12;
/** Milliseconds, then zeros for the ticks this module does not keep: the digits `f` and `F` elements take from. */
const fractionDigits = (d: Date): string => pad(d.getUTCMilliseconds(), 3).padEnd(7, '0');

const formatElements = new Map<string, (d: Date) => string>([
  ['yyyy', (d) => pad(d.getUTCFullYear(), 4)],
  ['yy', (d) => pad(d.getUTCFullYear() % 100)],
  ['y', (d) => String(d.getUTCFullYear() % 100)],
  ['MM', (d) => pad(d.getUTCMonth() + 1)],
  ['M', (d) => String(d.getUTCMonth() + 1)],
  ['dd', (d) => pad(d.getUTCDate())],
  ['d', (d) => String(d.getUTCDate())],
  ['HH', (d) => pad(d.getUTCHours())],
  ['H', (d) => String(d.getUTCHours())],
  ['hh', (d) => pad(hour12(d))],
  ['h', (d) => String(hour12(d))],
  ['mm', (d) => pad(d.getUTCMinutes())],
  ['m', (d) => String(d.getUTCMinutes())],
  ['ss', (d) => pad(d.getUTCSeconds())],
  ['s', (d) => String(d.getUTCSeconds())],
  ['tt', (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM')],
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((n) => [
    ['f'.repeat(n), (d: Date) => fractionDigits(d).slice(0, n)] as const,
    // `F` elements drop trailing zeros.
    ['F'.repeat(n), (d: Date) => fractionDigits(d).slice(0, n).replace(/0+$/, '')] as const,
  ]),
]);

/** Format elements, longest first so that `yyyy` is not read as `yy` twice, and the delimiters the docs list. */
const formatTokens = new RegExp(`${[...formatElements.keys()].sort((a, b) => b.length - a.length).join('|')}|[ /\\-:,._[\\]]`, 'g');

/**
 * format_datetime() with the format elements and delimiters the KQL docs list; undefined when the format
 * holds anything else.
 */
export function formatDateTime(ms: number, format: string): string | undefined {
  const date = new Date(ms);
  const tokens = format.match(formatTokens) ?? [];
  if (tokens.join('') !== format) return undefined;
  return tokens.map((token) => formatElements.get(token)?.(date) ?? token).join('');
}
