import { afterEach, describe, expect, it } from 'vitest';
import { createAzureClients } from '../../src/azure/clients.js';
import { createDestinationLookup } from '../../src/azure/destinations.js';
import { createResourceGraphRunner } from '../../src/azure/resourceGraph.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { type Emulator, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { emulatorConnection } from '../support/emulatorScan.js';
import { ids, subs, testEstate } from '../../packages/azure-emulator/test/testEstate.js';

/** Destination lookups as a streamed scan asks for them: a few targets at a time, through ARG in the emulator. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function lookupFor(faults = '') {
  emulator = await startEmulator({ estate: testEstate, faults: parseFaultSpec(faults), retryAfterSeconds: 0 });
  const runner = createResourceGraphRunner(createAzureClients(emulatorConnection(emulator)).resourceGraph, { retryDelayMs: 1 });
  return createDestinationLookup(runner);
}

const workspace = normalizeResourceId(ids.workspace);
const missing = (n: number) => `/subscriptions/${subs.logging}/resourcegroups/rg-logs/providers/microsoft.storage/storageaccounts/stgone${n}`;

describe('looking up audit destinations while the scan streams', () => {
  it('targets asked for at about the same time share one Resource Graph query', async () => {
    const lookup = await lookupFor();
    await Promise.all([lookup.lookUp([workspace]), lookup.lookUp([missing(1)]), lookup.lookUp([workspace, missing(2)])]);
    expect(emulator!.stats.argRequests).toBe(1);
    expect(Object.fromEntries(lookup.existence)).toEqual({ [workspace]: 'Exists', [missing(1)]: 'NotFound', [missing(2)]: 'NotFound' });
  });

  it('a target asked for again is answered from what is known, without another query', async () => {
    const lookup = await lookupFor();
    await lookup.lookUp([workspace]);
    await lookup.lookUp([workspace]);
    expect(emulator!.stats.argRequests).toBe(1);
  });

  it('many new targets at once: one query per 200, so the query text stays small', async () => {
    const lookup = await lookupFor();
    await lookup.lookUp(Array.from({ length: 450 }, (_, n) => missing(n)));
    expect(emulator!.stats.argRequests).toBe(3);
    expect(lookup.existence.size).toBe(450);
  });

  it('an id that is not a plain ARM destination id is never put into a query: it stays out of sight', async () => {
    const lookup = await lookupFor();
    await lookup.lookUp(["/subscriptions/x'/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/law"]);
    expect(emulator!.stats.argRequests).toBe(0);
    expect(lookup.existence.size).toBe(0);
  });

  it('when Resource Graph fails, the targets stay out of sight (Unverified) and the failure is kept once', async () => {
    const lookup = await lookupFor('arg:500@1.0');
    await Promise.all([lookup.lookUp([workspace]), lookup.lookUp([missing(1)])]);
    expect(lookup.existence.size).toBe(0);
    expect([...lookup.failures]).toEqual([expect.stringMatching(/^Azure Resource Graph destination lookup: HTTP 500/)]);
  });
});
