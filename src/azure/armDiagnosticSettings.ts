import type { SettingsEvidence } from '../control/auditLogging.js';
import { settingsOfResource } from '../control/diagnosticSetting.js';
import { describeArmError, describeRestError } from './armError.js';
import { type AzureClients, requestTimeoutMs } from './clients.js';
import { parseRetryAfterMs } from './retryAfter.js';
import { isCutOffResponse, repeatingCutOffs } from './transientFailures.js';

/*
 * Reads one resource's diagnostic settings through ARM (the authoritative
 * source). The SDK retries 5xx and refused connections; a response cut off
 * mid-body it does not retry, so that is retried here. A 429, or a 503 with
 * Retry-After (which the exponential retry policy leaves alone), is returned
 * as throttled, for the read queue to retry after its Retry-After: ARM's own
 * throttle holds the subscription, a resource provider's (ResourceRequestsThrottled)
 * the subscription's region. What still fails becomes Error evidence for that
 * resource alone, never a failure of the control.
 */

export interface ArmReadOptions {
  /** First delay before re-reading a cut-off response; doubles each time. */
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Set when the scan's time budget runs out: reads in flight are aborted, the rest are not started. */
  readonly abortSignal?: AbortSignal;
  /** The clock a Retry-After date is read against (ms). */
  readonly now?: () => number;
}

/** Why and for how long an answer asks the reader to wait before trying again. */
export interface ArmThrottle {
  /** `subscription`: ARM's own buckets; `provider`: the resource provider, in the resource's region only. */
  readonly scope: 'subscription' | 'provider';
  readonly retryAfterMs: number | null;
}

export interface ArmRead {
  readonly evidence: SettingsEvidence;
  /** The read failed in a way a later attempt may not (server errors, throttling, time budget). */
  readonly transientFailure: boolean;
  /** ARM asked to wait: worth reading again once the Retry-After has passed. */
  readonly throttle: ArmThrottle | null;
}

export interface RawResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: { get(name: string): string | undefined };
}

const unreadable = (reason: 'AccessDenied' | 'ReadFailed' | 'MalformedRecord', message: string): SettingsEvidence => ({
  state: 'Unreadable',
  source: 'ARM',
  reason,
  message,
});

/** What ARM said, final: the next attempt would hear the same. */
const settled = (evidence: SettingsEvidence): ArmRead => ({ evidence, transientFailure: false, throttle: null });

/** A read that failed in a way the next attempt may not. */
export const readFailed = (message: string, throttle: ArmThrottle | null = null): ArmRead => ({
  evidence: unreadable('ReadFailed', message),
  transientFailure: true,
  throttle,
});

/**
 * The wait a 429 (or a 503 with Retry-After) asks for, and whose throttle it is; null for any other answer.
 * Microsoft.Insights throttling on its own says ResourceRequestsThrottled (Learn: "Request limits and throttling").
 */
export function throttleOf(response: RawResponse, now: number): ArmThrottle | null {
  const retryAfter = response.headers.get('retry-after');
  if (response.status !== 429 && !(response.status === 503 && retryAfter !== undefined)) return null;
  const code = describeArmError(response.status, response.body).summary;
  return { scope: /\bResourceRequestsThrottled\b/.test(code) ? 'provider' : 'subscription', retryAfterMs: parseRetryAfterMs(retryAfter, now) };
}

/** What the pages of one list said: the last answer, and every listed setting when each page was a list. */
interface ListAnswer {
  readonly response: RawResponse;
  /** The settings of every page, in order; null when a page held no value array. */
  readonly values: readonly unknown[] | null;
  /** Why the pages, each well-formed, do not make a list. */
  readonly problem: string | null;
}

/** What ARM needs to read a resource's settings: the SDK client, and the same pipeline for a list's later pages. */
export type ArmSettingsClients = Pick<AzureClients, 'monitor' | 'getArmUrl'>;

const field = (body: unknown, name: string): unknown => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined);

function valuesOf(body: unknown): unknown[] | null {
  const value = field(body, 'value');
  return Array.isArray(value) ? value : null;
}

function nextLinkOf(body: unknown): string | null {
  const link = field(body, 'nextLink');
  return typeof link === 'string' && link !== '' ? link : null;
}

function readFromAnswer(resourceId: string, { response, values, problem }: ListAnswer, now: number): ArmRead {
  const { status, body } = response;
  if (status === 200) {
    // Parsed here, not by the SDK: its deserializer would hide malformed records. Every page is judged.
    const evidence: SettingsEvidence =
      values === null
        ? unreadable('MalformedRecord', `the diagnostic settings response ${problem ?? 'has no value array'}`)
        : { state: 'Read', source: 'ARM', records: settingsOfResource(resourceId, values) };
    return settled(evidence);
  }
  const { summary } = describeArmError(status, body);
  // 403 and 404 will answer the same next time; anything else is worth another scan.
  if (status === 403) return settled(unreadable('AccessDenied', summary));
  if (status === 404) {
    return settled(unreadable('ReadFailed', `${summary}; the resource may have been deleted since the inventory`));
  }
  const throttle = throttleOf(response, now);
  if (throttle) return readFailed(`${summary} (throttled)`, throttle);
  return readFailed(`${summary} (after retries)`);
}

/** A nextLink chain longer than this is not a real list (Azure allows 5 settings per resource): a loop. */
const maxPages = 20;

async function readOnce(arm: ArmSettingsClients, resourceId: string, abortSignal: AbortSignal | undefined): Promise<ListAnswer> {
  let response: RawResponse | undefined;
  try {
    // The SDK's URL template adds its own leading slash. Its pager sends later pages without this request's options
    // (no abort signal, no raw answer), so only the first page is read through it and nextLinks are followed here.
    const pages = arm.monitor.diagnosticSettings.list(resourceId.replace(/^\/+/, ''), {
      onResponse: (raw) => {
        response = { status: raw.status, body: raw.parsedBody, headers: raw.headers };
      },
      requestOptions: { timeout: requestTimeoutMs },
      ...(abortSignal ? { abortSignal } : {}),
    });
    await pages.byPage().next();
  } catch (error) {
    // A status and body arrived: ARM answered, and the answer is the evidence.
    if (response === undefined || isCutOffResponse(error)) throw error;
  }
  let answer: RawResponse = response!;
  let values = answer.status === 200 ? valuesOf(answer.body) : null;
  for (let page = 1; answer.status === 200 && values !== null; page += 1) {
    const nextLink = nextLinkOf(answer.body);
    if (nextLink === null) break;
    if (page >= maxPages) return { response: answer, values: null, problem: `the list goes on past ${maxPages} pages` };
    answer = await arm.getArmUrl(nextLink, abortSignal);
    const more = answer.status === 200 ? valuesOf(answer.body) : null;
    values = more && [...values, ...more];
  }
  return { response: answer, values, problem: null };
}

export async function readSettingsFromArm(
  arm: ArmSettingsClients,
  resourceId: string,
  options: ArmReadOptions = {},
): Promise<ArmRead> {
  try {
    const answer = await repeatingCutOffs(() => readOnce(arm, resourceId, options.abortSignal), options);
    return readFromAnswer(resourceId, answer, (options.now ?? Date.now)());
  } catch (error) {
    const why = options.abortSignal?.aborted ? "aborted: the scan's time budget ran out" : `${describeRestError(error).summary} (after retries)`;
    return readFailed(why);
  }
}
