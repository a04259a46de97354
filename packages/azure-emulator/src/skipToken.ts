import { createHash } from 'node:crypto';

/*
 * ARG's `$skipToken` is opaque to clients. Ours is base64 JSON of where the next page starts, its size, and
 * a fingerprint of the query and scope: ARG requires the token to come back "together with the same query
 * and scopes", and a token replayed with another query is rejected.
 */

export interface PageCursor {
  readonly offset: number;
  readonly top: number;
}

/** Identifies a query over a scope; scope ids are compared case-insensitively and in any order. */
export function queryFingerprint(query: string, subscriptions: readonly string[], managementGroups: readonly string[]): string {
  const scope = (ids: readonly string[]) => [...new Set(ids.map((id) => id.toLowerCase()))].sort().join(',');
  return createHash('sha256')
    .update(JSON.stringify([query, scope(subscriptions), scope(managementGroups)]))
    .digest('hex')
    .slice(0, 32);
}

export function encodeSkipToken(cursor: PageCursor, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ offset: cursor.offset, top: cursor.top, fingerprint })).toString('base64');
}

/** The cursor a token holds, or why it cannot be used with this query and scope. */
export function decodeSkipToken(token: string, fingerprint: string): PageCursor | { readonly problem: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    return { problem: 'The $skipToken is not valid.' };
  }
  if (
    typeof decoded !== 'object' ||
    decoded === null ||
    !('offset' in decoded && 'top' in decoded && 'fingerprint' in decoded) ||
    !Number.isSafeInteger(decoded.offset) ||
    !Number.isSafeInteger(decoded.top)
  ) {
    return { problem: 'The $skipToken is not valid.' };
  }
  if (decoded.fingerprint !== fingerprint) {
    return { problem: 'The $skipToken was issued for a different query or scope; send it with the same query and scopes.' };
  }
  return { offset: decoded.offset as number, top: decoded.top as number };
}
