import { z } from 'zod';

/*
 * How the inventory is cut into queries of one page each (ARG returns at most 1,000 rows a page; inventory.ts says
 * why it is never paged). A vault belongs to the partition whose list holds hash(tolower(id), mod): every vault is in
 * exactly one partition, whatever else changes while the estate is listed.
 *
 * Once ARG's quota sets the pace (15 queries per 5 s per user, Learn: "Guidance for throttled requests"), every row
 * a partition leaves unused costs time. A hash spreads vaults over its remainders unevenly (binomially), so equal
 * slices must aim well under the page to rarely spill over one: 900, a tenth of every query wasted. Instead, one
 * sizing query counts the vaults in many small buckets, and the buckets are packed into partitions that nearly fill
 * a page, first-fit decreasing. It costs one query; at 200,000 vaults it saves about a fourteenth of the partitions
 * (205 queries against 223 in a simulation of the hash's spread).
 */

/** One slice of the inventory: the resources whose hash(tolower(id), mod) is one of `remainders`. */
export interface InventoryPartition {
  readonly mod: number;
  readonly remainders: readonly number[];
}

/**
 * Resources per partition aimed at without sizes: under a page, with room for the hash's spread (a partition of 900
 * holds more than 1,000 about once in 2,500) and for growth.
 */
const evenTarget = 900;

/** Resources a packed partition may hold as sized: the rest of the page is room for vaults made since. */
const packedCapacity = 985;

/** Vaults per sizing bucket aimed at: small enough to pack a page tightly, few enough for one sizing row. */
const bucketTarget = 50;

/** The estate is small enough for one query. */
export const fitsOnePage = (count: number) => count <= evenTarget;

/**
 * From how many resources a batch is sized: the sizing query pays for itself from about 12,000 (packing saves a
 * partition per some 11,000), and below 20,000 it would save one query at best.
 */
export const sizedFrom = 20_000;

/** One partition for everything. */
export const wholeInventory: InventoryPartition = { mod: 1, remainders: [0] };

/** Equal slices, used when the sizing query could not be answered. */
export function evenPartitions(count: number): InventoryPartition[] {
  const mod = Math.max(1, Math.ceil(count / evenTarget));
  return Array.from({ length: mod }, (_, remainder) => ({ mod, remainders: [remainder] }));
}

/** How many sizing buckets `count` vaults are counted in. */
export const bucketCount = (count: number) => Math.max(1, Math.ceil(count / bucketTarget));

const sizingRowsSchema = z.array(z.object({ Sizes: z.array(z.tuple([z.int().nonnegative(), z.int().nonnegative()])) })).max(1);

/** The sizing answer's counts by bucket (inventory.ts asks); null when it is not the shape the query asks for. */
export function bucketSizes(rows: readonly unknown[], buckets: number): Map<number, number> | null {
  const parsed = sizingRowsSchema.safeParse(rows);
  if (!parsed.success) return null;
  const sizes = new Map<number, number>();
  for (const [bucket, count] of parsed.data[0]?.Sizes ?? []) {
    if (bucket >= buckets) return null;
    sizes.set(bucket, count);
  }
  return sizes;
}

/**
 * Packs every bucket (those the sizing left out too, as empty: a vault made since is in one of them) into
 * partitions of at most `packedCapacity` as sized, largest first, each into the first partition it fits.
 */
export function packedPartitions(buckets: number, sizes: ReadonlyMap<number, number>): InventoryPartition[] {
  const order = Array.from({ length: buckets }, (_, bucket) => bucket).sort((a, b) => (sizes.get(b) ?? 0) - (sizes.get(a) ?? 0) || a - b);
  const bins: { load: number; remainders: number[] }[] = [];
  for (const bucket of order) {
    const size = sizes.get(bucket) ?? 0;
    const bin = bins.find((b) => b.load + size <= packedCapacity);
    if (bin) {
      bin.load += size;
      bin.remainders.push(bucket);
    } else bins.push({ load: size, remainders: [bucket] });
  }
  return bins.map((bin) => ({ mod: buckets, remainders: bin.remainders.sort((a, b) => a - b) }));
}

/**
 * A partition that came back with more than a page, in two: its buckets in two halves, or a single bucket by
 * twice the modulus (hash % 2m is r or r + m exactly when hash % m is r).
 */
export function halves({ mod, remainders }: InventoryPartition): [InventoryPartition, InventoryPartition] {
  if (remainders.length > 1) {
    const middle = Math.ceil(remainders.length / 2);
    return [
      { mod, remainders: remainders.slice(0, middle) },
      { mod, remainders: remainders.slice(middle) },
    ];
  }
  const [remainder] = remainders as [number];
  return [
    { mod: mod * 2, remainders: [remainder] },
    { mod: mod * 2, remainders: [remainder + mod] },
  ];
}

/** `3/8`, or `20 buckets of 4000 from 17`, for errors. */
export function describePartition({ mod, remainders }: InventoryPartition): string {
  return remainders.length === 1 ? `${remainders[0]}/${mod}` : `${remainders.length} buckets of ${mod} from ${remainders[0]}`;
}
