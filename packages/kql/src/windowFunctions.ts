/**
 * Window functions: row_number(), prev() and next() read other rows of a serialized row set
 * (https://learn.microsoft.com/kusto/query/window-functions).
 */
import type { Evaluate, Row } from './table.js';
import type { ScalarValue } from './values.js';

/** The rows an expression is evaluated on, in order, and the position of the row being evaluated. */
export class RowWindow {
  readonly rows: readonly Row[];
  private position = 0;

  constructor(rows: readonly Row[]) {
    this.rows = rows;
  }

  get current(): number {
    return this.position;
  }

  /** Evaluates on every row in order. */
  map(evaluate: Evaluate): ScalarValue[] {
    return this.rows.map((_, i) => this.at(i, evaluate));
  }

  /** Evaluates on the row at `position`, with window functions inside `evaluate` reading from there. */
  at(position: number, evaluate: Evaluate): ScalarValue {
    const saved = this.position;
    this.position = position;
    try {
      return evaluate(this.rows[position] ?? []);
    } finally {
      this.position = saved;
    }
  }
}

export interface WindowFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly compile: (args: readonly Evaluate[], window: RowWindow) => Evaluate;
}

/** A whole number argument, e.g. prev()'s offset; `fallback` when absent. */
function wholeNumber(value: ScalarValue, fallback: number): number | undefined {
  if (value === null) return fallback;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** prev(expr, offset = 1, default = null) and next(): `expr` on the row `direction * offset` away. */
function shifted(direction: 1 | -1): WindowFunction['compile'] {
  return ([value, offset, fallback], window) =>
    (row) => {
      const distance = wholeNumber(offset?.(row) ?? null, 1);
      const target = distance === undefined ? -1 : window.current + direction * distance;
      if (value === undefined || target < 0 || target >= window.rows.length) return fallback?.(row) ?? null;
      return window.at(target, value);
    };
}

/**
 * row_number(start = 1, restart = false): numbers rows from `start`, starting over at rows where `restart` is true.
 * The numbers are computed in row order up to the row asked for, so the result does not depend on which rows
 * an enclosing expression happens to evaluate.
 */
const rowNumber: WindowFunction['compile'] = ([start, restart], window) => {
  const numbers: number[] = [];
  const startAt = (position: number): number => wholeNumber(start === undefined ? null : window.at(position, start), 1) ?? 1;
  return () => {
    for (let i = numbers.length; i <= window.current; i++) {
      const restarts = i === 0 || (restart !== undefined && window.at(i, restart) === true);
      numbers.push(restarts ? startAt(i) : (numbers[i - 1] ?? 0) + 1);
    }
    return numbers[window.current] ?? null;
  };
};

/** The window functions the interpreter supports, by KQL name. */
export const windowFunctions: ReadonlyMap<string, WindowFunction> = new Map<string, WindowFunction>([
  ['row_number', { minArgs: 0, maxArgs: 2, compile: rowNumber }],
  ['prev', { minArgs: 1, maxArgs: 3, compile: shifted(-1) }],
  ['next', { minArgs: 1, maxArgs: 3, compile: shifted(1) }],
]);
