import type { EstateIndex } from './estateIndex.js';
import type { KqlRow, KqlValue } from '@kv-audit/kql';

/** The ARG tables the emulator serves, as rows in ARG's shape. */
export interface ResourceGraphTables {
  readonly resources: readonly KqlRow[];
  readonly resourcecontainers: readonly KqlRow[];
}

interface RowFields {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location?: string | undefined;
  readonly kind?: string | undefined;
  readonly managedBy?: string | undefined;
  readonly sku?: KqlValue | undefined;
  readonly plan?: KqlValue | undefined;
  readonly properties?: KqlValue | undefined;
  readonly tags?: KqlValue | undefined;
  readonly identity?: KqlValue | undefined;
  readonly zones?: KqlValue | undefined;
  readonly extendedLocation?: KqlValue | undefined;
}

/** Every row carries ARG's full column set; ARG lowercases `type` and `resourceGroup`. */
function argRow(tenantId: string, row: RowFields): KqlRow {
  return {
    id: row.id,
    name: row.name,
    type: row.type.toLowerCase(),
    tenantId,
    kind: row.kind ?? '',
    location: row.location ?? '',
    resourceGroup: row.resourceGroup.toLowerCase(),
    subscriptionId: row.subscriptionId,
    managedBy: row.managedBy ?? '',
    sku: row.sku ?? null,
    plan: row.plan ?? null,
    properties: row.properties ?? null,
    tags: row.tags ?? null,
    identity: row.identity ?? null,
    zones: row.zones ?? null,
    extendedLocation: row.extendedLocation ?? null,
  };
}

/**
 * `resources` holds every estate resource, and, when the estate says ARG indexes them, every diagnostic
 * setting of a resource the identity may read (RBAC filters ARG too, so denied resources' settings are absent).
 * `resourcecontainers` holds one row per visible subscription.
 */
/**
 * ARG's resources table holds top-level resource types (`namespace/type`); child resources such as an event hub
 * namespace's event hubs and authorization rules are only in ARM.
 */
const isTopLevel = (type: string) => type.split('/').length === 2;

export function resourceGraphTables(index: EstateIndex, includeDiagnosticSettings: boolean): ResourceGraphTables {
  const listed = index.resources.filter((r) => isTopLevel(r.resource.type) && !index.notInResourceGraph.has(r.normalizedId));
  const resources = listed.flatMap(({ resource, normalizedId, subscriptionId, resourceGroup, settings }) => {
    const resourceRow = argRow(index.tenantId, {
      ...resource,
      subscriptionId,
      resourceGroup,
      properties: resource.properties ?? {},
      tags: resource.tags ?? {},
    });
    const settingRows = includeDiagnosticSettings && !index.denied.has(normalizedId)
      ? settings.map((setting) =>
          argRow(index.tenantId, {
            id: setting.id,
            name: setting.name,
            type: 'microsoft.insights/diagnosticsettings',
            subscriptionId,
            resourceGroup,
            properties: setting.properties,
          }),
        )
      : [];
    return [resourceRow, ...settingRows];
  });
  const resourcecontainers = [...index.visibleSubscriptions].map((subscriptionId) =>
    argRow(index.tenantId, {
      id: `/subscriptions/${subscriptionId}`,
      // ARG names a subscription row by its display name, not its id.
      name: index.subscriptionNames.get(subscriptionId) ?? `Subscription ${subscriptionId.slice(0, 8)}`,
      type: 'microsoft.resources/subscriptions',
      subscriptionId,
      resourceGroup: '',
      properties: { state: 'Enabled' },
      tags: {},
    }),
  );
  return { resources, resourcecontainers };
}

/** The tables as seen from a request scope: rows of the scope's subscriptions only. */
export function scopeTables(tables: ResourceGraphTables, subscriptions: ReadonlySet<string>): ResourceGraphTables {
  const inScope = (row: KqlRow) => typeof row.subscriptionId === 'string' && subscriptions.has(row.subscriptionId);
  return { resources: tables.resources.filter(inScope), resourcecontainers: tables.resourcecontainers.filter(inScope) };
}
