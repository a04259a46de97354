/**
 * The one loader of Microsoft's Kusto parser and binder (@kusto/language-service-next, a Bridge.NET build),
 * and the binder check every KQL string of the project goes through.
 */
import { createRequire } from 'node:module';

/** The members of the parser's syntax elements that the interpreter reads. */
export interface BridgeSyntaxElement {
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
  readonly Severity: string | null;
  readonly Code: string | null;
  readonly Message: string | null;
  readonly Start: number;
}

interface BridgeReadOnlyList<T> {
  readonly Count: number;
  getItem(index: number): T;
}

interface ParsedCode {
  readonly Syntax: BridgeSyntaxElement;
  GetDiagnostics(): BridgeReadOnlyList<BridgeDiagnostic>;
}

export type ScalarTypeName = 'String' | 'Int' | 'Long' | 'Real' | 'Bool' | 'DateTime' | 'Dynamic' | 'Guid' | 'TimeSpan';

interface KustoSymbols {
  readonly ScalarTypes: Record<ScalarTypeName, unknown>;
  readonly ColumnSymbol: new (name: string, type: unknown) => unknown;
  readonly TableSymbol: { readonly $ctor4: new (name: string, columns: unknown[]) => unknown };
  readonly DatabaseSymbol: new (name: string, tables: unknown[]) => unknown;
  readonly ClusterSymbol: new (name: string, databases: unknown[]) => unknown;
}

export interface KustoLanguage {
  readonly KustoCode: {
    Parse(text: string): ParsedCode;
    ParseAndAnalyze(text: string, globals: unknown): ParsedCode;
  };
  readonly KustoFacts: { GetStringLiteralValue(literal: string): string | null };
  readonly Syntax: { readonly SyntaxKind: Readonly<Record<string, unknown>> };
  readonly Symbols: KustoSymbols;
  readonly GlobalState: { readonly Default: { WithCluster(cluster: unknown): { WithDatabase(database: unknown): unknown } } };
}

let loaded: KustoLanguage | undefined;

/** Microsoft's Kusto language service, loaded on first use. */
export function kustoLanguage(): KustoLanguage {
  if (loaded === undefined) {
    // Bridge.NET scripts define globals instead of exporting anything, and the runtime must load before the assembly.
    const require = createRequire(import.meta.url);
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next');
    loaded = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  }
  return loaded;
}

/** A diagnostic as one line: severity, code, offset and message. */
export function describeDiagnostics(code: ParsedCode): string[] {
  const diagnostics = code.GetDiagnostics();
  return Array.from({ length: diagnostics.Count }, (_, i) => diagnostics.getItem(i)).map(
    (d) => `${d.Severity ?? 'Error'} ${d.Code ?? 'KS000'} at ${d.Start}: ${d.Message ?? 'syntax error'}`,
  );
}

/** A table as the binder sees it. */
export interface KqlTableSchema {
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: ScalarTypeName }[];
}

/** Every error and warning the parser and binder report for `query` over `tables`: unknown columns, functions, type errors. */
export function kqlProblems(query: string, tables: readonly KqlTableSchema[]): string[] {
  const kusto = kustoLanguage();
  const { Symbols } = kusto;
  const tableSymbols = tables.map(
    (t) => new Symbols.TableSymbol.$ctor4(t.name, t.columns.map((c) => new Symbols.ColumnSymbol(c.name, Symbols.ScalarTypes[c.type]))),
  );
  const database = new Symbols.DatabaseSymbol('db', tableSymbols);
  const globals = kusto.GlobalState.Default.WithCluster(new Symbols.ClusterSymbol('cluster', [database])).WithDatabase(database);
  return describeDiagnostics(kusto.KustoCode.ParseAndAnalyze(query, globals));
}
