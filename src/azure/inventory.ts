import { createHash } from 'node:crypto';
import { isRestError } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { VaultResource } from '../control/auditLogging.js';
import { auditLoggingControl } from '../control/auditLogging.metadata.js';
import { lastSegment, normalizeResourceId, parseResourceId } from '../control/resourceId.js';
import { KvAuditError, isKvAuditError } from '../errors.js';
import { type FingerprintSet, fingerprintSet } from './fingerprintSet.js';
import {
  type InventoryPartition,
  bucketCount,
  bucketSizes,
  describePartition,
  evenPartitions,
  fitsOnePage,
  halves,
  packedPartitions,
  sizedFrom,
  wholeInventory,
} from './inventoryPartitions.js';
import type { ScanScope } from '../findings/schema.js';
import { type ArgRow, type ResourceGraphRunner, type ResourceGraphScope, type ResultPage, scopeBatches } from './resourceGraph.js';

/*
 * The inventory lists every vault and Managed HSM in scope with one ARG query, left-joined to its diagnostic
 * settings. Public sources say ARG does not index microsoft.insights/diagnosticsettings today, so expect the
 * join to come back empty; it costs nothing and is the fast path if ARG starts indexing them. Setting ids
 * usually end in /providers/microsoft.insights/diagnosticsettings/<name>, but some lack the provider segment,
 * so the parent id is cut at /diagnosticsettings/ and the provider suffix removed when present.
 *
 * ARG keeps no snapshot between pages: when the estate changes while it is paged, rows shift, and a vault can be
 * skipped or listed twice (Learn: "Guidance for pagination", pagination in dynamic environments). So the
 * inventory is not paged. It is partitioned, as that guidance recommends: a count first (and, for more than a page,
 * a sizing query), then one query per partition `hash(tolower(id), n) in (…)`, each small enough for one page
 * (inventoryPartitions.ts). Every vault hashes to exactly one partition, so a vault that exists for the whole scan
 * is in the one query that looks for it, whatever else is created or deleted meanwhile. A partition that comes back
 * with more than a page is split in two.
 */

/** The control's resource types as a KQL list. */
export const resourceTypes = auditLoggingControl.resourceTypes.map((t) => `'${t}'`).join(', ');

/** How many vaults and Managed HSMs the scope holds: sizes the partitions. */
export const inventoryCountQuery = `resources
| where type in~ (${resourceTypes})
| count`;

/** One partition of the inventory (inventoryPartitions.ts): one query, one page. */
export function inventoryQuery({ mod, remainders }: InventoryPartition): string {
  return `resources
| where type in~ (${resourceTypes})
| where hash(tolower(id), ${mod}) in (${remainders.join(', ')})
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
| order by id asc`;
}

/**
 * Sizes a batch (inventoryPartitions.ts): the vault count of every bucket, as one row holding [bucket, count] pairs
 * (one row, so it is never paged; a bucket without vaults is absent).
 */
export function inventorySizingQuery(buckets: number): string {
  return `resources
| where type in~ (${resourceTypes})
| summarize Count = count() by Bucket = hash(tolower(id), ${buckets})
| summarize Sizes = make_list(pack_array(Bucket, Count))`;
}

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

/** One partition of the inventory, parsed. */
export interface InventoryPage {
  readonly items: readonly InventoryItem[];
  /**
   * What makes the inventory less than certain: rows that name no resource, a partition that returned fewer rows
   * than it counts, a vault listed twice. Each makes the scan incomplete.
   */
  readonly problems: readonly string[];
  /** Resources the scope held when it was counted (for progress). */
  readonly totalRecords: number | null;
  /** ARG searched only part of a tenant or management-group scope. */
  readonly subscriptionLimitHit: boolean;
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
/** Tags: names to string values. Checked in place, so no name is lost (zod's record drops `__proto__`). */
const tagsSchema = z.custom<Record<string, string>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string'),
  'must map tag names to strings',
);

const vaultTypes = new Set(auditLoggingControl.resourceTypes);

const inventoryRowSchema = z.object({
  // Only an id of the grammar ARM ids have, of a vault or Managed HSM, is read through ARM: another could change the
  // request's URL (a '%', '#' or '?') and read some other resource's settings.
  id: z
    .string()
    .min(1)
    .refine((id) => vaultTypes.has(parseResourceId(id)?.type ?? ''), 'is not the resource id of a Key Vault or Managed HSM (ARM ids hold no such characters)'),
  name: text,
  type: text,
  subscriptionId: text,
  resourceGroup: text,
  location: text,
  tenantId: text,
  tags: tagsSchema.nullish(),
  diagnosticSettings: z.array(z.unknown()).nullish(),
});

function itemFromRow(row: ArgRow): InventoryItem | string {
  const parsed = inventoryRowSchema.safeParse(row);
  if (parsed.success) {
    const { diagnosticSettings, tags, ...resource } = parsed.data;
    return { resource: { ...resource, tags: tags ? Object.fromEntries(Object.entries(tags)) : {} }, argSettings: diagnosticSettings ?? null, problem: null };
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

/** A 52-bit fingerprint of an id: spots a vault listed twice without keeping every id of a large estate. */
function fingerprint(id: string): number {
  return Number.parseInt(createHash('sha256').update(id).digest('hex').slice(0, 13), 16);
}

const isTooLarge = (error: unknown) => isKvAuditError(error) && error.details.some((d) => d.startsWith('ResponsePayloadTooLarge'));

/**
 * The partitions of a batch of `count` resources: one when they fit a page; else packed from a sizing query, or
 * equal slices when ARG will not size them (a sizing is an optimization: its failure costs queries, not vaults).
 */
async function partitionsOf(runner: ResourceGraphRunner, count: number, batch: ResourceGraphScope, of: string, sizeFrom: number): Promise<InventoryPartition[]> {
  if (fitsOnePage(count)) return [wholeInventory];
  if (count < sizeFrom) return evenPartitions(count);
  const buckets = bucketCount(count);
  try {
    const rows = (await collect(runner.queryScope(`inventory sizing${of}`, inventorySizingQuery(buckets), batch))).flatMap((page) => page.rows);
    const sizes = bucketSizes(rows, buckets);
    if (sizes) return packedPartitions(buckets, sizes);
  } catch (error) {
    if (!isKvAuditError(error) || error.code !== 'QueryFailed') throw error;
  }
  return evenPartitions(count);
}

/** `sizeFrom`: batches of at least this many resources are sized before they are partitioned (tests lower it). */
export async function* readInventoryPages(runner: ResourceGraphRunner, scope: ScanScope, { sizeFrom = sizedFrom } = {}): AsyncGenerator<InventoryPage> {
  /** Every vault listed so far, as fingerprints; sized by the first count, and grown for later subscription batches. */
  let seen: FingerprintSet | null = null;
  const batches = scopeBatches(resourceGraphScope(scope));
  let counted = 0;
  for (const [index, batch] of batches.entries()) {
    const of = batches.length > 1 ? ` (subscription batch ${index + 1}/${batches.length})` : '';
    const [countRow] = await collect(runner.queryScope(`inventory count${of}`, inventoryCountQuery, batch));
    const count = Number(countRow?.rows[0]?.['Count'] ?? Number.NaN);
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new KvAuditError('QueryFailed', `Azure Resource Graph inventory count${of}: the response holds no count`);
    }
    counted += count;
    seen ??= fingerprintSet(count);
    const pending = await partitionsOf(runner, count, batch, of, sizeFrom);
    while (pending.length > 0) {
      const partition = pending.shift()!;
      const purpose = `inventory partition ${describePartition(partition)}${of}`;
      let page: ResultPage | undefined;
      try {
        // One page only: a partition with more is split rather than paged.
        for await (const first of runner.queryScope(purpose, inventoryQuery(partition), batch)) {
          page = first;
          break;
        }
      } catch (error) {
        if (!isTooLarge(error)) throw error;
      }
      if (page === undefined || page.hasMore) {
        pending.unshift(...halves(partition));
        continue;
      }
      yield parsePartition(page, purpose, seen, counted);
    }
  }
}

function parsePartition(page: ResultPage, purpose: string, seen: FingerprintSet, counted: number): InventoryPage {
  const items: InventoryItem[] = [];
  const problems: string[] = [];
  if (page.totalRecords !== null && page.rows.length !== page.totalRecords) {
    problems.push(`Azure Resource Graph ${purpose} returned ${page.rows.length} of the ${page.totalRecords} rows it counts; vaults may be missing`);
  }
  for (const row of page.rows) {
    const item = itemFromRow(row);
    if (typeof item === 'string') {
      problems.push(item);
      continue;
    }
    if (!seen.add(fingerprint(normalizeResourceId(item.resource.id)))) {
      problems.push(`Azure Resource Graph listed ${item.resource.id} twice; it is evaluated once, and the inventory cannot be trusted to be whole`);
      continue;
    }
    items.push(item);
  }
  return { items, problems, totalRecords: counted, subscriptionLimitHit: page.subscriptionLimitHit };
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

/** Configured subscriptions the identity cannot read: ARG silently leaves them out, so their vaults would go missing unsaid. */
export async function unreadableSubscriptions(runner: ResourceGraphRunner, scope: ScanScope): Promise<readonly string[]> {
  if (scope.Kind !== 'Subscriptions') return [];
  const unreadable: string[] = [];
  for (const batch of scopeBatches(resourceGraphScope(scope))) {
    const ids = batch.subscriptions ?? [];
    try {
      const rows = (await collect(runner.queryScope('subscription check', readableSubscriptionsQuery, batch))).flatMap((page) => page.rows);
      const readable = new Set(rows.map((r) => String(r['subscriptionId'])));
      unreadable.push(...ids.filter((id) => !readable.has(id.toLowerCase())));
    } catch (error) {
      // ARG answers 403 for a batch none of whose subscriptions the identity can read: they are all unreadable, and
      // the other batches are still scanned (new role assignments take a while to reach every subscription).
      if (!isForbidden(error)) throw error;
      unreadable.push(...ids);
    }
  }
  return unreadable;
}

/** The scope without the subscriptions the identity cannot read: they have nothing to list, and ARG refuses them. */
export function readableScope(scope: ScanScope, unreadable: readonly string[]): ScanScope {
  if (scope.Kind !== 'Subscriptions' || unreadable.length === 0) return scope;
  const skip = new Set(unreadable.map((id) => id.toLowerCase()));
  return { ...scope, Ids: scope.Ids.filter((id) => !skip.has(id.toLowerCase())) };
}

/**
 * Whether the identity can read any subscription of a tenant or management-group scope. Asked only when such a scope
 * listed no vault: an identity whose Reader assignment never landed sees an empty estate, and that is not "no vaults".
 */
export async function readsAnySubscription(runner: ResourceGraphRunner, scope: ScanScope): Promise<boolean> {
  if (scope.Kind === 'Subscriptions') return true;
  try {
    const [first] = await collect(runner.queryScope('subscription check', readableSubscriptionsQuery, resourceGraphScope(scope)));
    return (first?.rows.length ?? 0) > 0;
  } catch (error) {
    if (isForbidden(error)) return false;
    throw error;
  }
}

function isForbidden(error: unknown): boolean {
  const cause = isKvAuditError(error) ? error.cause : undefined;
  return isRestError(cause) && cause.statusCode === 403;
}

/**
 * Resource Graph refused the scope itself: 403, or a management group it does not accept, which is what an identity
 * without access to it sees as well as a mistyped id (ManagementGroupsContainInvalidIds).
 */
export function isScopeRefused(error: unknown): boolean {
  return isForbidden(error) || (isKvAuditError(error) && error.details.some((d) => d.startsWith('ManagementGroupsContainInvalidIds')));
}
