/*
 * The one back-off rule of the scanner's own retries (the SDKs keep theirs): wait the first delay, then double
 * it on every further attempt, up to a cap.
 */

/** The wait before retry number `attempt` (0 for the first retry). */
export function backoffDelayMs(attempt: number, firstDelayMs: number, maxDelayMs = Number.POSITIVE_INFINITY): number {
  return Math.min(firstDelayMs * 2 ** attempt, maxDelayMs);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
