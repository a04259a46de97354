import { afterEach, describe, expect, it } from 'vitest';
import { createAzureClients } from '../../src/azure/clients.js';
import { logsIngestionSink } from '../../src/azure/ingestion.js';
import { type Emulator, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { scansTable } from '../../src/findings/schema.js';
import { emulatorConnection } from '../support/emulatorScan.js';
import { scanRow } from '../support/rows.js';
import { testEstate } from '../../packages/azure-emulator/test/testEstate.js';

/** The Logs Ingestion sink through the real LogsIngestionClient, its waits between upload rounds recorded. */

const row = scanRow({ Trigger: 'Cli' });

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function sinkFor(faults: string, options: { uploadTimeoutMs?: number } = {}) {
  emulator = await startEmulator({ estate: testEstate, faults: parseFaultSpec(faults), retryAfterSeconds: 0 });
  const waits: number[] = [];
  const client = createAzureClients({ ...emulatorConnection(emulator), retryDelayInMs: 1 }).logsIngestion(emulator.url);
  return { sink: logsIngestionSink(client, emulator.dcrImmutableId, { sleep: async (ms) => void waits.push(ms), ...options }), waits };
}

/** 100 scan rows of about 30 KB each: several 1 MB requests. */
const largeRows = Array.from({ length: 100 }, (_, i) => scanRow({ Trigger: 'Cli', Version: `${i}: ${'x'.repeat(30_000)}` }));

describe('the Logs Ingestion sink', () => {
  it('uploads rows once when the service accepts them', async () => {
    const { sink, waits } = await sinkFor('');
    expect(await sink.upload(scansTable.streamName, [row])).toEqual({ accepted: 1, failures: [] });
    expect(waits).toEqual([]);
  });

  it('re-uploads a chunk the SDK gave up on, in up to three rounds with growing waits, then reports it', async () => {
    const { sink, waits } = await sinkFor('ingest:503@1.0');
    const outcome = await sink.upload(scansTable.streamName, [row]);
    expect(outcome).toEqual({
      accepted: 0,
      failures: [expect.stringMatching(/^Logs Ingestion upload to Custom-KeyVaultAuditScans: 1 rows not written: /)],
    });
    expect(waits).toEqual([2_000, 4_000]);
  });

  it('does not retry a payload the service rejects (400): it would be rejected again', async () => {
    const { sink, waits } = await sinkFor('');
    const outcome = await sink.upload(scansTable.streamName, [{ ...row, Complete: 'yes' }]);
    expect(outcome.accepted).toBe(0);
    expect(outcome.failures).toEqual([expect.stringMatching(/1 rows not written: .*Complete/)]);
    expect(waits).toEqual([]);
  });

  it.each([
    { scenario: 'answers arrive in time: every row confirmed', latency: 20, timeoutMs: 5_000, accepted: 100 },
    { scenario: 'every answer is later than the timeout: nothing is confirmed, and nothing was counted', latency: 400, timeoutMs: 150, accepted: 0 },
  ])('counts as accepted exactly the rows the service kept, over several requests ($scenario)', async ({ latency, timeoutMs, accepted }) => {
    const { sink } = await sinkFor(`latency:ingest=${latency}ms`, { uploadTimeoutMs: timeoutMs });
    const outcome = await sink.upload(scansTable.streamName, largeRows);
    expect(emulator!.stats.ingestRequests).toBeGreaterThan(3);
    expect(outcome.accepted).toBe(accepted);
    expect(emulator!.rows(scansTable.streamName)).toHaveLength(accepted);
    const reported = outcome.failures.map((f) => Number(/: (\d+) rows not written/.exec(f)?.[1])).reduce((a, b) => a + b, 0);
    expect(reported).toBe(100 - accepted);
  });
});
