import type { Clock } from './scalarFunctions.js';
import type { SyntaxNode } from './syntax.js';
import type { Table } from './table.js';
import type { ScalarValue } from './values.js';
import type { RowWindow } from './windowFunctions.js';

/** What a tabular operator needs beyond its input: the query's `let` values, the clock, and sub-queries. */
export interface QueryContext {
  readonly variables: ReadonlyMap<string, ScalarValue>;
  readonly now: Clock;
  /** Runs a tabular sub-expression: a join's right side, a union leg, the argument of toscalar() or `in`. */
  readonly evaluateTabular: (node: SyntaxNode) => Table;
  /** Whether an expression is tabular: a table, a tabular `let`, or a query. */
  readonly isTabular: (node: SyntaxNode) => boolean;
}

/** What a scalar expression can refer to: the query's `let` values, clock and tables, and the row's columns. */
export interface ScalarScope extends QueryContext {
  /** The columns of the rows it is evaluated on. */
  readonly table: Pick<Table, 'columns' | 'openSchema'>;
  /** Present where window functions may be used: in extend, project and serialize on a serialized row set. */
  readonly window?: RowWindow;
}

/** The scope for scalar expressions evaluated on the rows of `table`. */
export function scopeOf(table: Table, context: QueryContext): ScalarScope {
  const { variables, now, evaluateTabular, isTabular } = context;
  return { table, variables, now, evaluateTabular, isTabular };
}
