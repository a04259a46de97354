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
 * match a strict ARM id pattern (no quotes, no backslashes) are; anything else
 * stays Unverified.
 */

const resolvableTarget =
  /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourcegroups\/[\p{L}\p{N}\-_.()]+\/providers\/(?:microsoft\.operationalinsights\/workspaces|microsoft\.storage\/storageaccounts|microsoft\.eventhub\/namespaces)\/[\p{L}\p{N}\-_.]+$/u;

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

export function createDestinationLookup(runner: ResourceGraphRunner): DestinationLookup {
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
    const wait = Math.max(batchWindowMs, lastStartedAt + lookupSpacingMs - Date.now());
    const batch = { targets, start, done: started.then(() => query(targets)), timer: setTimeout(() => close(batch), wait) };
    return batch;
  }

  function close(batch: Batch & { timer: NodeJS.Timeout }): void {
    clearTimeout(batch.timer);
    if (open === batch) open = null;
    lastStartedAt = Date.now();
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
        const match = resolvableTarget.exec(id);
        if (!match) {
          asked.set(id, Promise.resolve());
          continue;
        }
        open ??= newBatch();
        const batch = open;
        batch.targets.push({ id, subscriptionId: match[1]! });
        asked.set(id, batch.done);
        waits.add(batch.done);
        if (batch.targets.length >= idsPerQuery) close(batch);
      }
      await Promise.all(waits);
    },
  };
}
