import { isRestError } from '@azure/core-rest-pipeline';
import { backoffDelayMs, sleep as sleepFor } from './backoff.js';

/*
 * The one transport failure the SDK's retry policy leaves alone: a response cut
 * off mid-body surfaces as PARSE_ERROR after a single attempt. (Refused, reset
 * and timed-out connections the SDK already retries.) Repeating it is safe for
 * reads; uploads are de-duplicated downstream by ScanId + ResourceId.
 */
export function isCutOffResponse(error: unknown): boolean {
  return isRestError(error) && error.code === 'PARSE_ERROR';
}

/** How many times a cut-off response is repeated before the request counts as failed. */
export const maxCutOffRetries = 4;

export interface CutOffRetryOptions {
  /** First delay before repeating; doubles each time (default 1 s). */
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs a read, repeating it while its response is cut off mid-body; any other failure, or the last one, is thrown. */
export async function repeatingCutOffs<T>(read: () => Promise<T>, options: CutOffRetryOptions = {}): Promise<T> {
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!isCutOffResponse(error) || attempt >= maxCutOffRetries) throw error;
      await sleep(backoffDelayMs(attempt, options.retryDelayMs ?? 1_000));
    }
  }
}
