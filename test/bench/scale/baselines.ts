import { MonitorClient } from '@azure/arm-monitor';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { TokenCredential } from '@azure/core-auth';
import { type HttpClient, isRestError } from '@azure/core-rest-pipeline';
import { sleep } from '../../../src/azure/backoff.js';
import { parseResetsAfter } from '../../../src/azure/resourceGraph.js';
import { baselineListQuery } from './simulatedAzure.js';

/*
 * The scanners the monitor is compared with, on the same simulated Azure and the same service model, with the SDK
 * clients' defaults (their retries honour Retry-After): what such a scanner gets.
 *   sequential:    list every vault, then read each one's diagnostic settings, one call after another.
 *   prowler-style: as Prowler reads Key Vaults (since early 2026): subscriptions one after another, each one's
 *                  vaults read by a pool of 10 workers.
 * Both list through Resource Graph and read no destinations and write no findings: work the monitor does and they
 * skip, in their favour. Prowler itself lists vaults through ARM per subscription, which costs reads from the same
 * buckets; listing through Resource Graph here spares them that.
 */

export interface BaselineConnection {
  readonly credential: TokenCredential;
  readonly endpoint: string;
  readonly httpClient: HttpClient;
}

export interface BaselineOutcome {
  readonly vaults: number;
  /** Reads that failed after the SDK's retries. */
  readonly failedReads: number;
}

function clients(connection: BaselineConnection) {
  const options = { endpoint: connection.endpoint, httpClient: connection.httpClient };
  return { graph: new ResourceGraphClient(connection.credential, options), monitor: new MonitorClient(connection.credential, options) };
}

/** A page, waiting out ARG's quota as any ARG client must: its 429 has no Retry-After, which the SDK would honour. */
async function page(graph: ResourceGraphClient, request: Parameters<ResourceGraphClient['resources']>[0]) {
  for (let tries = 1; ; tries++) {
    try {
      return await graph.resources(request);
    } catch (error) {
      if (!isRestError(error) || error.statusCode !== 429 || tries >= 10) throw error;
      await sleep(parseResetsAfter(error.response?.headers.get('x-ms-user-quota-resets-after')) ?? 5_000);
    }
  }
}

async function listVaults(graph: ResourceGraphClient, subscriptions?: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  let skipToken: string | undefined;
  do {
    const result = await page(graph, {
      query: baselineListQuery,
      ...(subscriptions ? { subscriptions: [...subscriptions] } : {}),
      options: { top: 1000, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) },
    });
    ids.push(...(result.data as { id: string }[]).map((row) => row.id));
    skipToken = result.skipToken;
  } while (skipToken);
  return ids;
}

/** Reads one vault's settings; false when it failed after the SDK's retries. ARM's 403 and 404 are answers. */
async function readSettings(monitor: MonitorClient, id: string): Promise<boolean> {
  try {
    // The SDK's URL template adds its own leading slash.
    for await (const _setting of monitor.diagnosticSettings.list(id.replace(/^\/+/, '')));
    return true;
  } catch (error) {
    if (isRestError(error) && (error.statusCode === 403 || error.statusCode === 404)) return true;
    return false;
  }
}

export async function sequentialScan(connection: BaselineConnection): Promise<BaselineOutcome> {
  const { graph, monitor } = clients(connection);
  const ids = await listVaults(graph);
  let failedReads = 0;
  for (const id of ids) if (!(await readSettings(monitor, id))) failedReads += 1;
  return { vaults: ids.length, failedReads };
}

const prowlerWorkers = 10;

export async function prowlerStyleScan(connection: BaselineConnection, subscriptions: readonly string[]): Promise<BaselineOutcome> {
  const { graph, monitor } = clients(connection);
  let vaults = 0;
  let failedReads = 0;
  for (const subscription of subscriptions) {
    const ids = await listVaults(graph, [subscription]);
    vaults += ids.length;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) if (!(await readSettings(monitor, ids[next++]!))) failedReads += 1;
    };
    await Promise.all(Array.from({ length: prowlerWorkers }, worker));
  }
  return { vaults, failedReads };
}
