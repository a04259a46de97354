import { type HttpClient, type PipelineRequest, createHttpHeaders } from '@azure/core-rest-pipeline';
import { expect, test } from 'vitest';
import { createAzureClients } from '../../src/azure/clients.js';
import { emulatorCredential } from '../support/emulator.js';

/*
 * A connection's httpClient carries every request of every client, and no socket is opened: the benchmark's
 * simulated Azure sits there, in virtual time.
 */

const endpoint = 'https://arm.invalid';
const vault = '/subscriptions/00000001-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-1';

function recordingClient(sent: string[]): HttpClient {
  return {
    async sendRequest(request: PipelineRequest) {
      const url = new URL(request.url);
      sent.push(`${request.method} ${url.hostname}${url.pathname}`);
      const body = url.pathname.includes('resourcegraph')
        ? { totalRecords: 0, count: 0, resultTruncated: 'false', data: [], facets: [] }
        : url.pathname.includes('dataCollectionRules')
          ? undefined
          : { value: [] };
      return {
        request,
        status: body === undefined ? 204 : 200,
        headers: createHttpHeaders({ 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { bodyAsText: JSON.stringify(body) }),
      };
    },
  };
}

test('an injected HTTP client carries Resource Graph, ARM and Logs Ingestion requests', async () => {
  const sent: string[] = [];
  const clients = createAzureClients({ credential: emulatorCredential, armEndpoint: endpoint, httpClient: recordingClient(sent) });
  await clients.resourceGraph.resources({ query: 'resources | project id', options: { resultFormat: 'objectArray' } });
  for await (const _setting of clients.monitor.diagnosticSettings.list(vault.slice(1)));
  const resource = await clients.getArmResource(vault, '2023-07-01');
  await clients.logsIngestion('https://ingest.invalid').upload('dcr-0', 'Custom-Findings', [{ a: 1 }]);
  expect(resource.status).toBe(200);
  expect(sent).toEqual([
    'POST arm.invalid/providers/Microsoft.ResourceGraph/resources',
    `GET arm.invalid${vault}/providers/Microsoft.Insights/diagnosticSettings`,
    `GET arm.invalid${vault}`,
    'POST ingest.invalid/dataCollectionRules/dcr-0/streams/Custom-Findings',
  ]);
});
