import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EstateIndex } from './estateIndex.js';
import { type ErrorDetail, type EmulatorResponse, errorResponse } from './http.js';
import { executeQuery, isUnsupportedQueryError, type KqlRow } from '@kv-audit/kql';
import { resourceGraphDialectProblems } from './resourceGraphDialect.js';
import { type ResourceGraphTables, scopeTables } from './resourceGraphTables.js';
import { type PageCursor, decodeSkipToken, encodeSkipToken, queryFingerprint } from './skipToken.js';

/*
 * POST /providers/Microsoft.ResourceGraph/resources: runs the query text it receives over the estate,
 * with ARG's scoping, paging, dialect, limits and error shapes (resourcegraph.json 2024-04-01, the paging
 * and throttling guidance, the query-language reference).
 *
 * Like ARG, there is no snapshot: every page request executes the query again over the estate as it is
 * then, so when the estate changes between pages, later pages shift and rows are duplicated or skipped
 * (Learn: "Guidance for pagination", pagination in dynamic environments).
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
      allowPartialScopes: z.boolean().optional(),
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

/**
 * The subscriptions a request may see, or the error ARG answers for its scope. `limitHit`: a tenant query
 * spanned more subscriptions than ARG takes, and only the first ones were searched.
 */
type ScopeResolution = { readonly subscriptions: ReadonlySet<string>; readonly limitHit: boolean } | { readonly error: EmulatorResponse };

/** The first `limit` subscriptions of a scope, as ARG takes them (lowest ids first here). */
function firstOf(subscriptions: Iterable<string>, limit: number): { subscriptions: ReadonlySet<string>; limitHit: boolean } {
  const all = [...subscriptions].sort();
  return { subscriptions: new Set(all.slice(0, limit)), limitHit: all.length > limit };
}

function resolveScope(request: QueryRequest, index: EstateIndex, subscriptionLimit: number): ScopeResolution {
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
    const members = new Set(managementGroups.flatMap((id) => index.managementGroups.get(id.toLowerCase()) ?? []).filter((s) => index.visibleSubscriptions.has(s)));
    if (members.size > subscriptionLimit && request.options?.allowPartialScopes !== true) {
      // Without allowPartialScopes, ARG refuses a management-group query over its subscription limit.
      return {
        error: badRequest([
          {
            code: 'TooManySubscriptionsUnderScope',
            message: `The management groups span ${members.size} subscriptions, more than the ${subscriptionLimit} a query may; set allowPartialScopes to query the first ${subscriptionLimit}.`,
          },
        ]),
      };
    }
    return firstOf(members, subscriptionLimit);
  }
  if (subscriptions.length > 0) {
    const visible = subscriptions.map((s) => s.toLowerCase()).filter((s) => index.visibleSubscriptions.has(s));
    // ARG answers 403 when the caller can read none of the listed subscriptions (troubleshoot/general.md).
    if (visible.length === 0) {
      const message = `The client does not have authorization to query subscriptions '${subscriptions.join("', '")}'.`;
      return { error: errorResponse(403, 'AuthorizationFailed', message) };
    }
    return { subscriptions: new Set(visible), limitHit: false };
  }
  // A tenant query over ARG's limit is answered from the first subscriptions, with x-ms-tenant-subscription-limit-hit.
  return firstOf(index.visibleSubscriptions, subscriptionLimit);
}

/** The paging docs: a query with `take`/`limit`/`sample` cannot be paged (a lexical check of the query text). */
function usesRowLimit(query: string): boolean {
  return /\|\s*(take|limit|sample)\b/i.test(query);
}

/**
 * The rows of recent executions, by query fingerprint and estate version: a page of an unchanged estate is
 * served without executing the query again, which gives the same rows ARG would (the estate is the same).
 */
export class ResultCache {
  private readonly results = new Map<string, readonly KqlRow[]>();
  private executedCount = 0;

  constructor(private readonly capacity = 8) {}

  /** Queries executed; pages served from the cache are not counted. */
  get executions(): number {
    return this.executedCount;
  }

  rows(fingerprint: string, estateVersion: number, execute: () => KqlRow[]): readonly KqlRow[] {
    const key = `${estateVersion} ${fingerprint}`;
    let rows = this.results.get(key);
    if (rows === undefined) {
      rows = execute();
      this.executedCount += 1;
    }
    // A Map iterates in insertion order: re-inserting marks the entry most recently used.
    this.results.delete(key);
    this.results.set(key, rows);
    for (const oldest of this.results.keys()) {
      if (this.results.size <= this.capacity) break;
      this.results.delete(oldest);
    }
    return rows;
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

/** The estate as ARG sees it when a request arrives. */
export interface ResourceGraphView {
  readonly index: EstateIndex;
  readonly tables: ResourceGraphTables;
  /** Changes each time the estate does. */
  readonly version: number;
}

export interface ResourceGraphLimits {
  /** Subscriptions a tenant or management-group query may span (ARG: 10,000). */
  readonly subscriptionLimit: number;
  /** ARG refuses a response larger than this (16 MiB). */
  readonly maxResponseBytes: number;
}

export const defaultResourceGraphLimits: ResourceGraphLimits = { subscriptionLimit: 10_000, maxResponseBytes: 16 * 1024 * 1024 };

export function queryResourceGraph(body: Buffer, view: ResourceGraphView, cache: ResultCache, limits: ResourceGraphLimits): EmulatorResponse {
  const { index, tables } = view;
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

  const dialect = (() => {
    try {
      return resourceGraphDialectProblems(request.query);
    } catch (error) {
      if (!isUnsupportedQueryError(error)) throw error;
      return error.details.map((message) => ({ code: 'ParserFailure', message }));
    }
  })();
  if (dialect.length > 0) return badRequest([invalidQuery, ...dialect.map(({ code, message }) => ({ code, message }))]);
  const scope = resolveScope(request, index, limits.subscriptionLimit);
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
    rows = cache.rows(fingerprint, view.version, execute);
  } catch (error) {
    if (!isUnsupportedQueryError(error)) throw error;
    return badRequest([invalidQuery, ...error.details.map((message) => ({ code: 'ParserFailure', message }))]);
  }
  const response = page(request, rows, cursor, fingerprint);
  const bytes = Buffer.byteLength(JSON.stringify(response.body));
  if (bytes > limits.maxResponseBytes) {
    return badRequest([
      {
        code: 'ResponsePayloadTooLarge',
        message: `Response payload size is ${bytes}, and has exceeded the limit of ${limits.maxResponseBytes}. Please consider querying less data at a time and make paginated call if needed.`,
      },
    ]);
  }
  return scope.limitHit ? { ...response, headers: { ...response.headers, 'x-ms-tenant-subscription-limit-hit': 'true' } } : response;
}
