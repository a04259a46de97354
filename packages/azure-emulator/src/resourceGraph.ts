import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EstateIndex } from './estateIndex.js';
import { type ErrorDetail, type EmulatorResponse, errorResponse } from './http.js';
import { executeQuery, isUnsupportedQueryError, type KqlRow } from '@kv-audit/kql';
import { type ResourceGraphTables, scopeTables } from './resourceGraphTables.js';
import { type PageCursor, decodeSkipToken, encodeSkipToken, queryFingerprint } from './skipToken.js';

/*
 * POST /providers/Microsoft.ResourceGraph/resources: runs the query text it receives over the estate,
 * with ARG's scoping, paging and error shapes (resourcegraph.json 2024-04-01 and the paging docs).
 *
 * Like ARG, later pages come from one result set: a first page (no $skipToken) executes the query and keeps
 * its rows as the snapshot of its query and scope; a $skipToken page is sliced from that snapshot, and
 * re-executes only when the snapshot has been evicted (the estate never changes, so the rows are the same).
 */

const maxTop = 1000;
/** ARG's REST API takes at most this many subscriptions per request (troubleshoot/general.md). */
const maxSubscriptions = 1000;

const queryRequestSchema = z.looseObject({
  subscriptions: z.array(z.string()).optional(),
  managementGroups: z.array(z.string()).optional(),
  query: z.string(),
  options: z
    .looseObject({
      $top: z.int().optional(),
      $skip: z.int().optional(),
      $skipToken: z.string().optional(),
      resultFormat: z.string().optional(),
    })
    .optional(),
  facets: z.array(z.unknown()).optional(),
});
type QueryRequest = z.infer<typeof queryRequestSchema>;

/** ARG's top-level message; the real problems are in `details`. */
function supportMessage(): string {
  return `Please provide below info when asking for support: timestamp = ${new Date().toISOString()}, correlationId = ${randomUUID()}.`;
}

function badRequest(details: readonly ErrorDetail[]): EmulatorResponse {
  return errorResponse(400, 'BadRequest', supportMessage(), { details });
}

/** ARG's 429 (Azure/azure-cli-extensions#3325). Real ARG sends no Retry-After, only the quota headers. */
export function rateLimited(quotaHeaders: Readonly<Record<string, string>>): EmulatorResponse {
  return errorResponse(429, 'RateLimiting', supportMessage(), {
    headers: quotaHeaders,
    details: [
      {
        code: 'RateLimiting',
        message:
          'Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. ' +
          'Please see https://aka.ms/resourcegraph-throttling for help.',
      },
    ],
  });
}

const invalidQuery: ErrorDetail = {
  code: 'InvalidQuery',
  message: 'Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.',
};

/** The subscriptions a request may see, or the error ARG answers for its scope. */
type ScopeResolution = { readonly subscriptions: ReadonlySet<string> } | { readonly error: EmulatorResponse };

function resolveScope(request: QueryRequest, index: EstateIndex): ScopeResolution {
  const subscriptions = request.subscriptions ?? [];
  const managementGroups = request.managementGroups ?? [];
  if (subscriptions.length > 0 && managementGroups.length > 0) {
    return { error: badRequest([{ code: 'InvalidScope', message: 'Provide either subscriptions or managementGroups, not both.' }]) };
  }
  if (subscriptions.length > maxSubscriptions) {
    return {
      error: badRequest([{ code: 'InvalidScope', message: `At most ${maxSubscriptions} subscriptions per request; got ${subscriptions.length}.` }]),
    };
  }
  if (managementGroups.length > 0) {
    // The code ARG answers for a management group it does not accept (rubrikinc/rubrik-sizing-scripts#87).
    const unknown = managementGroups.filter((id) => !index.managementGroups.has(id.toLowerCase()));
    if (unknown.length > 0) {
      return {
        error: badRequest([
          { code: 'ManagementGroupsContainInvalidIds', message: `The provided management groups must be valid. Given: '${unknown.join("', '")}'.` },
        ]),
      };
    }
    const members = managementGroups.flatMap((id) => index.managementGroups.get(id.toLowerCase()) ?? []);
    return { subscriptions: new Set(members.filter((s) => index.visibleSubscriptions.has(s))) };
  }
  if (subscriptions.length > 0) {
    const visible = subscriptions.map((s) => s.toLowerCase()).filter((s) => index.visibleSubscriptions.has(s));
    // ARG answers 403 when the caller can read none of the listed subscriptions (troubleshoot/general.md).
    if (visible.length === 0) {
      const message = `The client does not have authorization to query subscriptions '${subscriptions.join("', '")}'.`;
      return { error: errorResponse(403, 'AuthorizationFailed', message) };
    }
    return { subscriptions: new Set(visible) };
  }
  return { subscriptions: index.visibleSubscriptions };
}

/** The paging docs: a query with `take`/`limit`/`sample` cannot be paged (a lexical check of the query text). */
function usesRowLimit(query: string): boolean {
  return /\|\s*(take|limit|sample)\b/i.test(query);
}

/** The executed rows of the most recent queries, by query fingerprint; owned by one emulator. */
export class ResultSnapshots {
  private readonly snapshots = new Map<string, readonly KqlRow[]>();
  private executedCount = 0;

  constructor(private readonly capacity = 8) {}

  /** Queries executed; pages sliced from a snapshot are not counted. */
  get executions(): number {
    return this.executedCount;
  }

  /** Executes the query and keeps its rows as the snapshot, the least recently used one making room. */
  fresh(fingerprint: string, execute: () => KqlRow[]): readonly KqlRow[] {
    const rows = execute();
    this.executedCount += 1;
    this.keep(fingerprint, rows);
    return rows;
  }

  /** The query's snapshot, or a fresh execution when it has been evicted. */
  latest(fingerprint: string, execute: () => KqlRow[]): readonly KqlRow[] {
    const rows = this.snapshots.get(fingerprint);
    if (rows === undefined) return this.fresh(fingerprint, execute);
    this.keep(fingerprint, rows);
    return rows;
  }

  private keep(fingerprint: string, rows: readonly KqlRow[]): void {
    // A Map iterates in insertion order: re-inserting marks the snapshot most recently used.
    this.snapshots.delete(fingerprint);
    this.snapshots.set(fingerprint, rows);
    for (const oldest of this.snapshots.keys()) {
      if (this.snapshots.size <= this.capacity) break;
      this.snapshots.delete(oldest);
    }
  }
}

function page(request: QueryRequest, rows: readonly KqlRow[], cursor: PageCursor, fingerprint: string): EmulatorResponse {
  const { offset, top } = cursor;
  const data = rows.slice(offset, offset + top);
  const more = offset + data.length < rows.length;
  // Paging needs a stable sort key: the docs require an `id` column, and no row-limiting operator.
  const pageable = rows.length > 0 && Object.hasOwn(rows[0] ?? {}, 'id') && !usesRowLimit(request.query);
  const skipToken = pageable && more ? encodeSkipToken({ offset: offset + data.length, top }, fingerprint) : undefined;
  return {
    status: 200,
    body: {
      totalRecords: rows.length,
      count: data.length,
      resultTruncated: more && !pageable ? 'true' : 'false',
      ...(skipToken ? { $skipToken: skipToken } : {}),
      data,
      facets: [],
    },
  };
}

export function queryResourceGraph(body: Buffer, index: EstateIndex, tables: ResourceGraphTables, snapshots: ResultSnapshots): EmulatorResponse {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return badRequest([{ code: 'InvalidRequestContent', message: 'The request body is not valid JSON.' }]);
  }
  const parsed = queryRequestSchema.safeParse(json);
  if (!parsed.success) {
    return badRequest(parsed.error.issues.map((issue) => ({ code: 'InvalidRequestContent', message: `${issue.path.join('.')}: ${issue.message}` })));
  }
  const request = parsed.data;
  const options = request.options ?? {};
  const optionProblems: ErrorDetail[] = [
    ...(options.$top !== undefined && (options.$top < 1 || options.$top > maxTop)
      ? [{ code: 'InvalidParameter', message: `$top must be from 1 to ${maxTop}, got ${options.$top}.` }]
      : []),
    ...(options.$skip !== undefined && options.$skip < 0 ? [{ code: 'InvalidParameter', message: `$skip must be 0 or more, got ${options.$skip}.` }] : []),
    // Emulator limits: only the default result format, and no facets.
    ...(options.resultFormat !== undefined && options.resultFormat.toLowerCase() !== 'objectarray'
      ? [{ code: 'UnsupportedResultFormat', message: `The emulator serves resultFormat 'objectArray' only, got '${options.resultFormat}'.` }]
      : []),
    ...(request.facets && request.facets.length > 0 ? [{ code: 'UnsupportedFacets', message: 'The emulator does not compute facets.' }] : []),
  ];
  if (optionProblems.length > 0) return badRequest(optionProblems);

  const scope = resolveScope(request, index);
  if ('error' in scope) return scope.error;
  const fingerprint = queryFingerprint(request.query, request.subscriptions ?? [], request.managementGroups ?? []);
  let cursor: PageCursor = { offset: options.$skip ?? 0, top: options.$top ?? maxTop };
  if (options.$skipToken !== undefined) {
    const decoded = decodeSkipToken(options.$skipToken, fingerprint);
    if ('problem' in decoded) return badRequest([{ code: 'InvalidSkipToken', message: decoded.problem }]);
    cursor = { offset: decoded.offset, top: options.$top ?? decoded.top };
  }
  const execute = () => {
    const scoped = scopeTables(tables, scope.subscriptions);
    return executeQuery(request.query, { resources: scoped.resources, resourcecontainers: scoped.resourcecontainers });
  };
  let rows: readonly KqlRow[];
  try {
    rows = options.$skipToken === undefined ? snapshots.fresh(fingerprint, execute) : snapshots.latest(fingerprint, execute);
  } catch (error) {
    if (!isUnsupportedQueryError(error)) throw error;
    return badRequest([invalidQuery, ...error.details.map((message) => ({ code: 'ParserFailure', message }))]);
  }
  return page(request, rows, cursor, fingerprint);
}
