import type { QueueClient } from '@azure/storage-queue';
import { emulatedCaller } from './activityLog.js';
import type { ArmOperation } from './estateChanges.js';
import type { FaultInjector } from './faultInjector.js';

/*
 * Event Grid, as a system topic of type Microsoft.Resources.Subscriptions with one event subscription delivering to a
 * Storage queue would deliver the estate's ARM operations:
 * - One event per operation in the Event Grid schema (Learn: "Azure subscription as an Event Grid source"): topic
 *   `/subscriptions/<id>`, subject = data.resourceUri, ResourceWriteSuccess or ResourceDeleteSuccess, dataVersion
 *   "2", metadataVersion "1"; `data.httpRequest` only when the operation updated or deleted something that existed.
 * - Only the operations the event subscription's filter lets through (issue16-contracts.md): writes and deletes of
 *   diagnostic settings, vaults, Managed HSMs and tags under Microsoft.KeyVault, and deletes of destinations.
 * - One queue message per event, its body the event's JSON (one object, not an array) Base64-encoded: what Event Grid
 *   puts in a Storage queue today (MicrosoftDocs/azure-docs#102923, which found the Learn quickstart's "plain text"
 *   note outdated; dapr/components-contrib#232 shows such a body decoded). The Functions queue trigger's default
 *   `messageEncoding` (base64) reads it as is.
 * - At least once and in no guaranteed order (Learn: "Event Grid message delivery and retry"): the `events` faults
 *   drop, duplicate, reorder and delay deliveries, each decision drawn from the seed and the event's id.
 */

export interface EventGridEvent {
  readonly id: string;
  readonly topic: string;
  readonly subject: string;
  readonly eventType: 'Microsoft.Resources.ResourceWriteSuccess' | 'Microsoft.Resources.ResourceDeleteSuccess';
  readonly eventTime: string;
  readonly data: {
    readonly authorization: { readonly scope: string; readonly action: string; readonly evidence: Readonly<Record<string, string>> };
    readonly claims: Readonly<Record<string, string>>;
    readonly correlationId: string;
    readonly httpRequest?: { readonly clientRequestId: string; readonly clientIpAddress: string; readonly method: string; readonly url: string };
    readonly resourceProvider: string;
    readonly resourceUri: string;
    readonly operationName: string;
    readonly status: 'Succeeded';
    readonly subscriptionId: string;
    readonly tenantId: string;
  };
  readonly dataVersion: '2';
  readonly metadataVersion: '1';
}

/** Where Event Grid delivers: a queue in Azurite (or any Storage account the connection string names). */
export interface EventsOptions {
  readonly connectionString: string;
  /** Default `kv-audit-events`, the deployment's queue. */
  readonly queueName?: string;
}

/** The operations the deployment's two event subscriptions let through (infra/modules/eventPath.bicep; a test compares). */
export const eventSubscriptionOperations = {
  /** Only on resources under Microsoft.KeyVault. */
  keyVault: [
    'Microsoft.Insights/diagnosticSettings/write',
    'Microsoft.Insights/diagnosticSettings/delete',
    'Microsoft.KeyVault/vaults/write',
    'Microsoft.KeyVault/vaults/delete',
    'Microsoft.KeyVault/managedHSMs/write',
    'Microsoft.KeyVault/managedHSMs/delete',
    'Microsoft.Resources/tags/write',
  ],
  destinationDeletes: [
    'Microsoft.OperationalInsights/workspaces/delete',
    'Microsoft.Storage/storageAccounts/delete',
    'Microsoft.EventHub/namespaces/delete',
    'Microsoft.EventHub/namespaces/eventhubs/delete',
    'Microsoft.EventHub/namespaces/authorizationRules/delete',
    'Microsoft.EventHub/namespaces/eventhubs/authorizationRules/delete',
  ],
} as const;

const keyVaultOperations = new Set(eventSubscriptionOperations.keyVault.map((name) => name.toLowerCase()));
const destinationDeletes = new Set(eventSubscriptionOperations.destinationDeletes.map((name) => name.toLowerCase()));

/** Whether the deployment's event subscription lets an operation through (its filter, per the contracts). */
export function passesEventSubscriptionFilter(operation: ArmOperation): boolean {
  const name = operation.operationName.toLowerCase();
  if (destinationDeletes.has(name)) return true;
  return keyVaultOperations.has(name) && operation.resourceUri.toLowerCase().includes('/providers/microsoft.keyvault/');
}

export function eventGridEvent(
  operation: ArmOperation,
  timeMs: number,
  ids: { readonly id: string; readonly correlationId: string; readonly clientRequestId: string },
  tenantId: string,
): EventGridEvent {
  const method = operation.action === 'delete' ? 'DELETE' : 'PUT';
  return {
    id: ids.id,
    topic: `/subscriptions/${operation.subscriptionId}`,
    subject: operation.resourceUri,
    eventType: operation.action === 'delete' ? 'Microsoft.Resources.ResourceDeleteSuccess' : 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: new Date(timeMs).toISOString(),
    data: {
      authorization: {
        scope: operation.resourceUri,
        action: operation.operationName,
        evidence: { role: 'Contributor', principalId: emulatedCaller.objectId, principalType: 'ServicePrincipal' },
      },
      claims: { appid: emulatedCaller.appId, 'http://schemas.microsoft.com/identity/claims/objectidentifier': emulatedCaller.objectId },
      correlationId: ids.correlationId,
      ...(operation.existed
        ? { httpRequest: { clientRequestId: ids.clientRequestId, clientIpAddress: '192.0.2.10', method, url: `https://management.azure.com${operation.resourceUri}` } }
        : {}),
      resourceProvider: operation.resourceProvider,
      resourceUri: operation.resourceUri,
      operationName: operation.operationName,
      status: 'Succeeded',
      subscriptionId: operation.subscriptionId,
      tenantId,
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

/** A queue message's body as Event Grid writes it: the event's JSON, Base64-encoded. */
export function queueMessageBody(event: EventGridEvent): string {
  return Buffer.from(JSON.stringify(event), 'utf8').toString('base64');
}

export interface EventDeliveryStats {
  /** Events Event Grid emitted (after the subscription's filter). */
  readonly eventsPublished: number;
  /** Messages put in the queue (duplicates included). */
  readonly eventsDelivered: number;
  readonly eventsDropped: number;
  readonly eventsDuplicated: number;
  readonly eventsReordered: number;
  /** Sends the queue refused or that failed (the queue gone, Azurite stopped). */
  readonly eventDeliveryFailures: number;
}

/** The counters of an emulator without the `events` option. */
export const noEventDeliveries: EventDeliveryStats = {
  eventsPublished: 0,
  eventsDelivered: 0,
  eventsDropped: 0,
  eventsDuplicated: 0,
  eventsReordered: 0,
  eventDeliveryFailures: 0,
};

interface Delivery {
  readonly event: EventGridEvent;
  readonly dueMs: number;
  /** Held back until the delivery after it has gone (`reorder`). */
  readonly reorder: boolean;
}

/** How long a reordered event waits for a next one before it goes anyway, on the emulator's clock. */
const reorderHoldMs = 60_000;

/** The deliveries still to make, and the queue they go to: in order of their due time, through one send at a time. */
export class EventDelivery {
  private readonly pending: Delivery[] = [];
  private held: Delivery[] = [];
  private sending: Promise<void> = Promise.resolve();
  private sendsInFlight = 0;
  private readonly counts = { ...noEventDeliveries };

  private constructor(
    private readonly queue: QueueClient,
    private readonly injector: () => FaultInjector,
  ) {}

  /** Connects to the queue, creating it as the deployment does (Event Grid needs it to exist). */
  static async connect(options: EventsOptions, injector: () => FaultInjector): Promise<EventDelivery> {
    // Loaded only here: the SDK takes a third of the emulator's import time, and most emulators deliver no events.
    const { QueueClient } = await import('@azure/storage-queue');
    const queue = new QueueClient(options.connectionString, options.queueName ?? 'kv-audit-events');
    await queue.createIfNotExists();
    return new EventDelivery(queue, injector);
  }

  get stats(): EventDeliveryStats {
    return { ...this.counts };
  }

  /** Deliveries scheduled, held back or being sent: not yet in the queue. */
  get undelivered(): number {
    return this.pending.length + this.held.length + this.sendsInFlight;
  }

  /** Schedules an event's delivery, with the faults its id draws. */
  publish(event: EventGridEvent, nowMs: number): void {
    this.counts.eventsPublished += 1;
    const injector = this.injector();
    const fault = injector.failureFor('events', event.id, event.data.subscriptionId);
    const dueMs = nowMs + injector.latencyMs('events');
    if (fault?.outcome === 'drop') {
      this.counts.eventsDropped += 1;
      return;
    }
    const reorder = fault?.outcome === 'reorder';
    if (reorder) this.counts.eventsReordered += 1;
    this.pending.push({ event, dueMs, reorder });
    if (fault?.outcome === 'dup') {
      this.counts.eventsDuplicated += 1;
      this.pending.push({ event, dueMs, reorder: false });
    }
  }

  /** Sends what is due at `nowMs`; a reordered event goes right after the next one sent, or once held too long. */
  pump(nowMs: number): void {
    const due = this.pending.filter((d) => d.dueMs <= nowMs).sort((a, b) => a.dueMs - b.dueMs);
    if (due.length === 0 && this.held.length === 0) return;
    this.pending.splice(0, this.pending.length, ...this.pending.filter((d) => d.dueMs > nowMs));
    for (const delivery of due) {
      if (delivery.reorder) {
        this.held.push(delivery);
        continue;
      }
      this.send(delivery.event);
      for (const held of this.held.splice(0)) this.send(held.event);
    }
    const overdue = this.held.filter((d) => d.dueMs + reorderHoldMs <= nowMs);
    this.held = this.held.filter((d) => !overdue.includes(d));
    for (const held of overdue) this.send(held.event);
  }

  /** Resolves once every send started so far has finished. */
  idle(): Promise<void> {
    return this.sending;
  }

  private send(event: EventGridEvent): void {
    this.sendsInFlight += 1;
    this.sending = this.sending.then(() =>
      this.queue
        .sendMessage(queueMessageBody(event))
        .then(
          () => void (this.counts.eventsDelivered += 1),
          () => void (this.counts.eventDeliveryFailures += 1),
        )
        .finally(() => void (this.sendsInFlight -= 1)),
    );
  }
}
