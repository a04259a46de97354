import { ActivityLog } from './activityLog.js';
import type { Estate, EstateChange } from './estate.js';
import { applyEstateChange } from './estateChanges.js';
import { type EventDelivery, eventGridEvent, passesEventSubscriptionFilter } from './eventGrid.js';
import { seededGuid } from './random.js';

/*
 * What the estate goes through over time, on the emulator's clock: the timeline still to come, and every change
 * applied (timeline, changesDuringScan, writes the emulator serves) turned into ARM operations that the Activity Log
 * keeps and Event Grid delivers. Every id (correlation, event, entry) is drawn from the seed and the operation's
 * rank, so a seed reproduces the same events, and the same fault decisions on them.
 */

type TimelineEntry = NonNullable<Estate['timeline']>[number];

export interface HistoryOptions {
  /** The emulator's clock, in milliseconds since the epoch. */
  readonly clock: () => number;
  readonly seed: number;
  readonly tenantId: string;
  /** Where Event Grid delivers; null when the emulator has no `events` option (the Activity Log still records). */
  readonly events: EventDelivery | null;
  /** The timeline waits for `play()` instead of starting with the emulator. */
  readonly holdTimeline?: boolean;
}

export class EstateHistory {
  readonly activityLog: ActivityLog;
  /** The clock's reading when the timeline started: its entries are due `afterSeconds` after it; null while held. */
  private startedAtMs: number | null;
  private readonly timeline: TimelineEntry[];
  private operations = 0;

  constructor(
    estate: Estate,
    private readonly options: HistoryOptions,
  ) {
    this.startedAtMs = options.holdTimeline ? null : options.clock();
    this.timeline = [...(estate.timeline ?? [])];
    this.activityLog = new ActivityLog({
      tenantId: options.tenantId,
      delayMs: (estate.activityLogDelaySeconds ?? 0) * 1000,
      pageSize: estate.activityLogPageSize ?? 200,
    });
  }

  /**
   * Applies a change: its operations reach the Activity Log and, through the subscription's filter, Event Grid. A
   * timeline entry's operations happened at its time, however late the emulator noticed; others happen now.
   */
  apply(estate: Estate, change: EstateChange): Estate {
    const nowMs =
      'afterSeconds' in change && typeof change.afterSeconds === 'number' && this.startedAtMs !== null
        ? this.startedAtMs + change.afterSeconds * 1000
        : this.options.clock();
    const { estate: next, operations } = applyEstateChange(estate, change);
    for (const operation of operations) {
      const rank = (this.operations += 1);
      const id = (what: string) => seededGuid(`${this.options.seed}|${what}|${rank}`);
      const correlationId = id('correlation');
      const clientRequestId = id('request');
      this.activityLog.record(operation, nowMs, { correlationId, clientRequestId, eventDataIds: [id('started'), id('succeeded')] });
      if (this.options.events && passesEventSubscriptionFilter(operation)) {
        this.options.events.publish(eventGridEvent(operation, nowMs, { id: id('event'), correlationId, clientRequestId }, this.options.tenantId), nowMs);
      }
    }
    return next;
  }

  /** The timeline entries the clock has passed, in order; they are no longer to come. */
  due(): TimelineEntry[] {
    if (this.startedAtMs === null) return [];
    const elapsedMs = this.options.clock() - this.startedAtMs;
    const count = this.timeline.findIndex((entry) => entry.afterSeconds * 1000 > elapsedMs);
    return this.timeline.splice(0, count < 0 ? this.timeline.length : count);
  }

  /** Starts a held timeline now; a timeline already playing goes on as it was. */
  play(): void {
    this.startedAtMs ??= this.options.clock();
  }

  /** Timeline entries not yet applied, and event deliveries not yet sent (dropped ones are never sent). */
  get toCome(): number {
    return this.timeline.length + (this.options.events?.undelivered ?? 0);
  }

  /** Sends the event deliveries due now. */
  deliver(): void {
    this.options.events?.pump(this.options.clock());
  }
}
