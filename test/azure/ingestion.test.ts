import { afterEach, describe, expect, it } from 'vitest';
import { createAzureClients } from '../../src/azure/clients.js';
import { logsIngestionSink } from '../../src/azure/ingestion.js';
import { type Emulator, parseFaultSpec, startEmulator } from '../../src/emulator/index.js';
import { scansTable } from '../../src/findings/schema.js';
import { emulatorConnection } from '../support/emulatorScan.js';
import { testEstate } from '../emulator/testEstate.js';

/** The Logs Ingestion sink through the real LogsIngestionClient, its waits between upload rounds recorded. */

const scanRow = {
  TimeGenerated: '2026-11-22T10:00:00.000Z',
  ScanId: '8f6c1c2e-6a51-4a43-9d8e-2f1f6b0c1d2e',
  Trigger: 'Cli',
  Scope: { Kind: 'Tenant', Ids: [] },
  StartedAt: '2026-11-22T09:59:00.000Z',
  FinishedAt: '2026-11-22T10:00:00.000Z',
  DurationMs: 60_000,
  Complete: true,
  ResourceCount: 0,
  PassCount: 0,
  FailCount: 0,
  ExemptCount: 0,
  ErrorCount: 0,
  FindingsWritten: 0,
  ArgQueries: 1,
  ArmCalls: 0,
  ArmThrottled: 0,
  ResourceGraphHasDiagnosticSettings: false,
  Errors: [],
  Version: '0.1.0',
};

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function sinkFor(faults: string) {
  emulator = await startEmulator({ estate: testEstate, faults: parseFaultSpec(faults), retryAfterSeconds: 0 });
  const waits: number[] = [];
  const client = createAzureClients({ ...emulatorConnection(emulator), retryDelayInMs: 1 }).logsIngestion(emulator.url);
  return { sink: logsIngestionSink(client, emulator.dcrImmutableId, { sleep: async (ms) => void waits.push(ms) }), waits };
}

describe('the Logs Ingestion sink', () => {
  it('uploads rows once when the service accepts them', async () => {
    const { sink, waits } = await sinkFor('');
    expect(await sink.upload(scansTable.streamName, [scanRow])).toEqual({ accepted: 1, failures: [] });
    expect(waits).toEqual([]);
  });

  it('re-uploads a chunk the SDK gave up on, in up to three rounds with growing waits, then reports it', async () => {
    const { sink, waits } = await sinkFor('ingest:503@1.0');
    const outcome = await sink.upload(scansTable.streamName, [scanRow]);
    expect(outcome).toEqual({
      accepted: 0,
      failures: [expect.stringMatching(/^Logs Ingestion upload to Custom-KeyVaultAuditScans: 1 rows not written: /)],
    });
    expect(waits).toEqual([2_000, 4_000]);
  });

  it('does not retry a payload the service rejects (400): it would be rejected again', async () => {
    const { sink, waits } = await sinkFor('');
    const outcome = await sink.upload(scansTable.streamName, [{ ...scanRow, Complete: 'yes' }]);
    expect(outcome.accepted).toBe(0);
    expect(outcome.failures).toEqual([expect.stringMatching(/1 rows not written: .*Complete/)]);
    expect(waits).toEqual([]);
  });
});
