import { afterEach, describe, expect, it } from 'vitest';
import { createAzureClients } from '../../src/azure/clients.js';
import { readInventoryPages } from '../../src/azure/inventory.js';
import {
  type InventoryPartition,
  bucketCount,
  bucketSizes,
  evenPartitions,
  halves,
  packedPartitions,
} from '../../src/azure/inventoryPartitions.js';
import { createResourceGraphRunner } from '../../src/azure/resourceGraph.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { type Emulator, type Estate, startEmulator } from '../support/emulator.js';
import { emulatorConnection, generatedEstate } from '../support/emulatorScan.js';

/** Every bucket of `mod`, each exactly once, across `partitions`. */
const bucketsCovered = (partitions: readonly InventoryPartition[]) => partitions.flatMap((p) => p.remainders).sort((a, b) => a - b);
const everyBucket = (mod: number) => Array.from({ length: mod }, (_, b) => b);

describe('packing sized buckets into partitions of one page', () => {
  it.each([
    { scenario: 'evenly filled buckets', sizes: new Map(everyBucket(40).map((b) => [b, 50])), mod: 40, partitions: 3 },
    { scenario: 'uneven buckets', sizes: new Map(everyBucket(40).map((b) => [b, 30 + ((b * 37) % 41)])), mod: 40, partitions: 3 },
    { scenario: 'buckets the sizing did not list (no vaults then)', sizes: new Map([[3, 400], [9, 500]]), mod: 12, partitions: 1 },
    { scenario: 'one bucket fuller than a page', sizes: new Map([[0, 1_200], [1, 10]]), mod: 2, partitions: 2 },
  ])('$scenario: every bucket in exactly one partition, none over 985 as sized', ({ sizes, mod, partitions }) => {
    const packed = packedPartitions(mod, sizes);
    expect(bucketsCovered(packed)).toEqual(everyBucket(mod));
    expect(packed).toHaveLength(partitions);
    const loads = packed.map((p) => p.remainders.reduce((sum, b) => sum + (sizes.get(b) ?? 0), 0));
    // A single bucket may hold more than a page; it is split when its partition comes back with more.
    expect(loads.filter((load, i) => load > 985 && packed[i]!.remainders.length > 1)).toEqual([]);
  });

  it('at 200,000 vaults in buckets of about 50, fills a page far better than equal slices of 900', () => {
    // A fixed, binomial-looking spread: 50 ± up to 12.
    const buckets = bucketCount(200_000);
    const sizes = new Map(everyBucket(buckets).map((b) => [b, 50 + ((b * 7919) % 25) - 12]));
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const packed = packedPartitions(buckets, sizes);
    expect(buckets).toBe(4_000);
    expect(packed.length).toBeLessThanOrEqual(Math.ceil(total / 970));
    expect(evenPartitions(total)).toHaveLength(Math.ceil(total / 900));
  });
});

describe('a partition that came back with more than a page', () => {
  it.each([
    { scenario: 'several buckets: halved by list', partition: { mod: 64, remainders: [1, 5, 9, 30, 41] }, into: [{ mod: 64, remainders: [1, 5, 9] }, { mod: 64, remainders: [30, 41] }] },
    { scenario: 'one bucket: twice the modulus', partition: { mod: 64, remainders: [5] }, into: [{ mod: 128, remainders: [5] }, { mod: 128, remainders: [69] }] },
    { scenario: 'the whole inventory', partition: { mod: 1, remainders: [0] }, into: [{ mod: 2, remainders: [0] }, { mod: 2, remainders: [1] }] },
  ])('$scenario', ({ partition, into }) => {
    expect(halves(partition)).toEqual(into);
  });
});

describe("the sizing query's answer", () => {
  it.each([
    { scenario: 'pairs of bucket and count', rows: [{ Sizes: [[0, 40], [3, 52]] }], sizes: new Map([[0, 40], [3, 52]]) },
    { scenario: 'no vaults at all (no row)', rows: [], sizes: new Map() },
    { scenario: 'a bucket beyond the modulus', rows: [{ Sizes: [[8, 1]] }], sizes: null },
    { scenario: 'a count that is not a count', rows: [{ Sizes: [[1, 'many']] }], sizes: null },
    { scenario: 'two rows', rows: [{ Sizes: [] }, { Sizes: [] }], sizes: null },
  ])('$scenario', ({ rows, sizes }) => {
    expect(bucketSizes(rows, 8)).toEqual(sizes);
  });
});

describe('the inventory sized and packed, through the real ResourceGraphClient and the emulator', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  async function listAll(estate: Estate) {
    emulator = await startEmulator({ estate, retryAfterSeconds: 0 });
    const runner = createResourceGraphRunner(createAzureClients(emulatorConnection(emulator)).resourceGraph);
    const ids: string[] = [];
    const problems: string[] = [];
    for await (const page of readInventoryPages(runner, { Kind: 'Tenant', Ids: [] }, { sizeFrom: 1_000 })) {
      ids.push(...page.items.map((item) => normalizeResourceId(item.resource.id)));
      problems.push(...page.problems);
    }
    return { ids, problems, queries: emulator.stats.argRequests };
  }

  it('2,500 vaults: a count, a sizing, then three partitions nearly a page each; every vault once', async () => {
    const estate = generatedEstate({ vaults: 2_500, subscriptions: 20 });
    const { ids, problems, queries } = await listAll(estate);
    expect(problems).toEqual([]);
    expect(ids).toHaveLength(2_500);
    expect(new Set(ids)).toEqual(new Set(estate.resources.filter((r) => r.type.startsWith('Microsoft.KeyVault/')).map((r) => normalizeResourceId(r.id))));
    expect(queries).toBe(5);
  });

  it('vaults made after the sizing overfill a packed partition: it is split, and every vault is listed once', async () => {
    const base = generatedEstate({ vaults: 1_900, subscriptions: 5 });
    const made = generatedEstate({ vaults: 400, subscriptions: 5 })
      .resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults')
      .map((r) => ({ ...r, id: r.id.replace(/kv-(\d+)$/, 'kv-new-$1'), name: r.name.replace('kv-', 'kv-new-') }));
    // After the count and the sizing (two pages), 400 more vaults: the two packed partitions of up to 985 cannot hold them.
    const { ids, problems, queries } = await listAll({ ...base, changesDuringScan: [{ afterArgPage: 2, create: made }] });
    expect(problems).toEqual([]);
    expect(ids).toHaveLength(2_300);
    expect(new Set(ids).size).toBe(2_300);
    expect(queries).toBeGreaterThan(4);
  });
});
