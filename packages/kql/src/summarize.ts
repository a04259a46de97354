import { aggregateFunctions, argExtremeFunctions, extremeRow, type AggregateFunction } from './aggregates.js';
import { expressionColumnName, functionArguments, namedExpression } from './columnNames.js';
import { type ScalarScope, scopeOf } from './context.js';
import { unsupported } from './errors.js';
import { assertDistinctColumns, rejectParameters, type TabularOperator } from './operators.js';
import { checkArity, compileScalar } from './scalar.js';
import { scalarFunctions } from './scalarFunctions.js';
import { child, listItems, nameOf, optionalChild, type SyntaxNode } from './syntax.js';
import type { Evaluate, Row } from './table.js';
import { valuesKey, type ScalarValue } from './values.js';

/** An aggregate as summarize computes it: one or more output columns from a group's rows. */
interface CompiledAggregate {
  readonly names: readonly string[];
  readonly compute: (rows: readonly Row[]) => ScalarValue[];
}

function compileAggregate(node: SyntaxNode, scope: ScalarScope, byNames: readonly string[]): CompiledAggregate {
  if (node.kind === 'CompoundNamedExpression') throw unsupported(`summarize: tuple assignment '${node.text}' is not supported`);
  const named = node.kind === 'SimpleNamedExpression';
  const call = named ? child(node, 'Expression') : node;
  if (call.kind !== 'FunctionCallExpression') throw unsupported(`summarize: '${call.text}' is not a call of an aggregation function`);
  const fnName = nameOf(child(call, 'Name'));
  const args = functionArguments(call);
  const name = named ? nameOf(child(node, 'Name')) : undefined;
  const sign = argExtremeFunctions.get(fnName);
  if (sign !== undefined) return compileArgExtreme(fnName, sign, args, name, scope, byNames);
  const fn = aggregateFunctions.get(fnName);
  if (fn === undefined) {
    throw unsupported(
      scalarFunctions.has(fnName)
        ? `summarize: '${fnName}()' is not an aggregation function`
        : `Unknown or unsupported aggregation function '${fnName}'`,
    );
  }
  checkArity(fnName, args.length, fn);
  const evaluators = args.map((arg) => compileScalar(arg, scope));
  return {
    names: [name ?? defaultAggregateName(fnName, fn, args)],
    compute: (rows) => [fn.aggregate(rows, evaluators)],
  };
}

/** KQL's names for unnamed aggregates: `count_`, `list_x` for make_list(x), and `x` for take_any(x). */
function defaultAggregateName(fnName: string, fn: AggregateFunction, args: readonly SyntaxNode[]): string {
  const [first] = args;
  const argumentName = first === undefined ? undefined : expressionColumnName(first);
  if (fn.namePrefix !== undefined) return `${fn.namePrefix}_${argumentName ?? ''}`;
  if (argumentName === undefined) throw unsupported(`summarize: name the aggregate, e.g. 'value = ${fnName}(...)'`);
  return argumentName;
}

/**
 * arg_max(ExprToMaximize, * | ExprToReturn, ...) / arg_min: the maximized (minimized) value, then the returned
 * expressions evaluated on that row. `*` stands for the input's columns except the `by` columns and those already
 * returned, as Kusto's binder names them (`summarize arg_max(TimeGenerated, *) by ResourceId` gives ResourceId,
 * TimeGenerated, then the other columns). `name = arg_max(...)` names the maximized value.
 */
function compileArgExtreme(
  fnName: string,
  sign: 1 | -1,
  args: readonly SyntaxNode[],
  name: string | undefined,
  scope: ScalarScope,
  byNames: readonly string[],
): CompiledAggregate {
  const [target, ...returned] = args;
  if (target === undefined || returned.length === 0) {
    throw unsupported(`Function '${fnName}' expects at least 2 arguments, got ${args.length}`);
  }
  const targetName = name ?? namedExpression(target, fnName).name;
  const outputs: { name: string; evaluate: Evaluate }[] = [];
  for (const node of returned) {
    if (node.kind !== 'StarExpression') {
      const output = namedExpression(node, fnName);
      outputs.push({ name: output.name, evaluate: compileScalar(output.expression, scope) });
      continue;
    }
    const taken = new Set([...byNames, targetName, ...outputs.map((o) => o.name)]);
    for (const [i, column] of scope.table.columns.entries()) {
      if (!taken.has(column)) outputs.push({ name: column, evaluate: (row) => row[i] ?? null });
    }
  }
  const evaluate = compileScalar(target, scope);
  return {
    names: [targetName, ...outputs.map((o) => o.name)],
    compute: (rows) => {
      const best = extremeRow(rows, evaluate, sign);
      return [best?.value ?? null, ...outputs.map((o) => (best === undefined ? null : o.evaluate(best.row)))];
    },
  };
}

interface Group {
  readonly keys: readonly ScalarValue[];
  readonly rows: Row[];
}

/**
 * One row per distinct combination of `by` values (null is a value of its own), in order of first appearance:
 * the by-columns, then the aggregates. Without `by`, exactly one row, even for empty input (per the KQL docs).
 */
export const summarize: TabularOperator = (input, operator, context) => {
  rejectParameters(operator, 'summarize');
  const scope = scopeOf(input, context);
  const byClause = optionalChild(operator, 'ByClause');
  const byItems = byClause === undefined ? [] : listItems(byClause, 'Expressions').map((node) => namedExpression(node, 'summarize'));
  const byNames = byItems.map((item) => item.name);
  const aggregates = listItems(operator, 'Aggregates').map((node) => compileAggregate(node, scope, byNames));
  const columns = [...byNames, ...aggregates.flatMap((a) => a.names)];
  assertDistinctColumns(columns, 'summarize');
  const byEvaluators = byItems.map((item) => compileScalar(item.expression, scope));

  const groups = new Map<string, Group>();
  if (byEvaluators.length === 0) {
    groups.set('', { keys: [], rows: [...input.rows] });
  } else {
    for (const row of input.rows) {
      const keys = byEvaluators.map((evaluate) => evaluate(row));
      const key = valuesKey(keys);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { keys, rows: [row] });
      else group.rows.push(row);
    }
  }
  return {
    columns,
    openSchema: false,
    serialized: false,
    rows: [...groups.values()].map((group) => [...group.keys, ...aggregates.flatMap((a) => a.compute(group.rows))]),
  };
};
