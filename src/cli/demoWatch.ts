import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AzureConnection } from '../azure/clients.js';
import type { Settings } from '../config/settings.js';
import { auditLoggingControl } from '../control/auditLogging.metadata.js';
import { lastSegment, normalizeResourceId, resourceIdUnder } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import type { FindingRow } from '../findings/schema.js';
import { type AzureEvent, type EventOutcome, eventLabel, handleEventMessage } from '../scan/eventScan.js';
import { scanSucceeded } from '../scan/runScan.js';
import { scanDependencies } from '../scan/scanDependencies.js';
import { plural } from '../scan/summary.js';
import type { ScanState } from '../state/scanState.js';
import { printable } from './printable.js';
import type { CliIo } from './session.js';

/*
 * `kv-audit demo --watch`: after the first scan, the estate's timeline plays on the emulator; Event Grid (emulated)
 * puts each change into the kv-audit-events queue in Azurite, and this loop reads the queue the way the Functions
 * host's queue trigger does (host.json's settings), handing each message to the event path the deployed
 * kvAuditEvents function runs. Each event is printed with the finding it led to and how long after the change it was
 * written: what a security team gets within minutes instead of at the next scheduled scan.
 */

/** The queue reader the emulator package provides (the product has no Storage queue SDK: the host reads for it). */
export interface WatchedQueue {
  readonly queueName: string;
  receive(max: number, visibilityTimeoutSeconds: number): Promise<readonly WatchedMessage[]>;
  remove(message: WatchedMessage): Promise<void>;
  retryLater(message: WatchedMessage, visibilityTimeoutSeconds: number): Promise<void>;
  poison(message: WatchedMessage): Promise<void>;
  count(): Promise<number>;
}

export interface WatchedMessage {
  readonly dequeueCount: number;
  readonly text: string;
}

/** What the watch reads of the emulator: whether its history is over, and what Event Grid did. */
export interface WatchedEmulator {
  readonly changesToCome: number;
  readonly stats: { readonly eventsPublished: number; readonly eventsDelivered: number; readonly eventsDropped: number; readonly eventsDuplicated: number };
}

const timeSpan = z
  .string()
  .regex(/^\d{2}:\d{2}:\d{2}$/)
  .transform((text) => text.split(':').reduce((seconds, part) => seconds * 60 + Number(part), 0));

/** The queue trigger's settings in host.json: the watch reads the queue as the deployed host would. */
const hostQueueSettingsSchema = z.object({
  extensions: z.object({
    queues: z.object({ maxPollingInterval: timeSpan, batchSize: z.int().positive(), maxDequeueCount: z.int().positive(), visibilityTimeout: timeSpan }),
  }),
});
export type HostQueueSettings = z.infer<typeof hostQueueSettingsSchema>['extensions']['queues'];

export function readHostQueueSettings(hostJsonPath: string): HostQueueSettings {
  return hostQueueSettingsSchema.parse(JSON.parse(readFileSync(hostJsonPath, 'utf8'))).extensions.queues;
}

export interface WatchOptions {
  readonly io: CliIo;
  readonly emulator: WatchedEmulator;
  readonly queue: WatchedQueue;
  readonly host: HostQueueSettings;
  readonly settings: Settings;
  readonly connection: AzureConnection;
  /** The first scan's state: which vaults a deleted destination served. */
  readonly state: ScanState | null;
  /** The first scan's findings: each event's finding is shown against the one before it. */
  readonly findings: readonly FindingRow[];
  /** Ctrl+C. */
  readonly signal: AbortSignal;
}

export interface WatchResult {
  /** The scans the event path wrote (their findings are in the emulator's ingestion). */
  readonly scanIds: readonly string[];
  /** Messages whose evaluation was incomplete on their last attempt (moved to the poison queue). */
  readonly poisoned: number;
  /** Events Event Grid never delivered (`events:drop`). */
  readonly lost: number;
  /** Each resource's latest finding: the first scan's, or the event path's since. */
  readonly latest: ReadonlyMap<string, FindingRow>;
}

const vaultTypes = new Set(auditLoggingControl.resourceTypes);

/**
 * How long a received message stays hidden while it is handled: the host receives with a 10-minute lease, and
 * host.json's visibilityTimeout is the wait after a failed invocation (Azure/azure-webjobs-sdk#1040, a maintainer's
 * answer; Azure Storage's Get Messages takes no lease under 1 second).
 */
const handlingLeaseSeconds = 600;

/** "kv-checkout-prod/stream-to-siem" for a vault's diagnostic setting, the resource's name otherwise. */
function subjectName(subject: string): string {
  const vault = resourceIdUnder(subject, vaultTypes);
  const name = vault === null || vault === normalizeResourceId(subject) ? lastSegment(subject) : `${lastSegment(vault)}/${lastSegment(subject)}`;
  return printable(name);
}

const verdict = (finding: Pick<FindingRow, 'Status' | 'Reason'> | undefined) =>
  finding === undefined ? 'not seen before' : finding.Reason ? `${finding.Status} (${finding.Reason})` : finding.Status;

export const sameVerdict = (before: FindingRow | undefined, after: FindingRow) => before?.Status === after.Status && before.Reason === after.Reason;

/** "Pass (AuditLogsDelivered) → Fail (NoDiagnosticSettings)", or "…, unchanged". */
export function verdictChange(before: FindingRow | undefined, after: FindingRow): string {
  return sameVerdict(before, after) ? `${verdict(after)}, unchanged` : `${verdict(before)} → ${verdict(after)}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function watchEvents(options: WatchOptions): Promise<WatchResult> {
  const { io, emulator, queue, host, settings, connection, signal } = options;
  const latest = new Map(options.findings.map((finding) => [finding.ResourceId, finding]));
  const latencies: number[] = [];
  const scanIds: string[] = [];
  let poisoned = 0;
  const write = (line: string) => io.stdout.write(`${line}\n`);

  write(
    `\nWatching for changes: Event Grid delivers each one to the ${queue.queueName} queue (Azurite), read as the Functions host ` +
      `reads it (every ${host.maxPollingInterval} s at most) and evaluated by the event path. Ctrl+C stops.`,
  );

  function printOutcome(outcome: EventOutcome, findings: readonly FindingRow[]): void {
    if (outcome.kind === 'NotAnEvent') {
      io.stderr.write(`warning: queue message ignored: ${printable(outcome.why)}\n`);
      return;
    }
    const event: AzureEvent = outcome.event;
    const at = event.eventTime.slice(11, 19);
    write(`  ${at}  ${printable(event.data?.operationName ?? event.eventType)}  ${subjectName(event.subject)}`);
    if (outcome.kind === 'NamesNoVault') {
      write(`            changes no vault's finding`);
      return;
    }
    for (const finding of findings) {
      const changedAt = Date.parse(event.eventTime);
      const after = Date.parse(finding.TimeGenerated) - changedAt;
      if (Number.isFinite(after)) latencies.push(after);
      write(`            → ${printable(lastSegment(finding.ResourceId))}: ${verdictChange(latest.get(finding.ResourceId), finding)}, written ${seconds(after)} after the change`);
      latest.set(finding.ResourceId, finding);
    }
  }

  async function handle(message: WatchedMessage): Promise<void> {
    const findings: FindingRow[] = [];
    const log = { info: () => undefined, warn: (m: string) => void io.stderr.write(`warning: ${printable(m)}\n`) };
    const deps = scanDependencies(connection, settings, { ingest: true, log, onFinding: (finding) => findings.push(finding) });
    let failure: string | null = null;
    try {
      const outcome = await handleEventMessage(message.text, settings, deps, async () => options.state);
      printOutcome(outcome, findings);
      if (outcome.kind === 'Evaluated') {
        scanIds.push(outcome.result.scan.ScanId);
        if (!scanSucceeded(outcome.result)) failure = `event ${eventLabel(outcome.event)}: ${outcome.result.scan.Errors.join('; ') || 'findings not all written'}`;
      }
    } catch (error) {
      failure = describeError(error);
    }
    if (failure === null) return queue.remove(message);
    // As the host does: delivered again after the visibility timeout, parked in the poison queue past maxDequeueCount.
    if (message.dequeueCount >= host.maxDequeueCount) {
      poisoned += 1;
      io.stderr.write(`error: ${printable(failure)}; after ${message.dequeueCount} attempts the message goes to ${queue.queueName}-poison\n`);
      return queue.poison(message);
    }
    io.stderr.write(
      `warning: ${printable(failure)}; delivered again in ${host.visibilityTimeout} s (attempt ${message.dequeueCount} of ${host.maxDequeueCount})\n`,
    );
    return queue.retryLater(message, host.visibilityTimeout);
  }

  while (!signal.aborted) {
    const messages = await queue.receive(host.batchSize, handlingLeaseSeconds);
    for (const message of messages) await handle(message);
    if (messages.length > 0) continue;
    // Over once the timeline has played, every event it made is in the queue, and the queue is empty.
    if (emulator.changesToCome === 0 && (await queue.count()) === 0) break;
    await sleep(host.maxPollingInterval * 1000, undefined, { signal }).catch(() => undefined);
  }

  const { eventsPublished, eventsDelivered, eventsDropped, eventsDuplicated } = emulator.stats;
  if (signal.aborted) {
    const left = await queue.count();
    write(`\nStopped (Ctrl+C)${left > 0 ? `, with ${plural(left, 'message', 'messages')} not yet handled in the queue` : ''}.`);
  } else {
    write('\nThe timeline has played out and the queue is empty.');
  }
  write(
    `Event Grid: ${plural(eventsPublished, 'event', 'events')} published, ${plural(eventsDelivered, 'message', 'messages')} delivered ` +
      `(${plural(eventsDuplicated, 'duplicate', 'duplicates')}); the event path wrote ${plural(latencies.length, 'finding', 'findings')}.`,
  );
  if (latencies.length > 0) {
    const sorted = [...latencies].sort((a, b) => a - b);
    write(`Change → finding: median ${seconds(sorted[Math.floor((sorted.length - 1) / 2)]!)}, slowest ${seconds(sorted.at(-1)!)}.`);
  }
  if (eventsDropped > 0) {
    write(
      `${plural(eventsDropped, 'event was', 'events were')} lost before reaching the queue (events:drop): the event path never saw ` +
        `${eventsDropped === 1 ? 'it' : 'them'}; the next scheduled scan reads the Activity Log and catches what changed.`,
    );
  }
  return { scanIds, poisoned, lost: eventsDropped, latest };
}
