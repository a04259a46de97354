import { type InvocationContext, app } from '@azure/functions';
import { DefaultAzureCredential } from '@azure/identity';
import { BlockBlobClient } from '@azure/storage-blob';
import type { AzureConnection } from '../azure/clients.js';
import { type Env, type Settings, loadSettings } from '../config/settings.js';
import { KvAuditError } from '../errors.js';
import { evaluateNamedResources, parseAzureEvent, resourcesNamedBy } from '../scan/eventScan.js';
import { scanSucceeded } from '../scan/runScan.js';
import { scanDependencies } from '../scan/scanDependencies.js';
import { summaryLine } from '../scan/summary.js';
import { type StateStore, blobStateStore } from '../state/stateStore.js';

/*
 * The event-driven entry point: Event Grid puts each ARM write or delete that can change a verdict into the
 * kv-audit-events queue (infra/modules/eventPath.bicep), and this function evaluates the resources it names again,
 * within minutes instead of at the next scheduled scan. A failed evaluation fails the invocation, so the queue
 * delivers the message again (and, past its dequeue count, moves it to the poison queue); the scheduled scans
 * catch anything lost either way.
 */

export const eventsQueueName = 'kv-audit-events';
/** The identity-based connection's name: app settings KV_AUDIT_EVENTS__queueServiceUri, __credential, __clientId. */
export const eventsConnection = 'KV_AUDIT_EVENTS';

export interface EventEnvironment {
  readonly env: Env;
  readonly connection: AzureConnection;
  /** The scheduled scan's state (read only): which vaults a deleted destination served. */
  readonly stateStore: (settings: Settings) => StateStore | null;
}

export function createEventQueueHandler(environment: () => EventEnvironment) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const event = parseAzureEvent(message);
    if (typeof event === 'string') {
      // Retrying cannot make it an event: said, and dropped.
      context.warn(`Queue message ignored: ${event}.`);
      return;
    }
    const { env, connection, stateStore } = environment();
    const settings = loadSettings(env, { requireIngestion: true });
    const direct = resourcesNamedBy(event, null);
    // Only a deleted destination needs the state, to know the vaults it served.
    const store = direct.size === 0 ? stateStore(settings) : null;
    const ids = direct.size > 0 ? direct : resourcesNamedBy(event, store ? (await store.load()).state : null);
    const operation = event.data?.operationName ?? event.eventType;
    if (ids.size === 0) {
      context.log(`Event ${event.id} (${operation} on ${event.subject}) changes no vault's finding.`);
      return;
    }
    const result = await evaluateNamedResources(
      settings,
      ids,
      scanDependencies(connection, settings, { ingest: true, log: { info: (m) => context.log(m), warn: (m) => context.warn(m) } }),
    );
    context.log(`Event ${event.id} (${operation}): ${summaryLine(result.scan)}`);
    if (!scanSucceeded(result)) {
      throw new KvAuditError('ScanIncomplete', `Event ${event.id}: scan ${result.scan.ScanId} is incomplete; the message is delivered again`, {
        details: result.scan.Errors,
      });
    }
  };
}

// Credentials are made per invocation, never at import time.
const kvAuditEvents = createEventQueueHandler(() => {
  const credential = new DefaultAzureCredential();
  return {
    env: process.env,
    connection: { credential },
    stateStore: (settings) => (settings.stateUrl ? blobStateStore(new BlockBlobClient(settings.stateUrl, credential)) : null),
  };
});

app.storageQueue('kvAuditEvents', {
  queueName: eventsQueueName,
  connection: eventsConnection,
  handler: kvAuditEvents,
});
