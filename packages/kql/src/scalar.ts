/** Compiles KQL scalar expressions into functions of a row. */
import { isAggregateFunction } from './aggregates.js';
import { add, divide, modulo, multiply, negate, subtract, type BinaryOperator } from './arithmetic.js';
import { functionArguments } from './columnNames.js';
import { type QueryContext, type ScalarScope, scopeOf } from './context.js';
import { dateTimeOrNull, KqlDateTime, KqlTimespan, parseDateTime, parseTimespan } from './datetime.js';
import { unsupported } from './errors.js';
import { scalarFunctions } from './scalarFunctions.js';
import { child, listItems, nameOf, type SyntaxNode } from './syntax.js';
import { type Evaluate, findColumn, readColumn, type Row } from './table.js';
import {
  bagOf,
  bagProperty,
  compareScalars,
  finiteOrNull,
  isBag,
  sameValue,
  toJson,
  toKqlString,
  type KqlValue,
  type ScalarValue,
} from './values.js';
import { windowFunctions } from './windowFunctions.js';

export function compileScalar(node: SyntaxNode, scope: ScalarScope): Evaluate {
  const constant = literalValue(node);
  if (constant !== undefined) return () => constant;
  switch (node.kind) {
    case 'NameReference':
      return compileName(nameOf(node), scope);
    case 'ParenthesizedExpression':
      return compileScalar(child(node, 'Expression'), scope);
    case 'PathExpression':
      return compileMember(node, compileSelectorName(child(node, 'Selector')), scope);
    case 'ElementExpression':
      return compileMember(node, compileScalar(child(child(node, 'Selector'), 'Expression'), scope), scope);
    case 'UnaryMinusExpression': {
      const operand = compileScalar(child(node, 'Expression'), scope);
      return (row) => negate(operand(row));
    }
    case 'UnaryPlusExpression':
      return compileScalar(child(node, 'Expression'), scope);
    case 'AndExpression':
      return compileLogic(node, scope, false);
    case 'OrExpression':
      return compileLogic(node, scope, true);
    case 'DivideExpression':
      return compileDivision(node, scope);
    case 'FunctionCallExpression':
      return compileCall(node, scope);
    case 'ToScalarExpression':
      return compileToScalar(node, scope);
    case 'BetweenExpression':
      return compileBetween(node, scope, false);
    case 'NotBetweenExpression':
      return compileBetween(node, scope, true);
    case 'InExpression':
      return compileIn(node, scope, { caseSensitive: true, negated: false });
    case 'NotInExpression':
      return compileIn(node, scope, { caseSensitive: true, negated: true });
    case 'InCsExpression': // `in~`: the parser's name notwithstanding, this is the case-insensitive one
      return compileIn(node, scope, { caseSensitive: false, negated: false });
    case 'NotInCsExpression':
      return compileIn(node, scope, { caseSensitive: false, negated: true });
  }
  const binary = binaryOperators.get(node.kind);
  if (binary !== undefined) {
    const left = compileScalar(child(node, 'Left'), scope);
    const right = compileScalar(child(node, 'Right'), scope);
    return (row) => binary(left(row), right(row));
  }
  const stringOperator = stringOperators.get(node.kind);
  if (stringOperator !== undefined) {
    const left = compileScalar(child(node, 'Left'), scope);
    const right = compileScalar(child(node, 'Right'), scope);
    return (row) => stringOperator(toKqlString(left(row)), toKqlString(right(row)));
  }
  throw unsupportedExpression(node);
}

/** Evaluates an expression that must not depend on a row (`take 5`, `let n = 5;`). */
export function evaluateConstant(node: SyntaxNode, context: QueryContext): ScalarValue {
  return compileScalar(node, scopeOf({ columns: [], openSchema: false, serialized: false, rows: [] }, context))([]);
}

function unsupportedExpression(node: SyntaxNode): Error {
  const operator = node.children.find((c) => c.role === 'Operator' && c.children.length === 0);
  if (operator !== undefined) return unsupported(`The '${operator.text}' operator is not supported`);
  return unsupported(`Unsupported expression '${node.text}'`);
}

/** A column, else a `let` variable: in KQL a row's columns shadow outer names. */
function compileName(name: string, scope: ScalarScope): Evaluate {
  const index = scope.table.columns.indexOf(name);
  if (index >= 0) return (row) => row[index] ?? null;
  if (scope.variables.has(name)) {
    const value = scope.variables.get(name) ?? null;
    return () => value;
  }
  const unlisted = findColumn(scope.table, name);
  return (row) => readColumn(row, unlisted);
}

function compileSelectorName(selector: SyntaxNode): Evaluate {
  if (selector.kind !== 'NameReference') throw unsupportedExpression(selector);
  const key = nameOf(selector);
  return () => key;
}

/** `a.b`, `a['b']`, `a[0]`: a missing property or index is null, as in KQL. */
function compileMember(node: SyntaxNode, key: Evaluate, scope: ScalarScope): Evaluate {
  const target = compileScalar(child(node, 'Expression'), scope);
  return (row) => {
    const value = target(row);
    const k = key(row);
    if (Array.isArray(value) && typeof k === 'number') return Number.isInteger(k) ? (value[k] ?? null) : null;
    if (isBag(value) && typeof k === 'string') return bagProperty(value, k);
    return null;
  };
}

/** Three-valued `and`/`or`: null (unknown) only decides when the other side does not. */
function compileLogic(node: SyntaxNode, scope: ScalarScope, isOr: boolean): Evaluate {
  const left = compileScalar(child(node, 'Left'), scope);
  const right = compileScalar(child(node, 'Right'), scope);
  return (row) => {
    const l = left(row);
    if (l === isOr) return isOr;
    const r = right(row);
    if (r === isOr) return isOr;
    return l === !isOr && r === !isOr ? !isOr : null;
  };
}

/**
 * KQL divides integers (`long`) with truncation and reals exactly. Column values are untyped JSON numbers here,
 * so an operand counts as real when the expression says so (a real literal, todouble()…) and otherwise by value.
 */
function compileDivision(node: SyntaxNode, scope: ScalarScope): Evaluate {
  const leftNode = child(node, 'Left');
  const rightNode = child(node, 'Right');
  const isReal = isRealTyped(leftNode) || isRealTyped(rightNode);
  const left = compileScalar(leftNode, scope);
  const right = compileScalar(rightNode, scope);
  return (row) => divide(left(row), right(row), isReal);
}

const realFunctions = new Set(['todouble', 'toreal']);

function isRealTyped(node: SyntaxNode): boolean {
  switch (node.kind) {
    case 'RealLiteralExpression':
    case 'DecimalLiteralExpression':
      return true;
    case 'ParenthesizedExpression':
    case 'UnaryMinusExpression':
    case 'UnaryPlusExpression':
      return isRealTyped(child(node, 'Expression'));
    case 'AddExpression':
    case 'SubtractExpression':
    case 'MultiplyExpression':
    case 'DivideExpression':
    case 'ModuloExpression':
      return isRealTyped(child(node, 'Left')) || isRealTyped(child(node, 'Right'));
    case 'FunctionCallExpression':
      return realFunctions.has(nameOf(child(node, 'Name')));
    default:
      return false;
  }
}

function compileCall(node: SyntaxNode, scope: ScalarScope): Evaluate {
  const name = nameOf(child(node, 'Name'));
  const args = functionArguments(node);
  if (name === 'column_ifexists') return compileColumnIfExists(args, scope);
  const windowFunction = windowFunctions.get(name);
  if (windowFunction !== undefined) {
    if (scope.window === undefined) {
      throw unsupported(
        `Function '${name}()' needs a serialized row set (after serialize, order by or top) and is supported in extend, project and serialize`,
      );
    }
    checkArity(name, args.length, windowFunction);
    return windowFunction.compile(args.map((a) => compileScalar(a, scope)), scope.window);
  }
  const fn = scalarFunctions.get(name);
  if (fn === undefined) {
    if (isAggregateFunction(name)) throw unsupported(`Aggregate function '${name}()' can only be used in summarize`);
    throw unsupported(`Unknown or unsupported function '${name}'`);
  }
  checkArity(name, args.length, fn);
  const evaluators = args.map((a) => compileScalar(a, scope));
  return (row) => fn.apply(evaluators.map((evaluate) => evaluate(row)), scope.now);
}

/** column_ifexists('name', default): the column when the table has one by that name, else the default. */
function compileColumnIfExists(args: readonly SyntaxNode[], scope: ScalarScope): Evaluate {
  checkArity('column_ifexists', args.length, { minArgs: 2, maxArgs: 2 });
  const [nameNode, fallback] = args;
  const column = nameNode === undefined ? null : evaluateConstant(nameNode, scope);
  if (typeof column !== 'string' || fallback === undefined) throw unsupported('column_ifexists: the column name must be a constant string');
  const index = scope.table.columns.indexOf(column);
  return index >= 0 ? (row) => row[index] ?? null : compileScalar(fallback, scope);
}

/** toscalar(<tabular>): the first column of the first row, or null; run once, as it cannot depend on a row. */
function compileToScalar(node: SyntaxNode, scope: ScalarScope): Evaluate {
  const [parameter] = listItems(node, 'Parameters');
  if (parameter !== undefined) throw unsupported(`toscalar: parameter '${parameter.text}' is not supported`);
  const [first] = scope.evaluateTabular(child(node, 'Expression')).rows;
  const value = first?.[0] ?? null;
  return () => value;
}

/**
 * `x between (a .. b)`: a <= x <= b, inclusive at both ends; for a datetime `a`, `b` may be a timespan
 * meaning `a + b` (per the KQL docs). Null when x cannot be compared with the bounds (null, or of another type).
 */
function compileBetween(node: SyntaxNode, scope: ScalarScope, negated: boolean): Evaluate {
  const value = compileScalar(child(node, 'Left'), scope);
  const range = child(node, 'Right');
  const low = compileScalar(child(range, 'First'), scope);
  const high = compileScalar(child(range, 'Second'), scope);
  return (row) => {
    const x = value(row);
    const a = low(row);
    const b = high(row);
    const upper = b instanceof KqlTimespan && !(a instanceof KqlTimespan) ? add(a, b) : b;
    const fromLow = compareScalars(x, a);
    const toHigh = compareScalars(x, upper);
    if (fromLow === undefined || toHigh === undefined) return null;
    return (fromLow >= 0 && toHigh <= 0) !== negated;
  };
}

export function checkArity(name: string, count: number, arity: { minArgs: number; maxArgs: number }): void {
  if (count < arity.minArgs || count > arity.maxArgs) {
    const expected = arity.minArgs === arity.maxArgs ? `${arity.minArgs}` : `${arity.minArgs} to ${arity.maxArgs}`;
    throw unsupported(`Function '${name}' expects ${expected} argument(s), got ${count}`);
  }
}

/**
 * `x in (a, b)`, `x in (dynamic([a, b]))`, `x in (T | project c)`: arrays in the list contribute their elements,
 * a tabular expression (run once) the values of its first column.
 */
function compileIn(node: SyntaxNode, scope: ScalarScope, mode: { caseSensitive: boolean; negated: boolean }): Evaluate {
  const left = compileScalar(child(node, 'Left'), scope);
  const items = listItems(child(node, 'Right'), 'Expressions').map((item): ((row: Row) => readonly ScalarValue[]) => {
    if (scope.isTabular(item)) {
      const values = scope.evaluateTabular(item).rows.map((r) => r[0] ?? null);
      return () => values;
    }
    const evaluate = compileScalar(item, scope);
    return (row) => {
      const v = evaluate(row);
      return Array.isArray(v) ? v : [v];
    };
  });
  return (row) => {
    const value = left(row);
    const candidates = items.flatMap((item) => item(row));
    const found = mode.caseSensitive
      ? value !== null && candidates.some((c) => c !== null && sameValue(value, c))
      : candidates.some((c) => toKqlString(c).toLowerCase() === toKqlString(value).toLowerCase());
    return found !== mode.negated;
  };
}

/** Per the KQL docs: `==` of null and a value is false, `!=` true; of two nulls, null. */
function equals(a: ScalarValue, b: ScalarValue): boolean | null {
  if (a === null || b === null) return a === b ? null : false;
  return sameValue(a, b);
}

function equalsIgnoringCase(a: ScalarValue, b: ScalarValue): boolean {
  return toKqlString(a).toLowerCase() === toKqlString(b).toLowerCase();
}

/** `<`, `>`…: null when either side is null or the sides are not comparable (of different types). */
function ordered(test: (comparison: number) => boolean): BinaryOperator {
  return (a, b) => {
    const comparison = compareScalars(a, b);
    return comparison === undefined ? null : test(comparison);
  };
}

const binaryOperators = new Map<string, BinaryOperator>([
  ['EqualExpression', equals],
  ['NotEqualExpression', (a, b) => (a === null || b === null ? (a === b ? null : true) : !sameValue(a, b))],
  ['EqualTildeExpression', equalsIgnoringCase],
  ['BangTildeExpression', (a, b) => !equalsIgnoringCase(a, b)],
  ['LessThanExpression', ordered((c) => c < 0)],
  ['LessThanOrEqualExpression', ordered((c) => c <= 0)],
  ['GreaterThanExpression', ordered((c) => c > 0)],
  ['GreaterThanOrEqualExpression', ordered((c) => c >= 0)],
  ['AddExpression', add],
  ['SubtractExpression', subtract],
  ['MultiplyExpression', multiply],
  ['ModuloExpression', modulo],
]);

const isTermCharacter = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c);

/**
 * KQL `has`: the needle occurs on term boundaries, a term being a maximal run of alphanumeric characters
 * ("North America" has "america", but not "amer"). Needle ends that are not alphanumeric need no boundary.
 */
function hasTerm(haystack: string, needle: string): boolean {
  const needsStartBoundary = isTermCharacter(needle[0]);
  const needsEndBoundary = isTermCharacter(needle[needle.length - 1]);
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
    const end = i + needle.length;
    const startOk = !needsStartBoundary || !isTermCharacter(haystack[i - 1]);
    const endOk = !needsEndBoundary || !isTermCharacter(haystack[end]);
    if (startOk && endOk) return true;
  }
  return false;
}

type StringTest = (haystack: string, needle: string) => boolean;

const caseSensitiveTests: ReadonlyArray<readonly [string, StringTest]> = [
  ['Has', hasTerm],
  ['Contains', (h, n) => h.includes(n)],
  ['StartsWith', (h, n) => h.startsWith(n)],
  ['EndsWith', (h, n) => h.endsWith(n)],
];

/** `has`, `contains`, `startswith`, `endswith`: case-insensitive, `_cs` variants case-sensitive, `!` negated. */
const stringOperators = new Map<string, StringTest>(
  caseSensitiveTests.flatMap(([name, test]) => {
    const ignoringCase: StringTest = (h, n) => test(h.toLowerCase(), n.toLowerCase());
    return [
      [`${name}Expression`, ignoringCase],
      [`Not${name}Expression`, (h, n) => !ignoringCase(h, n)],
      [`${name}CsExpression`, test],
      [`Not${name}CsExpression`, (h, n) => !test(h, n)],
    ] as const;
  }),
);

/** The value of a literal or `dynamic(...)`, or undefined when the node is not one. */
function literalValue(node: SyntaxNode): ScalarValue | undefined {
  const text = node.literal;
  switch (node.kind) {
    case 'StringLiteralExpression':
    case 'CompoundStringLiteralExpression':
      return text;
    case 'LongLiteralExpression':
    case 'IntLiteralExpression':
    case 'RealLiteralExpression':
    case 'DecimalLiteralExpression':
      return text === 'null' ? null : finiteOrNull(Number(text));
    case 'BooleanLiteralExpression':
      return text === 'null' ? null : text === 'true';
    case 'GuidLiteralExpression':
      return text === 'null' ? null : (text ?? null);
    case 'NullLiteralExpression':
      return null;
    case 'DateTimeLiteralExpression':
      return dateTimeLiteral(text ?? '');
    case 'TimespanLiteralExpression':
      return timespanLiteral(node);
    case 'DynamicExpression':
      return jsonValue(child(node, 'Expression'));
    default:
      return undefined;
  }
}

/** datetime(...) in ISO 8601 form; Kusto reads a datetime without offset as UTC. */
function dateTimeLiteral(text: string): KqlDateTime | null {
  if (text === 'null') return null;
  const ms = parseDateTime(text);
  if (ms === null) throw unsupported(`Unsupported datetime literal 'datetime(${text})'`);
  return dateTimeOrNull(ms);
}

function timespanLiteral(node: SyntaxNode): KqlTimespan | null {
  const text = node.literal ?? '';
  if (text === 'null') return null;
  const ms = parseTimespan(text);
  if (ms === undefined) throw unsupported(`Unsupported timespan literal '${node.text}'`);
  return new KqlTimespan(ms);
}

/** The JSON inside dynamic(...), which the parser gives as a tree of literals, arrays and objects. */
function jsonValue(node: SyntaxNode): KqlValue {
  switch (node.kind) {
    case 'JsonArrayExpression':
      return listItems(node, 'Values').map(jsonValue);
    case 'JsonObjectExpression':
      return bagOf(listItems(node, 'Pairs').map((pair) => [child(pair, 'Name').literal ?? '', jsonValue(child(pair, 'Value'))] as const));
    case 'UnaryMinusExpression': {
      const operand = jsonValue(child(node, 'Expression'));
      if (typeof operand !== 'number') throw unsupportedExpression(node);
      return -operand;
    }
  }
  const value = literalValue(node);
  if (value === undefined) throw unsupportedExpression(node);
  return toJson(value);
}
