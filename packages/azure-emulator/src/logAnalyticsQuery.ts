import { randomUUID } from 'node:crypto';
import { type KqlRow, executeQueryTable, isUnsupportedQueryError } from '@kv-audit/kql';
import { z } from 'zod';
import { normalizeResourceId } from './armIds.js';
import type { Estate } from './estate.js';
import type { EmulatorResponse } from './http.js';

/*
 * POST /v1/workspaces/{workspaceId}/query and POST /v1/{workspace resource id}/query: the Log Analytics query API
 * (Learn: "Azure Monitor Log Analytics API request format"; "Azure resource queries"), which @azure/monitor-query-logs
 * calls (queryWorkspace, with the workspace's customerId, a GUID; queryResource, with its resource id).
 * It runs the KQL it receives through packages/kql over the workspace's tables from the estate (`workspaceLogs`),
 * and answers in the API's shape: { tables: [{ name: 'PrimaryResult', columns: [{ name, type }], rows }] }.
 *
 * As hostile as the service: a table no data has reached does not exist, so a query naming it fails unless its
 * union is isfuzzy; the timespan bounds TimeGenerated on top of the query's own filters; errors come in the API's
 * own envelope ({ error: { message, code, innererror } }): 403 InsufficientAccessError for a workspace in
 * `queryDenied`, 404 WorkspaceNotFoundError, 400 BadArgumentError for a query it cannot run.
 */

const queryPath = /^\/v1\/workspaces\/([^/]+)\/query\/?$/i;
/** A resource-centric query (LogsQueryClient.queryResource): POST /v1/{workspace resource id}/query. */
const resourceQueryPath = /^\/v1(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.operationalinsights\/workspaces\/[^/]+)\/query\/?$/i;

/** The workspace a query names: by its customerId, or by its resource id. */
export type LogQueryTarget = { readonly workspaceId: string } | { readonly resourceId: string };

export function logQueryTarget(method: string, path: string): LogQueryTarget | null {
  if (method !== 'POST') return null;
  const byId = queryPath.exec(path)?.[1];
  if (byId) return { workspaceId: byId };
  const byResource = resourceQueryPath.exec(path)?.[1];
  return byResource ? { resourceId: byResource } : null;
}

function queryError(status: number, code: string, message: string, inner?: { code: string; message: string }): EmulatorResponse {
  return { status, body: { error: { message, code, correlationId: randomUUID(), ...(inner ? { innererror: inner } : {}) } } };
}

const bodySchema = z.looseObject({ query: z.string().min(1), timespan: z.string().optional() });

const durationPattern = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** The [start, end] a timespan covers: an ISO 8601 duration back from now, or start/end, start/duration. */
function interval(timespan: string | undefined, now: number): [number, number] | null {
  if (timespan === undefined) return [-Infinity, Infinity];
  const ms = (duration: string) => {
    const match = durationPattern.exec(duration);
    if (!match || duration === 'P' || duration.endsWith('T')) return null;
    const [, d = '0', h = '0', m = '0', s = '0'] = match;
    return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000;
  };
  const [first, second] = timespan.split('/');
  if (second === undefined) {
    const length = ms(first ?? '');
    return length === null ? null : [now - length, now];
  }
  const start = Date.parse(first ?? '');
  const end = Date.parse(second);
  if (Number.isNaN(start)) return null;
  if (!Number.isNaN(end)) return [start, end];
  const length = ms(second);
  return length === null ? null : [start, start + length];
}

const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A column's type as the API names it, from the values the query produced (the interpreter returns plain JSON). */
function columnType(values: readonly unknown[]): string {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return 'string';
  if (present.every((v) => typeof v === 'string' && isoDateTime.test(v))) return 'datetime';
  if (present.every((v) => typeof v === 'boolean')) return 'bool';
  if (present.every((v) => typeof v === 'number')) return present.every(Number.isInteger) ? 'long' : 'real';
  if (present.every((v) => typeof v === 'object')) return 'dynamic';
  return 'string';
}

function primaryResult({ columns: names, rows }: { columns: readonly string[]; rows: readonly KqlRow[] }): unknown {
  const columns = names.map((name) => ({ name, type: columnType(rows.map((row) => row[name])) }));
  return { tables: [{ name: 'PrimaryResult', columns, rows: rows.map((row) => names.map((name) => row[name] ?? null)) }] };
}

/**
 * Runs a query over the workspace's tables: those of the estate (`workspaceLogs`), and the rows the emulator's DCR
 * accepted (`ingested`, by table), which land in whichever workspace is asked: the emulator has one DCR.
 */
export function runLogQuery(
  target: LogQueryTarget,
  body: Buffer,
  estate: Estate,
  now: Date,
  ingested: Readonly<Record<string, readonly Record<string, unknown>[]>> = {},
): EmulatorResponse {
  const workspace = estate.resources.find((r) => {
    if (r.type.toLowerCase() !== 'microsoft.operationalinsights/workspaces') return false;
    if ('resourceId' in target) return normalizeResourceId(r.id) === normalizeResourceId(target.resourceId);
    const properties = r.properties as Record<string, unknown> | undefined;
    return String(properties?.['customerId'] ?? '').toLowerCase() === target.workspaceId.toLowerCase();
  });
  if (!workspace) {
    return queryError(404, 'WorkspaceNotFoundError', `The workspace ${'resourceId' in target ? target.resourceId : target.workspaceId} could not be found`);
  }
  const workspaceKey = normalizeResourceId(workspace.id);
  if ((estate.queryDenied ?? []).some((id) => normalizeResourceId(id) === workspaceKey)) {
    return queryError(403, 'InsufficientAccessError', 'The provided credentials have insufficient access to perform the requested operation');
  }
  let parsed: z.infer<typeof bodySchema>;
  try {
    parsed = bodySchema.parse(JSON.parse(body.toString('utf8')));
  } catch {
    return queryError(400, 'BadArgumentError', 'The request had some invalid properties', { code: 'InvalidBody', message: 'The body must be JSON with a query' });
  }
  const window = interval(parsed.timespan, now.getTime());
  if (window === null) return queryError(400, 'BadArgumentError', `Invalid timespan '${parsed.timespan ?? ''}'`);
  const logs = Object.entries(estate.workspaceLogs ?? {}).find(([id]) => normalizeResourceId(id) === workspaceKey)?.[1] ?? {};
  const inWindow = (row: Record<string, unknown>) => {
    const at = Date.parse(String(row['TimeGenerated'] ?? ''));
    return !Number.isNaN(at) && at >= window[0] && at <= window[1];
  };
  const tables = Object.fromEntries(Object.entries({ ...logs, ...ingested }).map(([name, rows]) => [name, rows.filter(inWindow) as KqlRow[]]));
  try {
    return { status: 200, body: primaryResult(executeQueryTable(parsed.query, tables, { now: () => now })) };
  } catch (error) {
    if (!isUnsupportedQueryError(error)) throw error;
    return queryError(400, 'BadArgumentError', 'The request had some invalid properties', { code: 'SemanticError', message: error.details.join('; ') });
  }
}
