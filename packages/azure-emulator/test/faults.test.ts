import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, type Fault, isEmulatorInputError, parseFaultSpec } from '../src/index.js';
import { bearer, findingsStream, gzipJson, rawRequest, restError, sdkClients, startTestEmulator } from './support.js';
import { ids, subs, testEstate } from './testEstate.js';

/** Injected faults: the spec, reproducible decisions, and what each fault looks like on the wire. */

describe('parseFaultSpec', () => {
  it('parses every kind of item', () => {
    expect(
      parseFaultSpec(
        `arg:429@0.3, arm:500@0.2,arm:reset@0.05,ingest:503@1,latency:arm=200ms,arm:502@1.0~${subs.apps.toUpperCase()},events:drop@0.1,events:dup@0.2,events:reorder@0.3,latency:events=5000ms`,
      ),
    ).toEqual<Fault[]>([
      { kind: 'failure', service: 'arg', outcome: 429, probability: 0.3, subscriptionId: null },
      { kind: 'failure', service: 'arm', outcome: 500, probability: 0.2, subscriptionId: null },
      { kind: 'failure', service: 'arm', outcome: 'reset', probability: 0.05, subscriptionId: null },
      { kind: 'failure', service: 'ingest', outcome: 503, probability: 1, subscriptionId: null },
      { kind: 'latency', service: 'arm', ms: 200 },
      { kind: 'failure', service: 'arm', outcome: 502, probability: 1, subscriptionId: subs.apps },
      { kind: 'failure', service: 'events', outcome: 'drop', probability: 0.1, subscriptionId: null },
      { kind: 'failure', service: 'events', outcome: 'dup', probability: 0.2, subscriptionId: null },
      { kind: 'failure', service: 'events', outcome: 'reorder', probability: 0.3, subscriptionId: null },
      { kind: 'latency', service: 'events', ms: 5000 },
    ]);
  });

  it.each([['an empty spec', ''], ['only separators', ' , ,']])('%s: no faults', (_scenario, spec) => {
    expect(parseFaultSpec(spec)).toEqual([]);
  });

  it('reports every bad item at once as InvalidFaults', () => {
    const spec = `arg:429@0.3,dns:500@0.1,arm:418@0.5,arm:500@1.5,ingest:500@0.1~${subs.apps},arm:500@0.5~not-a-guid,latency:arm=fast,arm:500,arg:rpthrottle@0.1,arm:drop@0.1,events:500@0.1,events:reset@0.1,arm:dup@0.1,ingest:reorder@0.1`;
    let thrown: unknown;
    try {
      parseFaultSpec(spec);
    } catch (error) {
      thrown = error;
    }
    expect(isEmulatorInputError(thrown) && thrown.code).toBe('InvalidFaults');
    expect(isEmulatorInputError(thrown) && thrown.details).toEqual([
      "'dns:500@0.1': unknown service 'dns' (arg, arm, ingest or events)",
      "'arm:418@0.5': unknown outcome '418' (429, 500, 502, 503, 504, reset, 429ra, 503ra, rpthrottle, drop, dup, reorder, notoken, duprow)",
      "'arm:500@1.5': probability '1.5' is not a number from 0 to 1",
      `'ingest:500@0.1~${subs.apps}': a subscription filter applies only to arm faults`,
      "'arm:500@0.5~not-a-guid': 'not-a-guid' is not a subscription id",
      "'latency:arm=fast': expected service:status@probability[~subscriptionId] or latency:service=<n>ms",
      "'arm:500': expected service:status@probability[~subscriptionId] or latency:service=<n>ms",
      "'arg:rpthrottle@0.1': outcome 'rpthrottle' applies to arm only",
      "'arm:drop@0.1': outcome 'drop' applies to ingest and events only",
      "'events:500@0.1': outcome '500' applies to arg, arm and ingest only",
      "'events:reset@0.1': outcome 'reset' applies to arg, arm and ingest only",
      "'arm:dup@0.1': outcome 'dup' applies to events only",
      "'ingest:reorder@0.1': outcome 'reorder' applies to events only",
    ]);
  });
});

const readPath = (resourceId: string) => `${resourceId}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`;

/** Statuses of a fixed sequence of reads, retries of the same resource included. */
async function statusesOf(emulator: Emulator): Promise<number[]> {
  const sequence = [ids.kvA, ids.kvB, ids.hsm, ids.kvA, ids.kvA, ids.kvB, ids.hsm, ids.kvA, ids.kvB, ids.hsm, ids.kvA, ids.kvB];
  const statuses: number[] = [];
  for (const id of sequence) statuses.push((await rawRequest(emulator, { method: 'GET', path: readPath(id), headers: bearer })).status);
  return statuses;
}

describe('reproducible decisions', () => {
  const emulators: Emulator[] = [];
  const start = async (seed: number) => {
    const emulator = await startTestEmulator({ estate: testEstate, faults: parseFaultSpec('arm:500@0.5'), seed });
    emulators.push(emulator);
    return emulator;
  };
  afterAll(() => Promise.all(emulators.map((e) => e.close())));

  it('the same seed fails the same requests; another seed fails others', async () => {
    const [first, again, other] = [await start(7), await start(7), await start(8)];
    const statuses = await statusesOf(first);
    expect(await statusesOf(again)).toEqual(statuses);
    expect(await statusesOf(other)).not.toEqual(statuses);
    expect(new Set(statuses)).toEqual(new Set([200, 500]));
    expect(first.stats.faultsInjected).toBe(statuses.filter((s) => s === 500).length);
  });
});

describe('faults on the wire', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({
      estate: testEstate,
      faults: parseFaultSpec(`arm:reset@1~${subs.logging},arm:503@1~${subs.empty},ingest:429@1,arg:429@1`),
      retryAfterSeconds: 0,
    });
  });
  afterAll(() => emulator.close());

  it('reset: the connection drops mid-response', async () => {
    await expect(rawRequest(emulator, { method: 'GET', path: readPath(ids.hsm), headers: bearer })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('the SDK does not retry a response cut mid-body: it fails at once with PARSE_ERROR (the scanner must handle it)', async () => {
    const before = emulator.stats.armRequests;
    const error = await restError(
      (async () => {
        for await (const setting of sdkClients(emulator, 2).monitor.diagnosticSettings.list(ids.hsm)) void setting;
      })(),
    );
    expect(error.code).toBe('PARSE_ERROR');
    expect(emulator.stats.armRequests - before).toBe(1);
  });

  it.each([
    ['a subscription with a persistent outage: 503', `/subscriptions/${subs.empty}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-none`, 503],
    ['another subscription is unaffected: 200', ids.kvA, 200],
  ])('%s', async (_scenario, resourceId, status) => {
    expect((await rawRequest(emulator, { method: 'GET', path: readPath(resourceId), headers: bearer })).status).toBe(status);
  });

  it('an injected ingestion 429 carries Retry-After, which the SDK honours until its retries are spent', async () => {
    const before = emulator.stats;
    const error = await sdkClients(emulator, 2)
      .ingestion.upload(emulator.dcrImmutableId, findingsStream, [{ Status: 'Pass' }])
      .catch((e: unknown) => e as { errors: { cause: { statusCode: number } }[] });
    expect(error?.errors[0]?.cause.statusCode).toBe(429);
    expect(emulator.stats.ingestRequests - before.ingestRequests).toBe(3);
    expect(emulator.stats.ingestThrottled - before.ingestThrottled).toBe(3);
    const raw = await rawRequest(emulator, {
      method: 'POST',
      path: `/dataCollectionRules/${emulator.dcrImmutableId}/streams/${findingsStream}?api-version=2023-01-01`,
      headers: { ...bearer, 'content-encoding': 'gzip', 'content-type': 'application/json' },
      body: gzipJson([]),
    });
    expect([raw.status, raw.headers['retry-after']]).toEqual([429, '0']);
    expect(emulator.rows(findingsStream)).toEqual([]);
  });

  it('an injected ARG 429 looks like the real one: RateLimiting, quota headers, no Retry-After', async () => {
    const seen: (string | undefined)[][] = [];
    const error = await restError(
      sdkClients(emulator).resourceGraph.resources(
        { query: 'resources | project id' },
        { onResponse: (raw) => seen.push([raw.headers.get('x-ms-user-quota-remaining'), raw.headers.get('x-ms-user-quota-resets-after'), raw.headers.get('retry-after')]) },
      ),
    );
    expect(error).toMatchObject({ statusCode: 429, code: 'RateLimiting' });
    expect(seen).toEqual([['0', '00:00:00', undefined]]);
  });
});
