/** Runs a parsed query: `let` statements, then one tabular expression built from sources and piped operators. */
import { functionArguments } from './columnNames.js';
import type { QueryContext } from './context.js';
import { toDateTime } from './datetime.js';
import { unsupported } from './errors.js';
import { join, lookup } from './join.js';
import { parseQuery } from './parser.js';
import {
  count,
  distinct,
  extend,
  mvExpand,
  project,
  projectAway,
  projectRename,
  projectReorder,
  serialize,
  sort,
  take,
  top,
  union,
  unionLegs,
  unionTables,
  where,
  type TabularOperator,
} from './operators.js';
import { evaluateConstant } from './scalar.js';
import type { Clock } from './scalarFunctions.js';
import { summarize } from './summarize.js';
import { child, listItems, nameOf, optionalChild, type SyntaxNode } from './syntax.js';
import { rowsFromTable, tableFromRows, type Table } from './table.js';
import type { KqlRow, KqlTables, ScalarValue } from './values.js';

export interface ExecuteQueryOptions {
  /** The clock behind now(); read once per query, so every now() in a query agrees (as in KQL). */
  readonly now?: Clock;
}

const operators: ReadonlyMap<string, TabularOperator> = new Map([
  ['FilterOperator', where],
  ['SerializeOperator', serialize],
  ['ProjectReorderOperator', projectReorder],
  ['ProjectOperator', project],
  ['ProjectAwayOperator', projectAway],
  ['ProjectRenameOperator', projectRename],
  ['ExtendOperator', extend],
  ['SummarizeOperator', summarize],
  ['JoinOperator', join],
  ['LookupOperator', lookup],
  ['MvExpandOperator', mvExpand],
  ['SortOperator', sort],
  ['TakeOperator', take],
  ['TopOperator', top],
  ['DistinctOperator', distinct],
  ['CountOperator', count],
  ['UnionOperator', union],
]);

/** Executes a tabular KQL query and returns its rows (plain JSON values, no Kusto types). */
export function executeQuery(query: string, tables: KqlTables, options: ExecuteQueryOptions = {}): KqlRow[] {
  return executeQueryTable(query, tables, options).rows;
}

/** The same, with the result's column names in order: an empty result still has its columns. */
export function executeQueryTable(query: string, tables: KqlTables, options: ExecuteQueryOptions = {}): { columns: string[]; rows: KqlRow[] } {
  const queryTime = (options.now ?? (() => new Date()))();
  const table = new QueryRun(new SourceTables(tables), () => queryTime).run(parseQuery(query));
  return { columns: [...table.columns], rows: rowsFromTable(table) };
}

/** The query's source tables: names are case-insensitive as in ARG, and each is converted to a Table once. */
class SourceTables {
  private readonly rows: ReadonlyMap<string, readonly KqlRow[]>;
  private readonly converted = new Map<string, Table>();

  constructor(tables: KqlTables) {
    this.rows = new Map(Object.entries(tables).map(([name, rows]) => [name.toLowerCase(), rows]));
  }

  has(name: string): boolean {
    return this.rows.has(name.toLowerCase());
  }

  get(name: string): Table | undefined {
    const key = name.toLowerCase();
    const rows = this.rows.get(key);
    if (rows === undefined) return undefined;
    const table = this.converted.get(key) ?? tableFromRows(rows);
    this.converted.set(key, table);
    return table;
  }
}

/** `let f = (parameters) { body }`, with the scope it was declared in: KQL resolves a body's names lexically. */
interface UserFunction {
  readonly declaration: SyntaxNode;
  readonly scope: QueryRun;
}

/** The state of a query execution, or of one call of a user-defined function: what its `let` statements bound. */
class QueryRun implements QueryContext {
  readonly variables: Map<string, ScalarValue>;
  private readonly tabularLets: Map<string, Table>;
  private readonly functions: Map<string, UserFunction>;

  constructor(
    private readonly sources: SourceTables,
    readonly now: Clock,
    outer?: QueryRun,
  ) {
    // An inner scope sees the names bound so far outside it; what it binds stays inside.
    this.variables = new Map(outer?.variables);
    this.tabularLets = new Map(outer?.tabularLets);
    this.functions = new Map(outer?.functions);
  }

  run(queryBlock: SyntaxNode): Table {
    let result: Table | undefined;
    for (const statement of listItems(queryBlock, 'Statements')) {
      if (statement.kind === 'LetStatement') {
        this.bind(statement);
      } else if (statement.kind === 'ExpressionStatement') {
        if (result !== undefined) throw unsupported('A query with more than one result set is not supported');
        result = this.evaluateTabular(child(statement, 'Expression'));
      } else {
        throw unsupported(`Unsupported statement '${statement.text}'`);
      }
    }
    if (result === undefined) throw unsupported('The query has no tabular expression to return');
    return result;
  }

  readonly evaluateTabular = (node: SyntaxNode): Table => {
    switch (node.kind) {
      case 'NameReference':
        return this.table(nameOf(node));
      case 'ParenthesizedExpression':
        return this.evaluateTabular(child(node, 'Expression'));
      case 'PipeExpression':
        return this.applyOperator(this.evaluateTabular(child(node, 'Expression')), child(node, 'Operator'));
      case 'UnionOperator':
        return unionTables(unionLegs(node, this));
      case 'FunctionCallExpression':
        return this.call(node);
      case 'DataTableExpression':
        return this.dataTable(node);
      default:
        throw unsupportedOperator(node);
    }
  };

  /** `datatable(name: type, …) [values…]`: constants, row by row; a datetime column reads ISO strings as datetimes. */
  private dataTable(node: SyntaxNode): Table {
    const declarations = listItems(child(node, 'Schema'), 'Columns');
    const columns = declarations.map((d) => nameOf(child(d, 'Name')));
    const types = declarations.map((d) => child(d, 'Type').text.toLowerCase());
    const values = listItems(node, 'Values').map((v) => evaluateConstant(v, this));
    if (columns.length === 0 || values.length % columns.length !== 0) {
      throw unsupported(`datatable: ${values.length} values do not fill rows of ${columns.length} columns`);
    }
    const rows = Array.from({ length: values.length / columns.length }, (_, r) =>
      columns.map((_, c) => {
        const value = values[r * columns.length + c] ?? null;
        return types[c] === 'datetime' ? toDateTime(value) : value;
      }),
    );
    return { columns, openSchema: false, serialized: false, rows };
  }

  private applyOperator(input: Table, operator: SyntaxNode): Table {
    const apply = operators.get(operator.kind);
    if (apply === undefined) throw unsupportedOperator(operator);
    return apply(input, operator, this);
  }

  /** `let` binds a function, a table when its expression is tabular, or else a value. */
  private bind(statement: SyntaxNode): void {
    const name = nameOf(child(statement, 'Name'));
    const expression = child(statement, 'Expression');
    if (expression.kind === 'FunctionDeclaration') {
      this.forget(name);
      this.functions.set(name, { declaration: expression, scope: new QueryRun(this.sources, this.now, this) });
    } else if (this.isTabular(expression)) {
      const table = this.evaluateTabular(expression);
      this.forget(name);
      this.tabularLets.set(name, table);
    } else {
      const value = evaluateConstant(expression, this);
      this.forget(name);
      this.variables.set(name, value);
    }
  }

  /** A later `let` of a name replaces whatever the name was bound to. */
  private forget(name: string): void {
    this.variables.delete(name);
    this.tabularLets.delete(name);
    this.functions.delete(name);
  }

  /**
   * Calls a user-defined function that returns a table. Arguments are evaluated here, as constants; the body runs
   * in the declaration's scope with the parameters bound. A `datetime` parameter reads an ISO string as a datetime.
   */
  private call(node: SyntaxNode): Table {
    const name = nameOf(child(node, 'Name'));
    const fn = this.functions.get(name);
    if (fn === undefined) throw unsupportedOperator(node);
    const parameters = listItems(child(fn.declaration, 'Parameters'), 'Parameters');
    const args = functionArguments(node);
    if (args.length > parameters.length) {
      throw unsupported(`Function '${name}' expects ${parameters.length} argument(s), got ${args.length}`);
    }
    const scope = new QueryRun(this.sources, this.now, fn.scope);
    for (const [i, parameter] of parameters.entries()) scope.variables.set(...this.argument(name, fn, parameter, args[i]));
    const body = child(fn.declaration, 'Body');
    for (const statement of listItems(body, 'Statements')) {
      if (statement.kind !== 'LetStatement') throw unsupported(`Unsupported statement '${statement.text}'`);
      scope.bind(statement);
    }
    const result = child(body, 'Expression');
    if (!scope.isTabular(result)) throw unsupported(`Function '${name}': user-defined functions that return a scalar are not supported`);
    return scope.evaluateTabular(result);
  }

  /** A parameter's name and value: the argument, evaluated here, else its default, evaluated at the declaration. */
  private argument(functionName: string, fn: UserFunction, parameter: SyntaxNode, arg: SyntaxNode | undefined): [string, ScalarValue] {
    const declaration = child(parameter, 'NameAndType');
    const name = nameOf(child(declaration, 'Name'));
    const type = child(declaration, 'Type');
    if (type.kind !== 'PrimitiveTypeExpression') {
      throw unsupported(`Function '${functionName}': tabular parameter '${name}' is not supported`);
    }
    const defaultValue = optionalChild(parameter, 'DefaultValue');
    let value: ScalarValue;
    if (arg !== undefined) value = evaluateConstant(arg, this);
    else if (defaultValue !== undefined) value = evaluateConstant(child(defaultValue, 'Value'), fn.scope);
    else throw unsupported(`Function '${functionName}': missing argument '${name}'`);
    return [name, type.text === 'datetime' ? toDateTime(value) : value];
  }

  readonly isTabular = (node: SyntaxNode): boolean => {
    switch (node.kind) {
      case 'NameReference': {
        const name = nameOf(node);
        return !this.variables.has(name) && (this.tabularLets.has(name) || this.sources.has(name));
      }
      case 'ParenthesizedExpression':
        return this.isTabular(child(node, 'Expression'));
      case 'PipeExpression':
      case 'UnionOperator':
        return true;
      case 'FunctionCallExpression':
        return this.functions.has(nameOf(child(node, 'Name')));
      default:
        // Other query operators at the start of an expression (print, datatable, range…) are tabular too.
        return node.kind.endsWith('Operator') || node.kind.endsWith('DataTableExpression');
    }
  };

  /** A `let`-bound table, else a source table. */
  private table(name: string): Table {
    const table = this.tabularLets.get(name) ?? this.sources.get(name);
    if (table === undefined) throw unsupported(`Failed to resolve table or column expression named '${name}'`);
    return table;
  }
}

/** Names an unsupported operator by its keyword (`parse`, `make-series`, `evaluate`…). */
function unsupportedOperator(node: SyntaxNode): Error {
  let first = node;
  while (first.children[0] !== undefined) first = first.children[0];
  const keyword = first.text === '' ? node.kind : first.text;
  return unsupported(`The '${keyword}' operator is not supported`);
}
