/*
 * Values that look like credentials, redacted wherever the monitor would echo a value someone else wrote: a
 * diagnostic setting's destination field holding a SAS URL or an event hub connection string instead of a
 * resource id, a tag holding a key. Whoever can write those fields can put a secret there; the monitor must not
 * copy it into findings, files or logs.
 */

const secretPatterns: readonly [RegExp, string][] = [
  // key=value pairs of storage and service bus connection strings, SAS query parameters.
  [/\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|ClientSecret|sig)=([^;&\s"']+)/gi, '$1=[redacted]'],
  // A bearer token, or any JWT.
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[redacted token]'],
];

/** Whether a value carries something that looks like a credential. */
export function looksSecret(value: string): boolean {
  return secretPatterns.some(([pattern]) => new RegExp(pattern.source, pattern.flags.replace('g', '')).test(value));
}

/** The text with every credential-looking part replaced. */
export function redactSecrets(value: string): string {
  return secretPatterns.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), value);
}
