import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Env } from '../../../src/config/settings.js';
import { normalizeResourceId } from '../../../src/control/resourceId.js';
import { type Emulator, parseFaultSpec, startEmulator } from '../../support/emulator.js';
import { type GeneratedEstate, generateEstate } from '../../support/generatedEstate.js';
import { findingsTable } from '../../../src/findings/schema.js';
import { type ServiceModel, drawModel, emulatorFaultSpec, providerLimitOf } from './model.js';
import { type EmulatorCalls, type FindingMismatch, type Verification, serveCalls } from './protocol.js';

/*
 * The emulator in a process of its own, so the estate and the rows it ingests are not counted in the
 * scanner's memory. It also checks the findings it received, since only it holds them.
 *
 * It is set up from the benchmark's service model as far as its knobs reach: the model's ARM buckets and the
 * global drain, its failure rate, its median latencies (fixed, not lognormal), and one Microsoft.Insights hold per
 * limited region (after that region's window of reads, for one window) where the model repeats it every window.
 */

/** The model's Microsoft.Insights limits as the emulator's provider-throttle rules. */
function providerRules(model: ServiceModel, generated: GeneratedEstate) {
  const regions = new Set(generated.estate.resources.map((r) => r.location));
  return [...generated.vaultsPerSubscription.keys()].flatMap((subscriptionId) =>
    [...regions].flatMap((location) => {
      const limit = providerLimitOf(model, subscriptionId, location);
      return limit ? [{ subscriptionId, location, retryAfterSeconds: limit.windowMs / 1000, fromRead: limit.reads + 1 }] : [];
    }),
  );
}

let running: { readonly emulator: Emulator; readonly generated: GeneratedEstate; readonly loopAtReady: EventLoopUtilization } | null = null;

function current() {
  if (!running) throw new Error('the emulator has not been started');
  return running;
}

/** Management groups when the estate defines them and its settings name no scope; otherwise the tenant. */
function scopeEnv(generated: GeneratedEstate): Env {
  if (generated.env['KV_AUDIT_SUBSCRIPTIONS'] || generated.env['KV_AUDIT_MANAGEMENT_GROUPS']) return {};
  const groups = Object.keys(generated.estate.managementGroups ?? {});
  return groups.length > 0 ? { KV_AUDIT_MANAGEMENT_GROUPS: groups.join(',') } : {};
}

const shownMismatches = 10;

function verify(generated: GeneratedEstate, emulator: Emulator, scanId: string): Verification {
  const seen = new Set<string>();
  const mismatches: FindingMismatch[] = [];
  let checked = 0;
  let mismatchCount = 0;
  let unexpected = 0;
  let duplicates = 0;
  for (const row of emulator.rows(findingsTable.streamName)) {
    if (row['ScanId'] !== scanId) continue;
    const resourceId = normalizeResourceId(String(row['ResourceId']));
    if (seen.has(resourceId)) {
      duplicates += 1;
      continue;
    }
    seen.add(resourceId);
    const verdict = generated.expected.get(resourceId);
    if (!verdict) {
      unexpected += 1;
      continue;
    }
    checked += 1;
    const expected = `${verdict.status}/${verdict.reason}`;
    const actual = `${String(row['Status'])}/${String(row['Reason'])}`;
    if (actual !== expected) {
      mismatchCount += 1;
      if (mismatches.length < shownMismatches) mismatches.push({ resourceId, expected, actual });
    }
  }
  const missing = [...generated.expected.keys()].filter((id) => !seen.has(id)).length;
  return { expected: generated.expected.size, checked, mismatchCount, mismatches, missing, unexpected, duplicates };
}

serveCalls<EmulatorCalls>({
  async start({ spec, seed }) {
    const startedAt = performance.now();
    const generated = generateEstate(spec);
    const model = drawModel(seed);
    const emulator = await startEmulator({
      estate: {
        ...generated.estate,
        armThrottling: { globalReads: model.armGlobal, othersDrainPerSecond: model.armGlobal.refillPerSecond * model.othersShare },
        providerThrottling: providerRules(model, generated),
      },
      faults: parseFaultSpec(emulatorFaultSpec(model)),
      seed,
      argQuota: model.argQuota,
      armReads: model.armPrincipal,
    });
    running = { emulator, generated, loopAtReady: performance.eventLoopUtilization() };
    process.stderr.write(`  emulator: ${spec.vaults} vaults generated and served in ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
    return {
      target: { url: emulator.url, certificatePem: emulator.certificatePem },
      scanEnv: {
        ...generated.env,
        ...scopeEnv(generated),
        KV_AUDIT_LOGS_INGESTION_ENDPOINT: emulator.url,
        KV_AUDIT_DCR_IMMUTABLE_ID: emulator.dcrImmutableId,
      },
      vaultsPerSubscription: [...generated.vaultsPerSubscription.values()],
    };
  },
  stats: async () => ({ stats: current().emulator.stats, busy: performance.eventLoopUtilization(current().loopAtReady).utilization }),
  verify: async ({ scanId }) => verify(current().generated, current().emulator, scanId),
  async close() {
    await running?.emulator.close();
    running = null;
    return null;
  },
});
