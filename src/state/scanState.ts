import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { VaultResource } from '../control/auditLogging.js';
import type { FindingRow } from '../findings/schema.js';
import { ResourceStates, fingerprintLength } from './resourceStates.js';

/*
 * What one scheduled scan leaves for the next, so that the next can read through ARM only what may have changed
 * and carry every other resource's finding forward. Per resource it keeps what would make the finding change
 * without anything in the Activity Log saying so: its Resource Graph record (tags, so exemptions), the
 * destinations its audit logs go to (confirmed again when the Activity Log names them, or every scan when they can
 * change without ARM), when its exemption ends, and
 * whether its last read failed. The finding itself is kept as a fingerprint: a new finding is written only when
 * its content differs. Findings of the last scan are kept whole when they are few, to write them again should
 * Log Analytics turn out not to have stored them. Per-resource states are kept compact (resourceStates.ts): a
 * million of them must fit one 2 GB instance with the scan itself.
 */

export const scanStateVersion = 4;

/** The state as it is stored; `resources` in the compact form resourceStates.ts reads and writes. */
const persistedStateSchema = z.strictObject({
  version: z.literal(scanStateVersion),
  scanId: z.uuid(),
  /** When the scan began: the next one looks for changes since then (less an overlap). */
  startedAt: z.iso.datetime(),
  /** When the last full scan began: a full one is due again after the configured interval. */
  lastFullAt: z.iso.datetime(),
  /** Fingerprint of what shapes findings besides Azure (scope, policy settings, scanner version): a change means a full scan. */
  basis: z.string(),
  resources: z.strictObject({ destinations: z.array(z.string()), ids: z.array(z.string()), entries: z.array(z.string()) }),
  /** Each destination as the scan confirmed it (existence, firewall, region, retention), as a fingerprint. */
  destinations: z.record(z.string(), z.string()),
  /** Destinations whose facts can change without an ARM write, so without an Activity Log entry: confirmed every scan. */
  destinationsChangedWithoutArm: z.array(z.string()),
  /** How many finding rows (Removed rows included) the scan wrote. */
  writtenCount: z.int().nonnegative(),
  /** The rows the scan wrote, when few enough to keep; null when it wrote more (it was full). */
  written: z.array(z.unknown()).nullable(),
});

/** The state in memory: as stored, with each resource's state in a ResourceStates (which a scan updates in place). */
export type ScanState = Omit<z.infer<typeof persistedStateSchema>, 'resources'> & { readonly resources: ResourceStates };

/** A stored state, read: the state, or why it is not one this version reads. */
export function parseScanState(raw: unknown): { readonly state: ScanState } | { readonly problem: string } {
  const parsed = persistedStateSchema.safeParse(raw);
  if (!parsed.success) return { problem: `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}` };
  const resources = ResourceStates.fromPersisted(parsed.data.resources);
  if (typeof resources === 'string') return { problem: `resources: ${resources}` };
  return { state: { ...parsed.data, resources } };
}

/**
 * The state as UTF-8 JSON, written in pieces: one string of a million resources' JSON would take some 150 MB of
 * heap (and past about three million, more than V8's longest string), a Buffer takes it outside the heap.
 */
export function serializeScanState(state: ScanState): Buffer {
  const { resources, ...envelope } = state;
  const { destinations, ids, entries } = resources.toPersisted();
  const pieces: Buffer[] = [];
  const text = (chunk: string) => pieces.push(Buffer.from(chunk, 'utf8'));
  const array = (values: readonly string[]) => {
    text('[');
    for (let from = 0; from < values.length; from += 10_000) {
      text(`${from > 0 ? ',' : ''}${values.slice(from, from + 10_000).map((v) => JSON.stringify(v)).join(',')}`);
    }
    text(']');
  };
  const head = JSON.stringify(envelope);
  text(`${head.slice(0, -1)},"resources":{"destinations":`);
  array(destinations);
  text(',"ids":');
  array(ids);
  text(',"entries":');
  array(entries);
  text('}}');
  return Buffer.concat(pieces);
}

/** The rows of a scan kept for writing again, at most: an incremental scan's changes fit, a full scan's do not. */
export const maxKeptRows = 5_000;

const sha = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, fingerprintLength);

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
