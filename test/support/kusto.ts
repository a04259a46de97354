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
