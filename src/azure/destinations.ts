import type { FactsAnswer } from '../control/destinationFacts.js';
import type { WorkspaceDelivery } from '../control/delivery.js';
import { parseResourceId } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import { describeArmError, describeRestError } from './armError.js';
import type { ArmAttempt, ArmReadQueue } from './armReadQueue.js';
import type { AzureClients } from './clients.js';
import { throttleOf } from './armDiagnosticSettings.js';
import type { DeliveryCheck } from './deliveryCheck.js';
import { parseFacts } from './destinationFacts.js';
import { type CutOffRetryOptions, repeatingCutOffs } from './transientFailures.js';

/*
 * Whether the resources audit destinations depend on still exist, asked of ARM, the source of truth: Resource
 * Graph reflects most changes within a minute but has no upper bound, so a workspace created a minute ago would
 * look missing there and one deleted a minute ago would still look present. Each target is read once a scan,
 * through the same queue and pacing as the settings reads. An event hub destination depends on its
 * authorization rule and, when the setting names one, its event hub, neither of which Resource Graph lists.
 * The same answers carry what else the control weighs (destinationFacts.ts): a storage account's firewall and
 * region come with its GET; a workspace's table retention, a storage lifecycle policy and audit container, an
 * Event Hubs namespace and its network rule set are one more paced read each, once a scan.
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
  ['microsoft.operationalinsights/workspaces/tables', '2022-10-01'],
  ['microsoft.storage/storageaccounts', '2023-05-01'],
  ['microsoft.storage/storageaccounts/managementpolicies', '2023-05-01'],
  ['microsoft.storage/storageaccounts/blobservices/containers', '2023-05-01'],
  ['microsoft.eventhub/namespaces', '2024-01-01'],
  ['microsoft.eventhub/namespaces/networkrulesets', '2024-01-01'],
  ['microsoft.eventhub/namespaces/authorizationrules', '2024-01-01'],
  ['microsoft.eventhub/namespaces/eventhubs', '2024-01-01'],
  ['microsoft.eventhub/namespaces/eventhubs/authorizationrules', '2024-01-01'],
]);

/**
 * Codes of a 404 that says the resource itself is gone (or was never made), rather than that its subscription is
 * out of reach: a storage account without a lifecycle policy answers ManagementPolicyNotFound.
 */
const goneCodes = new Set(['resourcenotfound', 'resourcegroupnotfound', 'parentresourcenotfound', 'managementpolicynotfound', 'containernotfound']);

/** Event Hubs types whose resources can be made, changed and deleted through the namespace's own endpoint too. */
const eventHubEntityTypes = new Set(['microsoft.eventhub/namespaces/authorizationrules', 'microsoft.eventhub/namespaces/eventhubs', 'microsoft.eventhub/namespaces/eventhubs/authorizationrules']);

/**
 * Whether what ARM said of a destination can change with no ARM write, so no Activity Log entry, to say so: an
 * incremental scan confirms such a destination every time, and every other one only when the Activity Log names it.
 * - Event hubs and their (and their namespace's) shared access rules: also managed through the namespace's own
 *   endpoint with a SAS key (Learn: "Event Hubs management REST API", the legacy entity operations), bypassing ARM.
 * - A workspace table not made yet in a workspace not known to be gone: Log Analytics makes it when records arrive.
 * - A blob container with a time-based immutability policy: the Blob service deletes a container (once it is empty)
 *   without ARM. A container without one gains one only through ARM (`…/immutabilityPolicies/default`, under it),
 *   and one made through the Blob service has none.
 * Anything not answered (out of sight, or a failure) is confirmed again anyway: it is Unverified.
 */
export function changesWithoutArmWrite(targetId: string, facts: ReadonlyMap<string, FactsAnswer>): boolean {
  const type = parseResourceId(targetId)?.type ?? '';
  const answer = facts.get(targetId);
  if (eventHubEntityTypes.has(type)) return true;
  // A deleted workspace makes no table; made again, its write is in the Activity Log, above the table. A workspace
  // not asked about this scan is as the last scan found it.
  if (type === 'microsoft.operationalinsights/workspaces/tables') return answer?.kind === 'absent' && facts.get(targetId.replace(/\/tables\/[^/]+$/, ''))?.kind !== 'absent';
  if (type === 'microsoft.storage/storageaccounts/blobservices/containers') return answer?.kind === 'container' && (answer.immutableDays !== null || answer.immutabilityState !== null);
  return false;
}

export interface DestinationCheck {
  /** Confirms the targets not asked about before; resolves once each one is known or out of sight. */
  confirm(targetIds: Iterable<string>): Promise<void>;
  /** Whether this scan asked about the target (each is asked once a scan). */
  asked(targetId: string): boolean;
  /** Existence by normalized id; targets left out are out of sight or unconfirmed (Unverified). */
  readonly existence: ReadonlyMap<string, 'Exists' | 'NotFound'>;
  /** What ARM said of each target beyond existence, by normalized id: its facts, or absent; not seen = not there. */
  readonly facts: ReadonlyMap<string, FactsAnswer>;
  /** With KV_AUDIT_VERIFY_DELIVERY: what each destination workspace's query found; null when delivery is not checked. */
  readonly delivery: ReadonlyMap<string, WorkspaceDelivery> | null;
  /** Why targets could not be confirmed, and for how many, by distinct reason: their destinations stay Unverified. */
  readonly failures: ReadonlyMap<string, number>;
  /** Why destination workspaces could not be queried for delivery, and for how many, by distinct reason. */
  readonly deliveryFailures: ReadonlyMap<string, number>;
}

type Answer = { readonly exists: unknown } | 'NotFound' | 'OutOfSight' | { readonly failure: string };

function answerOf(status: number, body: unknown): Answer {
  if (status >= 200 && status < 300) return { exists: body };
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
  options: CutOffRetryOptions & { readonly abortSignal?: AbortSignal; readonly now?: () => number; readonly delivery?: DeliveryCheck | null } = {},
): DestinationCheck {
  const now = options.now ?? Date.now;
  const existence = new Map<string, 'Exists' | 'NotFound'>();
  const facts = new Map<string, FactsAnswer>();
  const failures = new Map<string, number>();
  const delivery = options.delivery ?? null;
  const asked = new Map<string, Promise<void>>();

  async function attempt(targetId: string, apiVersion: string): Promise<ArmAttempt<Answer>> {
    try {
      const response = await repeatingCutOffs(() => clients.getArmResource(targetId, apiVersion, options.abortSignal), options);
      return { value: answerOf(response.status, response.body), throttle: throttleOf(response, now()) };
    } catch (error) {
      return { value: { failure: describeRestError(error).summary }, throttle: null };
    }
  }

  async function check(targetId: string, type: string, subscriptionId: string, apiVersion: string): Promise<void> {
    const answer = await queue.run(subscriptionId, 'destinations', () => attempt(targetId, apiVersion), (why) => ({ failure: why }));
    if (answer === 'NotFound') {
      existence.set(targetId, answer);
      facts.set(targetId, { kind: 'absent' });
    } else if (typeof answer === 'object' && 'exists' in answer) {
      existence.set(targetId, 'Exists');
      const parsed = parseFacts(type, answer.exists);
      if (parsed) facts.set(targetId, parsed);
    } else if (answer !== 'OutOfSight') {
      const reason = describeError(answer.failure);
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
    }
  }

  /** The workspaces among the targets whose customer id ARM gave: what the delivery check can query. */
  function queryableWorkspaces(targetIds: Iterable<string>): Map<string, string> {
    const workspaces = new Map<string, string>();
    for (const id of targetIds) {
      const answer = facts.get(id);
      if (answer?.kind === 'workspace' && answer.customerId) workspaces.set(id, answer.customerId);
    }
    return workspaces;
  }

  return {
    existence,
    facts,
    delivery: delivery?.results ?? null,
    failures,
    deliveryFailures: delivery?.failures ?? new Map(),
    asked: (targetId) => asked.has(targetId),
    async confirm(targetIds) {
      const ids = [...targetIds];
      const waits = new Set<Promise<void>>();
      for (const id of ids) {
        let known = asked.get(id);
        if (!known) {
          // Only a well-formed id of a destination type is sent to ARM; anything else stays out of sight.
          const parts = parseResourceId(id);
          const apiVersion = parts?.type ? apiVersions.get(parts.type) : undefined;
          known = parts?.type && apiVersion ? check(id, parts.type, parts.subscriptionId, apiVersion) : Promise.resolve();
          asked.set(id, known);
        }
        waits.add(known);
      }
      await Promise.all(waits);
      await delivery?.check(queryableWorkspaces(ids));
    },
  };
}
