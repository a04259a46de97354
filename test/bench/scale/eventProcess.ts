import { resolve } from 'node:path';
import { type WatchedQueue, readHostQueueSettings, watchEvents } from '../../../src/cli/demoWatch.js';
import { loadSettings } from '../../../src/config/settings.js';
import { auditLoggingControl } from '../../../src/control/auditLogging.metadata.js';
import { normalizeResourceId, resourceIdUnder } from '../../../src/control/resourceId.js';
import { findingsTable } from '../../../src/findings/schema.js';
import { parseAzureEvent } from '../../../src/scan/eventScan.js';
import { type Estate, type QueuedMessage, connectEventQueue, emulatorCredential, parseFaultSpec, startAzurite, startEmulator } from '../../support/emulator.js';
import { generateEstate } from '../../support/generatedEstate.js';
import { drawModel, emulatorFaultSpec } from './model.js';
import { type EventCalls, serveCalls } from './protocol.js';

/*
 * The event leg (issue 16), in real time: the HTTPS emulator with the benchmark's model (its median latencies and
 * failure rate), Event Grid into a queue in Azurite, and the product's event path read the way the Functions host
 * reads the queue (watchEvents: host.json's polling, batch size and retries; handleEventMessage; production retry
 * timing). The estate's timeline deletes every diagnostic setting of `deletions` passing vaults, spread over a
 * minute. Each vault's latency runs from its change (the event's eventTime) to the moment the emulated Logs
 * Ingestion API accepted the batch holding its Fail finding. Event Grid's own delay (seconds, no published bound)
 * is not modelled: the emulator delivers at once.
 */

const repoRoot = resolve(import.meta.dirname, '..', '..', '..', '..');
const vaultTypes = new Set(auditLoggingControl.resourceTypes);
const firstChangeSeconds = 5;
const spreadSeconds = 60;

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

serveCalls<EventCalls>({
  async events({ spec, seed, deletions }) {
    const generated = generateEstate(spec);
    const settingsOf = new Map<string, string[]>();
    for (const setting of generated.estate.diagnosticSettings) {
      const vault = resourceIdUnder(setting.id, vaultTypes)!;
      settingsOf.set(vault, [...(settingsOf.get(vault) ?? []), setting.id]);
    }
    // Passing vaults, every `step`-th, so they spread over subscriptions; all their settings go at once.
    const passing = [...generated.expected].filter(([id, verdict]) => verdict.status === 'Pass' && settingsOf.has(id)).map(([id]) => id);
    const step = Math.max(1, Math.floor(passing.length / deletions));
    const chosen = passing.filter((_, i) => i % step === 0).slice(0, deletions);
    if (chosen.length < deletions) throw new Error(`the estate has ${passing.length} passing vaults, fewer than ${deletions} to delete settings of`);
    const estate: Estate = {
      ...generated.estate,
      timeline: chosen.map((id, i) => ({ afterSeconds: firstChangeSeconds + (i * spreadSeconds) / deletions, deleteDiagnosticSettings: settingsOf.get(id)! })),
    };

    const azurite = await startAzurite();
    try {
      const emulator = await startEmulator({ estate, faults: parseFaultSpec(emulatorFaultSpec(drawModel(seed))), seed, events: { connectionString: azurite.connectionString } });
      try {
        const settings = loadSettings(
          { ...generated.env, KV_AUDIT_LOGS_INGESTION_ENDPOINT: emulator.url, KV_AUDIT_DCR_IMMUTABLE_ID: emulator.dcrImmutableId },
          { requireIngestion: true },
        );
        // Production retry timing: no retryDelayInMs.
        const connection = { credential: emulatorCredential, armEndpoint: emulator.url, logsQueryEndpoint: `${emulator.url}/v1`, trustedCertificatePem: emulator.certificatePem };
        // Each vault's change time, from the events as the event path receives them.
        const changedAt = new Map<string, number>();
        const queue = await connectEventQueue(azurite.connectionString);
        const observed: WatchedQueue = {
          queueName: queue.queueName,
          receive: async (max, visibility) => {
            const messages = await queue.receive(max, visibility);
            for (const message of messages) {
              const event = parseAzureEvent(JSON.parse(message.text));
              const vault = typeof event === 'string' ? null : resourceIdUnder(event.subject, vaultTypes);
              if (vault && typeof event !== 'string') changedAt.set(vault, Math.min(changedAt.get(vault) ?? Infinity, Date.parse(event.eventTime)));
            }
            return messages;
          },
          // The messages handed back are the ones receive gave.
          remove: (message) => queue.remove(message as QueuedMessage),
          retryLater: (message, seconds) => queue.retryLater(message as QueuedMessage, seconds),
          poison: (message) => queue.poison(message as QueuedMessage),
          count: () => queue.count(),
        };
        const discard = { write: () => true };
        const watched = await watchEvents({
          io: { stdout: discard, stderr: { write: (text: string) => process.stderr.write(`  event leg: ${text}`) }, env: {}, cwd: repoRoot },
          emulator,
          queue: observed,
          host: readHostQueueSettings(resolve(repoRoot, 'host.json')),
          settings,
          connection,
          state: null,
          findings: [],
          signal: new AbortController().signal,
        });

        // Each finding row's acceptance time: batches and rows are both kept in arrival order.
        const rows = emulator.rows(findingsTable.streamName);
        const acceptedAt: number[] = [];
        for (const batch of emulator.ingestionLog) if (batch.stream === findingsTable.streamName) for (let i = 0; i < batch.rows; i++) acceptedAt.push(batch.acceptedAtMs);
        const failAt = new Map<string, number>();
        rows.forEach((row, i) => {
          const id = normalizeResourceId(String(row['ResourceId']));
          if (row['Status'] === 'Fail' && !failAt.has(id)) failAt.set(id, acceptedAt[i]!);
        });
        const latencies: number[] = [];
        const problems: string[] = [];
        for (const id of chosen) {
          const changed = changedAt.get(id);
          const failed = failAt.get(id);
          if (changed === undefined) problems.push(`${id}: no event reached the queue`);
          else if (failed === undefined) problems.push(`${id}: no Fail finding was accepted`);
          else latencies.push((failed - changed) / 1000);
        }
        latencies.sort((a, b) => a - b);
        return {
          vaults: chosen.length,
          measured: latencies.length,
          p50Seconds: latencies.length ? percentile(latencies, 50) : Number.NaN,
          p95Seconds: latencies.length ? percentile(latencies, 95) : Number.NaN,
          maxSeconds: latencies.at(-1) ?? Number.NaN,
          eventsDelivered: emulator.stats.eventsDelivered,
          poisoned: watched.poisoned,
          problems: problems.slice(0, 5).concat(problems.length > 5 ? [`and ${problems.length - 5} more`] : []),
        };
      } finally {
        await emulator.close();
      }
    } finally {
      await azurite.close();
    }
  },
});
