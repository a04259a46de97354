/** What was wrong with what the emulator was given: an estate, a fault spec or stream declarations. */
export type EmulatorInputErrorCode = 'InvalidEstate' | 'InvalidFaults' | 'InvalidStreams';

/**
 * The emulator's one error type, for input it refuses. `details` lists every problem at once, each with the JSON
 * path or item it is about; callers (the demo) turn it into a usage error.
 */
export class EmulatorInputError extends Error {
  override readonly name = 'EmulatorInputError';
  readonly code: EmulatorInputErrorCode;
  readonly details: readonly string[];

  constructor(code: EmulatorInputErrorCode, message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    const details = options.details ?? [];
    super(details.length > 0 ? `${message}\n${details.map((d) => `  - ${d}`).join('\n')}` : message, { cause: options.cause });
    this.code = code;
    this.details = details;
  }
}

export function isEmulatorInputError(error: unknown): error is EmulatorInputError {
  return error instanceof Error && error.name === 'EmulatorInputError' && 'code' in error && 'details' in error;
}

/** The first line of any thrown value, for error bodies. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
