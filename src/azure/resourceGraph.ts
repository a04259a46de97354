import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { isRestError } from '@azure/core-rest-pipeline';
import { KvAuditError } from '../errors.js';
import { describeRestError } from './armError.js';
import { backoffDelayMs, sleep as sleepFor } from './backoff.js';
import { requestTimeoutMs } from './clients.js';
import { isCutOffResponse, maxCutOffRetries } from './transientFailures.js';

/*
 * Runs a Resource Graph query to the end: every subscription batch, every page.
 * The scope travels as request parameters (never concatenated into KQL).
 * ARG throttles per user with x-ms-user-quota-* headers and answers 429 without
 * Retry-After, which the SDK does not retry, so the waiting is done here.
 */

export interface ResourceGraphScope {
  readonly subscriptions?: readonly string[];
  readonly managementGroups?: readonly string[];
}

export type ArgRow = Record<string, unknown>;

export interface ResultPage {
  readonly rows: readonly ArgRow[];
  /** Rows the whole result holds, as ARG reports it; null when it does not say. */
  readonly totalRecords: number | null;
  /** ARG has another page of this result ($skipToken). */
  readonly hasMore: boolean;
  /**
   * ARG searched only the first subscriptions of a tenant or management-group scope
   * (x-ms-tenant-subscription-limit-hit): the result leaves the others out.
   */
  readonly subscriptionLimitHit: boolean;
}

export interface ResourceGraphRunner {
  /** The result of `query` over `scope` page by page, every subscription batch; `purpose` names the query in errors and logs. */
  queryPages(purpose: string, query: string, scope: ResourceGraphScope): AsyncIterable<ResultPage>;
  /** The same over one scope ARG takes in a single request (see scopeBatches). */
  queryScope(purpose: string, query: string, scope: ResourceGraphScope): AsyncIterable<ResultPage>;
  /** All rows at once, for small results. */
  queryAll(purpose: string, query: string, scope: ResourceGraphScope): Promise<ArgRow[]>;
}

export interface RunnerOptions {
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told when the scanner waits for the ARG quota to reset. */
  readonly onThrottle?: (waitMs: number) => void;
  /** First delay before repeating a request whose response was cut off; doubles each time. */
  readonly retryDelayMs?: number;
  /** Aborts every request, e.g. when the scan's time budget runs out. */
  readonly abortSignal?: AbortSignal;
  /** The clock answers are timed by (ms). */
  readonly now?: () => number;
}

/** ARG accepts at most 1000 subscriptions per request and returns at most 1000 rows per page. */
export const maxSubscriptionsPerRequest = 1000;
const pageSize = 1000;
const max429Retries = 6;

/** `hh:mm:ss`, optionally `d.hh:mm:ss` and fractional seconds, as in x-ms-user-quota-resets-after. */
export function parseResetsAfter(value: string | undefined | null): number | null {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value?.trim() ?? '');
  if (!match) return null;
  const [, days = '0', hours, minutes, seconds] = match;
  return Math.round(((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000);
}

interface Quota {
  readonly remaining: number | null;
  readonly resetsAfterMs: number | null;
  readonly subscriptionLimitHit: boolean;
}

function quotaFrom(headers: { get(name: string): string | undefined }): Quota {
  const remaining = headers.get('x-ms-user-quota-remaining');
  return {
    remaining: remaining === undefined || remaining === '' ? null : Number(remaining),
    resetsAfterMs: parseResetsAfter(headers.get('x-ms-user-quota-resets-after')),
    subscriptionLimitHit: headers.get('x-ms-tenant-subscription-limit-hit')?.trim().toLowerCase() === 'true',
  };
}

/** A scope in parts ARG takes in one request each: at most 1,000 subscriptions per request. */
export function scopeBatches(scope: ResourceGraphScope): ResourceGraphScope[] {
  const subscriptions = scope.subscriptions;
  if (!subscriptions || subscriptions.length <= maxSubscriptionsPerRequest) return [scope];
  const out: ResourceGraphScope[] = [];
  for (let i = 0; i < subscriptions.length; i += maxSubscriptionsPerRequest) {
    out.push({ subscriptions: subscriptions.slice(i, i + maxSubscriptionsPerRequest) });
  }
  return out;
}

export function createResourceGraphRunner(client: ResourceGraphClient, options: RunnerOptions = {}): ResourceGraphRunner {
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  let waitBeforeNext = 0;
  /*
   * The earliest the current quota window is known to end. ARG states the reset in whole seconds, rounded up, as of
   * when it counted the request, and the answer takes a while to arrive: each answer's arrival plus its resets-after
   * is a bound, and the lowest of a window's is close. Waiting on the last answer's alone lost most of a second a
   * window, over a tenth of the inventory's time once the quota sets the pace.
   */
  let windowEnd = Infinity;
  const throttle = (ms: number) => {
    options.onThrottle?.(ms);
    waitBeforeNext = ms;
  };

  async function send(purpose: string, request: Parameters<ResourceGraphClient['resources']>[0]) {
    let throttledRetries = 0;
    let cutOffRetries = 0;
    for (;;) {
      if (waitBeforeNext > 0) {
        await sleep(waitBeforeNext);
        waitBeforeNext = 0;
      }
      let quota: Quota = { remaining: null, resetsAfterMs: null, subscriptionLimitHit: false };
      try {
        const response = await client.resources(request, {
          onResponse: (raw) => {
            quota = quotaFrom(raw.headers);
          },
          requestOptions: { timeout: requestTimeoutMs },
          ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
        });
        const arrival = now();
        if (arrival >= windowEnd) windowEnd = Infinity;
        if (quota.resetsAfterMs !== null) windowEnd = Math.min(windowEnd, arrival + quota.resetsAfterMs);
        if (quota.remaining === 0) {
          throttle(windowEnd < Infinity ? Math.max(0, windowEnd - arrival) : 5_000);
          windowEnd = Infinity;
        }
        return { response, subscriptionLimitHit: quota.subscriptionLimitHit };
      } catch (error) {
        if (isRestError(error) && error.statusCode === 429 && throttledRetries < max429Retries) {
          // Wait for the quota window to reset; without the header, back off exponentially.
          throttle(quota.resetsAfterMs ?? backoffDelayMs(throttledRetries, 1_000, 30_000));
          throttledRetries += 1;
          continue;
        }
        if (isCutOffResponse(error) && cutOffRetries < maxCutOffRetries) {
          waitBeforeNext = backoffDelayMs(cutOffRetries++, options.retryDelayMs ?? 1_000);
          continue;
        }
        const { summary, details } = describeRestError(error);
        // ARG's message is a generic support note; what went wrong is in the details, so they go on the line.
        const why = details.length > 0 ? `${summary} (${details.join('; ')})` : summary;
        throw new KvAuditError('QueryFailed', `Azure Resource Graph ${purpose}: ${why}`, { cause: error, details });
      }
    }
  }

  async function* queryScope(purpose: string, query: string, scope: ResourceGraphScope): AsyncGenerator<ResultPage> {
    let read = 0;
    let skipToken: string | undefined;
    do {
      const { response, subscriptionLimitHit } = await send(purpose, {
        ...(scope.subscriptions ? { subscriptions: [...scope.subscriptions] } : {}),
        ...(scope.managementGroups ? { managementGroups: [...scope.managementGroups] } : {}),
        query,
        options: { top: pageSize, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) },
      });
      if (!Array.isArray(response.data)) {
        throw new KvAuditError('QueryFailed', `Azure Resource Graph ${purpose}: the response has no data array`);
      }
      read += response.data.length;
      skipToken = response.skipToken;
      // A truncated result without a token cannot be paged further: refuse a partial inventory.
      if (!skipToken && String(response.resultTruncated).toLowerCase() === 'true') {
        throw new KvAuditError(
          'QueryFailed',
          `Azure Resource Graph ${purpose}: results were truncated at ${read} of ${response.totalRecords} rows and cannot be paged`,
        );
      }
      // The last page must bring the rows read to what ARG counts: a missing $skipToken would end the result early.
      if (!skipToken && Number.isSafeInteger(response.totalRecords) && read < response.totalRecords) {
        throw new KvAuditError('QueryFailed', `Azure Resource Graph ${purpose}: paging ended at ${read} of the ${response.totalRecords} rows ARG counts`);
      }
      yield {
        rows: response.data as ArgRow[],
        totalRecords: Number.isSafeInteger(response.totalRecords) ? response.totalRecords : null,
        hasMore: skipToken !== undefined && skipToken !== '',
        subscriptionLimitHit,
      };
    } while (skipToken);
  }

  async function* queryPages(purpose: string, query: string, scope: ResourceGraphScope): AsyncGenerator<ResultPage> {
    const parts = scopeBatches(scope);
    if (parts.length === 1) {
      yield* queryScope(purpose, query, scope);
      return;
    }
    for (const [index, subscriptions] of parts.entries()) {
      // Each batch reports only its own total; the whole is not known until the last batch.
      for await (const page of queryScope(`${purpose} (subscription batch ${index + 1}/${parts.length})`, query, subscriptions)) {
        yield { ...page, totalRecords: null };
      }
    }
  }

  return {
    queryPages,
    queryScope,
    async queryAll(purpose, query, scope) {
      const rows: ArgRow[] = [];
      for await (const page of queryPages(purpose, query, scope)) rows.push(...page.rows);
      return rows;
    },
  };
}
