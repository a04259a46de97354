import type { InventoryItem } from '../azure/inventory.js';
import type { Finding } from '../control/auditLogging.js';
import type { ScanMode } from '../findings/schema.js';
import type { ResourceState } from '../state/resourceStates.js';
import { type ScanState, findingFingerprint, recordFingerprint } from '../state/scanState.js';

/*
 * Incremental scans, decided: whether a scheduled scan may build on the last one, and which resources it must read
 * through ARM. Pure functions of the last scan's state and what this scan has learned; runScan acts on them.
 *
 * A scan is incremental only when it can trust the state it builds on: one exists, was made with the same scope,
 * settings and scanner version, a full scan ran within the interval, and the rows the last scan wrote are known to
 * have arrived (or can be written again). Anything else is a full scan, which is always correct.
 */

export interface HistoryPolicy {
  /** A full scan at least this often (ms). */
  readonly fullIntervalMs: number;
  /** How far before the last scan's start the Activity Log is read again (ms): it lags, without a documented bound. */
  readonly overlapMs: number;
  /** Read the Activity Log from this time instead (kv-audit scan --since). */
  readonly since?: Date;
}

/**
 * How many of the last scan's rows Log Analytics holds: `confirmed` all, `lost` fewer (it answered 204 and dropped
 * some), `unknown` when it cannot be asked, or `nothing-written` when the last scan wrote nothing.
 */
export type Landing = 'confirmed' | 'lost' | 'unknown' | 'nothing-written';

export interface ModeChoice {
  readonly mode: Extract<ScanMode, 'Full' | 'Incremental'>;
  /** Why, in words for the log. */
  readonly why: string;
  /** Rows of the last scan to write again: they did not all arrive. */
  readonly rewrite: readonly unknown[];
}

export function chooseMode(previous: ScanState | null, basis: string, now: Date, landing: Landing, policy: HistoryPolicy): ModeChoice {
  const full = (why: string): ModeChoice => ({ mode: 'Full', why, rewrite: [] });
  if (previous === null) return full('no state from an earlier scan');
  if (previous.basis !== basis) return full("the scope, the settings that shape findings or the scanner's version changed");
  if (now.getTime() - Date.parse(previous.lastFullAt) >= policy.fullIntervalMs) return full('a full scan is due');
  switch (landing) {
    case 'unknown':
      return full("the last scan's rows cannot be confirmed to have arrived in Log Analytics");
    case 'lost':
      return previous.written === null
        ? full("the last scan's rows did not all arrive in Log Analytics, and it wrote too many to write again")
        : { mode: 'Incremental', why: "the last scan's rows did not all arrive: they are written again", rewrite: previous.written };
    case 'confirmed':
    case 'nothing-written':
      return { mode: 'Incremental', why: `building on scan ${previous.scanId}`, rewrite: [] };
  }
}

/** What this scan learned that may make a carried-forward finding wrong. */
export interface ChangeSignals {
  /** Resources (normalized ids) the Activity Log names as changed since the last scan, less the overlap. */
  readonly changed: ReadonlySet<string>;
  /** Subscriptions whose Activity Log could not be read: each of their resources is read again. */
  readonly unreadLogs: ReadonlySet<string>;
  /** Destinations that differ from what the last scan confirmed: existence, firewall, region or retention. */
  readonly destinationsChanged: ReadonlySet<string>;
  /** Today, UTC (YYYY-MM-DD): an exemption that ended before it changes the finding. */
  readonly today: string;
}

/** Why a resource must be read through ARM in an incremental scan, or null when its last finding carries forward. */
export function readReason(item: InventoryItem, previous: ResourceState | undefined, signals: ChangeSignals, id: string): string | null {
  if (previous === undefined) return 'new in scope';
  if (previous.readFailed) return 'its last read failed';
  if (signals.changed.has(id)) return 'the Activity Log names it';
  if (signals.unreadLogs.has(item.resource.subscriptionId.toLowerCase())) return "its subscription's Activity Log could not be read";
  if (recordFingerprint(item.resource) !== previous.record) return 'its Resource Graph record (tags, name or location) changed';
  if (previous.exemptionUntil !== null && previous.exemptionUntil < signals.today) return 'its exemption ended';
  if (previous.destinations.some((d) => signals.destinationsChanged.has(d))) return 'a destination of its audit logs appeared, disappeared or changed';
  return null;
}

/** The state a resource leaves after it was evaluated. */
export function resourceState(item: InventoryItem, finding: Finding, destinations: readonly string[], readFailed: boolean): ResourceState {
  const exemption = finding.Exemption;
  return {
    finding: findingFingerprint(finding),
    status: finding.Status,
    record: recordFingerprint(item.resource),
    destinations: [...destinations],
    exemptionUntil: exemption?.State === 'Active' ? exemption.Until : null,
    readFailed,
  };
}
