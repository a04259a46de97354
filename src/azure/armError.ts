import { isRestError } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import { describeError } from '../errors.js';

const errorSchema = z.object({
  code: z.string().optional(),
  message: z.string().optional(),
  details: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })).optional(),
});

/**
 * ARM's and ARG's error body, `{ error: { code, message, details } }`, or the same fields unwrapped, as some
 * resource providers (Microsoft.Insights among them) answer: parsed at the edge.
 */
const errorBodySchema = z.union([
  z.object({ error: errorSchema }).transform((body) => body.error),
  errorSchema.refine((body) => body.code !== undefined || body.message !== undefined),
]);

export interface ArmErrorDescription {
  /** `HTTP 403 AuthorizationFailed: The client … does not have authorization …` */
  readonly summary: string;
  /** One line per detail ARG lists (InvalidQuery, ParserFailure, …). */
  readonly details: readonly string[];
}

/** Without a body, what the error itself says: its code and message. */
function describeFallback(error: unknown): string {
  if (error === undefined) return 'no error details';
  const code = isRestError(error) ? error.code : undefined;
  return [code, describeError(error)].filter(Boolean).join(': ');
}

/** What an error response says, from its body when it has one (the SDK's pagers drop the message). */
export function describeArmError(status: number | undefined, body: unknown, fallback?: unknown): ArmErrorDescription {
  const parsed = errorBodySchema.safeParse(body);
  const error = parsed.success ? parsed.data : undefined;
  const text = [error?.code, error?.message].filter(Boolean).join(': ') || describeFallback(fallback);
  return {
    summary: `${status === undefined ? '' : `HTTP ${status} `}${text}`,
    details: (error?.details ?? []).map((d) => `${d.code ?? 'Error'}: ${d.message ?? ''}`.trim()),
  };
}

function parsedJson(text: string | null | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The same for an SDK RestError: some SDKs keep the body in `details`, others only in the raw response. */
export function describeRestError(error: unknown): ArmErrorDescription {
  if (!isRestError(error)) return { summary: describeError(error), details: [] };
  return describeArmError(error.statusCode, error.details ?? parsedJson(error.response?.bodyAsText), error);
}
