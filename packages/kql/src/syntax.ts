import { unsupported } from './errors.js';

/**
 * A node of the Kusto syntax tree, copied out of the parser's Bridge.NET objects (see kusto-parser.ts)
 * so that the interpreter works on plain, typed data.
 */
export interface SyntaxNode {
  /** The Kusto.Language `SyntaxKind` name, e.g. `FilterOperator`, `StringLiteralExpression`, `AscKeyword`. */
  readonly kind: string;
  /** The parent's property holding this node (`Left`, `Condition`, `Expressions`…); '' for list items. */
  readonly role: string;
  /** The source text of the node, without surrounding whitespace or comments. */
  readonly text: string;
  /** The simple name of a `NameReference` or `NameDeclaration` (brackets and quotes removed). */
  readonly name?: string;
  /** The value of a literal as the parser reads it: unescaped for strings, the raw text for others. */
  readonly literal?: string;
  /** Children in source order; lists are flattened to their elements, separators dropped. */
  readonly children: readonly SyntaxNode[];
}

export function optionalChild(node: SyntaxNode, role: string): SyntaxNode | undefined {
  return node.children.find((c) => c.role === role);
}

export function child(node: SyntaxNode, role: string): SyntaxNode {
  const found = optionalChild(node, role);
  if (found === undefined) throw unsupported(`'${node.text}' has no ${role}`);
  return found;
}

/** The elements of the list held in `role`, or none when the list is absent. */
export function listItems(node: SyntaxNode, role: string): readonly SyntaxNode[] {
  return optionalChild(node, role)?.children ?? [];
}

/** The `name` of a name node, which the parser always provides for the kinds that carry one. */
export function nameOf(node: SyntaxNode): string {
  if (node.name === undefined) throw unsupported(`expected a name, got '${node.text}'`);
  return node.name;
}

/** The lower-cased text of an optional keyword child (`asc`, `desc`, `first`…). */
export function keywordOf(node: SyntaxNode, role: string): string | undefined {
  return optionalChild(node, role)?.text.toLowerCase();
}
