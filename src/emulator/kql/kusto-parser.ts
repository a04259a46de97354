/**
 * The only module that touches Microsoft's Kusto parser (@kusto/language-service-next, a Bridge.NET build).
 * It parses query text and copies the syntax tree into plain `SyntaxNode`s.
 */
import { createRequire } from 'node:module';
import { UnsupportedQueryError } from './errors.js';
import type { SyntaxNode } from './syntax.js';

/** The members of the parser's syntax elements that this module reads. */
interface BridgeSyntaxElement {
  readonly Kind: number;
  readonly IsToken: boolean;
  readonly Text: string | null;
  readonly NameInParent: string | null;
  readonly TextStart: number;
  readonly Width: number;
  readonly ChildCount: number;
  GetChild(index: number): BridgeSyntaxElement | null;
  /** Present on name nodes. */
  readonly SimpleName?: string | null;
  /** Present on literal expressions. */
  readonly LiteralValueInfo?: { readonly ValueText: string | null } | null;
}

interface BridgeDiagnostic {
  readonly Code: string | null;
  readonly Message: string | null;
  readonly Start: number;
}

interface BridgeReadOnlyList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

interface KustoLanguage {
  readonly KustoCode: {
    Parse(text: string): { readonly Syntax: BridgeSyntaxElement; GetDiagnostics(): BridgeReadOnlyList<BridgeDiagnostic> };
  };
  readonly KustoFacts: { GetStringLiteralValue(literal: string): string | null };
  readonly Syntax: { readonly SyntaxKind: Readonly<Record<string, unknown>> };
}

// Bridge.NET scripts define globals instead of exporting anything, and the runtime must load before the assembly.
const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next');
const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;

/** Bridge.NET enums have no reverse mapping, so build number → name once. */
const syntaxKindNames = new Map<number, string>(
  Object.entries(kusto.Syntax.SyntaxKind).flatMap(([name, value]) => (typeof value === 'number' ? [[value, name] as const] : [])),
);

/** Parses a query; syntax errors become an UnsupportedQueryError with one line per parser diagnostic. */
export function parseQuery(query: string): SyntaxNode {
  const code = kusto.KustoCode.Parse(query);
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
  const kind = syntaxKindNames.get(element.Kind) ?? `Kind${element.Kind}`;
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
  if (kind === 'StringLiteralToken') node.literal = kusto.KustoFacts.GetStringLiteralValue(node.text) ?? '';
  return node;
}

/** Flattens list wrappers: separated elements become their element, separator tokens are dropped. */
function collectChild(element: BridgeSyntaxElement, query: string, into: SyntaxNode[]): void {
  const kind = syntaxKindNames.get(element.Kind);
  if (kind === 'SeparatedElement') {
    const item = element.GetChild(0);
    if (item !== null) into.push(copyNode(item, query));
    return;
  }
  into.push(copyNode(element, query));
}
