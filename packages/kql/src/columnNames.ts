import { unsupported } from './errors.js';
import { scalarFunctions } from './scalarFunctions.js';
import { child, listItems, nameOf, type SyntaxNode } from './syntax.js';

/**
 * The column name KQL gives an unnamed expression (after Kusto.Language's Binder.GetExpressionResultName):
 * a column keeps its name, `a.b` and `a['b']` become `a_b`, conversions keep their argument's name.
 * Undefined where KQL would invent `Column1`…: the interpreter asks for an explicit name instead.
 */
export function expressionColumnName(node: SyntaxNode): string | undefined {
  switch (node.kind) {
    case 'NameReference':
      return nameOf(node);
    case 'ParenthesizedExpression':
      return expressionColumnName(child(node, 'Expression'));
    case 'PathExpression':
    case 'ElementExpression':
      return memberColumnName(node);
    case 'FunctionCallExpression':
      return functionColumnName(node);
    default:
      return undefined;
  }
}

function memberColumnName(node: SyntaxNode): string | undefined {
  const selector = child(node, 'Selector');
  const member = selector.kind === 'BracketedExpression' ? literalKey(child(selector, 'Expression')) : expressionColumnName(selector);
  if (member === undefined) return undefined;
  const parent = expressionColumnName(child(node, 'Expression'));
  return parent === undefined || parent === '' ? member : `${parent}_${member}`;
}

function literalKey(node: SyntaxNode): string | undefined {
  const isKey = node.kind === 'StringLiteralExpression' || node.kind === 'LongLiteralExpression' || node.kind === 'IntLiteralExpression';
  return isKey ? node.literal : undefined;
}

function functionColumnName(node: SyntaxNode): string | undefined {
  const name = nameOf(child(node, 'Name'));
  const [first] = functionArguments(node);
  const rule = scalarFunctions.get(name)?.resultName;
  if (rule === undefined || first === undefined) return undefined;
  const argumentName = expressionColumnName(first);
  if (argumentName === undefined) return undefined;
  return rule === 'firstArgument' ? argumentName : `${name}_${argumentName}`;
}

export function functionArguments(call: SyntaxNode): readonly SyntaxNode[] {
  return listItems(child(call, 'ArgumentList'), 'Expressions');
}

/** A projected column: `name = expr`, or an expression KQL can name by itself. */
export interface NamedExpression {
  readonly name: string;
  readonly expression: SyntaxNode;
}

export function namedExpression(node: SyntaxNode, operator: string): NamedExpression {
  if (node.kind === 'SimpleNamedExpression') {
    return { name: nameOf(child(node, 'Name')), expression: child(node, 'Expression') };
  }
  if (node.kind === 'CompoundNamedExpression') throw unsupported(`${operator}: tuple assignment '${node.text}' is not supported`);
  const name = expressionColumnName(node);
  if (name === undefined) throw unsupported(`${operator}: name the computed column, e.g. 'name = ${node.text}'`);
  return { name, expression: node };
}

