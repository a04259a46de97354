import { isRestError } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import { describeError } from '../errors.js';

/** ARM's and ARG's error body: { error: { code, message, details: [{ code, message }] } }, parsed at the edge. */
const errorBodySchema = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    details: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })).optional(),
  }),
});

export interface ArmErrorDescription {
  /** `HTTP 403 AuthorizationFailed: The client … does not have authorization …` */
  readonly summary: string;
  /** One line per detail ARG lists (InvalidQuery, ParserFailure, …). */
  readonly details: readonly string[];
}

/** What an error response says, from its body when it has one (the SDK's pagers drop the message). */
export function describeArmError(status: number | undefined, body: unknown, fallback?: unknown): ArmErrorDescription {
  const parsed = errorBodySchema.safeParse(body);
  const error = parsed.success ? parsed.data.error : undefined;
  const text = [error?.code, error?.message].filter(Boolean).join(': ') || (fallback === undefined ? 'no error details' : describeError(fallback));
  return {
    summary: `${status === undefined ? '' : `HTTP ${status} `}${text}`,
    details: (error?.details ?? []).map((d) => `${d.code ?? 'Error'}: ${d.message ?? ''}`.trim()),
  };
}

/** The same for an SDK RestError, whose body the SDK keeps in `details`. */
export function describeRestError(error: unknown): ArmErrorDescription {
  if (!isRestError(error)) return { summary: describeError(error), details: [] };
  return describeArmError(error.statusCode, error.details, error);
}
