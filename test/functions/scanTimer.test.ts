import { readFileSync } from 'node:fs';
import { InvocationContext, type LogLevel, type Timer } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/settings.js';
import { type Emulator, type EmulatorOptions, parseFaultSpec, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { findingsTable, scansTable } from '../../src/findings/schema.js';
import { createScanTimerHandler, loadTimerSettings } from '../../src/functions/scanTimer.js';
import { emulatorConnection, emulatorEnv } from '../support/emulatorScan.js';

/** The timer handler, called as the Functions host would, against the emulator. */

const timer = (isPastDue = false): Timer => ({
  isPastDue,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '2026-11-22T09:00:00Z', next: '2026-11-22T11:00:00Z', lastUpdated: '2026-11-22T10:00:00Z' },
});

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function invoke(options: { env?: (emulator: Emulator) => Env; emulator?: Omit<EmulatorOptions, 'estate'>; pastDue?: boolean }) {
  emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0, ...options.emulator });
  const running = emulator;
  const logs: [LogLevel, string][] = [];
  const context = new InvocationContext({
    functionName: 'kvAuditScan',
    logHandler: (level, ...args) => logs.push([level, args.map(String).join(' ')]),
  });
  const handler = createScanTimerHandler(() => ({
    env: options.env ? options.env(running) : emulatorEnv(running, { ...sampleEnv, KV_AUDIT_SCHEDULE: '0 0 * * * *' }),
    connection: emulatorConnection(running),
    stateStore: () => null,
  }));
  const outcome = await handler(timer(options.pastDue), context).then(
    () => null,
    (error: unknown) => error,
  );
  return { outcome, logs, emulator: running };
}

describe('the scan timer function', () => {
  it('scans, writes findings then the scan row with Trigger Timer, and logs a one-line summary', async () => {
    const { outcome, logs, emulator } = await invoke({});
    expect(outcome).toBeNull();
    expect(emulator.rows(findingsTable.streamName)).toHaveLength(21);
    expect(emulator.rows(scansTable.streamName)).toEqual([expect.objectContaining({ Trigger: 'Timer', Complete: true, ResourceCount: 21 })]);
    expect(logs).toContainEqual(['information', expect.stringMatching(/^Scan [0-9a-f-]{36} complete: 21 resources — 6 Pass, 10 Fail, 2 Exempt, 3 Error; 21 findings written/)]);
  });

  it('warns when the invocation is past due', async () => {
    const { logs } = await invoke({ pastDue: true });
    expect(logs).toContainEqual(['warning', 'The scan timer is past due: the previous run overran or the app was down.']);
  });

  it('an invocation with bad settings fails naming every one of them, before touching Azure', async () => {
    const { outcome, emulator } = await invoke({ env: () => ({ KV_AUDIT_SUBSCRIPTIONS: 'not-a-guid', KV_AUDIT_ARM_CONCURRENCY: '0' }) });
    expect(outcome).toMatchObject({ name: 'KvAuditError', code: 'InvalidConfiguration' });
    expect((outcome as { details: string[] }).details.map((d) => d.split(':')[0])).toEqual([
      'KV_AUDIT_SUBSCRIPTIONS',
      'KV_AUDIT_ARM_CONCURRENCY',
      'KV_AUDIT_LOGS_INGESTION_ENDPOINT',
      'KV_AUDIT_DCR_IMMUTABLE_ID',
      'KV_AUDIT_SCHEDULE',
    ]);
    expect(emulator.stats).toMatchObject({ argRequests: 0, armRequests: 0, ingestRequests: 0 });
  });

  it('fails the invocation when the scan is incomplete, so the retry policy runs it again', async () => {
    const payments = sampleEstate.resources.find((r) => r.name === 'kv-payments-prod')!.id.split('/')[2]!;
    const { outcome, emulator } = await invoke({ emulator: { faults: parseFaultSpec(`arm:500@1.0~${payments}`) } });
    expect(outcome).toMatchObject({ name: 'KvAuditError', code: 'ScanIncomplete' });
    expect((outcome as { details: string[] }).details).toEqual([expect.stringMatching(/resources could not be read through ARM after retries \(ReadFailed\)/)]);
    expect(emulator.rows(scansTable.streamName)).toEqual([expect.objectContaining({ Complete: false })]);
  });
});

describe('the settings the app checks as it starts (app.hook.appStart)', () => {
  it("refuse the sample's placeholders, pointing at the sample file", () => {
    const sample = JSON.parse(readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8')) as { Values: Env };
    expect(() => loadTimerSettings(sample.Values)).toThrow(/KV_AUDIT_SUBSCRIPTIONS: '00000000-0000-0000-0000-000000000000' is a placeholder \(as in local\.settings\.sample\.json\)/);
  });

  it('accept the sample settings once the placeholders are replaced', () => {
    const sample = JSON.parse(readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8')) as { Values: Env };
    const own = {
      ...sample.Values,
      KV_AUDIT_SUBSCRIPTIONS: 'c27e9b54-1a8f-4d63-b0e2-6f9a3c5d8e71',
      KV_AUDIT_REMEDIATION_WORKSPACE_ID: '',
      KV_AUDIT_LOGS_INGESTION_ENDPOINT: 'https://dcr-kvaudit-prod-7f3a.westeurope-1.ingest.monitor.azure.com',
      KV_AUDIT_DCR_IMMUTABLE_ID: 'dcr-7f3a0c1e9b2d4f6a8c0e1b3d5f7a9c2e',
      KV_AUDIT_STATE_URL: 'https://stkvaudit7f3a.blob.core.windows.net/kv-audit-state/scan-state.txt',
      KV_AUDIT_FINDINGS_WORKSPACE_ID: '',
    };
    expect(loadTimerSettings(own).ingestion).not.toBeNull();
  });

  it('require the schedule the timer binding reads, and the DCR', () => {
    expect(() => loadTimerSettings({})).toThrow(
      expect.objectContaining({
        details: [
          'KV_AUDIT_LOGS_INGESTION_ENDPOINT: required to write findings to Log Analytics',
          'KV_AUDIT_DCR_IMMUTABLE_ID: required to write findings to Log Analytics',
          'KV_AUDIT_SCHEDULE: required by the timer function, e.g. "0 0 * * * *" for hourly',
        ],
      }),
    );
  });
});
