import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type Estate, emulatorCredential, parseEstate } from '../src/index.js';
import { bearer, rawRequest, restError, sdkClients, startTestEmulator, thrownBy } from './support.js';
import { ids, kvASetting, testEstate } from './testEstate.js';

/*
 * What "proof that audit logs can arrive" needs of the emulator, through the real SDK clients: the Log Analytics
 * query API over each workspace's tables (@azure/monitor-query-logs), and diagnostic-setting writes (createOrUpdate).
 */

const customerId = '11111111-2222-4333-8444-555555555555';
const hour = 3_600_000;
const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * hour).toISOString();

const proofEstate = (overrides: Partial<Estate> = {}): Estate => ({
  ...testEstate,
  resources: testEstate.resources.map((r) => (r.id === ids.workspace ? { ...r, properties: { customerId, retentionInDays: 30 } } : r)),
  workspaceLogs: {
    [ids.workspace]: {
      AZKVAuditLogs: [
        { TimeGenerated: at(1), OperationName: 'SecretGet', _ResourceId: ids.kvA.toLowerCase() },
        { TimeGenerated: at(50), OperationName: 'SecretGet', _ResourceId: ids.kvB.toLowerCase() },
      ],
    },
  },
  ...overrides,
});

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function queryClient(estate: Estate) {
  emulator = await startTestEmulator({ estate, retryAfterSeconds: 0 });
  return new LogsQueryClient(emulatorCredential, { endpoint: `${emulator.url}/v1`, tlsOptions: { ca: emulator.certificatePem }, retryOptions: { maxRetries: 0 } });
}

describe('the Log Analytics query API, through @azure/monitor-query-logs', () => {
  it('runs the KQL over the workspace\'s tables, typed as the API types them, within the timespan', async () => {
    const client = await queryClient(proofEstate());
    const query = 'AZKVAuditLogs | summarize Last = max(TimeGenerated), Reads = count() by _ResourceId | order by _ResourceId asc';
    const day = await client.queryWorkspace(customerId, query, { duration: 'P1D' });
    const week = await client.queryWorkspace(customerId, query, { duration: 'P7D' });
    expect(day.status).toBe(LogsQueryResultStatus.Success);
    const tables = (result: typeof day) => (result.status === LogsQueryResultStatus.Success ? result.tables : []);
    expect(tables(day)[0]?.columnDescriptors).toEqual([
      { name: '_ResourceId', type: 'string' },
      { name: 'Last', type: 'datetime' },
      { name: 'Reads', type: 'long' },
    ]);
    expect(tables(day)[0]?.rows).toEqual([[ids.kvA.toLowerCase(), expect.any(Date), 1]]);
    expect(tables(week)[0]?.rows.map((r) => r[0])).toEqual([ids.kvA.toLowerCase(), ids.kvB.toLowerCase()]);
  });

  it('an empty result still names its columns', async () => {
    const client = await queryClient(proofEstate());
    const result = await client.queryWorkspace(customerId, "AZKVAuditLogs | where OperationName == 'KeyDelete' | project _ResourceId, TimeGenerated", { duration: 'P1D' });
    expect(result.status === LogsQueryResultStatus.Success ? result.tables[0]?.columnDescriptors.map((c) => c.name) : []).toEqual(['_ResourceId', 'TimeGenerated']);
  });

  it.each([
    {
      scenario: 'a table no data has reached does not exist: 400 SemanticError',
      estate: proofEstate(),
      id: customerId,
      query: 'AzureDiagnostics | take 1',
      error: { statusCode: 400, code: 'BadArgumentError' },
    },
    { scenario: 'a workspace in queryDenied: 403 InsufficientAccessError', estate: proofEstate({ queryDenied: [ids.workspace] }), id: customerId, query: 'AZKVAuditLogs', error: { statusCode: 403, code: 'InsufficientAccessError' } },
    { scenario: 'an unknown workspace id: 404', estate: proofEstate(), id: '99999999-2222-4333-8444-555555555555', query: 'AZKVAuditLogs', error: { statusCode: 404, code: 'WorkspaceNotFoundError' } },
  ])('$scenario', async ({ estate, id, query, error }) => {
    const client = await queryClient(estate);
    expect(await restError(client.queryWorkspace(id, query, { duration: 'P1D' }))).toMatchObject(error);
  });

  it('isfuzzy leaves out a missing table; a fuzzy union with none fails, as Kusto documents', async () => {
    const client = await queryClient(proofEstate());
    const ok = await client.queryWorkspace(customerId, 'union isfuzzy=true AzureDiagnostics, AZKVAuditLogs | count', { duration: 'P7D' });
    expect(ok.status === LogsQueryResultStatus.Success ? ok.tables[0]?.rows : null).toEqual([[2]]);
    expect(await restError(client.queryWorkspace(customerId, 'union isfuzzy=true AzureDiagnostics, AzureActivity | count', { duration: 'P7D' }))).toMatchObject({
      statusCode: 400,
    });
  });

  it('a bad timespan is a 400', async () => {
    emulator = await startTestEmulator({ estate: proofEstate(), retryAfterSeconds: 0 });
    const response = await rawRequest(emulator, {
      method: 'POST',
      path: `/v1/workspaces/${customerId}/query`,
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'AZKVAuditLogs', timespan: 'yesterday' }),
    });
    expect([response.status, JSON.parse(response.body).error.code]).toEqual([400, 'BadArgumentError']);
  });
});

describe('diagnostic-setting writes, through @azure/arm-monitor createOrUpdate', () => {
  const audit = { workspaceId: ids.workspace, logs: [{ categoryGroup: 'audit', enabled: true }], logAnalyticsDestinationType: 'Dedicated' };
  const start = async (estate: Estate = proofEstate()) => {
    emulator = await startTestEmulator({ estate, retryAfterSeconds: 0 });
    return sdkClients(emulator).monitor;
  };
  const listed = async (monitor: Awaited<ReturnType<typeof start>>, id: string) => {
    const settings: { name?: string; systemData?: { lastModifiedAt?: Date } }[] = [];
    for await (const setting of monitor.diagnosticSettings.list(id.slice(1))) settings.push(setting);
    return settings;
  };

  it('creates a setting that the list API serves from then on, with systemData saying when it changed', async () => {
    const monitor = await start();
    const created = await monitor.diagnosticSettings.createOrUpdate(ids.hsm.slice(1), 'kv-audit-logs', audit);
    expect(created).toMatchObject({ name: 'kv-audit-logs', workspaceId: ids.workspace, logAnalyticsDestinationType: 'Dedicated' });
    const settings = await listed(monitor, ids.hsm);
    expect(settings.map((s) => s.name)).toEqual(['kv-audit-logs']);
    expect(settings[0]?.systemData?.lastModifiedAt).toBeInstanceOf(Date);
    expect(emulator?.stats.settingWrites).toBe(1);
  });

  it.each([
    {
      scenario: 'a resource in writeDenied: 403 AuthorizationFailed for diagnosticSettings/write',
      estate: proofEstate({ writeDenied: [ids.kvB] }),
      resource: ids.kvB,
      body: audit,
      error: { statusCode: 403, code: 'AuthorizationFailed' },
    },
    { scenario: 'an unknown resource: 404', estate: proofEstate(), resource: ids.kvB.replace('kv-b', 'kv-gone'), body: audit, error: { statusCode: 404, code: 'ResourceNotFound' } },
    {
      scenario: 'the retired retention policy: 400, in Azure\'s words',
      estate: proofEstate(),
      resource: ids.kvB,
      body: { ...audit, logs: [{ categoryGroup: 'audit', enabled: true, retentionPolicy: { enabled: true, days: 30 } }] },
      error: { statusCode: 400, details: { message: 'Diagnostic settings does not support retention for new diagnostic settings.' } },
    },
    {
      scenario: 'the same category to a workspace another setting already uses: 409 Conflict',
      estate: proofEstate(),
      resource: ids.kvA,
      body: audit,
      error: { statusCode: 409, code: 'Conflict', details: { message: expect.stringMatching(/^Data sink '.*law-central' is already used in diagnostic setting 'to-law' for category 'audit'\. /) } },
    },
    {
      scenario: 'a destination that does not exist: 400',
      estate: proofEstate(),
      resource: ids.kvB,
      body: { ...audit, workspaceId: ids.workspace.replace('law-central', 'law-gone') },
      error: { statusCode: 400 },
    },
    {
      scenario: 'a sixth setting: 400',
      estate: proofEstate({
        diagnosticSettings: [1, 2, 3, 4, 5].map((n) => ({ ...kvASetting, id: kvASetting.id.replace(/to-law$/, `m-${n}`), name: `m-${n}`, properties: { metrics: [], logs: [] } })),
      }),
      resource: ids.kvA,
      body: audit,
      error: { statusCode: 400, details: { message: 'The resource already has 5 diagnostic settings; at most 5 are allowed per resource.' } },
    },
  ])('refuses $scenario', async ({ estate, resource, body, error }) => {
    const monitor = await start(estate);
    expect(await restError(monitor.diagnosticSettings.createOrUpdate(resource.slice(1), 'kv-audit-logs', body))).toMatchObject(error);
  });

  it('a PUT of an existing name replaces that setting, keeping when it was created', async () => {
    const monitor = await start();
    await monitor.diagnosticSettings.createOrUpdate(ids.kvA.slice(1), 'to-law', { workspaceId: ids.workspace, logs: [{ categoryGroup: 'allLogs', enabled: true }] });
    const settings = await listed(monitor, ids.kvA);
    expect(settings).toEqual([expect.objectContaining({ name: 'to-law', logs: [expect.objectContaining({ categoryGroup: 'allLogs' })] })]);
  });
});

describe('the estate fields behind them', () => {
  it.each([
    { field: { workspaceLogs: { [ids.kvA]: { AZKVAuditLogs: [] } } }, problem: `workspaceLogs.${ids.kvA}: '${ids.kvA}' is not a Log Analytics workspace in resources` },
    { field: { workspaceLogs: { [ids.workspace]: { AZKVAuditLogs: [] } } }, problem: `workspaceLogs.${ids.workspace}: workspace '${ids.workspace}' has no properties.customerId, which the query API takes` },
    { field: { queryDenied: [ids.kvA] }, problem: `queryDenied[0]: '${ids.kvA}' is not a Log Analytics workspace in resources` },
    { field: { writeDenied: [ids.kvA.replace('kv-a', 'kv-x')] }, problem: `writeDenied[0]: '${ids.kvA.replace('kv-a', 'kv-x')}' is not in resources` },
    { field: { workspaceLogs: { [ids.workspace]: { 'bad name': [] } } }, problem: expect.stringMatching(/^workspaceLogs\..*\.bad name: Invalid key in record$/) },
  ])('are checked: $problem', ({ field, problem }) => {
    const error = thrownBy(() => parseEstate({ ...testEstate, ...field })) as { details: string[] };
    expect(error.details).toContainEqual(problem);
  });
});
