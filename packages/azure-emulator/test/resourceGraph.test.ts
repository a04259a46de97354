import type { QueryRequest, QueryResponse } from '@azure/arm-resourcegraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, sampleEstate } from '../src/index.js';
import { restError, sdkClients, startTestEmulator } from './support.js';
import { ids, kvASetting, kvBSetting, subs, testEstate } from './testEstate.js';

/** ARG through the real @azure/arm-resourcegraph client: queries are executed over the estate. */

let emulator: Emulator;
let client: ReturnType<typeof sdkClients>['resourceGraph'];

beforeAll(async () => {
  // A generous quota: the quota has its own emulator below.
  emulator = await startTestEmulator({ estate: testEstate, argQuota: { requests: 1000, windowMs: 60_000 } });
  client = sdkClients(emulator).resourceGraph;
});
afterAll(() => emulator.close());

const vaultIds = "resources | where type =~ 'microsoft.keyvault/vaults' or type =~ 'microsoft.keyvault/managedhsms' | project id | order by id asc";
const idsOf = (response: QueryResponse) => (response.data as { id: string }[]).map((row) => row.id);
const sortedLower = (values: string[]) => values.map((v) => v.toLowerCase()).sort();

describe('queries run over the estate, scoped before they run', () => {
  it.each([
    ['no scope: every visible subscription', {}, [ids.hsm, ids.kvA, ids.kvB, ids.kvDenied, ids.kvDown]],
    ['one subscription', { subscriptions: [subs.logging] }, [ids.hsm]],
    ['subscriptions in any case, an invisible one ignored', { subscriptions: [subs.apps.toUpperCase(), subs.invisible] }, [ids.kvA, ids.kvB, ids.kvDenied, ids.kvDown]],
    ['a management group', { managementGroups: ['mg-apps'] }, [ids.kvA, ids.kvB, ids.kvDenied, ids.kvDown]],
    ['a management group whose subscriptions are partly invisible', { managementGroups: ['MG-Platform'] }, [ids.hsm]],
  ] as const)('%s', async (_scenario, scope, expected) => {
    const response = await client.resources({ ...scope, query: vaultIds } as QueryRequest);
    expect(sortedLower(idsOf(response))).toEqual(sortedLower([...expected]));
    expect(response).toMatchObject({ totalRecords: expected.length, count: expected.length, resultTruncated: 'false' });
  });

  it('serves ARG row shapes: lowercased type and resource group, the full column set', async () => {
    const response = await client.resources({ query: `resources | where name == 'kv-a'` });
    expect(response.data).toEqual([
      {
        id: ids.kvA,
        name: 'kv-a',
        type: 'microsoft.keyvault/vaults',
        tenantId: testEstate.tenantId,
        kind: '',
        location: 'westeurope',
        resourceGroup: 'rg-apps',
        subscriptionId: subs.apps,
        managedBy: '',
        sku: null,
        plan: null,
        properties: { sku: { family: 'A', name: 'standard' } },
        tags: { env: 'test' },
        identity: null,
        zones: null,
        extendedLocation: null,
      },
    ]);
  });

  it('resourcecontainers holds one row per visible subscription', async () => {
    const response = await client.resources({
      query: "resourcecontainers | where type == 'microsoft.resources/subscriptions' | project subscriptionId, id",
    });
    expect(response.data).toEqual(
      expect.arrayContaining([
        { subscriptionId: subs.apps, id: `/subscriptions/${subs.apps}` },
        { subscriptionId: subs.logging, id: `/subscriptions/${subs.logging}` },
        { subscriptionId: subs.empty, id: `/subscriptions/${subs.empty}` },
      ]),
    );
    expect(response.count).toBe(3);
  });

  it('diagnostic settings are not in ARG when the estate says ARG does not index them', async () => {
    const response = await client.resources({ query: "resources | where type == 'microsoft.insights/diagnosticsettings' | project id" });
    expect(response.data).toEqual([]);
  });
});

describe('paging', () => {
  it('pages with $top and $skipToken until every row is read, in a stable order', async () => {
    const pages: QueryResponse[] = [];
    let skipToken: string | undefined;
    do {
      const response = await client.resources({ query: vaultIds, options: { top: 2, ...(skipToken ? { skipToken } : {}) } });
      pages.push(response);
      skipToken = response.skipToken;
    } while (skipToken);
    expect(pages.map((p) => p.count)).toEqual([2, 2, 1]);
    expect(pages.every((p) => p.totalRecords === 5 && p.resultTruncated === 'false')).toBe(true);
    const all = await client.resources({ query: vaultIds });
    expect(pages.flatMap(idsOf)).toEqual(idsOf(all));
  });

  it('a next-page request may send only the $skipToken: the page size travels in the token', async () => {
    const first = await client.resources({ query: vaultIds, options: { top: 3 } });
    const second = await client.resources({ query: vaultIds, options: { skipToken: first.skipToken } });
    expect([first.count, second.count, second.skipToken]).toEqual([3, 2, undefined]);
  });

  it.each([
    ['another query', { query: 'resources | project id, name' }],
    ['another scope', { query: vaultIds, subscriptions: [subs.apps] }],
  ])('a $skipToken sent with %s is rejected', async (_scenario, request) => {
    const first = await client.resources({ query: vaultIds, options: { top: 1 } });
    const error = await restError(client.resources({ ...request, options: { skipToken: first.skipToken } }));
    expect(error).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    expect(JSON.stringify(error.details)).toContain('different query or scope');
  });

  it.each([
    ['no id column', 'resources | project name | order by name asc'],
    ['a take operator', `${vaultIds} | take 4`],
    ['a limit operator', `${vaultIds} | limit 4`],
  ])('a result with %s is not paged: no $skipToken, resultTruncated "true" when rows were cut', async (_scenario, query) => {
    const response = await client.resources({ query, options: { top: 2 } });
    expect(response).toMatchObject({ count: 2, resultTruncated: 'true', skipToken: undefined });
  });

  it('pages of an unchanged estate are served from one execution, as ARG would serve the same rows', async () => {
    const before = emulator.stats.argQueriesExecuted;
    const first = await client.resources({ query: vaultIds, options: { top: 2 } });
    const second = await client.resources({ query: vaultIds, options: { top: 2, skipToken: first.skipToken } });
    const third = await client.resources({ query: vaultIds, options: { top: 2, skipToken: second.skipToken } });
    expect([first, second, third].map((p) => p.count)).toEqual([2, 2, 1]);
    expect(emulator.stats.argQueriesExecuted - before).toBeLessThanOrEqual(1);
  });

  it('resultTruncated is "false" when an unpageable result fits', async () => {
    const response = await client.resources({ query: 'resources | summarize n = count() by type' });
    expect(response.resultTruncated).toBe('false');
    expect(response.skipToken).toBeUndefined();
  });
});

describe('bad requests get ARG\'s 400 shape, surfaced as the SDK\'s RestError', () => {
  it('an unsupported or invalid query: BadRequest with InvalidQuery and one detail per problem', async () => {
    const error = await restError(client.resources({ query: 'resources | where name ==' }));
    expect(error).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    const details = (error.details as { error: { details: { code: string; message: string }[] } }).error.details;
    expect(details[0]?.code).toBe('InvalidQuery');
    expect(details.length).toBeGreaterThan(1);
    expect(details.slice(1).every((d) => d.code === 'ParserFailure' && d.message.length > 0)).toBe(true);
  });

  it.each([
    ['$top over 1000', { query: vaultIds, options: { top: 1001 } }, '$top'],
    ['the table result format', { query: vaultIds, options: { resultFormat: 'table' } }, 'objectArray'],
    ['an unknown management group', { query: vaultIds, managementGroups: ['mg-nope'] }, 'ManagementGroupsContainInvalidIds'],
    [
      'more than 1000 subscriptions',
      { query: vaultIds, subscriptions: Array.from({ length: 1001 }, (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`) },
      'At most 1000 subscriptions per request',
    ],
  ] as const)('%s', async (_scenario, request, mentioned) => {
    const error = await restError(client.resources(request as QueryRequest));
    expect(error).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    expect(JSON.stringify(error.details)).toContain(mentioned);
  });

  it('only invisible subscriptions: 403, as ARG answers when none of the listed subscriptions is readable', async () => {
    expect(await restError(client.resources({ query: vaultIds, subscriptions: [subs.invisible] }))).toMatchObject({
      statusCode: 403,
      code: 'AuthorizationFailed',
    });
  });
});

describe('the per-user quota', () => {
  let quotaEmulator: Emulator;
  beforeAll(async () => {
    quotaEmulator = await startTestEmulator({ estate: testEstate, argQuota: { requests: 2, windowMs: 60_000 } });
  });
  afterAll(() => quotaEmulator.close());

  it('every response carries the quota headers; once exhausted ARG answers 429 RateLimiting without Retry-After', async () => {
    const quotaClient = sdkClients(quotaEmulator).resourceGraph;
    const seen: { status: number; remaining: string | undefined; resetsAfter: string | undefined; retryAfter: string | undefined }[] = [];
    const onResponse = (raw: { status: number; headers: { get(name: string): string | undefined } }) =>
      seen.push({
        status: raw.status,
        remaining: raw.headers.get('x-ms-user-quota-remaining'),
        resetsAfter: raw.headers.get('x-ms-user-quota-resets-after'),
        retryAfter: raw.headers.get('retry-after'),
      });
    await quotaClient.resources({ query: vaultIds }, { onResponse });
    await quotaClient.resources({ query: vaultIds }, { onResponse });
    const error = await restError(quotaClient.resources({ query: vaultIds }, { onResponse }));

    expect(seen.map((s) => [s.status, s.remaining, s.retryAfter])).toEqual([
      [200, '1', undefined],
      [200, '0', undefined],
      [429, '0', undefined],
    ]);
    expect(seen.every((s) => /^\d\d:\d\d:\d\d$/.test(s.resetsAfter ?? ''))).toBe(true);
    expect(error).toMatchObject({ statusCode: 429, code: 'RateLimiting' });
    expect(quotaEmulator.stats).toMatchObject({ argRequests: 3, argThrottled: 1 });
  });
});

describe('an estate whose ARG indexes diagnostic settings', () => {
  let indexing: Emulator;
  beforeAll(async () => {
    indexing = await startTestEmulator({ estate: { ...testEstate, resourceGraphIndexesDiagnosticSettings: true } });
  });
  afterAll(() => indexing.close());

  it('serves each readable resource\'s settings verbatim as microsoft.insights/diagnosticsettings rows', async () => {
    const response = await sdkClients(indexing).resourceGraph.resources({
      query: "resources | where type == 'microsoft.insights/diagnosticsettings' | project id, name, subscriptionId, resourceGroup, properties | order by name asc",
    });
    expect(response.data).toEqual([
      { id: kvBSetting.id, name: 'odd', subscriptionId: subs.apps, resourceGroup: 'rg-apps', properties: kvBSetting.properties },
      { id: kvASetting.id, name: 'to-law', subscriptionId: subs.apps, resourceGroup: 'rg-apps', properties: kvASetting.properties },
    ]);
  });
});

describe('the sample estate, served', () => {
  let sample: Emulator;
  beforeAll(async () => {
    sample = await startTestEmulator({ estate: sampleEstate });
  });
  afterAll(() => sample.close());

  it.each([
    ['the whole tenant', {}, 21],
    ['the production management group', { managementGroups: ['mg-production'] }, 17],
    ['the non-production management group', { managementGroups: ['mg-nonprod'] }, 4],
  ])('the inventory query over %s finds its vaults and HSMs', async (_scenario, scope, count) => {
    const response = await sdkClients(sample).resourceGraph.resources({ ...scope, query: vaultIds });
    expect(response.totalRecords).toBe(count);
  });
});
