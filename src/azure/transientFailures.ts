import { isRestError } from '@azure/core-rest-pipeline';

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
