import { parseResourceId } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import type { ResourceGraphRunner } from './resourceGraph.js';

/*
 * Whether the destinations audit settings point at still exist, looked up in
 * ARG across everything the identity can see (central log workspaces usually
 * live in another subscription). A destination is NotFound only when its
 * subscription is visible and it is not there; otherwise it stays out of sight
 * (Unverified), never a failure.
 *
 * ARG takes no query parameters, so ids are embedded in the KQL — only ids that
 * parse as ARM resource ids (whose grammar admits no quote or backslash) of a
 * destination type are; anything else stays Unverified.
 */

/** The destination types ARG can tell exist (normalized targets: an event hub is looked up by its namespace). */
const resolvableTypes = new Set(['microsoft.operationalinsights/workspaces', 'microsoft.storage/storageaccounts', 'microsoft.eventhub/namespaces']);

/** The subscription of a target the lookup can resolve, or null when it cannot be looked up. */
function resolvableSubscription(targetId: string): string | null {
  const parts = parseResourceId(targetId);
  return parts?.type != null && resolvableTypes.has(parts.type) ? parts.subscriptionId : null;
}

/** Ids per query: keeps the query text small. */
const idsPerQuery = 200;

export function destinationQuery(targetIds: readonly string[], subscriptionIds: readonly string[]): string {
  return `resources
| where tolower(id) in (dynamic(${JSON.stringify(targetIds)}))
| project id = tolower(id)
| union (resourcecontainers
    | where type =~ 'microsoft.resources/subscriptions'
    | where tolower(subscriptionId) in (dynamic(${JSON.stringify(subscriptionIds)}))
    | project id = tolower(id))
| order by id asc`;
}

export interface DestinationLookup {
  /** Looks up the targets not asked about before; resolves once each one's existence is known or out of sight. */
  lookUp(targetIds: Iterable<string>): Promise<void>;
  /** Existence by normalized id; targets left out are out of sight (Unverified). */
  readonly existence: ReadonlyMap<string, 'Exists' | 'NotFound'>;
  /** Why lookups failed, once per distinct reason: their destinations stay Unverified. */
  readonly failures: ReadonlySet<string>;
}

/**
 * Resources reach their destinations a few at a time as ARM answers; targets asked for within this window
 * share one query, so a scan costs a handful of queries of the ARG quota, not one per resource.
 */
const batchWindowMs = 200;
/**
 * After the first, lookups start at most one per this interval unless a batch is full: each costs one of ARG's
 * 15 queries per 5 s, which the inventory pages need too. A large estate's own storage accounts trickle in one
 * subscription at a time and would otherwise cost a query each.
 */
const lookupSpacingMs = 2_000;

interface Batch {
  readonly targets: { readonly id: string; readonly subscriptionId: string }[];
  readonly done: Promise<void>;
  readonly start: () => void;
}

export interface DestinationLookupOptions {
  /** The clock that spaces lookups (ms). */
  readonly now?: () => number;
}

export function createDestinationLookup(runner: ResourceGraphRunner, options: DestinationLookupOptions = {}): DestinationLookup {
  const now = options.now ?? Date.now;
  const existence = new Map<string, 'Exists' | 'NotFound'>();
  const failures = new Set<string>();
  const asked = new Map<string, Promise<void>>();
  let open: (Batch & { timer: NodeJS.Timeout }) | null = null;
  let lastStartedAt = -Infinity;

  async function query(targets: Batch['targets']): Promise<void> {
    const subscriptions = [...new Set(targets.map((t) => t.subscriptionId))];
    try {
      const rows = await runner.queryAll('destination lookup', destinationQuery(targets.map((t) => t.id), subscriptions), {});
      const seen = new Set(rows.map((r) => String(r['id'])));
      for (const target of targets) {
        if (seen.has(target.id)) existence.set(target.id, 'Exists');
        else if (seen.has(`/subscriptions/${target.subscriptionId}`)) existence.set(target.id, 'NotFound');
      }
    } catch (error) {
      failures.add(describeError(error));
    }
  }

  function newBatch(): Batch & { timer: NodeJS.Timeout } {
    const targets: Batch['targets'] = [];
    let start!: () => void;
    const started = new Promise<void>((resolve) => (start = resolve));
    const wait = Math.max(batchWindowMs, lastStartedAt + lookupSpacingMs - now());
    const batch = { targets, start, done: started.then(() => query(targets)), timer: setTimeout(() => close(batch), wait) };
    return batch;
  }

  function close(batch: Batch & { timer: NodeJS.Timeout }): void {
    clearTimeout(batch.timer);
    if (open === batch) open = null;
    lastStartedAt = now();
    batch.start();
  }

  return {
    existence,
    failures,
    async lookUp(targetIds) {
      const waits = new Set<Promise<void>>();
      for (const id of targetIds) {
        const known = asked.get(id);
        if (known) {
          waits.add(known);
          continue;
        }
        const subscriptionId = resolvableSubscription(id);
        if (subscriptionId === null) {
          asked.set(id, Promise.resolve());
          continue;
        }
        open ??= newBatch();
        const batch = open;
        batch.targets.push({ id, subscriptionId });
        asked.set(id, batch.done);
        waits.add(batch.done);
        if (batch.targets.length >= idsPerQuery) close(batch);
      }
      await Promise.all(waits);
    },
  };
}
