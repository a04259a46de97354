// First: the Logs Ingestion client's gzip must be synchronous before any module captures zlib.gzip (virtualTime.ts).
import './syncGzip.js';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { MonitorClient } from '@azure/arm-monitor';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inventoryCountQuery, inventoryQuery, inventorySizingQuery } from '../../../src/azure/inventory.js';
import { loadSettings } from '../../../src/config/settings.js';
import { runScan } from '../../../src/scan/runScan.js';
import { scanDependencies } from '../../../src/scan/scanDependencies.js';
import { type Emulator, emulatorCredential, startEmulator } from '../../support/emulator.js';
import { type GeneratedEstateSpec, estateShape, generateEstate } from '../../support/generatedEstate.js';
import { prowlerStyleScan, sequentialScan } from './baselines.js';
import { floorOf, floorSubscriptionsOf } from './floor.js';
import { incrementalLeg, planChanges, simulationOptions } from './incremental.js';
import { drawModel } from './model.js';
import { simulatedAzure, simulatedDcr, simulatedEndpoint, simulatedIngestionEndpoint } from './simulatedAzure.js';
import { inVirtualTime } from './virtualTime.js';

/*
 * The benchmark's harness at a small scale, in a few seconds: the simulated Azure speaks the emulator's wire
 * contract, the real scan in virtual time gives every vault its expected verdict, the same seed gives the same
 * scan, and the baselines run on the same model. The figures themselves belong to `npm run bench`.
 */

const spec: GeneratedEstateSpec = { vaults: 400, subscriptions: 5, largestSubscription: 250, seed: 11 };
const epoch = Date.UTC(2026, 0, 5, 9, 0, 0);
const floor = floorOf(drawModel(5), floorSubscriptionsOf(estateShape(spec), drawModel(5)));

async function virtualScan(seed: number) {
  const shape = estateShape(spec);
  const azure = simulatedAzure(shape, drawModel(seed), epoch);
  const settings = loadSettings(
    { ...shape.env, KV_AUDIT_LOGS_INGESTION_ENDPOINT: simulatedIngestionEndpoint, KV_AUDIT_DCR_IMMUTABLE_ID: simulatedDcr },
    { requireIngestion: true },
  );
  const run = await inVirtualTime(epoch, async () => {
    const deps = scanDependencies({ credential: emulatorCredential, armEndpoint: simulatedEndpoint, httpClient: azure.httpClient }, settings, {
      ingest: true,
      log: { info: () => {}, warn: () => {} },
    });
    return runScan(settings, 'Cli', deps);
  });
  const { ScanId, StartedAt, FinishedAt, TimeGenerated, ...scan } = run.value.scan;
  return { virtualMs: run.virtualMs, scan, stats: { ...azure.stats, handlingMs: 0 }, verification: azure.verify(ScanId) };
}

/** The monitor's scan of `spec` under seed 5, made once. */
let monitorScan: ReturnType<typeof virtualScan> | undefined;
const monitor = () => (monitorScan ??= virtualScan(5));

test('the real scan in virtual time gives every vault its expected verdict, and the same seed the same scan', async () => {
  const first = await monitor();
  const again = await virtualScan(5);
  expect(first.verification).toEqual({ expected: 400, checked: 400, mismatchCount: 0, mismatches: [], missing: 0, unexpected: 0, duplicates: 0 });
  expect(first.scan.Complete).toBe(true);
  expect(again).toEqual(first);
  expect(first.stats.armRequests).toBeGreaterThanOrEqual(400);
});

test.each([
  { kind: 'sequential', scan: (http: HttpClient) => sequentialScan({ credential: emulatorCredential, endpoint: simulatedEndpoint, httpClient: http }) },
  {
    kind: 'prowler-style',
    scan: (http: HttpClient) => prowlerStyleScan({ credential: emulatorCredential, endpoint: simulatedEndpoint, httpClient: http }, estateShape(spec).subscriptions),
  },
])('the $kind baseline reads every vault on the same model, and no faster than the floor', async ({ scan }) => {
  const azure = simulatedAzure(estateShape(spec), drawModel(5), epoch);
  const run = await inVirtualTime(epoch, () => scan(azure.httpClient));
  expect(run.value.vaults).toBe(400);
  expect(run.virtualMs).toBeGreaterThanOrEqual(floor.floorMs);
});

test('no scanner beats the floor: the monitor neither', async () => {
  expect((await monitor()).virtualMs).toBeGreaterThanOrEqual(floor.floorMs);
});

test("issue 16's incremental leg: the scan an hour later reads the changed vaults, writes their rows, and its verdicts equal a full scan's", async () => {
  const shape = estateShape(spec);
  const plan = planChanges(shape, 5);
  const azure = simulatedAzure(shape, drawModel(5), epoch, simulationOptions(plan));
  const { value: leg } = await inVirtualTime(epoch, () => incrementalLeg(shape, azure, plan, () => undefined));
  const deleted = plan.filter((c) => c.kind === 'deleted').length;
  expect(new Set(plan.map((c) => c.kind))).toEqual(new Set(['settingsDeleted', 'settingsAdded', 'settingsChanged', 'exempted', 'created', 'deleted']));
  expect([leg.first.mode, leg.incremental.mode, leg.full.mode]).toEqual(['Full', 'Incremental', 'Full']);
  expect([leg.first.verification.mismatchCount, leg.full.verification.mismatchCount, leg.full.verification.missing]).toEqual([0, 0, 0]);
  // Every changed vault that still exists read once; each change one row (a Removed row for a deleted vault), and the scan row.
  expect(leg.incremental.resourcesRead).toBe(plan.length - deleted);
  expect([leg.incremental.findingRows, leg.incremental.scanRows]).toEqual([plan.length, 1]);
  // The Activity Log read once per subscription the state knows, in one page each.
  expect(leg.incremental.stats.armActivityLogRequests).toBeGreaterThanOrEqual(spec.subscriptions);
  expect(leg.verdictsCompared).toBe(leg.full.verification.expected);
  expect(leg.verdictMismatches).toBe(0);
});

describe('the simulated Azure answers as the HTTPS emulator does', () => {
  let emulator: Emulator;
  const generated = generateEstate(spec);
  beforeAll(async () => {
    emulator = await startEmulator({ estate: generated.estate, argQuota: { requests: 1_000, windowMs: 1_000 } });
  });
  afterAll(() => emulator.close());

  /** The same requests to both, through the SDK clients; the simulation without failures. */
  async function both<T>(ask: (clients: { graph: ResourceGraphClient; monitor: MonitorClient }) => Promise<T>): Promise<[T, T]> {
    const real = { endpoint: emulator.url, tlsOptions: { ca: emulator.certificatePem } };
    const azure = simulatedAzure(estateShape(spec), { ...drawModel(5), failureRate: 0 }, epoch);
    const simulated = { endpoint: simulatedEndpoint, httpClient: azure.httpClient };
    const fromEmulator = await ask({ graph: new ResourceGraphClient(emulatorCredential, real), monitor: new MonitorClient(emulatorCredential, real) });
    const fromSimulation = await inVirtualTime(epoch, () =>
      ask({ graph: new ResourceGraphClient(emulatorCredential, simulated), monitor: new MonitorClient(emulatorCredential, simulated) }),
    );
    return [fromEmulator, fromSimulation.value];
  }

  test.each([
    { query: inventoryCountQuery, what: 'the count' },
    { query: inventoryQuery({ mod: 2, remainders: [0] }), what: 'a partition' },
    { query: inventoryQuery({ mod: 4, remainders: [3] }), what: 'a split partition' },
    { query: inventorySizingQuery(8), what: 'the sizing' },
    { query: inventoryQuery({ mod: 8, remainders: [1, 4, 6] }), what: 'a packed partition' },
  ])("Resource Graph: $what, row for row", async ({ query }) => {
    const [fromEmulator, fromSimulation] = await both(({ graph }) => graph.resources({ query, options: { resultFormat: 'objectArray' } }));
    // make_list's order is not KQL's to promise: the sizing's pairs are compared in bucket order.
    const inBucketOrder = (data: unknown) => (data as Record<string, unknown>[]).map((row) => (Array.isArray(row['Sizes']) ? { Sizes: [...row['Sizes']].sort((a, b) => a[0] - b[0]) } : row));
    expect(inBucketOrder(fromSimulation.data)).toEqual(inBucketOrder(fromEmulator.data));
    expect(fromSimulation.totalRecords).toBe(fromEmulator.totalRecords);
  });

  test('ARM: every kind of vault answers the same status and settings', async () => {
    // Every kind of vault: the first 30 and a few ARM refuses (403) or no longer has (404).
    const { resources, denied, deletedAfterInventory = [] } = generated.estate;
    const ids = [
      ...resources.filter((r) => r.type.startsWith('Microsoft.KeyVault/')).slice(0, 30).map((r) => r.id),
      ...denied.slice(0, 3),
      ...deletedAfterInventory.slice(0, 3),
    ];
    const read = ({ monitor }: { monitor: MonitorClient }) =>
      Promise.all(
        ids.map(async (id) => {
          try {
            const settings = [];
            for await (const setting of monitor.diagnosticSettings.list(id.slice(1))) settings.push(setting);
            return { id, status: 200, settings };
          } catch (error) {
            return { id, status: (error as { statusCode?: number }).statusCode, settings: [] };
          }
        }),
      );
    const [fromEmulator, fromSimulation] = await both(read);
    expect(new Set(fromEmulator.map((r) => r.status))).toEqual(new Set([200, 403, 404]));
    expect(fromSimulation).toEqual(fromEmulator);
  });
});
