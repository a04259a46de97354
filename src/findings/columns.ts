import { z } from 'zod';
import type { TableContract } from './schema.js';

/** Column types of DCR stream declarations (the Tables API spells datetime `dateTime`). */
export type LogAnalyticsType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic';

export interface LogAnalyticsColumn {
  readonly name: string;
  readonly type: LogAnalyticsType;
  readonly description?: string;
}

/**
 * Names Log Analytics refuses in custom tables (Learn: "Create a custom table"), plus
 * standard columns it adds itself (SourceSystem, MG, ManagementGroupName), which would shadow ours.
 */
export const reservedColumnNames: ReadonlySet<string> = new Set(
  [
    'id', 'BilledSize', 'IsBillable', 'InvalidTimeGenerated', 'TenantId', 'Title', 'Type', 'UniqueId',
    '_ItemId', '_ResourceGroup', '_ResourceId', '_SubscriptionId', '_TimeReceived',
    'SourceSystem', 'MG', 'ManagementGroupName',
  ].map((n) => n.toLowerCase()),
);
// A letter, then letters, digits or underscores; 2-45 characters.
const columnNamePattern = /^[A-Za-z][A-Za-z0-9_]{1,44}$/;

interface JsonSchemaNode {
  type?: string | string[];
  format?: string;
  maximum?: number;
  minimum?: number;
  anyOf?: JsonSchemaNode[];
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
}

const int32Max = 2 ** 31 - 1;

function logAnalyticsType(node: JsonSchemaNode, where: string): LogAnalyticsType {
  const variants = node.anyOf ?? [node];
  const nonNull = variants.filter((v) => v.type !== 'null');
  const typeNames = nonNull.flatMap((v) => (Array.isArray(v.type) ? v.type : [v.type])).filter((t) => t !== 'null');
  const [only] = nonNull;
  if (nonNull.length !== 1 || typeNames.length !== 1 || only === undefined) {
    throw new Error(`${where}: a column must have exactly one non-null type, got ${JSON.stringify(node)}`);
  }
  switch (typeNames[0]) {
    case 'string':
      return only.format === 'date-time' ? 'datetime' : 'string';
    case 'integer':
      return (only.maximum ?? Infinity) <= int32Max && (only.minimum ?? 0) >= -int32Max - 1 ? 'int' : 'long';
    case 'number':
      return 'real';
    case 'boolean':
      return 'boolean';
    case 'object':
    case 'array':
      return 'dynamic';
    default:
      throw new Error(`${where}: no Log Analytics type for JSON schema type ${String(typeNames[0])}`);
  }
}

/** The table's columns, in schema order, derived from its zod definition. */
export function deriveColumns(table: TableContract): LogAnalyticsColumn[] {
  const jsonSchema = z.toJSONSchema(table.schema) as JsonSchemaNode;
  return Object.entries(jsonSchema.properties ?? {}).map(([name, node]) => {
    const where = `${table.tableName}.${name}`;
    if (!columnNamePattern.test(name)) throw new Error(`${where}: not a valid Log Analytics column name`);
    if (reservedColumnNames.has(name.toLowerCase())) throw new Error(`${where}: reserved in custom tables`);
    const description = node.description ?? node.anyOf?.find((v) => v.description)?.description;
    return { name, type: logAnalyticsType(node, where), ...(description ? { description } : {}) };
  });
}

/** What infra/ loads with loadJsonContent: the table, its stream, and the columns of both. */
export interface ColumnFile {
  readonly tableName: string;
  readonly streamName: string;
  readonly columns: readonly LogAnalyticsColumn[];
}

function columnFile(table: TableContract): ColumnFile {
  return { tableName: table.tableName, streamName: table.streamName, columns: deriveColumns(table) };
}

export function columnFilePath(table: TableContract): string {
  return `infra/generated/${table.tableName}.columns.json`;
}

export function renderColumnFile(table: TableContract): string {
  return `${JSON.stringify(columnFile(table), null, 2)}\n`;
}
