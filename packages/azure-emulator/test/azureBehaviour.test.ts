import type { QueryResponse } from '@azure/arm-resourcegraph';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, type Estate, emulatorCredential, parseFaultSpec, resourceGraphDialectProblems } from '../src/index.js';
import { bearer, findingsStream, rawRequest, restError, sdkClients, startTestEmulator } from './support.js';
import { ids, subs, testEstate } from './testEstate.js';

/** What the emulator does because Azure does it: each behaviour at the wire, through the real SDK clients. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: Omit<EmulatorOptions, 'streams' | 'estate'> & { estate?: Estate } = {}) {
  emulator = await startTestEmulator({ estate: testEstate, argQuota: { requests: 1000, windowMs: 60_000 }, ...options });
  return sdkClients(emulator);
}

const idsOf = (response: QueryResponse) => (response.data as { id: string }[]).map((row) => row.id.toLowerCase());
const vaultIds = "resources | where type =~ 'microsoft.keyvault/vaults' | project id | order by id asc";
const vault = (name: string) => ({
  id: `/subscriptions/${subs.apps}/resourceGroups/RG-Apps/providers/Microsoft.KeyVault/vaults/${name}`,
  name,
  type: 'Microsoft.KeyVault/vaults',
  location: 'westeurope',
});

describe('Resource Graph pages over a changing estate (no snapshot)', () => {
  it('a vault deleted between pages shifts the next page: a vault that existed throughout is skipped, as in Azure', async () => {
    // kv-a, kv-b, kv-denied, kv-down in id order; after the first page of two, kv-a is deleted.
    const client = (await start({ estate: { ...testEstate, changesDuringScan: [{ afterArgPage: 1, delete: [ids.kvA] }] } })).resourceGraph;
    const first = await client.resources({ query: vaultIds, options: { top: 2 } });
    const second = await client.resources({ query: vaultIds, options: { top: 2, skipToken: first.skipToken } });
    expect([...idsOf(first), ...idsOf(second)]).toEqual([ids.kvA, ids.kvB, ids.kvDown].map((id) => id.toLowerCase()));
    expect([first.totalRecords, second.totalRecords]).toEqual([4, 3]);
    expect(emulator!.stats).toMatchObject({ argPagesServed: 2, changesApplied: 1 });
  });

  it('a vault created between pages is served by the next query, and ARM answers for it', async () => {
    const clients = await start({ estate: { ...testEstate, changesDuringScan: [{ afterArgPage: 1, create: [vault('kv-aa')] }] } });
    const before = await clients.resourceGraph.resources({ query: vaultIds });
    const after = await clients.resourceGraph.resources({ query: vaultIds });
    expect([before.totalRecords, after.totalRecords]).toEqual([4, 5]);
    const settings: unknown[] = [];
    for await (const setting of clients.monitor.diagnosticSettings.list(vault('kv-aa').id.slice(1))) settings.push(setting);
    expect(settings).toEqual([]);
  });

  it('refuses a change that deletes what does not exist at that point', async () => {
    await expect(start({ estate: { ...testEstate, changesDuringScan: [{ afterArgPage: 1, delete: [`${ids.kvA}-nope`] }] } })).rejects.toThrow(
      /changesDuringScan\[0\]\.delete\[0\]: '.*kv-a-nope' does not exist at that point/,
    );
  });
});

describe("Resource Graph's query dialect", () => {
  it.each([
    ['a join flavor ARG does not support', "resources | join kind=leftsemi (resources) on id", 'UnsupportedJoinFlavor'],
    ['a join hint', "resources | join kind=inner hint.strategy=broadcast (resources) on id", 'UnsupportedJoinHint'],
    ['four joins', `resources${" | join kind=leftouter (resources | project id) on id".repeat(4)}`, 'TooManyJoinOperators'],
    ['four union legs', 'resources | union resources, resources, resources', 'TooManyUnionLegs'],
    ['a wildcard union leg', 'resources | union Res*', 'UnsupportedUnionWildcard'],
    ['four mv-expands', `resources${' | mv-expand tags'.repeat(4)}`, 'TooManyMvExpandOperators'],
    ['an mv-expand row limit over 400', 'resources | mv-expand tags limit 500', 'MvExpandRowLimitTooLarge'],
    ['an operator ARG does not support', 'resources | serialize | project id', 'UnsupportedOperator'],
  ])('%s: 400 InvalidQuery with %s', async (_scenario, query, code) => {
    expect(resourceGraphDialectProblems(query).map((p) => p.code)).toContain(code);
    const client = (await start()).resourceGraph;
    const error = await restError(client.resources({ query }));
    expect(error).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    const details = (error.details as { error: { details: { code: string }[] } }).error.details.map((d) => d.code);
    expect(details).toEqual(['InvalidQuery', ...resourceGraphDialectProblems(query).map((p) => p.code)]);
  });

  it.each([
    ['three joins of the allowed flavors', `resources${" | join kind=leftouter (resources | project id) on id".repeat(2)} | join kind=inner (resources | project id) on id`],
    ['three union legs', 'resources | union resourcecontainers, resources'],
    ['mv-expand within its row limit', 'resources | mv-expand tags limit 400'],
  ])('accepts %s', (_scenario, query) => {
    expect(resourceGraphDialectProblems(query)).toEqual([]);
  });
});

describe("Resource Graph's subscription ceiling and response limit", () => {
  const estate = { ...testEstate, resourceGraphSubscriptionLimit: 2 };

  it('a tenant query over the ceiling searches the first subscriptions and says so in x-ms-tenant-subscription-limit-hit', async () => {
    emulator = await startTestEmulator({ estate });
    const response = await rawRequest(emulator, {
      method: 'POST',
      path: '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ query: vaultIds }),
    });
    expect([response.status, response.headers['x-ms-tenant-subscription-limit-hit']]).toEqual([200, 'true']);
    // apps (…0001) and logging (…0002) are the first two of the three visible subscriptions.
    expect(JSON.parse(response.body).totalRecords).toBe(4);
  });

  it('a management group over the ceiling is refused with TooManySubscriptionsUnderScope, unless partial scopes are allowed', async () => {
    const client = (await start({ estate: { ...estate, managementGroups: { 'mg-all': [subs.apps, subs.logging, subs.empty] } } })).resourceGraph;
    const error = await restError(client.resources({ query: vaultIds, managementGroups: ['mg-all'] }));
    expect(JSON.stringify(error.details)).toContain('TooManySubscriptionsUnderScope');
    const partial = await client.resources({ query: vaultIds, managementGroups: ['mg-all'], options: { allowPartialScopes: true } });
    expect(partial.totalRecords).toBe(4);
  });

  it('a response over the size limit is refused with ResponsePayloadTooLarge', async () => {
    const client = (await start({ argMaxResponseBytes: 1_000 })).resourceGraph;
    const error = await restError(client.resources({ query: 'resources' }));
    expect(JSON.stringify(error.details)).toMatch(/ResponsePayloadTooLarge.*has exceeded the limit of 1000/);
  });

  it('names subscriptions in resourcecontainers by their display names', async () => {
    const client = (await start({ estate: { ...testEstate, subscriptionNames: { [subs.apps]: 'Contoso Apps' } } })).resourceGraph;
    const response = await client.resources({ query: "resourcecontainers | where subscriptionId == '" + subs.apps + "' | project name" });
    expect(response.data).toEqual([{ name: 'Contoso Apps' }]);
  });
});

describe('ARM reads of resources', () => {
  const namespace = `/subscriptions/${subs.logging}/resourceGroups/rg-siem/providers/Microsoft.EventHub/namespaces/evhns`;
  const rule = `${namespace}/authorizationRules/send`;
  const estate: Estate = {
    ...testEstate,
    resources: [
      ...testEstate.resources,
      { id: namespace, name: 'evhns', type: 'Microsoft.EventHub/namespaces', location: 'westeurope' },
      { id: rule, name: 'send', type: 'Microsoft.EventHub/namespaces/authorizationRules', location: 'westeurope' },
    ],
    notInResourceGraph: [ids.workspace],
  };
  const get = (id: string) => rawRequest(emulator!, { method: 'GET', path: `${id}?api-version=2024-01-01`, headers: bearer });

  it.each([
    ['a resource ARG does not list yet', ids.workspace, 200],
    ['a child resource, which ARG never lists', rule, 200],
    ['a deleted resource in a visible subscription', `${namespace}/authorizationRules/gone`, 404],
    ['a resource in a subscription out of sight', `/subscriptions/${subs.invisible}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law`, 403],
  ])('%s: %i', async (_scenario, id, status) => {
    await start({ estate });
    expect((await get(id)).status).toBe(status);
  });

  it('ARG lists neither a child resource nor one it has not caught up with', async () => {
    const client = (await start({ estate })).resourceGraph;
    const response = await client.resources({ query: "resources | where type contains 'eventhub' or type contains 'operationalinsights' | project id" });
    expect(idsOf(response)).toEqual([namespace.toLowerCase()]);
  });
});

describe('ARM throttling: buckets, provider throttles, Retry-After', () => {
  const path = (id: string) => `${id}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`;

  it("a resource provider's throttle holds its subscription and region with ResourceRequestsThrottled, unwrapped, until its Retry-After", async () => {
    await start({ estate: { ...testEstate, providerThrottling: [{ subscriptionId: subs.apps, location: 'westeurope', retryAfterSeconds: 300, fromRead: 2 }] } });
    const read = (id: string) => rawRequest(emulator!, { method: 'GET', path: path(id), headers: bearer });
    const [first, second, otherRegion] = [await read(ids.kvA), await read(ids.kvB), await read(ids.hsm)];
    expect(first.status).toBe(200);
    expect([second.status, second.headers['retry-after'], JSON.parse(second.body).code]).toEqual([429, '300', 'ResourceRequestsThrottled']);
    expect(otherRegion.status).toBe(200);
  });

  it.each([
    ['arm:429ra@1.0', 429],
    ['arm:503ra@1.0', 503],
  ])('%s answers %i with Retry-After: 1', async (spec, status) => {
    await start({ faults: parseFaultSpec(spec) });
    const response = await rawRequest(emulator!, { method: 'GET', path: path(ids.kvA), headers: bearer });
    expect([response.status, response.headers['retry-after']]).toEqual([status, '1']);
  });
});

describe('Logs Ingestion that answers 204 and keeps nothing (ingest:drop)', () => {
  it('the SDK sees success; the rows are gone, and counted as dropped', async () => {
    const { ingestion } = await start({ faults: parseFaultSpec('ingest:drop@1.0') });
    await ingestion.upload(emulator!.dcrImmutableId, findingsStream, [{ ResourceId: 'x', Status: 'Pass' }]);
    expect(emulator!.rows(findingsStream)).toEqual([]);
    expect(emulator!.stats.ingestRowsDropped).toBe(1);
    const { token } = await emulatorCredential.getToken();
    const raw = await rawRequest(emulator!, {
      method: 'POST',
      path: `/dataCollectionRules/${emulator!.dcrImmutableId}/streams/${findingsStream}?api-version=2023-01-01`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify([{ ResourceId: 'y' }])),
    });
    expect(raw.status).toBe(204);
  });
});
