import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettingsFromArm } from '../../src/azure/armDiagnosticSettings.js';
import { createAzureClients } from '../../src/azure/clients.js';
import { type Emulator, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { emulatorConnection } from '../support/emulatorScan.js';
import { ids, subs, testEstate } from '../../packages/azure-emulator/test/testEstate.js';

/** Reading one resource's diagnostic settings through the real MonitorClient, against the emulator. */

describe('reading diagnostic settings through ARM', () => {
  let emulator: Emulator;
  let read: (id: string) => ReturnType<typeof readSettingsFromArm>;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: testEstate, retryAfterSeconds: 0 });
    const clients = createAzureClients(emulatorConnection(emulator));
    read = (id) => readSettingsFromArm(clients, id, { retryDelayMs: 1 });
  });
  afterAll(() => emulator.close());

  it('a readable resource: its records, parsed one by one (a malformed one included)', async () => {
    const [good, odd] = [await read(ids.kvA), await read(ids.kvB)];
    expect(good).toMatchObject({ transientFailure: false, evidence: { state: 'Read', source: 'ARM', records: [{ ok: true, setting: { name: 'to-law' } }] } });
    expect(odd).toMatchObject({ evidence: { state: 'Read', records: [{ ok: false, name: 'odd', problem: expect.stringContaining('properties.logs') }] } });
  });

  it.each([
    { scenario: 'a denied resource is AccessDenied, with ARM\'s message naming the action', id: ids.kvDenied, reason: 'AccessDenied', transient: false, message: /^HTTP 403 AuthorizationFailed: .*Microsoft\.Insights\/diagnosticSettings\/read/ },
    { scenario: 'an unknown resource is ReadFailed, probably deleted', id: `${ids.kvA}-gone`, reason: 'ReadFailed', transient: false, message: /^HTTP 404 ResourceNotFound: .*deleted since the inventory$/ },
    { scenario: 'a resource whose read keeps failing is ReadFailed after retries, and transient', id: ids.kvDown, reason: 'ReadFailed', transient: true, message: /^HTTP 500 InternalServerError: Encountered internal server error.* \(after retries\)$/ },
  ])('$scenario', async ({ id, reason, transient, message }) => {
    const result = await read(id);
    expect(result.transientFailure).toBe(transient);
    expect(result.evidence).toMatchObject({ state: 'Unreadable', source: 'ARM', reason, message: expect.stringMatching(message) });
  });

  it("never sends the bearer token off the ARM endpoint: a link to another origin is refused unsent", async () => {
    const clients = createAzureClients(emulatorConnection(emulator));
    await expect(clients.getArmUrl('https://attacker.example/subscriptions/x?api-version=1')).rejects.toMatchObject({ code: 'UnsafeRequest' });
    expect(clients.counters.armRequests).toBe(0);
  });

  it('accepts ids with a leading slash, other casing and a trailing slash', async () => {
    const result = await read(`${ids.kvA.toUpperCase()}/`);
    expect(result.evidence).toMatchObject({ state: 'Read', records: [{ ok: true }] });
  });
});

describe('a connection dropped mid-response (the SDK does not retry it)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: testEstate, faults: parseFaultSpec(`arm:reset@1.0~${subs.apps}`), retryAfterSeconds: 0 });
  });
  afterAll(() => emulator.close());

  it('is retried here with exponential backoff, then reported as a transient ReadFailed rather than as malformed evidence', async () => {
    const clients = createAzureClients(emulatorConnection(emulator));
    const waits: number[] = [];
    const result = await readSettingsFromArm(clients, ids.kvA, { sleep: async (ms) => void waits.push(ms) });
    expect(result).toMatchObject({ transientFailure: true, evidence: { state: 'Unreadable', reason: 'ReadFailed' } });
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(emulator.stats.armRequests).toBe(5);
  });
});
