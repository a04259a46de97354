/**
 * A query the emulator cannot run: a syntax error, or valid KQL outside the supported subset.
 * The emulator answers it the way ARG does, with a 400 `InvalidQuery`.
 */
export class UnsupportedQueryError extends Error {
  override readonly name = 'UnsupportedQueryError';

  /** One line per problem: the parser's diagnostics, or the construct that is not supported. */
  readonly details: string[];

  constructor(details: readonly string[]) {
    super(`Invalid query: ${details.join('; ')}`);
    this.details = [...details];
  }
}

export function isUnsupportedQueryError(e: unknown): e is UnsupportedQueryError {
  return e instanceof UnsupportedQueryError;
}

/** Shorthand for the common single-problem case. */
export function unsupported(detail: string): UnsupportedQueryError {
  return new UnsupportedQueryError([detail]);
}
