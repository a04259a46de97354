/** The row-wise and ordering tabular operators; summarize and join have modules of their own. */
import { namedExpression } from './columnNames.js';
import { scopeOf, type QueryContext } from './context.js';
import { UnsupportedQueryError, unsupported } from './errors.js';
import { compileScalar, evaluateConstant } from './scalar.js';
import { child, keywordOf, listItems, nameOf, optionalChild, type SyntaxNode } from './syntax.js';
import { type Evaluate, findColumn, readColumn, type Row, type Table } from './table.js';
import { bagOf, compareValues, isBag, valuesKey, type ScalarValue } from './values.js';
import { RowWindow } from './windowFunctions.js';

export type TabularOperator = (input: Table, operator: SyntaxNode, context: QueryContext) => Table;

export function rejectParameters(operator: SyntaxNode, operatorName: string): void {
  const [parameter] = listItems(operator, 'Parameters');
  if (parameter !== undefined) throw unsupported(`${operatorName}: parameter '${parameter.text}' is not supported`);
}

export function assertDistinctColumns(columns: readonly string[], operatorName: string): void {
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate !== undefined) throw unsupported(`${operatorName}: duplicate column name '${duplicate}'`);
}

export const where: TabularOperator = (input, operator, context) => {
  const condition = compileScalar(child(operator, 'Condition'), scopeOf(input, context));
  // Only true passes: a null (unknown) condition drops the row, as the KQL docs specify.
  return { ...input, rows: input.rows.filter((row) => condition(row) === true) };
};

export const project: TabularOperator = (input, operator, context) =>
  projectExpressions(input, listItems(operator, 'Expressions'), context, 'project');

function projectExpressions(input: Table, nodes: readonly SyntaxNode[], context: QueryContext, operatorName: string): Table {
  const items = nodes.map((node) => namedExpression(node, operatorName));
  const columns = items.map((item) => item.name);
  assertDistinctColumns(columns, operatorName);
  const values = items.map((item) => columnValues(input, item.expression, context));
  return {
    columns,
    openSchema: false,
    serialized: input.serialized,
    rows: input.rows.map((_, i) => values.map((column) => column[i] ?? null)),
  };
}

/**
 * An expression's value on each row. On a serialized table it is evaluated through a window over the rows,
 * which window functions (row_number, prev, next) read; elsewhere they are rejected.
 */
function columnValues(table: Table, expression: SyntaxNode, context: QueryContext): ScalarValue[] {
  const window = table.serialized ? new RowWindow(table.rows) : undefined;
  const evaluate = compileScalar(expression, { ...scopeOf(table, context), window });
  return window === undefined ? table.rows.map(evaluate) : window.map(evaluate);
}

export const projectAway: TabularOperator = (input, operator) => {
  const removed = new Set<number>();
  for (const item of listItems(operator, 'Expressions')) {
    const name = nameOf(item);
    if (name.includes('*')) {
      const pattern = wildcardPattern(name);
      for (const [i, column] of input.columns.entries()) if (pattern.test(column)) removed.add(i);
    } else {
      const index = findColumn(input, name);
      if (index !== undefined) removed.add(index);
    }
  }
  const kept = [...input.columns.entries()].filter(([i]) => !removed.has(i));
  return selectColumns(input, kept.map(([i]) => i));
};

/** The table with only the columns at `positions`, in that order. */
function selectColumns(input: Table, positions: readonly number[]): Table {
  return {
    ...input,
    columns: positions.map((i) => input.columns[i] ?? ''),
    rows: input.rows.map((row) => positions.map((i) => row[i] ?? null)),
  };
}

/** `project-reorder a, b*`: the listed columns first, in the order listed (a wildcard's in table order), then the rest. */
export const projectReorder: TabularOperator = (input, operator) => {
  const first: number[] = [];
  for (const item of listItems(operator, 'Expressions')) {
    if (item.kind !== 'NameReference') {
      throw unsupported(`project-reorder: '${item.text}' is not supported (list column names or wildcards)`);
    }
    const name = nameOf(item);
    const pattern = name.includes('*') ? wildcardPattern(name) : undefined;
    const matches =
      pattern === undefined
        ? [findColumn(input, name)].filter((i) => i !== undefined)
        : [...input.columns.keys()].filter((i) => pattern.test(input.columns[i] ?? ''));
    for (const i of matches) if (!first.includes(i)) first.push(i);
  }
  const rest = [...input.columns.keys()].filter((i) => !first.includes(i));
  return selectColumns(input, [...first, ...rest]);
};

function wildcardPattern(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

export const projectRename: TabularOperator = (input, operator) => {
  let table = input;
  for (const item of listItems(operator, 'Expressions')) {
    if (item.kind !== 'SimpleNamedExpression') throw unsupported(`project-rename: expected 'new = old', got '${item.text}'`);
    const newName = nameOf(child(item, 'Name'));
    const index = findColumn(table, nameOf(child(item, 'Expression')));
    if (index === undefined) {
      // A column an open schema does not list: it exists, holding null, under its new name.
      table = { ...table, columns: [...table.columns, newName], rows: table.rows.map((row) => [...row, null]) };
    } else {
      table = { ...table, columns: table.columns.map((column, i) => (i === index ? newName : column)) };
    }
  }
  assertDistinctColumns(table.columns, 'project-rename');
  return table;
};

function extendColumns(input: Table, operator: SyntaxNode, context: QueryContext, operatorName: string): Table {
  let table = input;
  // Each assignment sees the columns of the ones before it (`extend a = 1, b = a + 1`).
  for (const node of listItems(operator, 'Expressions')) {
    const { name, expression } = namedExpression(node, operatorName);
    table = withColumn(table, name, columnValues(table, expression, context));
  }
  return table;
}

export const extend: TabularOperator = (input, operator, context) => extendColumns(input, operator, context, 'extend');

/** `serialize [name = expr, ...]`: marks the row order as meaningful, then extends like `extend`. */
export const serialize: TabularOperator = (input, operator, context) => {
  rejectParameters(operator, 'serialize');
  return extendColumns({ ...input, serialized: true }, operator, context, 'serialize');
};

/** Sets a column to `values` (one per row), replacing an existing column in place or appending a new one. */
function withColumn(table: Table, name: string, values: readonly ScalarValue[]): Table {
  const index = table.columns.indexOf(name);
  if (index >= 0) {
    return {
      ...table,
      rows: table.rows.map((row, i) => {
        const copy = [...row];
        copy[index] = values[i] ?? null;
        return copy;
      }),
    };
  }
  return { ...table, columns: [...table.columns, name], rows: table.rows.map((row, i) => [...row, values[i] ?? null]) };
}

function rowCount(node: SyntaxNode, context: QueryContext, operatorName: string): number {
  const count = evaluateConstant(node, context);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw unsupported(`${operatorName}: expected a non-negative whole number of rows, got '${node.text}'`);
  }
  return count;
}

export const take: TabularOperator = (input, operator, context) => ({
  ...input,
  rows: input.rows.slice(0, rowCount(child(operator, 'Expression'), context, 'take')),
});

export const count: TabularOperator = (input) => ({
  columns: ['Count'],
  openSchema: false,
  serialized: false,
  rows: [[input.rows.length]],
});

export const distinct: TabularOperator = (input, operator, context) => {
  const items = listItems(operator, 'Expressions');
  const all = items.length === 1 && items[0]?.kind === 'StarExpression';
  const table = all ? input : projectExpressions(input, items, context, 'distinct');
  const seen = new Set<string>();
  return {
    ...table,
    serialized: false,
    rows: table.rows.filter((row) => {
      const key = valuesKey(row);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  };
};

interface SortKey {
  readonly evaluate: Evaluate;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

/** Per the KQL docs: descending unless `asc`; nulls first when ascending, last when descending. */
function sortKey(node: SyntaxNode, table: Table, context: QueryContext): SortKey {
  const isOrdered = node.kind === 'OrderedExpression';
  const expression = isOrdered ? child(node, 'Expression') : node;
  const ordering = isOrdered ? optionalChild(node, 'Ordering') : undefined;
  const direction = ordering === undefined ? undefined : keywordOf(ordering, 'AscOrDescKeyword');
  const nullsClause = ordering === undefined ? undefined : optionalChild(ordering, 'NullsClause');
  const nulls = nullsClause === undefined ? undefined : keywordOf(nullsClause, 'FirstOrLastKeyword');
  const descending = direction !== 'asc';
  return {
    evaluate: compileScalar(expression, scopeOf(table, context)),
    descending,
    nullsFirst: nulls === undefined ? !descending : nulls === 'first',
  };
}

function compareKeys(keys: readonly SortKey[], a: readonly ScalarValue[], b: readonly ScalarValue[]): number {
  for (const [i, key] of keys.entries()) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x === y) continue;
      return (x === null) === key.nullsFirst ? -1 : 1;
    }
    const order = compareValues(x, y);
    if (order !== 0) return key.descending ? -order : order;
  }
  return 0;
}

/** A stable sort: rows with equal keys keep their input order. */
function sortRows(table: Table, keys: readonly SortKey[]): Table {
  const decorated = table.rows.map((row) => ({ row, values: keys.map((k) => k.evaluate(row)) }));
  decorated.sort((a, b) => compareKeys(keys, a.values, b.values));
  return { ...table, serialized: true, rows: decorated.map((d) => d.row) };
}

export const sort: TabularOperator = (input, operator, context) => {
  rejectParameters(operator, 'sort');
  return sortRows(input, listItems(operator, 'Expressions').map((node) => sortKey(node, input, context)));
};

export const top: TabularOperator = (input, operator, context) => {
  rejectParameters(operator, 'top');
  const rows = rowCount(child(operator, 'Expression'), context, 'top');
  const sorted = sortRows(input, [sortKey(child(operator, 'ByExpression'), input, context)]);
  return { ...sorted, rows: sorted.rows.slice(0, rows) };
};

/**
 * Per the KQL docs: each array element (or bag property, as a one-property bag) becomes a row;
 * an empty array or bag yields no row, null yields one row holding null. Any other value stays as it is.
 */
function expansions(value: ScalarValue): readonly ScalarValue[] {
  if (Array.isArray(value)) return value;
  if (isBag(value)) return Object.entries(value).map((entry) => bagOf([entry]));
  return [value];
}

export const mvExpand: TabularOperator = (input, operator, context) => {
  rejectParameters(operator, 'mv-expand');
  if (optionalChild(operator, 'RowLimitClause') !== undefined) throw unsupported('mv-expand: limit is not supported');
  const items = listItems(operator, 'Expressions');
  const [item] = items;
  if (item === undefined || items.length > 1) throw unsupported('mv-expand: expanding more than one column at once is not supported');
  if (optionalChild(item, 'ToTypeOf') !== undefined) throw unsupported('mv-expand: to typeof() is not supported');
  const { name, expression } = namedExpression(child(item, 'Expression'), 'mv-expand');
  const evaluate = compileScalar(expression, scopeOf(input, context));
  const existing = input.columns.indexOf(name);
  const target = existing >= 0 ? existing : input.columns.length;
  return {
    ...input,
    serialized: false,
    columns: existing >= 0 ? input.columns : [...input.columns, name],
    rows: input.rows.flatMap((row) =>
      expansions(evaluate(row)).map((element): Row => {
        const copy = [...row];
        copy[target] = element;
        return copy;
      }),
    ),
  };
};

/** Column union (in order of first appearance); a leg without a column has null there. */
export function unionTables(tables: readonly Table[]): Table {
  const columns = [...new Set(tables.flatMap((t) => t.columns))];
  return {
    columns,
    // An empty source table's unknown columns might be any of the referenced ones.
    openSchema: tables.some((t) => t.openSchema),
    // Rows of several sources have no one order.
    serialized: false,
    rows: tables.flatMap((t) => {
      const positions = columns.map((c) => {
        const i = t.columns.indexOf(c);
        return i >= 0 ? i : undefined;
      });
      return t.rows.map((row) => positions.map((p) => readColumn(row, p)));
    }),
  };
}

/** `isfuzzy=true`: union's one supported parameter. */
function isFuzzy(operator: SyntaxNode): boolean {
  let fuzzy = false;
  for (const parameter of listItems(operator, 'Parameters')) {
    const value = optionalChild(parameter, 'Expression')?.text.toLowerCase();
    if (nameOf(child(parameter, 'Name')) !== 'isfuzzy' || (value !== 'true' && value !== 'false')) {
      throw unsupported(`union: parameter '${parameter.text}' is not supported`);
    }
    fuzzy = value === 'true';
  }
  return fuzzy;
}

const unresolvedTable = /^Failed to resolve table or column expression named /;

/**
 * The union's legs. With `isfuzzy=true` a leg that names a table the database does not have is left out, as Log
 * Analytics does for a table no data has created yet; when no leg resolves, the query fails as without it.
 */
export function unionLegs(operator: SyntaxNode, context: QueryContext): Table[] {
  const fuzzy = isFuzzy(operator);
  const legs = listItems(operator, 'Expressions');
  const tables = legs.flatMap((node) => {
    try {
      return [context.evaluateTabular(node)];
    } catch (error) {
      if (fuzzy && error instanceof UnsupportedQueryError && error.details.every((d) => unresolvedTable.test(d))) return [];
      throw error;
    }
  });
  if (fuzzy && tables.length === 0 && legs.length > 0) throw unsupported('union isfuzzy=true: none of its legs resolves to a table');
  return tables;
}

export const union: TabularOperator = (input, operator, context) => unionTables([input, ...unionLegs(operator, context)]);
