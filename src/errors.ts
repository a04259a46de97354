/** What went wrong, in words a caller can branch on. */
export type KvAuditErrorCode =
  | 'InvalidConfiguration'
  | 'InvalidArguments'
  | 'InvalidEstate'
  | 'DemoUnavailable'
  | 'QueryFailed'
  | 'ScanIncomplete'
  | 'UnsafeRequest'
  | 'OutputFailed'
  | 'NotSignedIn';

/**
 * The project's one error type. Messages name the operation and its target
 * ("ARG inventory query for 3 subscriptions: …"); `details` lists every problem
 * when there are several (a bad config reports all of them at once).
 */
export class KvAuditError extends Error {
  override readonly name = 'KvAuditError';
  readonly code: KvAuditErrorCode;
  readonly details: readonly string[];

  constructor(code: KvAuditErrorCode, message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    const details = options.details ?? [];
    super(details.length > 0 ? `${message}\n${details.map((d) => `  - ${d}`).join('\n')}` : message, {
      cause: options.cause,
    });
    this.code = code;
    this.details = details;
  }
}

export function isKvAuditError(error: unknown): error is KvAuditError {
  return error instanceof Error && error.name === 'KvAuditError' && 'code' in error;
}

/** A short, single-line description of any thrown value, for findings and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
