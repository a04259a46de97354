import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, parseFaultSpec, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { scanEmulator } from '../support/emulatorScan.js';

/** The scan keeps within Azure's throttling and still evaluates every resource. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function scanSample(options: Omit<EmulatorOptions, 'estate'>) {
  emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0, ...options });
  return { run: await scanEmulator(emulator, sampleEnv), stats: emulator.stats };
}

const verdicts = (findings: readonly { ResourceName: string; Status: string; Reason: string }[]) =>
  Object.fromEntries(findings.map((f) => [f.ResourceName, `${f.Status}/${f.Reason}`]));

describe('Resource Graph quota', () => {
  it('waits for x-ms-user-quota-resets-after when the quota runs out, instead of running into 429s', async () => {
    const { run, stats } = await scanSample({ argQuota: { requests: 1, windowMs: 300 } });
    expect(run.scan.Complete).toBe(true);
    expect(run.log.some((l) => /Azure Resource Graph quota exhausted; waiting \d+ ms/.test(l))).toBe(true);
    expect(stats.argThrottled).toBe(0);
  });

  it('retries a 429 after the quota window and completes', async () => {
    const baseline = await scanSample({});
    await emulator?.close();
    const { run, stats } = await scanSample({ argQuota: { requests: 1, windowMs: 200 }, faults: parseFaultSpec('arg:429@0.5'), seed: 1 });
    expect(stats.argThrottled).toBeGreaterThan(0);
    expect(run.scan.Complete).toBe(true);
    expect(verdicts(run.findings)).toEqual(verdicts(baseline.run.findings));
  });
});

describe('ARM read throttling (per-subscription token bucket)', () => {
  it('honours Retry-After on 429s, counts them, and reaches the same verdicts as an unthrottled scan', async () => {
    const baseline = await scanSample({});
    await emulator?.close();
    // Retry-After: 1 s, as ARM would answer while the bucket refills.
    const { run, stats } = await scanSample({ armReads: { bucketSize: 4, refillPerSecond: 10 }, retryAfterSeconds: 1 });
    expect(stats.armThrottled).toBeGreaterThan(0);
    expect(run.scan.ArmThrottled).toBe(stats.armThrottled);
    expect(run.scan.Complete).toBe(true);
    expect(verdicts(run.findings)).toEqual(verdicts(baseline.run.findings));
  });
});
