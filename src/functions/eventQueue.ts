import { type InvocationContext, app } from '@azure/functions';
import { DefaultAzureCredential } from '@azure/identity';
import { BlockBlobClient } from '@azure/storage-blob';
import type { AzureConnection } from '../azure/clients.js';
import { type Env, type Settings, loadSettings } from '../config/settings.js';
import { KvAuditError } from '../errors.js';
import { eventLabel, handleEventMessage } from '../scan/eventScan.js';
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
    const { env, connection, stateStore } = environment();
    const settings = loadSettings(env, { requireIngestion: true });
    const log = { info: (m: string) => context.log(m), warn: (m: string) => context.warn(m) };
    const outcome = await handleEventMessage(message, settings, scanDependencies(connection, settings, { ingest: true, log }), async () => {
      const store = stateStore(settings);
      return store ? (await store.load()).state : null;
    });
    switch (outcome.kind) {
      case 'NotAnEvent':
        // Retrying cannot make it an event: said, and dropped.
        context.warn(`Queue message ignored: ${outcome.why}.`);
        return;
      case 'NamesNoVault':
        context.log(`Event ${eventLabel(outcome.event)} on ${outcome.event.subject} changes no vault's finding.`);
        return;
      case 'Evaluated':
        context.log(`Event ${eventLabel(outcome.event)}: ${summaryLine(outcome.result.scan)}`);
        if (!scanSucceeded(outcome.result)) {
          throw new KvAuditError('ScanIncomplete', `Event ${outcome.event.id}: scan ${outcome.result.scan.ScanId} is incomplete; the message is delivered again`, {
            details: outcome.result.scan.Errors,
          });
        }
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
