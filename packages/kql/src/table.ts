import { unsupported } from './errors.js';
import { bagOf, toJson, type KqlRow, type ScalarValue } from './values.js';

/** A row as the interpreter holds it: values in the order of its table's columns. */
export type Row = readonly ScalarValue[];

/** A compiled scalar expression: its value on one row. */
export type Evaluate = (row: Row) => ScalarValue;

/** A tabular value: column names plus rows of values aligned with them. */
export interface Table {
  readonly columns: readonly string[];
  /**
   * True when the columns are not known: a source table with no rows has no row to learn them from.
   * References to unknown columns then read null instead of failing, as they would against ARG's fixed schema.
   */
  readonly openSchema: boolean;
  /**
   * True when the row order is meaningful, so window functions (row_number, prev, next) may read it. Per the
   * serialize operator's docs: set by serialize, order by and top; cleared by summarize, join, distinct, count,
   * mv-expand; kept by the other operators. Source tables are not serialized.
   */
  readonly serialized: boolean;
  readonly rows: readonly Row[];
}

/** Takes a source table's columns from its rows' keys, in order of first appearance. */
export function tableFromRows(rows: readonly KqlRow[]): Table {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return {
    columns,
    openSchema: rows.length === 0,
    serialized: false,
    rows: rows.map((row) => columns.map((c) => (Object.hasOwn(row, c) ? (row[c] ?? null) : null))),
  };
}

/** Every output row carries every column, null where it has no value, like an ARG result; datetimes as ISO strings. */
export function rowsFromTable(table: Table): KqlRow[] {
  return table.rows.map((row) => bagOf(table.columns.map((c, i) => [c, toJson(row[i] ?? null)] as const)));
}

/**
 * The position of a column, or undefined for a column an open schema does not list (it reads null).
 * Fails like ARG for a column the table does not have.
 */
export function findColumn(table: Pick<Table, 'columns' | 'openSchema'>, name: string): number | undefined {
  const index = table.columns.indexOf(name);
  if (index >= 0) return index;
  if (table.openSchema) return undefined;
  throw unsupported(`Failed to resolve scalar expression named '${name}'`);
}

/** Reads a column found with `findColumn`. */
export function readColumn(row: Row, index: number | undefined): ScalarValue {
  return index === undefined ? null : (row[index] ?? null);
}
