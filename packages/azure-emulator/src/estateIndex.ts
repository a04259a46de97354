import { normalizeResourceId, parseResourceId, settingOwner } from './armIds.js';
import type { Estate, EstateDiagnosticSetting, EstateResource } from './estate.js';

/** Lookups over an estate validated by parseEstate. Every key is lowercased: Azure ids and names are case-insensitive. */
export interface EstateIndex {
  readonly tenantId: string;
  /** Subscriptions the scanner's identity can read: those holding resources plus the estate's extra ones. */
  readonly visibleSubscriptions: ReadonlySet<string>;
  /** Management group id → its subscriptions. */
  readonly managementGroups: ReadonlyMap<string, readonly string[]>;
  readonly resources: readonly IndexedResource[];
  /** By normalized resource id. */
  readonly resourcesById: ReadonlyMap<string, IndexedResource>;
  readonly denied: ReadonlySet<string>;
  readonly unavailable: ReadonlySet<string>;
  readonly deletedAfterInventory: ReadonlySet<string>;
  /** Resources ARM serves and ARG does not list yet. */
  readonly notInResourceGraph: ReadonlySet<string>;
  /** Display name by subscription id. */
  readonly subscriptionNames: ReadonlyMap<string, string>;
}

export interface IndexedResource {
  readonly resource: EstateResource;
  /** The resource id, normalized (normalizeResourceId). */
  readonly normalizedId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** In estate order, verbatim. */
  readonly settings: readonly EstateDiagnosticSetting[];
}

/** The tenant an estate without `tenantId` lives in. */
export const defaultTenantId = '00000000-0000-0000-0000-000000000000';

export function indexEstate(estate: Estate): EstateIndex {
  const resourcesById = new Map<string, IndexedResource & { settings: EstateDiagnosticSetting[] }>();
  for (const resource of estate.resources) {
    const parts = parseResourceId(resource.id);
    // parseEstate has rejected ids that do not parse, and settings without a resource.
    if (!parts) continue;
    const normalizedId = normalizeResourceId(resource.id);
    resourcesById.set(normalizedId, {
      resource,
      normalizedId,
      subscriptionId: parts.subscriptionId.toLowerCase(),
      resourceGroup: parts.resourceGroup,
      settings: [],
    });
  }
  for (const setting of estate.diagnosticSettings) {
    const owner = settingOwner(setting.id);
    const indexed = owner ? resourcesById.get(owner.resourceId) : undefined;
    indexed?.settings.push(setting);
  }
  const resources = [...resourcesById.values()];
  return {
    tenantId: estate.tenantId ?? defaultTenantId,
    visibleSubscriptions: new Set([
      ...resources.map((r) => r.subscriptionId),
      ...(estate.subscriptions ?? []).map((s) => s.toLowerCase()),
    ]),
    managementGroups: new Map(
      Object.entries(estate.managementGroups ?? {}).map(([id, subscriptions]) => [id.toLowerCase(), subscriptions.map((s) => s.toLowerCase())]),
    ),
    resources,
    resourcesById,
    denied: new Set(estate.denied.map(normalizeResourceId)),
    unavailable: new Set((estate.unavailable ?? []).map(normalizeResourceId)),
    deletedAfterInventory: new Set((estate.deletedAfterInventory ?? []).map(normalizeResourceId)),
    notInResourceGraph: new Set((estate.notInResourceGraph ?? []).map(normalizeResourceId)),
    subscriptionNames: new Map(Object.entries(estate.subscriptionNames ?? {}).map(([id, name]) => [id.toLowerCase(), name])),
  };
}
