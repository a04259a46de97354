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

/** Existence of each resolvable target (normalized ids); targets left out are out of sight. */
export async function resolveDestinations(
  runner: ResourceGraphRunner,
  targetIds: Iterable<string>,
): Promise<Map<string, 'Exists' | 'NotFound'>> {
  const targets = [...new Set(targetIds)].flatMap((id) => {
    const match = resolvableTarget.exec(id);
    return match ? [{ id, subscriptionId: match[1]! }] : [];
  });
  const existence = new Map<string, 'Exists' | 'NotFound'>();
  for (let i = 0; i < targets.length; i += idsPerQuery) {
    const batch = targets.slice(i, i + idsPerQuery);
    const subscriptions = [...new Set(batch.map((t) => t.subscriptionId))];
    const rows = await runner.queryAll(
      'destination lookup',
      destinationQuery(batch.map((t) => t.id), subscriptions),
      {},
    );
    const seen = new Set(rows.map((r) => String(r['id'])));
    for (const target of batch) {
      if (seen.has(target.id)) existence.set(target.id, 'Exists');
      else if (seen.has(`/subscriptions/${target.subscriptionId}`)) existence.set(target.id, 'NotFound');
    }
  }
  return existence;
}
