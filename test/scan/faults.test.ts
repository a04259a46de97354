import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, emulatorCredential, parseFaultSpec, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { type FindingRow, findingsTable, scansTable } from '../../src/findings/schema.js';
import { loadSettings } from '../../src/config/settings.js';
import { runScan } from '../../src/scan/runScan.js';
import { scanDependencies } from '../../src/scan/scanDependencies.js';
import { type ScanRun, emulatorConnection, emulatorEnv, generatedEstate, scanEmulator } from '../support/emulatorScan.js';

/*
 * Fault injection: under retryable faults every resource gets the same finding as a clean run; under persistent
 * ones the affected resources become honest Errors, the scan says it is incomplete, and nothing read is lost.
 */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function scanSample(options: Omit<EmulatorOptions, 'estate'> = {}): Promise<ScanRun> {
  emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0, ...options });
  return scanEmulator(emulator, sampleEnv);
}

const verdicts = (run: ScanRun) => Object.fromEntries(run.findings.map((f) => [f.ResourceName, `${f.Status}/${f.Reason}`]));
const subscriptionOf = (name: string) => sampleEstate.resources.find((r) => r.name === name)!.id.split('/')[2]!;

let clean: Record<string, string>;
beforeAll(async () => {
  clean = verdicts(await scanSample());
  await emulator?.close();
  emulator = undefined;
});

describe('retryable faults at the documented rates', () => {
  const spec = 'arg:429@0.3,arm:500@0.2,arm:reset@0.05,ingest:429@0.2,ingest:500@0.1,latency:arm=20ms';

  it.each([1, 2, 3, 4, 5])('seed %i: the same Status and Reason for every resource as a clean run, and Complete', async (seed) => {
    const run = await scanSample({ faults: parseFaultSpec(spec), seed });
    expect(emulator?.stats.faultsInjected).toBeGreaterThan(0);
    expect(verdicts(run)).toEqual(clean);
    expect(run.scan).toMatchObject({ Complete: true, Errors: [], FindingsWritten: 21 });
    expect(run.scanRowWritten).toBe(true);
    // Every finding landed exactly once per resource, whatever was retried.
    expect(new Set(emulator?.rows(findingsTable.streamName).map((r) => r['ResourceId'])).size).toBe(21);
  });

  it('is reproducible: the same seed injects the same faults into the same requests', async () => {
    const first = await scanSample({ faults: parseFaultSpec(spec), seed: 9 });
    const firstStats = emulator!.stats;
    await emulator?.close();
    emulator = undefined;
    const second = await scanSample({ faults: parseFaultSpec(spec), seed: 9 });
    expect(firstStats.faultsInjected).toBeGreaterThan(0);
    // How many reads overlapped depends on timing, not on the seed.
    expect({ ...emulator!.stats, armPeakConcurrency: 0 }).toEqual({ ...firstStats, armPeakConcurrency: 0 });
    expect([second.scan.ArgQueries, second.scan.ArmCalls]).toEqual([first.scan.ArgQueries, first.scan.ArmCalls]);
  });
});

describe('request counters', () => {
  it('count every request sent, answered or not: connections reset before an answer included', async () => {
    const run = await scanSample({ faults: parseFaultSpec('arg:reset@0.3,arm:reset@0.3'), seed: 3 });
    expect(emulator!.stats.faultsInjected).toBeGreaterThan(3);
    expect([run.scan.ArgQueries, run.scan.ArmCalls]).toEqual([emulator!.stats.argRequests, emulator!.stats.armRequests]);
  });
});

describe('ARM down for one subscription (arm:500@1.0~<subscription>)', () => {
  const payments = subscriptionOf('kv-payments-prod');
  let run: ScanRun;
  let landedScanRows: readonly Record<string, unknown>[];
  beforeAll(async () => {
    run = await scanSample({ faults: parseFaultSpec(`arm:500@1.0~${payments}`) });
    landedScanRows = emulator!.rows(scansTable.streamName);
  });

  it('makes that subscription\'s resources ReadFailed errors: nothing there becomes Pass or Fail without evidence', () => {
    const affected = run.findings.filter((f) => f.SubscriptionId === payments);
    expect(affected.length).toBeGreaterThan(0);
    expect(affected.map((f) => `${f.Status}/${f.Reason}`)).toEqual(affected.map(() => 'Error/ReadFailed'));
  });

  it('leaves every other resource exactly as in a clean run', () => {
    const others = run.findings.filter((f) => f.SubscriptionId !== payments);
    expect(Object.fromEntries(others.map((f) => [f.ResourceName, `${f.Status}/${f.Reason}`]))).toEqual(
      Object.fromEntries(others.map((f) => [f.ResourceName, clean[f.ResourceName]])),
    );
  });

  it('writes a scan row that says Complete: false and names the unread resources', () => {
    expect(run.scan.Complete).toBe(false);
    expect(run.scan.Errors).toEqual([expect.stringMatching(/^\d+ resources could not be read through ARM after retries \(ReadFailed\): .*kv-payments-prod/)]);
    expect(landedScanRows).toEqual([run.scan]);
  });
});

describe('Logs Ingestion down, then back', () => {
  it('reports every unwritten row, writes no scan row; a retry once it is back lands the full set', async () => {
    const outage = await scanSample({ faults: parseFaultSpec('ingest:503@1.0') });
    expect(outage.scan).toMatchObject({ Complete: false, FindingsWritten: 0 });
    expect(outage.scan.Errors).toEqual([expect.stringMatching(/^Logs Ingestion upload to Custom-KeyVaultAuditFindings: 21 rows not written: /)]);
    expect(outage.scanRowWritten).toBe(false);
    expect(emulator!.rows(findingsTable.streamName)).toEqual([]);

    emulator!.setFaults([]);
    const retry = await scanEmulator(emulator!, sampleEnv);
    expect(retry.scan).toMatchObject({ Complete: true, FindingsWritten: 21 });
    expect(retry.scan.ScanId).not.toBe(outage.scan.ScanId);
    expect(verdicts(retry)).toEqual(clean);
    expect(emulator!.rows(scansTable.streamName)).toEqual([retry.scan]);
  });

  it('a partial outage loses nothing silently: the rows written and the rows reported missing add up to all of them', async () => {
    // 400 findings with long tags make several chunks; with this seed one of them fails every attempt.
    emulator = await startEmulator({ estate: generatedEstate({ vaults: 400, subscriptions: 4, tagBytes: 3_000 }), faults: parseFaultSpec('ingest:500@0.85'), seed: 24, retryAfterSeconds: 0 });
    const run = await scanEmulator(emulator);
    const reported = run.scan.Errors.map((e) => Number(/: (\d+) rows not written: /.exec(e)?.[1] ?? 0)).reduce((a, b) => a + b, 0);
    expect(run.scan.FindingsWritten).toBe(230);
    expect(reported).toBe(400 - 230);
    expect(emulator.rows(findingsTable.streamName)).toHaveLength(230);
    expect(run.scan.Complete).toBe(false);
  });
});

describe('Resource Graph down', () => {
  it('produces no findings and an incomplete scan row that says why, rather than an empty "complete" scan', async () => {
    const run = await scanSample({ faults: parseFaultSpec('arg:500@1.0') });
    expect(run.findings).toEqual([]);
    expect(run.scan).toMatchObject({ Complete: false, ResourceCount: 0 });
    expect(run.scan.Errors).toEqual([expect.stringMatching(/^Azure Resource Graph inventory count: HTTP 500/)]);
    expect(run.scanRowWritten).toBe(true);
  });
});

describe('a subscription in scope that the identity cannot read', () => {
  it('is named in an incomplete scan instead of silently losing its vaults', async () => {
    emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0 });
    const unreadable = 'deadbeef-0000-4000-8000-000000000000';
    const run = await scanEmulator(emulator, { ...sampleEnv, KV_AUDIT_SUBSCRIPTIONS: `${subscriptionOf('kv-payments-prod')},${unreadable}` });
    expect(run.findings.length).toBeGreaterThan(0);
    expect(run.scan.Complete).toBe(false);
    expect(run.scan.Errors).toEqual([
      `Subscription ${unreadable} is in scope but the scanner's identity cannot read it (grant Reader); its vaults are missing from this scan`,
    ]);
  });
});

describe("the scan's read budget", () => {
  it('when reading runs out of time, what was not read is ReadFailed, and the findings and an incomplete scan row are still written', async () => {
    emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0, faults: parseFaultSpec('latency:arm=300ms') });
    const settings = loadSettings(emulatorEnv(emulator, { ...sampleEnv, KV_AUDIT_ARM_CONCURRENCY: '2' }), { requireIngestion: true });
    const run = await runScan(
      settings,
      'Timer',
      scanDependencies(emulatorConnection(emulator), settings, { ingest: true, log: { info: () => undefined, warn: () => undefined }, readBudgetMs: 1_000 }),
    );
    const landed = emulator.rows(findingsTable.streamName) as FindingRow[];
    const outOfTime = landed.filter((f) => /time budget ran out/.test(f.Detail));
    expect(outOfTime.length).toBeGreaterThan(0);
    expect(outOfTime.every((f) => f.Status === 'Error' && f.Reason === 'ReadFailed')).toBe(true);
    expect(landed.filter((f) => f.Status === 'Pass' || f.Status === 'Fail').length).toBeGreaterThan(0);
    expect(run.scan).toMatchObject({ Complete: false, ResourceCount: 21, FindingsWritten: 21 });
    expect(run.scanRowWritten).toBe(true);
  });
});

describe('what a failing scan tells its operator', () => {
  it('never includes the bearer token: not in a log line, an error or a finding', async () => {
    const { token } = (await emulatorCredential.getToken());
    emulator = await startEmulator({
      estate: sampleEstate,
      retryAfterSeconds: 0,
      faults: parseFaultSpec(`arm:500@1.0~${subscriptionOf('kv-payments-prod')},arm:reset@0.5,ingest:503@1.0`),
    });
    const failing = await scanEmulator(emulator, sampleEnv);
    emulator.setFaults(parseFaultSpec('arg:500@1.0'));
    const argDown = await scanEmulator(emulator, sampleEnv);
    const told = JSON.stringify([failing.log, failing.scan, failing.findings, argDown.log, argDown.scan]);
    expect(failing.scan.Errors.length + argDown.scan.Errors.length).toBeGreaterThan(1);
    expect(told).not.toContain(token);
    expect(told).not.toMatch(/bearer /i);
  });
});
