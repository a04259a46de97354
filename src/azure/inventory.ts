import { z } from 'zod';
import type { VaultResource } from '../control/auditLogging.js';
import { auditLoggingControl } from '../control/auditLogging.metadata.js';
import { lastSegment } from '../control/resourceId.js';
import type { ScanScope } from '../findings/schema.js';
import type { ArgRow, ResourceGraphRunner, ResourceGraphScope } from './resourceGraph.js';

/*
 * One ARG query lists every vault and Managed HSM in scope and left-joins its
 * diagnostic settings. Public sources say ARG does not index
 * microsoft.insights/diagnosticsettings today, so expect the join to come back
 * empty; it costs nothing and is the fast path if ARG starts indexing them.
 * Setting ids usually end in /providers/microsoft.insights/diagnosticsettings/<name>,
 * but some lack the provider segment, so the parent id is cut at
 * /diagnosticsettings/ and the provider suffix removed when present.
 *
 * Results come largest subscription first: ARM paces reads per subscription,
 * so a subscription with more vaults than ARM's burst takes longest to read
 * and must start first, not wait for its page.
 */
/** The control's resource types as a KQL list. */
export const resourceTypes = auditLoggingControl.resourceTypes.map((t) => `'${t}'`).join(', ');

export const inventoryQuery = `resources
| where type in~ (${resourceTypes})
| project id = tolower(id), name, type = tolower(type), subscriptionId, resourceGroup, location, tenantId, tags
| join kind=leftouter (
    resources
    | where type =~ 'microsoft.insights/diagnosticsettings'
    | extend settingId = tolower(id)
    | extend settingParent = substring(settingId, 0, indexof(settingId, '/diagnosticsettings/'))
    | extend parentId = iff(settingParent endswith '/providers/microsoft.insights', substring(settingParent, 0, strlen(settingParent) - strlen('/providers/microsoft.insights')), settingParent)
    | summarize diagnosticSettings = make_list(pack('id', id, 'name', name, 'type', type, 'properties', properties)) by parentId
  ) on $left.id == $right.parentId
| project-away parentId
| join kind=leftouter (
    resources
    | where type in~ (${resourceTypes})
    | summarize vaultsInSubscription = count() by subscriptionId
  ) on subscriptionId
| order by vaultsInSubscription desc, id asc
| project-away subscriptionId1, vaultsInSubscription`;

/** The configured subscriptions the identity can read: ARG silently leaves out the others. */
export const readableSubscriptionsQuery = `resourcecontainers
| where type =~ 'microsoft.resources/subscriptions'
| project id, subscriptionId = tolower(subscriptionId)
| order by id asc`;

export interface InventoryItem {
  readonly resource: VaultResource;
  /** Settings ARG returned for the resource (ARM REST shape); null = ARG had none, which proves nothing. */
  readonly argSettings: readonly unknown[] | null;
  /** Why the ARG record itself could not be used, if it could not. */
  readonly problem: string | null;
}

/** One page of the inventory, parsed. */
export interface InventoryPage {
  readonly items: readonly InventoryItem[];
  /** Rows that name no resource: they cannot become findings, so the scan must say it is incomplete. */
  readonly unattributed: readonly string[];
  /** Resources the whole inventory holds, when ARG says (for progress). */
  readonly totalRecords: number | null;
}

function resourceGraphScope(scope: ScanScope): ResourceGraphScope {
  switch (scope.Kind) {
    case 'Subscriptions':
      return { subscriptions: scope.Ids };
    case 'ManagementGroups':
      return { managementGroups: scope.Ids };
    case 'Tenant':
      return {};
  }
}

const text = z.string();
const inventoryRowSchema = z.object({
  id: z.string().min(1),
  name: text,
  type: text,
  subscriptionId: text,
  resourceGroup: text,
  location: text,
  tenantId: text,
  tags: z.record(z.string(), z.string()).nullish(),
  diagnosticSettings: z.array(z.unknown()).nullish(),
});

function itemFromRow(row: ArgRow): InventoryItem | string {
  const parsed = inventoryRowSchema.safeParse(row);
  if (parsed.success) {
    const { diagnosticSettings, tags, ...resource } = parsed.data;
    return { resource: { ...resource, tags: tags ?? {} }, argSettings: diagnosticSettings ?? null, problem: null };
  }
  const id = typeof row['id'] === 'string' && row['id'] !== '' ? row['id'] : null;
  const problem = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  if (id === null) return `Azure Resource Graph returned a row without a resource id (${problem})`;
  const field = (name: string) => (typeof row[name] === 'string' ? (row[name] as string) : '');
  return {
    resource: {
      id,
      name: field('name') || lastSegment(id),
      type: field('type'),
      subscriptionId: field('subscriptionId'),
      resourceGroup: field('resourceGroup'),
      location: field('location'),
      tenantId: field('tenantId'),
      tags: {},
    },
    argSettings: null,
    problem: `the Resource Graph record is malformed (${problem})`,
  };
}

export async function* readInventoryPages(runner: ResourceGraphRunner, scope: ScanScope): AsyncGenerator<InventoryPage> {
  for await (const page of runner.queryPages('inventory query', inventoryQuery, resourceGraphScope(scope))) {
    const items: InventoryItem[] = [];
    const unattributed: string[] = [];
    for (const row of page.rows) {
      const item = itemFromRow(row);
      if (typeof item === 'string') unattributed.push(item);
      else items.push(item);
    }
    yield { items, unattributed, totalRecords: page.totalRecords };
  }
}

/** Configured subscriptions the identity cannot read: ARG silently leaves them out, so their vaults would go missing unsaid. */
export async function unreadableSubscriptions(runner: ResourceGraphRunner, scope: ScanScope): Promise<readonly string[]> {
  if (scope.Kind !== 'Subscriptions') return [];
  const rows = await runner.queryAll('subscription check', readableSubscriptionsQuery, resourceGraphScope(scope));
  const readable = new Set(rows.map((r) => String(r['subscriptionId'])));
  return scope.Ids.filter((id) => !readable.has(id.toLowerCase()));
}
