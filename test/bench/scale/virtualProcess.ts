// First: the Logs Ingestion client's gzip must be synchronous before any module captures zlib.gzip.
import './syncGzip.js';
import { emulatorCredential, hashSeed, seededRandom } from '@kv-audit/azure-emulator';
import { loadSettings } from '../../../src/config/settings.js';
import { runScan, scanSucceeded } from '../../../src/scan/runScan.js';
import { fileStateStore } from '../../../src/state/stateStore.js';
import { scanDependencies } from '../../../src/scan/scanDependencies.js';
import { progressLog } from '../../../src/scan/summary.js';
import { estateShape } from '../../support/generatedEstate.js';
import { prowlerStyleScan, sequentialScan } from './baselines.js';
import { calibrationUnitMs } from './calibration.js';
import { incrementalLeg, planChanges, simulationOptions } from './incremental.js';
import { processMemory } from './instanceMemory.js';
import { drawModel } from './model.js';
import { type HistoryFigure, type VirtualCalls, type VirtualOutcome, serveCalls } from './protocol.js';
import { type SimulatedAzure, simulatedAzure, simulatedDcr, simulatedEndpoint, simulatedIngestionEndpoint } from './simulatedAzure.js';
import { inVirtualTime, virtualEpoch } from './virtualTime.js';

/*
 * One run in virtual time, in a process of its own (its peak RSS is the run's): the monitor's real scan, or a
 * baseline, against the simulated Azure in this process. The simulated Azure's estate takes a few bytes per
 * vault, and its memory counts against the run: the figure errs on the high side.
 */

const stderr = (line: string) => process.stderr.write(`  ${line}\n`);

async function measured(
  label: string,
  azure: SimulatedAzure,
  work: () => Promise<{ scanId: string | null; succeeded: boolean; errors: readonly string[]; vaults: number; history: HistoryFigure | null }>,
): Promise<VirtualOutcome> {
  const calibrationBefore = calibrationUnitMs();
  const handlingBefore = azure.stats.handlingMs;
  const cpuBefore = process.cpuUsage();
  const realStart = performance.now();
  const run = await inVirtualTime(virtualEpoch, work);
  const realMs = performance.now() - realStart;
  const cpu = process.cpuUsage(cpuBefore);
  const calibrationMs = (calibrationBefore + calibrationUnitMs()) / 2;
  const processCpuMs = (cpu.user + cpu.system) / 1000;
  const simulationMs = azure.stats.handlingMs - handlingBefore;
  stderr(`${label}: ${(run.virtualMs / 1000).toFixed(1)} virtual s in ${(realMs / 1000).toFixed(1)} real s, ${run.steps} timers`);
  return {
    ...run.value,
    virtualMs: run.virtualMs,
    realMs,
    processCpuMs,
    simulationMs,
    calibrationMs,
    memory: processMemory(),
    stats: { ...azure.stats },
    verification: run.value.scanId === null ? null : azure.verify(run.value.scanId),
    scanRows: azure.scanRows.length,
  };
}

/** The SDK's retry jitter draws from Math.random: seeded, the same seed gives the same run. */
function seedMathRandom(seed: number): void {
  Math.random = seededRandom(hashSeed(`Math.random ${seed}`));
}

serveCalls<VirtualCalls>({
  async scan({ spec, seed, env, stateFile }) {
    seedMathRandom(seed);
    const shape = estateShape(spec);
    const azure = simulatedAzure(shape, drawModel(seed), virtualEpoch);
    const settings = loadSettings(
      { ...shape.env, ...env, KV_AUDIT_LOGS_INGESTION_ENDPOINT: simulatedIngestionEndpoint, KV_AUDIT_DCR_IMMUTABLE_ID: simulatedDcr },
      { requireIngestion: true },
    );
    // The timer's daily full scan: the last state loaded before, the next saved after (history.ts). The load reads a
    // stream (real I/O, which virtual time cannot wait for), so it comes before the clock starts; its memory counts.
    const store = stateFile === null ? null : fileStateStore(stateFile);
    const loaded = store ? await store.load() : null;
    if (loaded && loaded.state === null) throw new Error(`the last scan's state did not load: ${loaded.problem}`);
    return measured(`scan of ${spec.vaults} vaults`, azure, async () => {
      const deps = scanDependencies({ credential: emulatorCredential, armEndpoint: simulatedEndpoint, httpClient: azure.httpClient }, settings, {
        ingest: true,
        log: { info: () => {}, warn: () => {} },
        onProgress: progressLog((line) => stderr(`scanner (virtual time): ${line}`), 60_000),
        ...(loaded ? { previous: loaded.state } : {}),
      });
      const result = await runScan(settings, 'Timer', deps);
      const saved = store && result.state ? await store.save(result.state) : null;
      const history = loaded && { loadedResources: spec.vaults, mode: result.scan.Mode, saveProblem: saved?.problem ?? (result.state ? null : 'the scan kept no state') };
      return { scanId: result.scan.ScanId, succeeded: scanSucceeded(result), errors: result.scan.Errors, vaults: result.scan.ResourceCount, history };
    });
  },
  async incremental({ spec, seed }) {
    seedMathRandom(seed);
    const shape = estateShape(spec);
    const plan = planChanges(shape, seed);
    const azure = simulatedAzure(shape, drawModel(seed), virtualEpoch, simulationOptions(plan));
    const cpuBefore = process.cpuUsage();
    const realStart = performance.now();
    const run = await inVirtualTime(virtualEpoch, () => incrementalLeg(shape, azure, plan, (line) => stderr(`incremental leg (virtual time): ${line}`)));
    const cpu = process.cpuUsage(cpuBefore);
    return { outcome: run.value, realMs: performance.now() - realStart, processCpuMs: (cpu.user + cpu.system) / 1000, memory: processMemory() };
  },
  async baseline({ spec, seed, kind }) {
    seedMathRandom(seed);
    const shape = estateShape(spec);
    const azure = simulatedAzure(shape, drawModel(seed), virtualEpoch);
    const connection = { credential: emulatorCredential, endpoint: simulatedEndpoint, httpClient: azure.httpClient };
    return measured(`${kind} baseline over ${spec.vaults} vaults`, azure, async () => {
      const outcome = kind === 'sequential' ? await sequentialScan(connection) : await prowlerStyleScan(connection, shape.subscriptions);
      const errors = outcome.failedReads > 0 ? [`${outcome.failedReads} reads failed after the SDK's retries`] : [];
      return { scanId: null, succeeded: outcome.failedReads === 0, errors, vaults: outcome.vaults, history: null };
    });
  },
});
