import type { MonitorClient } from '@azure/arm-monitor';
import type { SettingsEvidence } from '../control/auditLogging.js';
import { parseDiagnosticSetting } from '../control/diagnosticSetting.js';
import { describeArmError, describeRestError } from './armError.js';
import { backoffDelayMs, sleep as sleepFor } from './backoff.js';
import { requestTimeoutMs } from './clients.js';
import { isCutOffResponse, maxCutOffRetries } from './transientFailures.js';

/*
 * Reads one resource's diagnostic settings through ARM (the authoritative
 * source). The SDK retries 5xx and refused connections; a response cut off
 * mid-body it does not retry, so that is retried here. A 429 is returned as
 * throttled, for the read queue to retry after the subscription's
 * Retry-After. What still fails becomes Error evidence for that resource
 * alone, never a failure of the control.
 */

export interface ArmReadOptions {
  /** First delay before re-reading a cut-off response; doubles each time. */
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Set when the scan's time budget runs out: reads in flight are aborted, the rest are not started. */
  readonly abortSignal?: AbortSignal;
}

export interface ArmRead {
  readonly evidence: SettingsEvidence;
  /** The read failed in a way a later attempt may not (server errors, throttling, time budget). */
  readonly transientFailure: boolean;
  /** ARM answered 429: worth reading again once the subscription's Retry-After has passed. */
  readonly throttled: boolean;
}

interface RawResponse {
  readonly status: number;
  readonly body: unknown;
}

const unreadable = (reason: 'AccessDenied' | 'ReadFailed' | 'MalformedRecord', message: string): SettingsEvidence => ({
  state: 'Unreadable',
  source: 'ARM',
  reason,
  message,
});

/** What ARM said, final: the next attempt would hear the same. */
const settled = (evidence: SettingsEvidence): ArmRead => ({ evidence, transientFailure: false, throttled: false });

/** A read that failed in a way the next attempt may not. */
export const readFailed = (message: string, throttled = false): ArmRead => ({
  evidence: unreadable('ReadFailed', message),
  transientFailure: true,
  throttled,
});

function readFromResponse({ status, body }: RawResponse): ArmRead {
  if (status === 200) {
    // Parsed here, not by the SDK: its deserializer would hide malformed records.
    const value = typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined;
    const evidence: SettingsEvidence = Array.isArray(value)
      ? { state: 'Read', source: 'ARM', records: value.map(parseDiagnosticSetting) }
      : unreadable('MalformedRecord', 'the diagnostic settings response has no value array');
    return settled(evidence);
  }
  const { summary } = describeArmError(status, body);
  // 403 and 404 will answer the same next time; anything else is worth another scan.
  if (status === 403) return settled(unreadable('AccessDenied', summary));
  if (status === 404) {
    return settled(unreadable('ReadFailed', `${summary}; the resource may have been deleted since the inventory`));
  }
  if (status === 429) return readFailed(`${summary} (throttled)`, true);
  return readFailed(`${summary} (after retries)`);
}

async function readOnce(monitor: MonitorClient, resourceId: string, abortSignal: AbortSignal | undefined): Promise<RawResponse> {
  let response: RawResponse | undefined;
  try {
    // The SDK's URL template adds its own leading slash.
    const pages = monitor.diagnosticSettings.list(resourceId.replace(/^\/+/, ''), {
      onResponse: (raw) => {
        response = { status: raw.status, body: raw.parsedBody };
      },
      requestOptions: { timeout: requestTimeoutMs },
      ...(abortSignal ? { abortSignal } : {}),
    });
    // Drain the pager so the request is sent; the outcome is read from the raw response above.
    const iterator = pages.byPage();
    while (!(await iterator.next()).done);
  } catch (error) {
    // A status and body arrived: ARM answered, and the answer is the evidence.
    if (response === undefined || isCutOffResponse(error)) throw error;
  }
  return response!;
}

export async function readSettingsFromArm(
  monitor: MonitorClient,
  resourceId: string,
  options: ArmReadOptions = {},
): Promise<ArmRead> {
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 0; ; attempt++) {
    try {
      return readFromResponse(await readOnce(monitor, resourceId, options.abortSignal));
    } catch (error) {
      if (isCutOffResponse(error) && attempt < maxCutOffRetries) {
        await sleep(backoffDelayMs(attempt, options.retryDelayMs ?? 1_000));
        continue;
      }
      const why = options.abortSignal?.aborted ? "aborted: the scan's time budget ran out" : `${describeRestError(error).summary} (after retries)`;
      return readFailed(why);
    }
  }
}
