import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { VaultResource } from '../control/auditLogging.js';
import { type ControlStatus, type FindingRow, controlStatuses } from '../findings/schema.js';

/*
 * What one scheduled scan leaves for the next, so that the next can read through ARM only what may have changed
 * and carry every other resource's finding forward. Per resource it keeps what would make the finding change
 * without anything in the Activity Log saying so: its Resource Graph record (tags, so exemptions), the
 * destinations its audit logs go to (confirmed again when the Activity Log names them, or every scan when they can
 * change without ARM), when its exemption ends, and
 * whether its last read failed. The finding itself is kept as a fingerprint: a new finding is written only when
 * its content differs. Findings of the last scan are kept whole when they are few, to write them again should
 * Log Analytics turn out not to have stored them.
 */

export const scanStateVersion = 3;

const resourceStateSchema = z.strictObject({
  /** Fingerprint of the finding's content (everything but TimeGenerated and ScanId). */
  finding: z.string(),
  status: z.enum(controlStatuses),
  /** Fingerprint of the Resource Graph record the finding was made from (name, type, location, tags). */
  record: z.string(),
  /** Audit destinations (normalized ids) whose existence the finding rests on. */
  destinations: z.array(z.string()),
  /** The exemption's last day (YYYY-MM-DD), when the finding rests on an active one. */
  exemptionUntil: z.string().nullable(),
  /** The last read failed in a way the next may not: read again. */
  readFailed: z.boolean(),
});
export type ResourceState = z.infer<typeof resourceStateSchema>;


export const scanStateSchema = z.strictObject({
  version: z.literal(scanStateVersion),
  scanId: z.uuid(),
  /** When the scan began: the next one looks for changes since then (less an overlap). */
  startedAt: z.iso.datetime(),
  /** When the last full scan began: a full one is due again after the configured interval. */
  lastFullAt: z.iso.datetime(),
  /** Fingerprint of what shapes findings besides Azure (scope, policy settings, scanner version): a change means a full scan. */
  basis: z.string(),
  resources: z.record(z.string(), resourceStateSchema),
  /** Each destination as the scan confirmed it (existence, firewall, region, retention), as a fingerprint. */
  destinations: z.record(z.string(), z.string()),
  /** Destinations whose facts can change without an ARM write, so without an Activity Log entry: confirmed every scan. */
  destinationsChangedWithoutArm: z.array(z.string()),
  /** How many finding rows (Removed rows included) the scan wrote. */
  writtenCount: z.int().nonnegative(),
  /** The rows the scan wrote, when few enough to keep; null when it wrote more (it was full). */
  written: z.array(z.unknown()).nullable(),
});
export type ScanState = z.infer<typeof scanStateSchema>;

/** The rows of a scan kept for writing again, at most: an incremental scan's changes fit, a full scan's do not. */
export const maxKeptRows = 5_000;

const sha = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

/** JSON with object keys sorted, so that equal content gives equal text whatever order it was built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The finding's content: what a query can read from it, the scan's own fields aside. */
export function findingFingerprint(finding: Omit<FindingRow, 'TimeGenerated' | 'ScanId'>): string {
  return sha(canonical(finding));
}

/** The Resource Graph record a finding was made from. */
export function recordFingerprint(resource: VaultResource): string {
  const { name, type, location, tenantId, tags } = resource;
  return sha(canonical({ name, type, location, tenantId, tags }));
}

/** What shapes findings besides Azure; any change makes the next scan full. */
export function basisFingerprint(parts: Readonly<Record<string, unknown>>): string {
  return sha(canonical(parts));
}

export const isControlStatus = (status: string): status is ControlStatus => (controlStatuses as readonly string[]).includes(status);
