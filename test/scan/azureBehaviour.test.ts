import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { findingsTable } from '../../src/findings/schema.js';
import { runScan } from '../../src/scan/runScan.js';
import { scanDependencies } from '../../src/scan/scanDependencies.js';
import { type Emulator, type EmulatorOptions, type Estate, parseFaultSpec, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { type ScanRun, emulatorConnection, emulatorEnv, generatedEstate, scanEmulator } from '../support/emulatorScan.js';

/*
 * Azure as it really behaves, reproduced by the emulator and scanned through the real SDK clients: an estate that
 * changes while it is listed, Retry-After on 429 and 503, throttling by other principals and by a resource
 * provider, Resource Graph lagging behind ARM, deleted event hub rules, subscription ceilings, large responses.
 * No scan may say Complete while a vault that existed throughout is missing or wrong.
 */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function scan(estate: Estate, options: Omit<EmulatorOptions, 'estate'> = {}, env = {}): Promise<ScanRun> {
  emulator = await startEmulator({ estate, retryAfterSeconds: 0, ...options });
  return scanEmulator(emulator, env);
}

const verdicts = (run: ScanRun) => Object.fromEntries(run.findings.map((f) => [f.ResourceName, `${f.Status}/${f.Reason}`]));
const vaultsOf = (estate: Estate) => estate.resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults');

describe('an estate that changes while the scan lists it (ARG keeps no snapshot between pages)', () => {
  const base = generatedEstate({ vaults: 1_800, subscriptions: 6 });
  const vaults = vaultsOf(base);
  const created = generatedEstate({ vaults: 40, subscriptions: 6 }).resources
    .filter((r) => r.type === 'Microsoft.KeyVault/vaults')
    .map((r) => ({ ...r, id: r.id.replace(/kv-(\d+)$/, 'kv-new-$1'), name: r.name.replace('kv-', 'kv-new-') }));
  const deleted = [vaults[7]!.id, vaults[900]!.id, vaults[1_799]!.id];
  // Vaults come and go after the count and between partitions, as they do in a busy tenant.
  const estate: Estate = {
    ...base,
    changesDuringScan: [
      { afterArgPage: 1, create: created.slice(0, 20), delete: [deleted[0]!] },
      { afterArgPage: 2, create: created.slice(20), delete: [deleted[1]!] },
      { afterArgPage: 3, delete: [deleted[2]!] },
    ],
  };

  it('gives every vault that existed throughout exactly one finding, and says Complete only then', async () => {
    const run = await scan(estate);
    expect(emulator!.stats.changesApplied).toBe(3);
    const ids = run.findings.map((f) => f.ResourceId);
    expect(new Set(ids).size).toBe(ids.length);
    const throughout = vaults.map((v) => normalizeResourceId(v.id)).filter((id) => !deleted.map(normalizeResourceId).includes(id));
    expect(throughout.filter((id) => !ids.includes(id))).toEqual([]);
    expect(run.scan.Complete).toBe(true);
    expect(run.log.some((l) => l.startsWith('The estate changed while it was listed'))).toBe(true);
  });
});

describe('429 and 503 with Retry-After, from ARM and from Resource Graph', () => {
  it('are waited out and retried: the same verdicts as a clean run, and Complete', async () => {
    const clean = verdicts(await scan(sampleEstate, {}, sampleEnv));
    await emulator?.close();
    const run = await scan(sampleEstate, { faults: parseFaultSpec('arm:503ra@0.3,arm:429ra@0.2,arg:503ra@0.3,arg:429ra@0.3'), seed: 7 }, sampleEnv);
    expect(emulator!.stats.faultsInjected).toBeGreaterThan(3);
    expect(verdicts(run)).toEqual(clean);
    expect(run.scan).toMatchObject({ Complete: true, Errors: [] });
  });
});

describe('throttling as Azure does it', () => {
  it("other principals draining a subscription's global bucket: the pacer reads it from its header and is hardly throttled", async () => {
    const estate = generatedEstate({ vaults: 300, subscriptions: 1 });
    const run = await scan({
      ...estate,
      // 100 global reads left, refilled at 375 a second, of which others take 335: 40 a second for the scan, below
      // its own bucket of 250. Pacing by its own bucket alone would run into some 150 refusals.
      armThrottling: { globalReads: { bucketSize: 100, refillPerSecond: 375 }, othersDrainPerSecond: 335 },
    });
    expect(emulator!.stats.armThrottled).toBeLessThanOrEqual(3);
    expect(run.scan).toMatchObject({ Complete: true, ResourceCount: 300 });
    expect(run.findings.every((f) => f.Status !== 'Error')).toBe(true);
  });

  it('a resource provider throttling one region for 5 minutes holds that region only; past the read budget the scan ends incomplete, naming what it did not read', async () => {
    const estate = generatedEstate({ vaults: 40, subscriptions: 2 });
    const [held] = [...new Set(vaultsOf(estate).map((v) => v.id.split('/')[2]!))];
    const throttled = {
      ...estate,
      resources: estate.resources.map((r) => (r.id.split('/')[2] === held && r.type === 'Microsoft.KeyVault/vaults' ? { ...r, location: 'northeurope' } : r)),
      providerThrottling: [{ subscriptionId: held!, location: 'northeurope', retryAfterSeconds: 300 }],
    };
    emulator = await startEmulator({ estate: throttled, retryAfterSeconds: 0 });
    const settings = loadSettings(emulatorEnv(emulator), { requireIngestion: true });
    const started = Date.now();
    const result = await runScan(settings, 'Timer', {
      ...scanDependencies(emulatorConnection(emulator), settings, { ingest: true, log: { info: () => undefined, warn: () => undefined } }),
      readBudgetMs: 20_000,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    const landed = emulator.rows(findingsTable.streamName);
    const heldVaults = landed.filter((r) => String(r['SubscriptionId']) === held);
    expect(heldVaults.length).toBe(20);
    expect(heldVaults.every((r) => r['Status'] === 'Error' && r['Reason'] === 'ReadFailed')).toBe(true);
    expect(landed.filter((r) => String(r['SubscriptionId']) !== held).every((r) => r['Status'] !== 'Error')).toBe(true);
    expect(result.scan.Complete).toBe(false);
    expect(result.scan.Errors).toEqual([expect.stringMatching(/^20 resources could not be read through ARM after retries \(ReadFailed\): kv-/)]);
  });
});

describe('Resource Graph lagging behind ARM', () => {
  const base = generatedEstate({ vaults: 2, subscriptions: 1 });
  const workspace = base.resources[0]!;
  const [first, second] = vaultsOf(base);
  const newWorkspace = { ...workspace, id: `${workspace.id}-new`, name: `${workspace.name}-new` };
  const setting = (vaultId: string, workspaceId: string) => ({
    id: `${vaultId}/providers/microsoft.insights/diagnosticSettings/audit`,
    name: 'audit',
    type: 'Microsoft.Insights/diagnosticSettings',
    properties: { workspaceId, logs: [{ categoryGroup: 'audit', enabled: true }] },
  });

  it('a workspace created a minute ago (not in ARG yet) passes; one deleted a minute ago (still in ARG) fails', async () => {
    const run = await scan({
      ...base,
      resources: [...base.resources, newWorkspace],
      diagnosticSettings: [setting(first!.id, newWorkspace.id), setting(second!.id, workspace.id)],
      notInResourceGraph: [newWorkspace.id],
      deletedAfterInventory: [workspace.id],
    });
    expect(verdicts(run)).toEqual({ [first!.name]: 'Pass/AuditLogsDelivered', [second!.name]: 'Fail/DestinationNotFound' });
    expect(run.scan.Complete).toBe(true);
  });
});

describe('event hub destinations', () => {
  it('the sample SIEM hub passes; with its authorization rule deleted, the vault fails though the namespace remains', async () => {
    const rule = sampleEstate.resources.find((r) => r.type === 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules')!;
    const clean = verdicts(await scan(sampleEstate, {}, sampleEnv));
    await emulator?.close();
    const run = await scan({ ...sampleEstate, resources: sampleEstate.resources.filter((r) => r !== rule) }, {}, sampleEnv);
    expect([clean['kv-checkout-prod'], verdicts(run)['kv-checkout-prod']]).toEqual(['Pass/AuditLogsDelivered', 'Fail/DestinationNotFound']);
  });
});

describe("Resource Graph's subscription ceiling", () => {
  const estate = { ...generatedEstate({ vaults: 30, subscriptions: 3 }), resourceGraphSubscriptionLimit: 2 };

  it('a tenant scope over it (x-ms-tenant-subscription-limit-hit) is incomplete, with what to do', async () => {
    const run = await scan(estate);
    expect(run.findings.length).toBe(20);
    expect(run.scan.Complete).toBe(false);
    expect(run.scan.Errors).toEqual([expect.stringMatching(/^Azure Resource Graph searched only the first subscriptions .* KV_AUDIT_SUBSCRIPTIONS/)]);
  });

  it('a management group over it (TooManySubscriptionsUnderScope) is incomplete, naming ARG\'s reason', async () => {
    const subscriptions = [...new Set(vaultsOf(estate).map((v) => v.id.split('/')[2]!))];
    const run = await scan({ ...estate, managementGroups: { 'mg-big': subscriptions } }, {}, { KV_AUDIT_MANAGEMENT_GROUPS: 'mg-big' });
    expect(run.findings).toEqual([]);
    expect(run.scan.Complete).toBe(false);
    expect(run.scan.Errors).toEqual([expect.stringMatching(/TooManySubscriptionsUnderScope: The management groups span 3 subscriptions/)]);
  });

  it('listed subscriptions are sent in batches, and all are scanned', async () => {
    const subscriptions = [...new Set(vaultsOf(estate).map((v) => v.id.split('/')[2]!))];
    const run = await scan(estate, {}, { KV_AUDIT_SUBSCRIPTIONS: subscriptions.join(',') });
    expect(run.scan).toMatchObject({ Complete: true, ResourceCount: 30 });
  });
});

describe('real error and response shapes', () => {
  it('a partition over ARG\'s response size limit (ResponsePayloadTooLarge) is split until each part fits', async () => {
    const run = await scan(generatedEstate({ vaults: 400, subscriptions: 2, tagBytes: 2_000 }), { argMaxResponseBytes: 300_000 });
    expect(run.scan).toMatchObject({ Complete: true, ResourceCount: 400 });
    expect(run.scan.ArgQueries).toBeGreaterThan(2);
  });

  it('subscriptions named by their display names in resourcecontainers are still checked by id', async () => {
    const estate = generatedEstate({ vaults: 4, subscriptions: 2 });
    const subscriptions = [...new Set(vaultsOf(estate).map((v) => v.id.split('/')[2]!))];
    const run = await scan(
      { ...estate, subscriptionNames: Object.fromEntries(subscriptions.map((s, i) => [s, `Contoso Production ${i}`])) },
      {},
      { KV_AUDIT_SUBSCRIPTIONS: subscriptions.join(',') },
    );
    expect(run.scan).toMatchObject({ Complete: true, ResourceCount: 4, Errors: [] });
  });
});
