import { describe, expect, it } from 'vitest';
import { type RowSink, type UploadOutcome, streamingUpload } from '../../src/azure/ingestion.js';

/** Batching findings as they are made, against a sink that records what it was given and when it answers. */

function recordingSink(answer: (rows: readonly Record<string, unknown>[]) => UploadOutcome | Error = (rows) => ({ accepted: rows.length, failures: [] })) {
  const batches: string[][] = [];
  let inFlight = 0;
  let peak = 0;
  const pending: (() => void)[] = [];
  const sink: RowSink = {
    async upload(_stream, rows) {
      batches.push(rows.map((r) => String(r['ResourceId'])));
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => pending.push(resolve));
      inFlight -= 1;
      const outcome = answer(rows);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
  return { sink, batches, peak: () => peak, answerAll: () => pending.splice(0).forEach((resolve) => resolve()) };
}

const row = (n: number) => ({ ResourceId: `/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv-${String(n).padStart(3, '0')}` });

describe('streaming findings to Log Analytics', () => {
  it.each([
    { scenario: 'fewer rows than a batch: one upload at the end', rows: 3, batches: [3] },
    { scenario: 'a batch goes as soon as it is full; the rest at the end', rows: 7, batches: [3, 3, 1] },
    { scenario: 'nothing to write: no upload at all', rows: 0, batches: [] },
  ])('$scenario', async ({ rows, batches }) => {
    const recorder = recordingSink();
    const upload = streamingUpload(recorder.sink, 'Custom-Findings', { rowsPerBatch: 3, maxBatchesInFlight: 10 });
    const adds = Array.from({ length: rows }, (_, i) => upload.add(row(i)));
    const finished = upload.finish();
    recorder.answerAll();
    await Promise.all(adds);
    expect(await finished).toEqual({ accepted: rows, failures: [] });
    expect(recorder.batches.map((b) => b.length)).toEqual(batches);
  });

  it('sorts each batch by resource id, so the same rows make the same requests whatever order they finished in', async () => {
    const recorder = recordingSink();
    const upload = streamingUpload(recorder.sink, 'Custom-Findings', { rowsPerBatch: 10 });
    for (const n of [5, 1, 3]) void upload.add(row(n));
    const finished = upload.finish();
    recorder.answerAll();
    await finished;
    expect(recorder.batches).toEqual([[row(1).ResourceId, row(3).ResourceId, row(5).ResourceId]]);
  });

  it('holds the producer back once enough batches are in flight, instead of buffering without bound', async () => {
    const recorder = recordingSink();
    const upload = streamingUpload(recorder.sink, 'Custom-Findings', { rowsPerBatch: 2, maxBatchesInFlight: 2 });
    const states: string[] = [];
    const adds = Array.from({ length: 6 }, (_, i) => upload.add(row(i)).then(() => states.push(`added ${i}`)));
    await new Promise((resolve) => setImmediate(resolve));
    // Two batches are out; the third is full but waits, and so does the row that filled it.
    expect(recorder.batches).toHaveLength(2);
    expect(states).not.toContain('added 5');
    while (recorder.batches.length < 3 || states.length < 6) {
      recorder.answerAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const finished = upload.finish();
    recorder.answerAll();
    await Promise.all(adds);
    expect(await finished).toEqual({ accepted: 6, failures: [] });
    expect(recorder.peak()).toBe(2);
  });

  it('adds up what each batch accepted and reports every failure; a sink that throws loses no rows silently', async () => {
    let call = 0;
    const recorder = recordingSink((rows) => {
      call += 1;
      if (call === 1) return { accepted: rows.length - 1, failures: ['Logs Ingestion upload to Custom-Findings: 1 rows not written: HTTP 400'] };
      return new Error('socket hang up');
    });
    const upload = streamingUpload(recorder.sink, 'Custom-Findings', { rowsPerBatch: 2 });
    const adds = [0, 1, 2].map((n) => upload.add(row(n)));
    const finished = upload.finish();
    recorder.answerAll();
    await Promise.all(adds);
    expect(await finished).toEqual({
      accepted: 1,
      failures: [
        'Logs Ingestion upload to Custom-Findings: 1 rows not written: HTTP 400',
        'Logs Ingestion upload to Custom-Findings: 1 rows not written: socket hang up',
      ],
    });
  });
});
