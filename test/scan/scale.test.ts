import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { type Emulator, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { findingsTable, scansTable } from '../../src/findings/schema.js';
import { runScan } from '../../src/scan/runScan.js';
import { scanDependencies } from '../../src/scan/scanDependencies.js';
import { type ScanRun, emulatorConnection, emulatorEnv, generatedEstate, scanEmulator } from '../support/emulatorScan.js';

/** Scenarios that only show at size: ARG paging, subscription batching, ingestion chunking. */

describe('an estate larger than one Resource Graph page (2,500 vaults)', () => {
  let emulator: Emulator;
  let run: ScanRun;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: generatedEstate({ vaults: 2_500, subscriptions: 20 }), retryAfterSeconds: 0 });
    run = await scanEmulator(emulator);
  });
  afterAll(() => emulator.close());

  it('lists every vault once, partition by partition', () => {
    const ids = run.findings.map((f) => f.ResourceId);
    expect(ids).toHaveLength(2_500);
    expect(new Set(ids).size).toBe(2_500);
  });

  it('counts the vaults, then reads three hash partitions of at most a page each (ARG keeps no snapshot between pages)', () => {
    expect(run.scan.ArgQueries).toBe(4);
  });

  it('evaluates every vault from ARM evidence: half pass, half have no settings', () => {
    expect(run.scan).toMatchObject({ Complete: true, PassCount: 1_250, FailCount: 1_250, ErrorCount: 0, FindingsWritten: 2_500 });
  });
});

describe('a scope of more than 1,000 subscriptions (1,500)', () => {
  let emulator: Emulator;
  let run: ScanRun;
  let subscriptions: string[];
  beforeAll(async () => {
    const estate = generatedEstate({ vaults: 1_500, subscriptions: 1_500 });
    subscriptions = [...new Set(estate.resources.map((r) => r.id.split('/')[2]!))];
    emulator = await startEmulator({ estate, retryAfterSeconds: 0 });
    run = await scanEmulator(emulator, { KV_AUDIT_SUBSCRIPTIONS: subscriptions.join(',') });
  });
  afterAll(() => emulator.close());

  it('batches the subscriptions (ARG takes at most 1,000 per request) and finds every vault', () => {
    expect(subscriptions).toHaveLength(1_500);
    expect(run.findings).toHaveLength(1_500);
    expect(run.scan.Errors).toEqual([]);
  });

  it('per batch: one subscription check, one count, and a partition per 900 vaults (2 + 1)', () => {
    expect(run.scan.ArgQueries).toBe(7);
    expect(run.scan.Scope).toEqual({ Kind: 'Subscriptions', Ids: subscriptions });
  });
});

describe('findings larger than one Logs Ingestion request (over 1 MB)', () => {
  let emulator: Emulator;
  let run: ScanRun;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: generatedEstate({ vaults: 400, subscriptions: 4, tagBytes: 3_000 }), retryAfterSeconds: 0 });
    run = await scanEmulator(emulator);
  });
  afterAll(() => emulator.close());

  it('uploads the findings in several chunks, every row landing', () => {
    const findingBatches = emulator.ingestionLog.filter((b) => b.stream === findingsTable.streamName);
    expect(findingBatches.length).toBeGreaterThan(1);
    expect(findingBatches.reduce((sum, b) => sum + b.rows, 0)).toBe(400);
    expect(emulator.rows(findingsTable.streamName)).toHaveLength(400);
  });

  it('writes the scan row last, once every chunk landed', () => {
    expect(emulator.ingestionLog.at(-1)).toMatchObject({ stream: scansTable.streamName, rows: 1 });
    expect(run.scan).toMatchObject({ Complete: true, FindingsWritten: 400 });
  });
});

describe('streaming: ARG reading stays a bounded distance ahead of evaluation', () => {
  let emulator: Emulator;
  afterAll(() => emulator.close());

  it('with at most 1,000 resources pending, the third partition is not read before the first findings are made', async () => {
    emulator = await startEmulator({ estate: generatedEstate({ vaults: 3_000, subscriptions: 30 }), faults: parseFaultSpec('latency:arm=100ms'), retryAfterSeconds: 0 });
    const settings = loadSettings(emulatorEnv(emulator), { requireIngestion: true });
    const pagesReadAtFinding: number[] = [];
    const result = await runScan(settings, 'Cli', {
      ...scanDependencies(emulatorConnection(emulator), settings, {
        ingest: true,
        log: { info: () => undefined, warn: () => undefined },
        onFinding: () => pagesReadAtFinding.push(emulator.stats.argRequests),
      }),
      maxPendingResources: 1_000,
    });
    // The count and two partitions of about 750: 1,500 pending, over the bound, so the reading waits.
    expect(pagesReadAtFinding[0]).toBe(3);
    expect(pagesReadAtFinding.at(-1)).toBeGreaterThanOrEqual(5);
    expect(result.scan).toMatchObject({ Complete: true, ResourceCount: 3_000, FindingsWritten: 3_000 });
  });
});
