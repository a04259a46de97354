// The grammar of the ARM ids the emulator serves: resource ids and diagnostic setting ids. The emulator keeps its
// own, independent of the scanner's, so a mistake in one cannot hide in the other.

/** A GUID, as subscription and tenant ids are. */
export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** ARM ids are case-insensitive, and a trailing slash changes nothing: the key every lookup uses. */
export function normalizeResourceId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

/** The subscription a request path names, lowercased; null when it names none. */
export function subscriptionIdOf(path: string): string | null {
  return /^\/*subscriptions\/([^/?]+)/i.exec(path)?.[1]?.toLowerCase() ?? null;
}

// /subscriptions/<guid>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>[/<type>/<name>]…
const resourceIdPattern =
  /^\/subscriptions\/([0-9a-f-]{36})\/resourcegroups\/([^/]+)\/providers\/([^/]+)\/((?:[^/]+\/[^/]+)(?:\/[^/]+\/[^/]+)*)$/i;

export interface ResourceIdParts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** `Namespace/type[/childType]`, as the id spells it. */
  readonly type: string;
  readonly name: string;
}

export function parseResourceId(id: string): ResourceIdParts | null {
  const match = resourceIdPattern.exec(id.replace(/\/+$/, ''));
  if (!match) return null;
  const [, subscriptionId = '', resourceGroup = '', namespace = '', typesAndNames = ''] = match;
  const segments = typesAndNames.split('/');
  const types = segments.filter((_, i) => i % 2 === 0);
  return { subscriptionId, resourceGroup, type: [namespace, ...types].join('/'), name: segments.at(-1) ?? '' };
}

// Real ids carry `/providers/microsoft.insights/diagnosticSettings/<name>`; a few lack the provider segment
// (see the REST spec example createOrUpdateDiagnosticSettingCategory.json).
const settingIdPattern = /^(.*?)(?:\/providers\/microsoft\.insights)?\/diagnosticsettings\/([^/]+)\/?$/i;

/** The resource a diagnostic setting belongs to, normalized, and the setting's name; null when the id is not a setting id. */
export function settingOwner(settingId: string): { readonly resourceId: string; readonly name: string } | null {
  const match = settingIdPattern.exec(settingId.trim());
  if (!match?.[1] || !match[2]) return null;
  return { resourceId: normalizeResourceId(match[1]), name: match[2] };
}
