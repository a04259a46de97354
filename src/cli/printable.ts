/*
 * Text for a terminal. Vault names, tags, resource groups and error messages are written by others; printed raw,
 * an escape sequence could clear the screen or recolour a row, a newline could forge one, and bidi overrides or
 * zero-width characters could disguise a name. Human output shows each such character as a visible escape
 * (`\u{1b}`); data formats (json, ndjson, the findings file) keep values exact.
 */

/** C0 and C1 controls and DEL; bidi embeddings, overrides, isolates and marks; zero-width and invisible formatters. */
const invisible = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/gu;

export function printable(text: string): string {
  return text.replace(invisible, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
