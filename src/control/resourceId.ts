/*
 * The scanner's one grammar of ARM resource ids:
 *
 *   /subscriptions/{guid}[/resourceGroups/{group}[/providers/{namespace}/{type}/{name}[/{type}/{name}]…]]
 *
 * Each segment holds only what Azure's naming rules allow a resource group: letters, digits, nonspacing marks,
 * connector punctuation, hyphens, periods and parentheses (Learn: "Naming rules and restrictions for Azure
 * resources"). No quote, backslash, '%', '?', '#', space or control character can pass, so an id that parses is
 * safe to embed in a Resource Graph query and cannot change the URL of a request built from it.
 */

/** A GUID, as subscription, tenant and client ids are. */
export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const segmentPattern = /^[\p{L}\p{Mn}\p{Nd}\p{Pc}\-.()]+$/u;

export interface ResourceIdParts {
  /** Lowercased. */
  readonly subscriptionId: string;
  readonly resourceGroup: string | null;
  /** `namespace/type[/childType]…`, lowercased; null for a subscription or resource group id. */
  readonly type: string | null;
  /** The resource's own name, as the id spells it; null for a subscription or resource group id. */
  readonly name: string | null;
}

/** The parts of an ARM id, or null when it is not one (a trailing slash is tolerated). */
export function parseResourceId(id: string): ResourceIdParts | null {
  const segments = id.replace(/\/+$/, '').split('/');
  if (segments.shift() !== '' || segments.length < 2 || !segments.every((s) => segmentPattern.test(s))) return null;
  const [subscriptions, subscriptionId = '', groups, resourceGroup, providers, namespace, ...typesAndNames] = segments;
  if (subscriptions?.toLowerCase() !== 'subscriptions' || !guidPattern.test(subscriptionId)) return null;
  const subscription = { subscriptionId: subscriptionId.toLowerCase(), resourceGroup: null, type: null, name: null };
  if (groups === undefined) return subscription;
  if (groups.toLowerCase() !== 'resourcegroups' || resourceGroup === undefined) return null;
  if (providers === undefined) return { ...subscription, resourceGroup };
  if (providers.toLowerCase() !== 'providers' || namespace === undefined) return null;
  if (typesAndNames.length === 0 || typesAndNames.length % 2 !== 0) return null;
  const types = typesAndNames.filter((_, i) => i % 2 === 0);
  return {
    ...subscription,
    resourceGroup,
    type: [namespace, ...types].join('/').toLowerCase(),
    name: typesAndNames.at(-1) ?? null,
  };
}

/** Whether `id` is the id of a resource (not a subscription or group) of one of `types` (lowercase). */
export function isResourceIdOf(id: string, types: ReadonlySet<string>): boolean {
  const type = parseResourceId(id)?.type;
  return type !== null && type !== undefined && types.has(type);
}

/**
 * ARM ids are case-insensitive and ARG and ARM disagree on their casing
 * (`resourceGroups` vs `resourcegroups`), so every comparison uses this form.
 */
export function normalizeResourceId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * The resource of one of `types` (lowercase) that `id` is, or lies under as an extension resource
 * (`<resource id>/providers/Microsoft.Insights/diagnosticSettings/<name>`, `…/providers/Microsoft.Resources/tags/default`):
 * its normalized id, or null.
 */
export function resourceIdUnder(id: string, types: ReadonlySet<string>): string | null {
  const normalized = normalizeResourceId(id);
  const parent = normalized.split('/providers/').slice(0, 2).join('/providers/');
  for (const candidate of [normalized, parent]) {
    const type = parseResourceId(candidate)?.type;
    if (type && types.has(type)) return candidate;
  }
  return null;
}

/** `/subscriptions/{id}/resourceGroups/{name}`: 5 segments, the leading empty one included. */
const resourceGroupDepth = 5;

/**
 * The paths above `id` from its resource group down, segment by segment, `id` itself excluded: its resource group,
 * its parents (a namespace above its rules) and the type segments between, which name nothing and match nothing.
 */
export function ancestorsWithinGroup(id: string): string[] {
  const segments = id.split('/');
  const ancestors: string[] = [];
  for (let depth = resourceGroupDepth; depth < segments.length; depth += 1) ancestors.push(segments.slice(0, depth).join('/'));
  return ancestors;
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
