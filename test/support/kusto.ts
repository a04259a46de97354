import { createRequire } from 'node:module';
import { type LogAnalyticsType, deriveColumns } from '../../src/findings/columns.js';
import { tables } from '../../src/findings/schema.js';

/*
 * Semantic KQL checks with Microsoft's own parser and binder: unknown columns,
 * unknown functions and type errors in any query string fail the test that runs it.
 */

type ScalarTypeName = 'String' | 'Int' | 'Long' | 'Real' | 'Bool' | 'DateTime' | 'Dynamic' | 'Guid' | 'TimeSpan';

export interface KqlTable {
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: ScalarTypeName }[];
}

interface BridgeList<T> {
  readonly Count: number;
  getItem(index: number): T;
}
interface KustoSymbols {
  ScalarTypes: Record<ScalarTypeName, unknown>;
  ColumnSymbol: new (name: string, type: unknown) => unknown;
  TableSymbol: { $ctor4: new (name: string, columns: unknown[]) => unknown };
  DatabaseSymbol: new (name: string, tables: unknown[]) => unknown;
  ClusterSymbol: new (name: string, databases: unknown[]) => unknown;
}
interface KustoLanguage {
  Symbols: KustoSymbols;
  GlobalState: { Default: { WithCluster(cluster: unknown): { WithDatabase(database: unknown): unknown } } };
  KustoCode: {
    ParseAndAnalyze(text: string, globals: unknown): {
      GetDiagnostics(): BridgeList<{ Severity: string; Code: string; Message: string; Start: number }>;
    };
  };
}

const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next');
const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;

/** Every error and warning the binder reports, with its position in the query. */
export function kqlProblems(query: string, kqlTables: readonly KqlTable[]): string[] {
  const { Symbols } = kusto;
  const tableSymbols = kqlTables.map(
    (t) => new Symbols.TableSymbol.$ctor4(t.name, t.columns.map((c) => new Symbols.ColumnSymbol(c.name, Symbols.ScalarTypes[c.type]))),
  );
  const database = new Symbols.DatabaseSymbol('db', tableSymbols);
  const globals = kusto.GlobalState.Default.WithCluster(new Symbols.ClusterSymbol('cluster', [database])).WithDatabase(database);
  const diagnostics = kusto.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  return Array.from({ length: diagnostics.Count }, (_, i) => diagnostics.getItem(i)).map(
    (d) => `${d.Severity} ${d.Code} at ${d.Start}: ${d.Message}`,
  );
}

const argColumns = (extra: KqlTable['columns']): KqlTable['columns'] => [
  { name: 'id', type: 'String' },
  { name: 'name', type: 'String' },
  { name: 'type', type: 'String' },
  { name: 'tenantId', type: 'String' },
  { name: 'kind', type: 'String' },
  { name: 'location', type: 'String' },
  { name: 'resourceGroup', type: 'String' },
  { name: 'subscriptionId', type: 'String' },
  { name: 'managedBy', type: 'String' },
  { name: 'sku', type: 'Dynamic' },
  { name: 'plan', type: 'Dynamic' },
  { name: 'properties', type: 'Dynamic' },
  { name: 'tags', type: 'Dynamic' },
  { name: 'identity', type: 'Dynamic' },
  { name: 'zones', type: 'Dynamic' },
  { name: 'extendedLocation', type: 'Dynamic' },
  ...extra,
];

/** The Resource Graph tables the scan queries, as the ARG query-language reference declares them. */
export const resourceGraphSchema: readonly KqlTable[] = [
  { name: 'resources', columns: argColumns([]) },
  { name: 'resourcecontainers', columns: argColumns([]) },
];

const scalarTypeOf: Record<LogAnalyticsType, ScalarTypeName> = {
  string: 'String',
  int: 'Int',
  long: 'Long',
  real: 'Real',
  boolean: 'Bool',
  datetime: 'DateTime',
  dynamic: 'Dynamic',
};

/** The custom tables as Log Analytics exposes them: our columns (from the zod schema) plus the ones it adds. */
export const findingsWorkspaceSchema: readonly KqlTable[] = tables.map((table) => ({
  name: table.tableName,
  columns: [
    ...deriveColumns(table).map((c) => ({ name: c.name, type: scalarTypeOf[c.type] })),
    { name: 'TenantId', type: 'String' },
    { name: 'Type', type: 'String' },
    { name: '_ResourceId', type: 'String' },
  ],
}));
