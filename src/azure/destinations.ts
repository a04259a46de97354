import { parseResourceId } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import { describeArmError, describeRestError } from './armError.js';
import type { ArmAttempt, ArmReadQueue } from './armReadQueue.js';
import type { AzureClients } from './clients.js';
import { throttleOf } from './armDiagnosticSettings.js';
import { type CutOffRetryOptions, repeatingCutOffs } from './transientFailures.js';

/*
 * Whether the resources audit destinations depend on still exist, asked of ARM, the source of truth: Resource
 * Graph reflects most changes within a minute but has no upper bound, so a workspace created a minute ago would
 * look missing there and one deleted a minute ago would still look present. Each target is read once a scan,
 * through the same queue and pacing as the settings reads. An event hub destination depends on its
 * authorization rule and, when the setting names one, its event hub, neither of which Resource Graph lists.
 *
 *   200                                               → Exists
 *   404 ResourceNotFound / ResourceGroupNotFound /
 *       ParentResourceNotFound                        → NotFound: it is gone from a subscription the scanner reads
 *   403, 401, 404 SubscriptionNotFound                → out of the scanner's sight: Unverified
 *   anything else, after retries                      → Unverified, and the scan says it could not confirm it
 */

/** Api-versions of the destination types ARM is asked about (the types' current stable versions). */
const apiVersions = new Map([
  ['microsoft.operationalinsights/workspaces', '2023-09-01'],
  ['microsoft.storage/storageaccounts', '2023-05-01'],
  ['microsoft.eventhub/namespaces', '2024-01-01'],
  ['microsoft.eventhub/namespaces/authorizationrules', '2024-01-01'],
  ['microsoft.eventhub/namespaces/eventhubs', '2024-01-01'],
  ['microsoft.eventhub/namespaces/eventhubs/authorizationrules', '2024-01-01'],
]);

/** Codes of a 404 that says the resource itself is gone, rather than that its subscription is out of reach. */
const goneCodes = new Set(['resourcenotfound', 'resourcegroupnotfound', 'parentresourcenotfound']);

export interface DestinationCheck {
  /** Confirms the targets not asked about before; resolves once each one is known or out of sight. */
  confirm(targetIds: Iterable<string>): Promise<void>;
  /** Existence by normalized id; targets left out are out of sight or unconfirmed (Unverified). */
  readonly existence: ReadonlyMap<string, 'Exists' | 'NotFound'>;
  /** Why targets could not be confirmed, and for how many, by distinct reason: their destinations stay Unverified. */
  readonly failures: ReadonlyMap<string, number>;
}

type Answer = 'Exists' | 'NotFound' | 'OutOfSight' | { readonly failure: string };

function answerOf(status: number, body: unknown): Answer {
  if (status >= 200 && status < 300) return 'Exists';
  const { summary } = describeArmError(status, body);
  if (status === 404) {
    const code = /^HTTP 404 ([A-Za-z]+)/.exec(summary)?.[1]?.toLowerCase() ?? '';
    return goneCodes.has(code) ? 'NotFound' : 'OutOfSight';
  }
  if (status === 401 || status === 403) return 'OutOfSight';
  return { failure: summary };
}

export function createDestinationCheck(
  clients: Pick<AzureClients, 'getArmResource'>,
  queue: ArmReadQueue,
  options: CutOffRetryOptions & { readonly abortSignal?: AbortSignal; readonly now?: () => number } = {},
): DestinationCheck {
  const now = options.now ?? Date.now;
  const existence = new Map<string, 'Exists' | 'NotFound'>();
  const failures = new Map<string, number>();
  const asked = new Map<string, Promise<void>>();

  async function attempt(targetId: string, apiVersion: string): Promise<ArmAttempt<Answer>> {
    try {
      const response = await repeatingCutOffs(() => clients.getArmResource(targetId, apiVersion, options.abortSignal), options);
      return { value: answerOf(response.status, response.body), throttle: throttleOf(response, now()) };
    } catch (error) {
      return { value: { failure: describeRestError(error).summary }, throttle: null };
    }
  }

  async function check(targetId: string, subscriptionId: string, apiVersion: string): Promise<void> {
    const answer = await queue.run(subscriptionId, 'destinations', () => attempt(targetId, apiVersion), (why) => ({ failure: why }));
    if (answer === 'Exists' || answer === 'NotFound') existence.set(targetId, answer);
    else if (answer !== 'OutOfSight') {
      const reason = describeError(answer.failure);
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
    }
  }

  return {
    existence,
    failures,
    async confirm(targetIds) {
      const waits = new Set<Promise<void>>();
      for (const id of targetIds) {
        let known = asked.get(id);
        if (!known) {
          // Only a well-formed id of a destination type is sent to ARM; anything else stays out of sight.
          const parts = parseResourceId(id);
          const apiVersion = parts?.type ? apiVersions.get(parts.type) : undefined;
          known = parts && apiVersion ? check(id, parts.subscriptionId, apiVersion) : Promise.resolve();
          asked.set(id, known);
        }
        waits.add(known);
      }
      await Promise.all(waits);
    },
  };
}
