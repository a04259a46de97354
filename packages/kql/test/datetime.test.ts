import { describe, expect, it } from 'vitest';
import { executeQuery, type KqlRow, type KqlTables, type KqlValue, type UnsupportedQueryError } from '../src/index.js';
import { unsupportedError } from './unsupported.js';

const now = () => new Date('2026-01-10T12:00:00Z');

/** A row as Log Analytics fixtures hold it: datetime columns are ISO strings. */
const row: KqlRow = {
  t: '2026-01-09T08:00:00Z',
  sameInstant: '2026-01-09T08:00:00.000Z',
  halfSecondLater: '2026-01-09T08:00:00.500Z',
  day: '2026-01-20',
  text: 'not a date',
  exemption: { Until: '2026-01-20' },
  n: null,
};

function evaluate(expression: string): KqlValue | undefined {
  return executeQuery(`t | project v = ${expression}`, { t: [row] }, { now })[0]?.v;
}

function run(query: string, tables: KqlTables): KqlRow[] {
  return executeQuery(query, tables, { now });
}

const errorOf = (query: string): UnsupportedQueryError => unsupportedError(query, (q) => executeQuery(q, { t: [row] }, { now }));

describe('timespan literals (written out as Kusto writes timespans)', () => {
  it.each<[string, KqlValue]>([
    ['2d', '2.00:00:00'],
    ['1.5h', '01:30:00'],
    ['30m', '00:30:00'],
    ['10s', '00:00:10'],
    ['100ms', '00:00:00.1000000'],
    ['1tick', '00:00:00.0000001'],
    ['time(1.00:00:00)', '1.00:00:00'],
    ['timespan(00:05:00)', '00:05:00'],
    ['time(2)', '2.00:00:00'],
    ['timespan(15 seconds)', '00:00:15'],
    ['time(null)', null],
    ['-1h', '-01:00:00'],
  ])('%s', (expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});

describe('datetime and timespan arithmetic (per the KQL datetime/timespan arithmetic docs)', () => {
  it.each<[string, string, KqlValue]>([
    ['datetime + timespan', 'datetime(2026-01-01) + 1d', '2026-01-02T00:00:00.000Z'],
    ['timespan + datetime', '1d + datetime(2026-01-01)', '2026-01-02T00:00:00.000Z'],
    ['datetime - timespan', 'datetime(2026-01-01) - 30m', '2025-12-31T23:30:00.000Z'],
    ['datetime - datetime is a timespan', 'datetime(2026-01-03) - datetime(2026-01-01 12:00)', '1.12:00:00'],
    ['a negative difference', 'datetime(2026-01-01) - datetime(2026-01-02)', '-1.00:00:00'],
    ['timespan + timespan', '1d + 2h', '1.02:00:00'],
    ['timespan - timespan', '1d - 2h', '22:00:00'],
    ['number * timespan', '2 * 1h', '02:00:00'],
    ['timespan * real', '1h * 1.5', '01:30:00'],
    ['timespan / timespan is a real', '1d / 1h', 24],
    ['timespan / number', '1d / 4', '06:00:00'],
    ['timespan % timespan', '90s % 1m', '00:00:30'],
    ['datetime + datetime is not defined', 'datetime(2026-01-01) + datetime(2026-01-01)', null],
    ['datetime + number is not defined', 'datetime(2026-01-01) + 1', null],
    ['leaving the datetime range gives null', 'datetime(9999-12-31) + 1d', null],
    ['division by a zero timespan', '1d / 0s', null],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});

describe('comparisons', () => {
  it.each<[string, string, KqlValue]>([
    ['datetimes by instant', 'datetime(2026-01-02) > datetime(2026-01-01)', true],
    ['timespans by length', '1d > 23h', true],
    ['equal datetimes written differently', 'datetime(2026-01-01) == datetime(2026-01-01 00:00:00.000)', true],
    ['equal timespans written differently', '1d == 24h', true],
    ['a datetime and a timespan are not comparable', 'datetime(2026-01-01) > 1d', null],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});

describe('ISO strings from input rows are read as datetimes where KQL needs a datetime', () => {
  it.each<[string, string, KqlValue]>([
    ['compared with ago()', 't > ago(2d)', true],
    ['compared with ago(), other side', 't > ago(1d)', false],
    ['equal to a datetime literal', 't == datetime(2026-01-09 08:00)', true],
    ['now() minus a row datetime', 'now() - t', '1.04:00:00'],
    ['a row datetime plus a timespan', 't + 1h', '2026-01-09T09:00:00.000Z'],
    ['a row datetime minus a row datetime', 'halfSecondLater - t', '00:00:00.5000000'],
    ['two row datetimes order by instant, not by text', 't < halfSecondLater', true],
    ['a date-only string', 'day > now()', true],
    ['a dynamic member', 'todatetime(exemption.Until) - now()', '9.12:00:00'],
    ['a row datetime passes through as written', 't', '2026-01-09T08:00:00Z'],
    ['== of two strings stays string equality', 't == sameInstant', false],
    ['todatetime() makes them datetimes', 'todatetime(t) == todatetime(sameInstant)', true],
    ['a string that is no datetime is not comparable with one', 'text > now()', null],
    ['nor usable in datetime arithmetic', 'text - 1h', null],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});

describe('date and time functions', () => {
  it.each<[string, string, KqlValue]>([
    ['now() reads the injected clock', 'now()', '2026-01-10T12:00:00.000Z'],
    ['now() with an offset', 'now(-1h)', '2026-01-10T11:00:00.000Z'],
    ['ago()', 'ago(1d)', '2026-01-09T12:00:00.000Z'],
    ['bin() of a datetime to days', 'bin(datetime(2026-01-09 13:45), 1d)', '2026-01-09T00:00:00.000Z'],
    ['bin() of a datetime to hours', 'bin(datetime(2026-01-09 13:45), 6h)', '2026-01-09T12:00:00.000Z'],
    ['bin() to weeks aligns to 0001-01-01, a Monday', 'bin(datetime(2026-01-09 13:45), 7d)', '2026-01-05T00:00:00.000Z'],
    ['bin() of a row datetime', 'bin(t, 1d)', '2026-01-09T00:00:00.000Z'],
    ['bin() of a timespan (docs example)', 'bin(time(16d), 7d)', '14.00:00:00'],
    ['bin() of a number (docs example)', 'bin(4.5, 1)', 4],
    ['bin() with a negative size is null', 'bin(t, -1d)', null],
    ['startofday()', 'startofday(t)', '2026-01-09T00:00:00.000Z'],
    ['startofday() with an offset', 'startofday(t, -1)', '2026-01-08T00:00:00.000Z'],
    ['startofweek() is the Sunday before', 'startofweek(datetime(2026-01-10))', '2026-01-04T00:00:00.000Z'],
    ['startofmonth() with an offset', 'startofmonth(datetime(2026-01-10), 1)', '2026-02-01T00:00:00.000Z'],
    ['startofyear()', 'startofyear(datetime(2026-05-10))', '2026-01-01T00:00:00.000Z'],
    ['todatetime() of a date', `todatetime('2026-01-20')`, '2026-01-20T00:00:00.000Z'],
    ['todatetime() of a date-time with an offset', `todatetime('2026-01-20T10:00:00+02:00')`, '2026-01-20T08:00:00.000Z'],
    ['todatetime() of an impossible date', `todatetime('2026-02-30')`, null],
    ['todatetime() of text', `todatetime('yesterday')`, null],
    ['datetime_diff() year (docs example)', `datetime_diff('year', datetime(2017-01-01), datetime(2000-12-31))`, 17],
    ['datetime_diff() quarter (docs example)', `datetime_diff('quarter', datetime(2017-07-01), datetime(2017-03-30))`, 2],
    ['datetime_diff() month (docs example)', `datetime_diff('month', datetime(2017-01-01), datetime(2015-12-30))`, 13],
    ['datetime_diff() week (docs example)', `datetime_diff('week', datetime(2017-10-29 00:00), datetime(2017-09-30 23:59))`, 5],
    ['datetime_diff() day (docs example)', `datetime_diff('day', datetime(2017-10-29 00:00), datetime(2017-09-30 23:59))`, 29],
    ['datetime_diff() hour (docs example)', `datetime_diff('hour', datetime(2017-10-31 01:00), datetime(2017-10-30 23:59))`, 2],
    ['datetime_diff() minute (docs example)', `datetime_diff('minute', datetime(2017-10-30 23:05:01), datetime(2017-10-30 23:00:59))`, 5],
    ['datetime_diff() second (docs example)', `datetime_diff('second', datetime(2017-10-30 23:00:10.100), datetime(2017-10-30 23:00:00.900))`, 10],
    ['datetime_diff() millisecond (docs example)', `datetime_diff('millisecond', datetime(2017-10-30 23:00:00.200100), datetime(2017-10-30 23:00:00.100900))`, 100],
    ['datetime_diff() is negative when the first is earlier', `datetime_diff('Day', datetime(2026-01-01), datetime(2026-01-03))`, -2],
    ['format_datetime() (docs example)', `format_datetime(datetime(2017-01-29 09:00:05), 'yy-MM-dd [HH:mm:ss]')`, '17-01-29 [09:00:05]'],
    ['format_datetime() short elements (docs example)', `format_datetime(datetime(2017-01-29 09:00:05), 'yyyy-M-dd [H:mm:ss]')`, '2017-1-29 [9:00:05]'],
    ['format_datetime() 12-hour clock (docs example)', `format_datetime(datetime(2017-01-29 09:00:05), 'yy-MM-dd [hh:mm:ss tt]')`, '17-01-29 [09:00:05 AM]'],
    ['format_datetime() fractions', `format_datetime(datetime(2017-01-29 09:00:05.120), 'ss.fff ss.FFFF')`, '05.120 05.12'],
    ['format_datetime() of a row datetime', `format_datetime(t, 'yyyy-MM-dd')`, '2026-01-09'],
    ['tostring() of a timespan', 'tostring(1d + 1s)', '1.00:00:01'],
    ['tolong() of a timespan counts ticks', 'tolong(1s)', 10_000_000],
    ['strcat() writes datetimes and timespans as output does', `strcat(datetime(2026-01-01), ' | ', 2h)`, '2026-01-01T00:00:00.000Z | 02:00:00'],
    ['a datetime put into a dynamic bag is its text', `pack('at', datetime(2026-01-01))`, { at: '2026-01-01T00:00:00.000Z' }],
    ['round() half away from zero', 'round(2.5)', 3],
    ['round() to decimals (docs example)', 'round(2.15, 1)', 2.2],
    ['round() to hundreds (docs example)', 'round(-50.55, -2)', -100],
    ['round() to tens (docs example)', 'round(21.5, -1)', 20],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});

describe('between', () => {
  it.each<[string, string, KqlValue]>([
    ['inclusive at both ends', '5 between (1 .. 5)', true],
    ['!between', '6 !between (1 .. 5)', true],
    ['a timespan upper bound counts from the lower one', 't between (datetime(2026-01-09) .. 1d)', true],
    ['row datetimes against ago() and now()', 't between (ago(1d) .. now())', false],
    ['null is not between anything', 'n between (1 .. 2)', null],
  ])('%s: %s', (_scenario, expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });
});

describe('datetimes in tabular operators', () => {
  const events: KqlTables = {
    Events: [
      { TimeGenerated: '2026-01-09T08:00:00Z', Kind: 'a' },
      { TimeGenerated: '2026-01-10T11:00:00.000Z', Kind: 'a' },
      { TimeGenerated: '2026-01-08T23:59:59.500Z', Kind: 'b' },
      { TimeGenerated: '2026-01-10T11:30:00Z', Kind: 'b' },
    ],
  };

  it.each<[string, string, KqlRow[]]>([
    [
      'a let-bound timespan is usable in later statements',
      'let lookback = 1d; let cutoff = ago(lookback); Events | where TimeGenerated > cutoff | project Kind',
      [{ Kind: 'a' }, { Kind: 'b' }],
    ],
    [
      'a datetime parameter of a user-defined function reads an ISO string as a datetime',
      `let at = (t: datetime) { Events | where TimeGenerated == t | project Kind }; at('2026-01-09T08:00:00.000Z')`,
      [{ Kind: 'a' }],
    ],
    [
      'summarize by bin() groups by day and names the column after its argument',
      'Events | summarize Count = count() by bin(TimeGenerated, 1d) | order by TimeGenerated asc',
      [
        { TimeGenerated: '2026-01-08T00:00:00.000Z', Count: 1 },
        { TimeGenerated: '2026-01-09T00:00:00.000Z', Count: 1 },
        { TimeGenerated: '2026-01-10T00:00:00.000Z', Count: 2 },
      ],
    ],
    [
      'order by sorts row datetimes by instant even when written differently',
      'Events | order by TimeGenerated asc | project TimeGenerated',
      [
        { TimeGenerated: '2026-01-08T23:59:59.500Z' },
        { TimeGenerated: '2026-01-09T08:00:00Z' },
        { TimeGenerated: '2026-01-10T11:00:00.000Z' },
        { TimeGenerated: '2026-01-10T11:30:00Z' },
      ],
    ],
    [
      'max() and min() of row datetimes return them as written',
      'Events | summarize Last = max(TimeGenerated), First = min(TimeGenerated)',
      [{ Last: '2026-01-10T11:30:00Z', First: '2026-01-08T23:59:59.500Z' }],
    ],
    [
      'avg() and sum() of timespans are timespans',
      'Events | summarize Mean = avg(now() - TimeGenerated), Total = sum(1h)',
      [{ Mean: '16:22:30.1250000', Total: '04:00:00' }],
    ],
    [
      'make_list() holds datetimes as text',
      `Events | where Kind == 'a' | summarize Days = make_list(startofday(TimeGenerated))`,
      [{ Days: ['2026-01-09T00:00:00.000Z', '2026-01-10T00:00:00.000Z'] }],
    ],
  ])('%s', (_scenario, query, expected) => {
    expect(run(query, events)).toEqual(expected);
  });
});

describe('unsupported date and time constructs are rejected with a message naming them', () => {
  it.each<[string, string, string]>([
    ['a datetime_diff period finer than milliseconds', `t | project v = datetime_diff('microsecond', now(), t)`, "datetime_diff: period 'microsecond' is not supported"],
    ['a format_datetime element outside the docs', `t | project v = format_datetime(now(), 'yyyy-MM-ddTHH')`, "format_datetime: format 'yyyy-MM-ddTHH' is not supported"],
    ['a datetime literal that is not ISO 8601', 't | project v = datetime(Sat, 8 Nov 2014)', "Unsupported datetime literal 'datetime(Sat, 8 Nov 2014)'"],
  ])('%s', (_scenario, query, detail) => {
    expect(errorOf(query).details).toEqual([detail]);
  });
});
