import { z } from 'zod';
import { ancestorsWithinGroup, normalizeResourceId, subscriptionIdOf } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import { describeArmError } from './armError.js';
import type { ArmAttempt, ArmReadQueue } from './armReadQueue.js';
import type { AzureClients } from './clients.js';
import { throttleOf } from './armDiagnosticSettings.js';

/*
 * What the Activity Log says changed: every write and delete ARM accepted in a subscription, kept 90 days
 * (Learn: "Azure Monitor activity log"; REST: Activity Logs - List, api-version 2015-04-01, $filter on
 * eventTimestamp, paged with nextLink). An incremental scan reads it for the window since the last scan began, less
 * an overlap for its lag, in every subscription that holds a resource it watches (the vaults and Managed HSMs it
 * knows, and the audit destinations their findings rest on). An entry names a watched resource when it is the
 * resource, lies under it (a diagnostic setting, its tags, a workspace table, a storage account's lifecycle policy)
 * or is its resource group or a parent above it (a resource group deleted, a namespace deleted with its rules); no
 * entry above a resource group (a subscription-level operation) is taken to name what is under it.
 * Any entry counts, whatever its status: reading a resource once too often costs one ARM read, missing one would
 * carry a wrong finding forward. A subscription whose log cannot be read is reported, and what it holds is read again.
 */

const apiVersion = '2015-04-01';
const maxPages = 1_000;


const entrySchema = z.looseObject({ resourceId: z.string().nullish() });
const pageSchema = z.looseObject({ value: z.array(z.unknown()), nextLink: z.string().nullish() });

export interface ActivityLogWindow {
  readonly from: Date;
  readonly to: Date;
}

export interface ActivityLogChanges {
  /** The watched resources (normalized ids) some entry names: itself, something under it, or something above it. */
  readonly changed: Set<string>;
  /** Subscriptions (lowercased) whose log could not be read, and why. */
  readonly unread: Map<string, string>;
}

type PageAnswer = { readonly page: z.infer<typeof pageSchema> } | { readonly failure: string };

export async function readActivityLog(
  clients: Pick<AzureClients, 'getArmResource' | 'getArmUrl'>,
  queue: ArmReadQueue,
  /** Normalized ids of the resources whose changes matter; their subscriptions are the ones read. */
  watched: ReadonlySet<string>,
  window: ActivityLogWindow,
  options: { readonly abortSignal?: AbortSignal; readonly now?: () => number } = {},
): Promise<ActivityLogChanges> {
  const now = options.now ?? Date.now;
  const changes: ActivityLogChanges = { changed: new Set(), unread: new Map() };
  /** Resource groups and parents of watched resources, and those of them some entry named. */
  const watchedAncestors = new Set<string>();
  const namedAncestors = new Set<string>();
  const subscriptionIds = new Set<string>();
  for (const id of watched) {
    for (const ancestor of ancestorsWithinGroup(id)) watchedAncestors.add(ancestor);
    const subscriptionId = subscriptionIdOf(id);
    if (subscriptionId) subscriptionIds.add(subscriptionId);
  }

  function note(resourceId: string): void {
    const entry = normalizeResourceId(resourceId);
    if (watched.has(entry)) changes.changed.add(entry);
    for (const above of ancestorsWithinGroup(entry)) if (watched.has(above)) changes.changed.add(above);
    if (watchedAncestors.has(entry)) namedAncestors.add(entry);
  }
  const filter = `eventTimestamp ge '${window.from.toISOString()}' and eventTimestamp le '${window.to.toISOString()}'`;

  async function fetchPage(subscriptionId: string, nextLink: string | null): Promise<ArmAttempt<PageAnswer>> {
    try {
      const response = nextLink
        ? await clients.getArmUrl(nextLink, options.abortSignal)
        : await clients.getArmResource(`/subscriptions/${subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values`, apiVersion, options.abortSignal, {
            $filter: filter,
            $select: 'resourceId,operationName,eventTimestamp,status',
          });
      const throttle = throttleOf(response, now());
      if (response.status !== 200) return { value: { failure: describeArmError(response.status, response.body).summary }, throttle };
      const page = pageSchema.safeParse(response.body);
      return { value: page.success ? { page: page.data } : { failure: 'the answer is not a list of entries' }, throttle: null };
    } catch (error) {
      return { value: { failure: describeError(error) }, throttle: null };
    }
  }

  async function readSubscription(subscriptionId: string): Promise<void> {
    let nextLink: string | null = null;
    for (let pages = 0; pages < maxPages; pages += 1) {
      const answer = await queue.run(subscriptionId, 'activity-log', () => fetchPage(subscriptionId, nextLink), (why) => ({ failure: why }));
      if ('failure' in answer) {
        changes.unread.set(subscriptionId, answer.failure);
        return;
      }
      for (const raw of answer.page.value) {
        const entry = entrySchema.safeParse(raw);
        if (entry.success && entry.data.resourceId) note(entry.data.resourceId);
      }
      nextLink = answer.page.nextLink ?? null;
      if (nextLink === null) return;
    }
    changes.unread.set(subscriptionId, `the log goes on past ${maxPages} pages`);
  }

  await Promise.all([...subscriptionIds].map(readSubscription));
  if (namedAncestors.size > 0) {
    for (const id of watched) if (ancestorsWithinGroup(id).some((above) => namedAncestors.has(above))) changes.changed.add(id);
  }
  return changes;
}
