import { loadSettings } from '../../../src/config/settings.js';
// Not from the emulator's index: that would load the whole emulator (its KQL engine) into the scanner's memory.
import { emulatorCredential } from '@kv-audit/azure-emulator';
import { runScan, scanSucceeded } from '../../../src/scan/runScan.js';
import { scanDependencies } from '../../../src/scan/scanDependencies.js';
import { progressLog } from '../../../src/scan/summary.js';
import { calibrationUnitMs } from './calibration.js';
import { processMemory } from './instanceMemory.js';
import { type ScannerCalls, serveCalls } from './protocol.js';

/*
 * The real-HTTP leg's scanner, in a process of its own, so its peak RSS is the scan's alone: TLS, sockets and
 * parsing for real, against the HTTPS emulator in another process. One process runs one scan: the peak is never
 * reset.
 */

const stderr = (line: string) => process.stderr.write(`  scanner: ${line}\n`);

/** Where the scan is, every ten seconds, so a long run shows it is moving. */
const progressEveryMs = 10_000;

serveCalls<ScannerCalls>({
  async scan({ target, env }) {
    const settings = loadSettings(env, { requireIngestion: true });
    // Production retry timing: no retryDelayInMs override.
    const connection = { credential: emulatorCredential, armEndpoint: target.url, trustedCertificatePem: target.certificatePem };
    const deps = scanDependencies(connection, settings, {
      ingest: true,
      log: { info: (message) => stderr(message), warn: (message) => stderr(`warn: ${message}`) },
      onProgress: progressLog(stderr, progressEveryMs),
    });
    const calibrationBefore = calibrationUnitMs();
    const startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    const result = await runScan(settings, 'Cli', deps);
    const wallMs = performance.now() - startedAt;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      scanId: result.scan.ScanId,
      succeeded: scanSucceeded(result),
      errors: result.scan.Errors,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      memory: processMemory(),
      calibrationMs: (calibrationBefore + calibrationUnitMs()) / 2,
    };
  },
});
