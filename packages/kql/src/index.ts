/**
 * A small KQL interpreter for the local Azure Resource Graph emulator, also used by tests to run the Log Analytics
 * queries over fixture rows: it executes the query text it is given over in-memory tables of JSON rows, and rejects
 * what it does not support with an UnsupportedQueryError. Datetimes leave as ISO strings, timespans as Kusto's
 * `d.hh:mm:ss` text; ISO strings in input rows are read as datetimes where KQL needs one (see datetime.ts).
 */
export type { KqlRow, KqlTables, KqlValue } from './values.js';
export type { Clock } from './scalarFunctions.js';
export { UnsupportedQueryError, isUnsupportedQueryError } from './errors.js';
export { executeQuery, executeQueryTable, type ExecuteQueryOptions } from './interpreter.js';
export { kqlProblems, type KqlTableSchema, type ScalarTypeName } from './kusto.js';
export { parseQuery } from './parser.js';
export type { SyntaxNode } from './syntax.js';
export { xxhash64 } from './xxhash64.js';
