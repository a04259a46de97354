import { afterEach, describe, expect, it } from 'vitest';
import { createAzureClients } from '../../src/azure/clients.js';
import { createResourceGraphRunner, maxSubscriptionsPerRequest } from '../../src/azure/resourceGraph.js';
import { sleep as sleepFor } from '../../src/azure/backoff.js';
import { type Emulator, type EmulatorOptions, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { emulatorConnection, generatedEstate } from '../support/emulatorScan.js';
import { testEstate } from '../../packages/azure-emulator/test/testEstate.js';

/** The Resource Graph runner's edge paths, through the real ResourceGraphClient, with its waits recorded instead of slept. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A runner whose waits are recorded, and only really waited out when the emulator's clock must move on. */
async function runnerFor(options: EmulatorOptions, waitForReal = false) {
  emulator = await startEmulator(options);
  const waits: number[] = [];
  const clients = createAzureClients(emulatorConnection(emulator));
  const runner = createResourceGraphRunner(clients.resourceGraph, {
    sleep: async (ms) => {
      waits.push(ms);
      if (waitForReal) await sleepFor(ms);
    },
  });
  return { runner, waits, clients };
}

const vaultIds = "resources | where type =~ 'microsoft.keyvault/vaults' | project id | order by id asc";

describe('the Resource Graph runner', () => {
  it('waits out the quota window when x-ms-user-quota-remaining reaches 0, so the next request is not throttled', async () => {
    // One request per 300 ms window; ARG states the reset in whole seconds (00:00:01).
    const { runner, waits } = await runnerFor({ estate: testEstate, argQuota: { requests: 1, windowMs: 300 } }, true);
    await runner.queryAll('first', vaultIds, {});
    await runner.queryAll('second', vaultIds, {});
    expect(waits).toEqual([1_000]);
    expect(emulator?.stats).toMatchObject({ argRequests: 2, argThrottled: 0 });
  });

  it("waits until the window's earliest known end: the lowest of its answers' arrival plus resets-after, not the last one's", async () => {
    // Three requests per 2 s window, each answer 400 ms after it is sent: the window starts when the first is counted,
    // and every answer says 00:00:02. The third arrives 800 ms into the window: its own bound is 2.8 s, the first's 2 s.
    const { runner, waits } = await runnerFor(
      { estate: testEstate, argQuota: { requests: 3, windowMs: 2_000 }, faults: parseFaultSpec('latency:arg=400ms') },
      true,
    );
    for (const purpose of ['first', 'second', 'third', 'fourth']) await runner.queryAll(purpose, vaultIds, {});
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(1_000);
    expect(waits[0]).toBeLessThan(1_500);
    expect(emulator?.stats).toMatchObject({ argRequests: 4, argThrottled: 0 });
  });

  it('after a 429, retries once the reset time has passed; after seven, gives up naming the query and the throttling', async () => {
    const { runner, waits } = await runnerFor({ estate: testEstate, faults: parseFaultSpec('arg:429@1.0'), retryAfterSeconds: 3 });
    await expect(runner.queryAll('inventory query', vaultIds, {})).rejects.toMatchObject({
      name: 'KvAuditError',
      code: 'QueryFailed',
      message: expect.stringMatching(/^Azure Resource Graph inventory query: HTTP 429 RateLimiting/),
    });
    expect(waits).toEqual([3_000, 3_000, 3_000, 3_000, 3_000, 3_000]);
    expect(emulator?.stats.argRequests).toBe(7);
  });

  it('refuses a result whose pages end before the rows ARG counts (a page without its $skipToken)', async () => {
    const { runner } = await runnerFor({ estate: generatedEstate({ vaults: 1_200, subscriptions: 1 }), faults: parseFaultSpec('arg:notoken@1.0') });
    await expect(runner.queryAll('vault list', vaultIds, {})).rejects.toThrow(
      /^Azure Resource Graph vault list: paging ended at 1000 of the 1200 rows ARG counts$/,
    );
  });

  it('refuses a result ARG truncated without a $skipToken rather than returning part of it', async () => {
    const { runner } = await runnerFor({ estate: generatedEstate({ vaults: 1_200, subscriptions: 1 }) });
    await expect(runner.queryAll('capped query', "resources | project id | take 1100", {})).rejects.toThrow(
      /^Azure Resource Graph capped query: results were truncated at 1000 of \d+ rows and cannot be paged$/,
    );
  });

  it('pages through every row with $skipToken', async () => {
    const { runner, clients } = await runnerFor({ estate: generatedEstate({ vaults: 2_100, subscriptions: 1 }) });
    const rows = await runner.queryAll('vaults', vaultIds, {});
    expect(rows).toHaveLength(2_100);
    expect(clients.counters.argRequests).toBe(3);
  });

  it.each([
    { subscriptions: maxSubscriptionsPerRequest, requests: 1 },
    { subscriptions: maxSubscriptionsPerRequest + 1, requests: 2 },
  ])('sends $subscriptions subscriptions in $requests request(s)', async ({ subscriptions, requests }) => {
    const estate = generatedEstate({ vaults: subscriptions, subscriptions });
    const { runner, clients } = await runnerFor({ estate });
    const ids = [...new Set(estate.resources.map((r) => r.id.split('/')[2]!))];
    const rows = await runner.queryAll('vaults', vaultIds, { subscriptions: ids });
    expect(rows).toHaveLength(subscriptions);
    expect(clients.counters.argRequests).toBe(requests);
  });

  it('explains an invalid query with ARG\'s own details', async () => {
    const { runner } = await runnerFor({ estate: testEstate });
    await expect(runner.queryAll('broken query', 'resources | where', {})).rejects.toMatchObject({
      message: expect.stringMatching(/^Azure Resource Graph broken query: HTTP 400 BadRequest/),
      details: expect.arrayContaining([expect.stringMatching(/^InvalidQuery: /)]),
    });
  });
});
