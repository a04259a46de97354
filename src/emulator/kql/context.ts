import type { ScalarScope } from './scalar.js';
import type { Clock } from './scalar-functions.js';
import type { SyntaxNode } from './syntax.js';
import type { Table } from './table.js';
import type { ScalarValue } from './values.js';

/** What a tabular operator needs beyond its input: the query's `let` values, the clock, and sub-queries. */
export interface QueryContext {
  readonly variables: ReadonlyMap<string, ScalarValue>;
  readonly now: Clock;
  /** Runs a tabular sub-expression: a join's right side, a union leg, the argument of toscalar() or `in`. */
  readonly evaluateTabular: (node: SyntaxNode) => Table;
  /** Whether an expression is tabular: a table, a tabular `let`, or a query. */
  readonly isTabular: (node: SyntaxNode) => boolean;
}

/** The scope for scalar expressions evaluated on the rows of `table`. */
export function scopeOf(table: Table, context: QueryContext): ScalarScope {
  const { variables, now, evaluateTabular, isTabular } = context;
  return { table, variables, now, evaluateTabular, isTabular };
}
