import { z } from 'zod';
import { auditLoggingControl } from '../control/auditLogging.metadata.js';
import { resourceIdUnder } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import { describeArmError } from './armError.js';
import type { ArmAttempt, ArmReadQueue } from './armReadQueue.js';
import type { AzureClients } from './clients.js';
import { throttleOf } from './armDiagnosticSettings.js';

/*
 * What the Activity Log says changed: every write and delete ARM accepted in a subscription, kept 90 days
 * (Learn: "Azure Monitor activity log"; REST: Activity Logs - List, api-version 2015-04-01, $filter on
 * eventTimestamp, paged with nextLink). An incremental scan reads it for the window since the last scan began, less
 * an overlap for its lag, and reads again through ARM every vault or Managed HSM an entry names: its own write or
 * delete, a diagnostic setting under it, or its tags. Any entry counts, whatever its status: reading a vault once
 * too often costs one ARM read, missing one would carry a wrong finding forward. A subscription whose log cannot
 * be read is reported, and the scan reads all of its resources again.
 */

const apiVersion = '2015-04-01';
const maxPages = 1_000;

const vaultTypes = new Set(auditLoggingControl.resourceTypes);

const entrySchema = z.looseObject({ resourceId: z.string().nullish() });
const pageSchema = z.looseObject({ value: z.array(z.unknown()), nextLink: z.string().nullish() });

export interface ActivityLogWindow {
  readonly from: Date;
  readonly to: Date;
}

export interface ActivityLogChanges {
  /** Vaults and Managed HSMs (normalized ids) some entry names. */
  readonly changed: Set<string>;
  /** Subscriptions whose log could not be read, and why. */
  readonly unread: Map<string, string>;
}

type PageAnswer = { readonly page: z.infer<typeof pageSchema> } | { readonly failure: string };

export async function readActivityLog(
  clients: Pick<AzureClients, 'getArmResource' | 'getArmUrl'>,
  queue: ArmReadQueue,
  subscriptionIds: Iterable<string>,
  window: ActivityLogWindow,
  options: { readonly abortSignal?: AbortSignal; readonly now?: () => number } = {},
): Promise<ActivityLogChanges> {
  const now = options.now ?? Date.now;
  const changes: ActivityLogChanges = { changed: new Set(), unread: new Map() };
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
        const vault = entry.success && entry.data.resourceId ? resourceIdUnder(entry.data.resourceId, vaultTypes) : null;
        if (vault) changes.changed.add(vault);
      }
      nextLink = answer.page.nextLink ?? null;
      if (nextLink === null) return;
    }
    changes.unread.set(subscriptionId, `the log goes on past ${maxPages} pages`);
  }

  await Promise.all([...new Set([...subscriptionIds].map((s) => s.toLowerCase()))].map(readSubscription));
  return changes;
}
