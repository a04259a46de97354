import type { MonitorClient } from '@azure/arm-monitor';
import type { SettingsEvidence } from '../control/auditLogging.js';
import { parseDiagnosticSetting } from '../control/diagnosticSetting.js';
import { describeError } from '../errors.js';
import { isTransportFailure, sleepFor } from './transientFailures.js';

/*
 * Reads each resource's diagnostic settings through ARM (the authoritative
 * source), with bounded concurrency. The SDK retries 5xx, throttled reads
 * (Retry-After) and refused connections; a response cut off mid-body it does
 * not retry, so that is retried here. What still fails becomes Error evidence
 * for that resource alone, never a failure of the control.
 */

export interface ArmConfirmationOptions {
  readonly concurrency: number;
  /** Called after each resource, for progress reporting. */
  readonly onConfirmed?: (done: number, total: number) => void;
  /** First delay before re-reading after a transport failure; doubles each time. */
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const maxTransportRetries = 4;

export interface ArmRead {
  readonly evidence: SettingsEvidence;
  /** The read failed in a way a later retry may not (server errors, throttling, broken connections). */
  readonly transientFailure: boolean;
}

interface RawResponse {
  readonly status: number;
  readonly body: unknown;
}

/** ARM's error shape: { error: { code, message } } (some services omit the wrapper). */
function armError(body: unknown): string {
  const inner = (typeof body === 'object' && body !== null && 'error' in body ? body.error : body) as { code?: unknown; message?: unknown } | undefined;
  const code = typeof inner?.code === 'string' ? inner.code : '';
  const message = typeof inner?.message === 'string' ? inner.message : '';
  return [code, message].filter(Boolean).join(': ') || 'no error details';
}

function readFromResponse(response: RawResponse): ArmRead {
  const evidence = evidenceFromResponse(response);
  // 403 and 404 will answer the same next time; anything else is worth another scan.
  return { evidence, transientFailure: evidence.state === 'Unreadable' && evidence.reason === 'ReadFailed' && response.status !== 404 };
}

function evidenceFromResponse(response: RawResponse): SettingsEvidence {
  const { status, body } = response;
  if (status === 200) {
    // Parsed here, not by the SDK: its deserializer would hide malformed records.
    const value = typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined;
    if (!Array.isArray(value)) {
      return { state: 'Unreadable', source: 'ARM', reason: 'MalformedRecord', message: 'the diagnostic settings response has no value array' };
    }
    return { state: 'Read', source: 'ARM', records: value.map(parseDiagnosticSetting) };
  }
  if (status === 403) return { state: 'Unreadable', source: 'ARM', reason: 'AccessDenied', message: `HTTP 403 ${armError(body)}` };
  if (status === 404) {
    return {
      state: 'Unreadable',
      source: 'ARM',
      reason: 'ReadFailed',
      message: `HTTP 404 ${armError(body)}; the resource may have been deleted since the inventory`,
    };
  }
  return { state: 'Unreadable', source: 'ARM', reason: 'ReadFailed', message: `HTTP ${status} ${armError(body)} (after retries)` };
}

async function readOnce(monitor: MonitorClient, resourceId: string): Promise<RawResponse> {
  let response: RawResponse | undefined;
  try {
    // The SDK's URL template adds its own leading slash.
    const pages = monitor.diagnosticSettings.list(resourceId.replace(/^\/+/, ''), {
      onResponse: (raw) => {
        response = { status: raw.status, body: raw.parsedBody };
      },
    });
    // Drain the pager so the request is sent; the outcome is read from the raw response above.
    const iterator = pages.byPage();
    while (!(await iterator.next()).done);
  } catch (error) {
    // A status and body arrived: ARM answered, and the answer is the evidence.
    if (response === undefined || isTransportFailure(error)) throw error;
  }
  return response!;
}

export async function readSettingsFromArm(
  monitor: MonitorClient,
  resourceId: string,
  options: Pick<ArmConfirmationOptions, 'retryDelayMs' | 'sleep'> = {},
): Promise<ArmRead> {
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 0; ; attempt++) {
    try {
      return readFromResponse(await readOnce(monitor, resourceId));
    } catch (error) {
      if (isTransportFailure(error) && attempt < maxTransportRetries) {
        await sleep((options.retryDelayMs ?? 1_000) * 2 ** attempt);
        continue;
      }
      return {
        evidence: { state: 'Unreadable', source: 'ARM', reason: 'ReadFailed', message: `${describeError(error)} (after retries)` },
        transientFailure: true,
      };
    }
  }
}

export async function confirmWithArm(
  monitor: MonitorClient,
  resourceIds: readonly string[],
  options: ArmConfirmationOptions,
): Promise<Map<string, ArmRead>> {
  const results = new Map<string, ArmRead>();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < resourceIds.length) {
      const id = resourceIds[next++]!;
      results.set(id, await readSettingsFromArm(monitor, id, options));
      options.onConfirmed?.(results.size, resourceIds.length);
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, resourceIds.length) }, worker));
  return results;
}
