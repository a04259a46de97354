import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { VaultResource } from '../control/auditLogging.js';
import type { FindingRow } from '../findings/schema.js';
import { describeError } from '../errors.js';
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

/**
 * The state as it is stored: a first line of JSON (this envelope), then one line per resource (resourceStates.ts),
 * read and written as a stream.
 */
const envelopeSchema = z.strictObject({
  version: z.literal(scanStateVersion),
  scanId: z.uuid(),
  /** When the scan began: the next one looks for changes since then (less an overlap). */
  startedAt: z.iso.datetime(),
  /** When the last full scan began: a full one is due again after the configured interval. */
  lastFullAt: z.iso.datetime(),
  /** Fingerprint of what shapes findings besides Azure (scope, policy settings, scanner version): a change means a full scan. */
  basis: z.string(),
  /** Each destination as the scan confirmed it (existence, firewall, region, retention), as a fingerprint. */
  destinations: z.record(z.string(), z.string()),
  /** Destinations whose facts can change without an ARM write, so without an Activity Log entry: confirmed every scan. */
  destinationsChangedWithoutArm: z.array(z.string()),
  /** How many finding rows (Removed rows included) the scan wrote. */
  writtenCount: z.int().nonnegative(),
  /** The rows the scan wrote, when few enough to keep; null when it wrote more (it was full). */
  written: z.array(z.unknown()).nullable(),
  /** The destination ids the resource lines refer to by number. */
  resourceDestinations: z.array(z.string()),
  /** How many resource lines follow: fewer is a state cut short. */
  resourceCount: z.int().nonnegative(),
});

type Envelope = Omit<z.infer<typeof envelopeSchema>, 'resourceDestinations' | 'resourceCount'>;

/** The state in memory: the envelope, and each resource's state in a ResourceStates (which a scan updates in place). */
export type ScanState = Envelope & { readonly resources: ResourceStates };

/** The lines of a stream of UTF-8, as bytes (a newline byte is never part of a multi-byte character). */
async function* linesOf(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const bytes = rest.length > 0 ? Buffer.concat([rest, Buffer.from(chunk)]) : Buffer.from(chunk);
    let from = 0;
    for (let end = bytes.indexOf(10, from); end >= 0; end = bytes.indexOf(10, from)) {
      yield bytes.subarray(from, end);
      from = end + 1;
    }
    rest = bytes.subarray(from);
  }
  if (rest.length > 0) yield rest;
}

/** A stored state, read as it streams in: the state, or why it is not one this version reads. */
export async function readScanState(chunks: AsyncIterable<Buffer | string>): Promise<{ readonly state: ScanState } | { readonly problem: string }> {
  let envelope: z.infer<typeof envelopeSchema> | null = null;
  let reader: ReturnType<typeof ResourceStates.reader> | null = null;
  let read = 0;
  for await (const line of linesOf(chunks)) {
    if (envelope === null) {
      let raw: unknown;
      try {
        raw = JSON.parse(line.toString('utf8'));
      } catch (error) {
        return { problem: `its first line is not JSON (${describeError(error)})` };
      }
      const parsed = envelopeSchema.safeParse(raw);
      if (!parsed.success) return { problem: `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}` };
      envelope = parsed.data;
      reader = ResourceStates.reader(envelope.resourceDestinations);
      continue;
    }
    if (line.length === 0) continue;
    const problem = reader!.line(line);
    if (problem) return { problem: `resources: ${problem}` };
    read += 1;
  }
  if (envelope === null) return { problem: 'it is empty' };
  if (read !== envelope.resourceCount) return { problem: `it lists ${read} of the ${envelope.resourceCount} resources it counts (cut short?)` };
  const { resourceDestinations: _destinations, resourceCount: _count, ...rest } = envelope;
  return { state: { ...rest, resources: reader!.done() } };
}

/** The state as stored, in pieces of about a megabyte: never one string or buffer of the whole. */
export function* scanStateChunks(state: ScanState): Generator<Buffer> {
  const { resources, ...rest } = state;
  const stored = resources.stored();
  let chunk = `${JSON.stringify({ ...rest, resourceDestinations: stored.destinations, resourceCount: stored.resources })}\n`;
  for (const line of stored.lines()) {
    chunk += `${line}\n`;
    if (chunk.length >= 1 << 20) {
      yield Buffer.from(chunk, 'utf8');
      chunk = '';
    }
  }
  yield Buffer.from(chunk, 'utf8');
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
