/** A GUID, as subscription, tenant and client ids are. */
export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * ARM ids are case-insensitive and ARG and ARM disagree on their casing
 * (`resourceGroups` vs `resourcegroups`), so every comparison uses this form.
 */
export function normalizeResourceId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

/** The subscription an ARM id or request path names, lowercased; null when it names none. */
export function subscriptionIdOf(path: string): string | null {
  return /^\/*subscriptions\/([^/?]+)/i.exec(path)?.[1]?.toLowerCase() ?? null;
}

/** The last path segment: a resource's short name, for human-readable details. */
export function lastSegment(id: string): string {
  const trimmed = id.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
