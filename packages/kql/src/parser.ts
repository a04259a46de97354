/**
 * Parses query text with Microsoft's Kusto parser (loaded by kusto.ts) and copies the syntax tree into plain
 * `SyntaxNode`s.
 */
import { UnsupportedQueryError } from './errors.js';
import { type BridgeSyntaxElement, kustoLanguage } from './kusto.js';
import type { SyntaxNode } from './syntax.js';

let kindNames: ReadonlyMap<number, string> | undefined;

/** Bridge.NET enums have no reverse mapping, so build number → name once. */
function syntaxKindNames(): ReadonlyMap<number, string> {
  kindNames ??= new Map(
    Object.entries(kustoLanguage().Syntax.SyntaxKind).flatMap(([name, value]) => (typeof value === 'number' ? [[value, name] as const] : [])),
  );
  return kindNames;
}

/** Parses a query; syntax errors become an UnsupportedQueryError with one line per parser diagnostic. */
export function parseQuery(query: string): SyntaxNode {
  const code = kustoLanguage().KustoCode.Parse(query);
  const diagnostics = code.GetDiagnostics();
  if (diagnostics.Count > 0) {
    const details: string[] = [];
    for (let i = 0; i < diagnostics.Count; i++) {
      const d = diagnostics.getItem(i);
      details.push(`${d.Message ?? 'Syntax error'} (${d.Code ?? 'syntax'} at offset ${d.Start})`);
    }
    throw new UnsupportedQueryError(details);
  }
  return copyNode(code.Syntax, query);
}

function copyNode(element: BridgeSyntaxElement, query: string): SyntaxNode {
  const kind = syntaxKindNames().get(element.Kind) ?? `Kind${element.Kind}`;
  const children: SyntaxNode[] = [];
  for (let i = 0; i < element.ChildCount; i++) {
    const c = element.GetChild(i);
    if (c !== null) collectChild(c, query, children);
  }
  const node: { -readonly [K in keyof SyntaxNode]: SyntaxNode[K] } = {
    kind,
    role: element.NameInParent ?? '',
    text: element.IsToken ? (element.Text ?? '') : query.slice(element.TextStart, element.TextStart + element.Width),
    children,
  };
  if (kind === 'NameReference' || kind === 'NameDeclaration') node.name = element.SimpleName ?? '';
  if (kind.endsWith('LiteralExpression')) node.literal = element.LiteralValueInfo?.ValueText ?? '';
  // JSON property names inside dynamic(...) are bare string tokens, not literal expressions.
  if (kind === 'StringLiteralToken') node.literal = kustoLanguage().KustoFacts.GetStringLiteralValue(node.text) ?? '';
  return node;
}

/** Flattens list wrappers: separated elements become their element, separator tokens are dropped. */
function collectChild(element: BridgeSyntaxElement, query: string, into: SyntaxNode[]): void {
  const kind = syntaxKindNames().get(element.Kind);
  if (kind === 'SeparatedElement') {
    const item = element.GetChild(0);
    if (item !== null) into.push(copyNode(item, query));
    return;
  }
  into.push(copyNode(element, query));
}
