/**
 * `+ - * / %` and unary minus on numbers, datetimes and timespans, per the KQL docs on datetime/timespan
 * arithmetic: datetime - datetime is a timespan, datetime ± timespan a datetime, timespan ± timespan a timespan,
 * timespan * number a timespan, timespan / timespan a real. Anything else (a string, a bool, a type error) is null.
 */
import { asDateTime, dateTimeOrNull, KqlTimespan, timespanOrNull } from './datetime.js';
import { finiteOrNull, type ScalarValue } from './values.js';

export type BinaryOperator = (a: ScalarValue, b: ScalarValue) => ScalarValue;

const isNumber = (v: ScalarValue): v is number => typeof v === 'number';

export const add: BinaryOperator = (a, b) => {
  if (isNumber(a) && isNumber(b)) return finiteOrNull(a + b);
  if (a instanceof KqlTimespan && b instanceof KqlTimespan) return timespanOrNull(a.ms + b.ms);
  if (b instanceof KqlTimespan) return shiftDateTime(a, b.ms);
  if (a instanceof KqlTimespan) return shiftDateTime(b, a.ms);
  return null;
};

export const subtract: BinaryOperator = (a, b) => {
  if (isNumber(a) && isNumber(b)) return finiteOrNull(a - b);
  if (a instanceof KqlTimespan && b instanceof KqlTimespan) return timespanOrNull(a.ms - b.ms);
  if (b instanceof KqlTimespan) return shiftDateTime(a, -b.ms);
  // Datetimes or ISO strings (see datetime.ts): `-` of two strings is not valid KQL, so two ISO strings here can
  // only be datetime columns of the input rows.
  const x = asDateTime(a);
  const y = asDateTime(b);
  return x === null || y === null ? null : timespanOrNull(x - y);
};

/** A datetime (or a string denoting one) moved by `ms`. */
function shiftDateTime(value: ScalarValue, ms: number): ScalarValue {
  const start = asDateTime(value);
  return start === null ? null : dateTimeOrNull(start + ms);
}

export const multiply: BinaryOperator = (a, b) => {
  if (isNumber(a) && isNumber(b)) return finiteOrNull(a * b);
  if (a instanceof KqlTimespan && isNumber(b)) return timespanOrNull(a.ms * b);
  if (isNumber(a) && b instanceof KqlTimespan) return timespanOrNull(a * b.ms);
  return null;
};

/**
 * KQL divides integers (`long`) with truncation and reals exactly; `isReal` says whether the expression is real.
 * Division by zero is null.
 */
export function divide(a: ScalarValue, b: ScalarValue, isReal: boolean): ScalarValue {
  if (a instanceof KqlTimespan && b instanceof KqlTimespan) return b.ms === 0 ? null : finiteOrNull(a.ms / b.ms);
  if (a instanceof KqlTimespan && isNumber(b)) return b === 0 ? null : timespanOrNull(a.ms / b);
  if (!isNumber(a) || !isNumber(b) || b === 0) return null;
  return !isReal && Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : finiteOrNull(a / b);
}

export const modulo: BinaryOperator = (a, b) => {
  if (isNumber(a) && isNumber(b)) return finiteOrNull(a % b);
  if (a instanceof KqlTimespan && b instanceof KqlTimespan) return b.ms === 0 ? null : timespanOrNull(a.ms % b.ms);
  return null;
};

export function negate(value: ScalarValue): ScalarValue {
  if (isNumber(value)) return -value;
  return value instanceof KqlTimespan ? new KqlTimespan(-value.ms) : null;
}
