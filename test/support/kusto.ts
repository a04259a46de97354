import { readFileSync, readdirSync } from 'node:fs';
import { type KqlTableSchema, kqlProblems } from '@kv-audit/kql';
import { type LogAnalyticsType, deriveColumns } from '../../src/findings/columns.js';
import { tables } from '../../src/findings/schema.js';

/*
 * The tables every KQL string of the project is bound against by Microsoft's parser and binder (loaded once,
 * in @kv-audit/kql): unknown columns, unknown functions and type errors in any query fail the test that runs it.
 */

export { kqlProblems };
export type KqlTable = KqlTableSchema;
type ScalarTypeName = KqlTableSchema['columns'][number]['type'];

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

/*
 * The workspace functions the deployment defines next to the tables (infra/queries/functions/<Name>.kql, whose first
 * line gives the signature: `// Name(a: type, …): what it returns`). A query that calls one is bound and run with the
 * function declared before it, as the workspace would resolve it.
 */
const functionsDir = new URL('../../infra/queries/functions/', import.meta.url);

export interface WorkspaceFunction {
  readonly name: string;
  /** `asOf: datetime, lookback: timespan`, as the saved search's functionParameters lists them (with `:` spacing). */
  readonly parameters: string;
  readonly body: string;
}

export const workspaceFunctions: readonly WorkspaceFunction[] = readdirSync(functionsDir)
  .filter((file) => file.endsWith('.kql'))
  .sort()
  .map((file) => {
    const body = readFileSync(new URL(file, functionsDir), 'utf8');
    const signature = /^\/\/ (\w+)\(([^)]*)\):/.exec(body.split('\n')[0] ?? '');
    if (!signature || `${signature[1]}.kql` !== file) throw new Error(`${file}: the first line must be // ${file.replace('.kql', '')}(parameters): …`);
    return { name: signature[1]!, parameters: signature[2]!, body };
  });

/** The query with every workspace function it may call declared first. */
export function withWorkspaceFunctions(query: string): string {
  return `${workspaceFunctions.map((f) => `let ${f.name} = (${f.parameters}) {\n${f.body.trimEnd()}\n};\n`).join('')}${query}`;
}
