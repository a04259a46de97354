import { afterEach, describe, expect, it } from 'vitest';
import type { ArmRead } from '../../src/azure/armDiagnosticSettings.js';
import { createArmReadQueue } from '../../src/azure/armReadQueue.js';
import { ArmReadPacer } from '../../src/azure/armReadPacer.js';
import { createAzureClients } from '../../src/azure/clients.js';
import { type Emulator, type EmulatorOptions, type Estate, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { emulatorConnection, generatedEstate } from '../support/emulatorScan.js';
import { inVirtualTime } from '../bench/scale/virtualTime.js';

/**
 * The ARM read queue through the real MonitorClient against the emulator's per-subscription read buckets:
 * which reads finish first, how many ran at once, how many ARM throttled.
 */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const vaultIds = (estate: Estate) => estate.resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults').map((r) => r.id);
const subscriptionOf = (id: string) => id.split('/')[2]!;

/** Reads every vault of `estate` through one queue; returns the ids in the order their reads finished. */
async function readAll(
  estate: Estate,
  ids: readonly string[],
  concurrency: number,
  options: Omit<EmulatorOptions, 'estate'>,
  queueOptions: { deadline?: number } = {},
) {
  emulator = await startEmulator({ estate, ...options });
  const clients = createAzureClients(emulatorConnection(emulator));
  const queue = createArmReadQueue(clients, clients.armReadPacer, { concurrency, ...queueOptions });
  const locationOf = new Map(estate.resources.map((r) => [r.id, r.location]));
  const finished: string[] = [];
  const reads = new Map<string, ArmRead>();
  await Promise.all(
    ids.map(async (id) => {
      reads.set(id, await queue.readSettings(id, locationOf.get(id) ?? 'westeurope'));
      finished.push(id);
    }),
  );
  return { finished, reads, stats: emulator.stats, counters: clients.counters };
}

describe('pacing ARM reads per subscription', () => {
  // One subscription with four times ARM's burst (here 10 reads, refilled at 25/s), then three small ones.
  const hot = generatedEstate({ vaults: 40, subscriptions: 1 });
  const quiet = generatedEstate({ vaults: 15, subscriptions: 4 });
  const quietIds = vaultIds(quiet).filter((id) => subscriptionOf(id) !== subscriptionOf(vaultIds(hot)[0]!));
  const estate: Estate = { ...hot, resources: [...hot.resources, ...quiet.resources.filter((r) => quietIds.includes(r.id))], diagnosticSettings: [] };
  const armReads = { bucketSize: 10, refillPerSecond: 25 };

  it('a subscription beyond its burst does not hold up the others, even when its reads were asked for first', async () => {
    const { finished, reads } = await readAll(estate, [...vaultIds(hot), ...quietIds], 4, { armReads, retryAfterSeconds: 1 });
    const lastQuiet = Math.max(...quietIds.map((id) => finished.indexOf(id)));
    const hotAfterQuiet = finished.slice(lastQuiet + 1);
    // Only the hot subscription, paced by its refill, is still being read after every quiet read is done.
    expect(hotAfterQuiet.length).toBeGreaterThan(20);
    expect(hotAfterQuiet.every((id) => vaultIds(hot).includes(id))).toBe(true);
    expect([...reads.values()].every((r) => r.evidence.state === 'Read')).toBe(true);
  });

  it('sends a read only when the bucket has a token: ARM throttles no more than a read or two while the pacer learns the bucket', async () => {
    const { stats, counters } = await readAll(estate, [...vaultIds(hot), ...quietIds], 4, { armReads, retryAfterSeconds: 1 });
    expect(stats.armRequests).toBe(vaultIds(hot).length + quietIds.length + stats.armThrottled);
    expect(stats.armThrottled).toBeLessThanOrEqual(2);
    expect(counters.armThrottled).toBe(stats.armThrottled);
  });

  it('never has more reads in flight than its concurrency', async () => {
    const ids = vaultIds(generatedEstate({ vaults: 30, subscriptions: 3 }));
    const { stats } = await readAll(generatedEstate({ vaults: 30, subscriptions: 3 }), ids, 3, { faults: parseFaultSpec('latency:arm=40ms') });
    expect(stats.armPeakConcurrency).toBe(3);
    expect(stats.armRequests).toBe(30);
  });

  it("a 429 puts the read back and holds only its subscription for the Retry-After; the read then succeeds", async () => {
    const throttledSubscription = subscriptionOf(quietIds[0]!);
    const { finished, reads, stats } = await readAll(estate, quietIds, 4, {
      faults: parseFaultSpec(`arm:429@0.5~${throttledSubscription}`),
      seed: 2,
      retryAfterSeconds: 1,
    });
    expect(stats.armThrottled).toBeGreaterThan(0);
    expect([...reads.values()].every((r) => r.evidence.state === 'Read' && !r.transientFailure)).toBe(true);
    // The other subscriptions finish first: their reads did not wait for the throttled one's second.
    const others = quietIds.filter((id) => subscriptionOf(id) !== throttledSubscription);
    expect(finished.slice(0, others.length).sort()).toEqual([...others].sort());
  });

  it('a subscription that keeps answering 429 gives its reads up as ReadFailed (throttled), after six tries each', async () => {
    const throttledSubscription = subscriptionOf(quietIds[0]!);
    const ids = quietIds.filter((id) => subscriptionOf(id) === throttledSubscription);
    const { reads, stats } = await readAll(estate, ids, 4, { faults: parseFaultSpec(`arm:429@1.0~${throttledSubscription}`), retryAfterSeconds: 0 });
    expect(stats.armRequests).toBe(ids.length * 6);
    expect([...reads.values()].map((r) => [r.evidence.state === 'Unreadable' && r.evidence.message, r.transientFailure])).toEqual(
      ids.map(() => [expect.stringMatching(/^HTTP 429 SubscriptionRequestsThrottled: .*\(throttled\)$/), true]),
    );
  });

  it('a 503 with Retry-After, which the SDK\'s exponential policy leaves alone, is waited out and read again', async () => {
    const { reads, stats } = await readAll(estate, quietIds, 4, { faults: parseFaultSpec('arm:503ra@0.5'), seed: 3 });
    expect(stats.faultsInjected).toBeGreaterThan(0);
    expect([...reads.values()].every((r) => r.evidence.state === 'Read' && !r.transientFailure)).toBe(true);
  });
});

describe("a resource provider's own throttle (ResourceRequestsThrottled)", () => {
  const quiet = generatedEstate({ vaults: 12, subscriptions: 2 });
  const ids = vaultIds(quiet);
  const [held, other] = [subscriptionOf(ids[0]!), subscriptionOf(ids[1]!)];
  // The held subscription's vaults are in two regions; Microsoft.Insights throttles one of them.
  const estate: Estate = {
    ...quiet,
    resources: quiet.resources.map((r, i) => (subscriptionOf(r.id) === held && i % 2 === 0 ? { ...r, location: 'northeurope' } : r)),
  };
  const inRegion = (location: string) => ids.filter((id) => subscriptionOf(id) === held && estate.resources.find((r) => r.id === id)?.location === location);

  it('holds only its subscription and region for the Retry-After; the rest are read at once', async () => {
    const throttledRegion = inRegion('westeurope');
    expect(throttledRegion.length).toBeGreaterThan(0);
    const { finished, reads } = await readAll(
      { ...estate, providerThrottling: [{ subscriptionId: held, location: 'westeurope', retryAfterSeconds: 1 }] },
      ids,
      4,
      {},
    );
    const unthrottled = ids.filter((id) => !throttledRegion.includes(id));
    expect(finished.slice(0, unthrottled.length).sort()).toEqual([...unthrottled].sort());
    expect([...reads.values()].every((r) => r.evidence.state === 'Read')).toBe(true);
  });

  it('a hold that ends after the scan\'s deadline gives those reads up at once, saying why, and reads everything else', async () => {
    const throttledRegion = inRegion('westeurope');
    const { reads } = await readAll(
      { ...estate, providerThrottling: [{ subscriptionId: held, location: 'westeurope', retryAfterSeconds: 300 }] },
      ids,
      4,
      {},
      { deadline: Date.now() + 20_000 },
    );
    const given = throttledRegion.map((id) => reads.get(id)!);
    expect(given.map((r) => [r.transientFailure, r.evidence.state === 'Unreadable' && r.evidence.message])).toEqual(
      throttledRegion.map(() => [true, expect.stringMatching(/^(HTTP 429 ResourceRequestsThrottled: .*\(throttled\)|not read: its resource provider \(ResourceRequestsThrottled\) throttles it until .*, after the scan's read budget ends)$/)]),
    );
    expect(ids.filter((id) => !throttledRegion.includes(id)).every((id) => reads.get(id)?.evidence.state === 'Read')).toBe(true);
    expect(other).not.toBe(held);
  });
});

/**
 * A Microsoft.Insights-like limit on one region: `takes(window)` reads a window (numbered from the first read),
 * counted as they arrive as the provider does (and the bench's simulated Azure), the rest refused until the window
 * ends. Reads all of `reads` through one queue in virtual time (the bench's clock: the same run every time, however
 * busy the machine); returns what each read gave, in how many windows the region was read, and how many were refused.
 */
async function readThroughProviderLimit(options: Parameters<typeof providerLimitRun>[0]) {
  return (await inVirtualTime(Date.UTC(2026, 0, 5, 9), () => providerLimitRun(options))).value;
}

async function providerLimitRun(options: {
  readonly windowMs: number;
  readonly takes: (window: number) => number;
  readonly reads: number;
  readonly concurrency: number;
  readonly answerMs: number;
  readonly refusalMs: number;
}) {
  const start = Date.now();
  const taken = new Map<number, number>();
  let first: number | null = null;
  let refused = 0;
  const pacer = new ArmReadPacer();
  const queue = createArmReadQueue({} as never, pacer, { concurrency: options.concurrency });
  const subscription = '33333333-0000-4000-8000-000000000000';
  const attempt = async () => {
    const at = Date.now();
    const window = Math.floor((at - start) / options.windowMs);
    first ??= window;
    taken.set(window, (taken.get(window) ?? 0) + 1);
    pacer.observed(subscription, { remainingReads: 200, remainingGlobalReads: null }, at);
    const within = taken.get(window)! <= options.takes(window - first);
    await new Promise((resolve) => setTimeout(resolve, within ? options.answerMs : options.refusalMs));
    if (within) return { value: 'read', throttle: null };
    refused += 1;
    return { value: 'refused', throttle: { scope: 'provider' as const, retryAfterMs: start + (window + 1) * options.windowMs - at } };
  };
  const values = await Promise.all(Array.from({ length: options.reads }, () => queue.run(subscription, 'westeurope', attempt, () => 'given up')));
  return { values, windowsRead: taken.size, refused };
}

const allRead = (reads: number) => Array.from({ length: reads }, () => 'read');

describe("a resource provider's limit per window, learned from its refusals", () => {
  it('after two refusals it sends the window its budget and waits for the next: every read lands, few are refused', async () => {
    // 2 reads of a region per 300 ms window. Unlearned, the 8 in flight would lose 6 a window, and the last reads be
    // given up after six refusals.
    const run = await readThroughProviderLimit({ windowMs: 300, takes: () => 2, reads: 24, concurrency: 8, answerMs: 10, refusalMs: 10 });
    expect(run.values).toEqual(allRead(24));
    // Two windows' bursts to learn it, and one read for every eight windows that try whether it takes more now.
    expect(run.refused).toBeLessThanOrEqual(2 * 8 + Math.ceil(24 / 2 / 8));
  });

  it("refusals that come back before the window's reads do: the budget is what the window took, not what had answered when the first refusal came", async () => {
    // 6 reads of a region per 400 ms window; a refusal takes 2 ms, a read 60 ms. Learning the budget from the answers
    // in when the first refusal came (none) would send one read a window: about 48 windows for these 48 reads.
    const run = await readThroughProviderLimit({ windowMs: 400, takes: () => 6, reads: 48, concurrency: 16, answerMs: 60, refusalMs: 2 });
    expect(run.values).toEqual(allRead(48));
    // The windows in which the region was read at all: its 8 windows' worth, and a few to learn in.
    expect(run.windowsRead).toBeLessThanOrEqual(48 / 6 + 4);
  });

  it.each([
    { scenario: 'the first window the scanner reads (no budget seen yet): it tries more each window that spends it', drained: 0, windowsAtMost: 24 },
    { scenario: 'a later window, after 6 a window were seen: the next window that spends its one read restores them', drained: 3, windowsAtMost: 16 },
  ])('others drained $scenario', async ({ drained, windowsAtMost }) => {
    // 6 reads a 300 ms window, none in the drained one (another principal took them all): refused at once, the
    // scanner learns a budget of one. Kept at one read a window, these 60 reads would take some 55 windows.
    const run = await readThroughProviderLimit({ windowMs: 300, takes: (window) => (window === drained ? 0 : 6), reads: 60, concurrency: 8, answerMs: 10, refusalMs: 10 });
    expect(run.values).toEqual(allRead(60));
    expect(run.windowsRead).toBeLessThanOrEqual(windowsAtMost);
  });
});
