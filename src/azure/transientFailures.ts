import { isRestError } from '@azure/core-rest-pipeline';

/*
 * Failures of the transport itself that the SDK's retry policy does not cover:
 * a response cut off mid-body surfaces as PARSE_ERROR, a request that never got
 * an answer as REQUEST_SEND_ERROR. Both are safe to repeat for reads and for
 * uploads (findings are de-duplicated by ScanId + ResourceId downstream).
 */
const transportCodes = new Set(['PARSE_ERROR', 'REQUEST_SEND_ERROR', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED']);

export function isTransportFailure(error: unknown): boolean {
  if (isRestError(error)) return error.code !== undefined && transportCodes.has(error.code);
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && transportCodes.has(code);
}

export const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
