import { MonitorClient } from '@azure/arm-monitor';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { isRestError } from '@azure/core-rest-pipeline';
import { resourceTypes } from '../../../src/azure/inventory.js';
// Not from the emulator's index: that would load the whole emulator (its KQL engine) into the scanner's memory.
import { emulatorCredential } from '@kv-audit/azure-emulator';
import type { EmulatorTarget, NaiveOutcome } from './protocol.js';

/*
 * The baseline the monitor is compared with, as Prowler-style scanners work: list the vaults, then read
 * each one's diagnostic settings through ARM, one call after another. The SDK clients' defaults (retries
 * included) are kept: that is what such a scanner gets.
 */

const vaultsQuery = `resources
| where type in~ (${resourceTypes})
| project id
| order by id asc`;

async function listVaults(graph: ResourceGraphClient): Promise<string[]> {
  const ids: string[] = [];
  let skipToken: string | undefined;
  do {
    const page = await graph.resources({ query: vaultsQuery, options: { top: 1000, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) } });
    ids.push(...(page.data as { id: string }[]).map((row) => row.id));
    skipToken = page.skipToken;
  } while (skipToken);
  return ids;
}

export async function naiveScan(target: EmulatorTarget): Promise<NaiveOutcome> {
  const options = { endpoint: target.url, tlsOptions: { ca: target.certificatePem } };
  const graph = new ResourceGraphClient(emulatorCredential, options);
  const monitor = new MonitorClient(emulatorCredential, options);
  const startedAt = performance.now();
  const ids = await listVaults(graph);
  for (const id of ids) {
    // Draining the pager sends the call; what the settings say does not change the timing. The SDK's URL
    // template adds its own leading slash.
    try {
      for await (const _setting of monitor.diagnosticSettings.list(id.replace(/^\/+/, '')));
    } catch (error) {
      // ARM answered (403 for a vault out of reach, 404 for one deleted since the listing): the call was made.
      if (!isRestError(error) || error.statusCode === undefined) throw error;
    }
  }
  return { vaults: ids.length, wallMs: performance.now() - startedAt };
}
