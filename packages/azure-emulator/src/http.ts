import type { IncomingHttpHeaders } from 'node:http';

/** A request as the emulator's handlers see it: fully read, with query parameter names decoded. */
export interface EmulatorRequest {
  readonly method: string;
  /** Percent-decoded path, as sent (a leading `//` is kept). */
  readonly path: string;
  /** Query parameters by decoded name: the SDKs send `api%2Dversion`. */
  readonly query: ReadonlyMap<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialized as JSON; absent for bodiless responses (204). */
  readonly body?: unknown;
}

export function parseRequestTarget(target: string): { path: string; query: Map<string, string> } {
  const questionMark = target.indexOf('?');
  const rawPath = questionMark < 0 ? target : target.slice(0, questionMark);
  const query = new Map<string, string>();
  if (questionMark >= 0) {
    // URLSearchParams decodes names as well as values.
    for (const [name, value] of new URLSearchParams(target.slice(questionMark + 1))) query.set(name.toLowerCase(), value);
  }
  return { path: safeDecode(rawPath), query };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The bearer token of a request, or null when there is none. */
export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1] ?? null;
}

export interface ErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly [extra: string]: unknown;
}

/** The ARM error envelope, `{ error: { code, message, details? } }`, which every Azure SDK parses. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  options: { readonly details?: readonly ErrorDetail[]; readonly headers?: Readonly<Record<string, string>> } = {},
): EmulatorResponse {
  return {
    status,
    headers: { 'x-ms-error-code': code, ...options.headers },
    body: { error: { code, message, ...(options.details ? { details: options.details } : {}) } },
  };
}

/** Adds the headers every response of a service carries (its throttle's), unless the response sets them itself. */
export function withServiceHeaders(response: EmulatorResponse, headers: Readonly<Record<string, string>>): EmulatorResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}

/**
 * An error as some resource providers send it, without the `error` envelope: `{ code, message }`.
 * Microsoft.Insights answers its own errors this way (Azure/azure-rest-api-specs monitor error responses).
 */
export function unwrappedErrorResponse(
  status: number,
  code: string,
  message: string,
  options: { readonly headers?: Readonly<Record<string, string>> } = {},
): EmulatorResponse {
  return { status, headers: { 'x-ms-error-code': code, ...options.headers }, body: { code, message } };
}
