import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator } from '../src/index.js';
import { bearer, findingsStream, gzipJson, rawRequest, scansStream, sdkClients, startTestEmulator } from './support.js';
import { testEstate } from './testEstate.js';

/** Logs Ingestion through the real @azure/monitor-ingestion client; raw requests for what the SDK never sends. */

let emulator: Emulator;
let ingestion: ReturnType<typeof sdkClients>['ingestion'];

beforeAll(async () => {
  emulator = await startTestEmulator({ estate: testEstate, retryAfterSeconds: 0 });
  ingestion = sdkClients(emulator).ingestion;
});
afterAll(() => emulator.close());

const scanId = randomUUID();

/** A finding row as the scanner writes it (the deployed findings stream's columns). */
const finding = (name: string): Record<string, unknown> => ({
    TimeGenerated: '2025-03-01T10:00:00.000Z',
    ScanId: scanId,
    ControlId: 'kv-audit-logging-delivered',
    ResourceId: `/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourcegroups/rg-apps/providers/microsoft.keyvault/vaults/${name}`,
    ResourceName: name,
    ResourceType: 'microsoft.keyvault/vaults',
    SubscriptionId: 'aaaaaaaa-0000-4000-8000-000000000001',
    ResourceGroup: 'rg-apps',
    Location: 'westeurope',
    AzureTenantId: 'bbbbbbbb-0000-4000-8000-000000000000',
    Status: 'Pass',
    Reason: 'AuditLogsDelivered',
    Detail: 'Audit logs (audit) are delivered.',
    Severity: 'High',
    EvidenceSource: 'ARM',
    DiagnosticSettingCount: 1,
    AuditSettings: ['to-law'],
    AuditSources: ['audit'],
    Destinations: [{ Setting: 'to-law', Kind: 'LogAnalyticsWorkspace', Id: '/subscriptions/x/law', Status: 'Exists', Approved: null }],
    CisStrict: false,
    DisabledAuditEntry: false,
    Exemption: null,
    Remediation: '',
    Tags: { env: 'test' },
  });

/** A scan row as the scanner writes it. */
const scan: Record<string, unknown> = {
  TimeGenerated: '2025-03-01T10:00:02.000Z',
  ScanId: scanId,
  Trigger: 'Demo',
  Scope: { Kind: 'Tenant', Ids: [] },
  StartedAt: '2025-03-01T10:00:00.000Z',
  FinishedAt: '2025-03-01T10:00:02.000Z',
  DurationMs: 2000,
  Complete: true,
  ResourceCount: 2,
  PassCount: 2,
  FailCount: 0,
  ExemptCount: 0,
  ErrorCount: 0,
  FindingsWritten: 2,
  ArgQueries: 1,
  ArmCalls: 2,
  ArmThrottled: 0,
  ResourceGraphHasDiagnosticSettings: false,
  Errors: [],
  Version: '0.1.0',
};

/** The RestError behind a failed upload. */
async function uploadFailure(upload: Promise<void>): Promise<{ statusCode: unknown; code: unknown; message: string }> {
  try {
    await upload;
  } catch (error) {
    if (!isAggregateLogsUploadError(error)) throw error;
    const cause = error.errors[0]?.cause as { statusCode?: unknown; code?: unknown; message: string };
    return { statusCode: cause.statusCode, code: cause.code, message: cause.message };
  }
  throw new Error('expected the upload to fail');
}

const post = (path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  rawRequest(emulator, {
    method: 'POST',
    path,
    headers: { ...bearer, 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers },
    body,
  });
const findingsPath = () => `/dataCollectionRules/${emulator.dcrImmutableId}/streams/${findingsStream}?api-version=2023-01-01`;

describe('accepted uploads', () => {
  it('stores valid rows in arrival order and logs each batch, the scan row last', async () => {
    const rows = [finding('kv-a'), finding('kv-b')];
    await ingestion.upload(emulator.dcrImmutableId, findingsStream, rows);
    await ingestion.upload(emulator.dcrImmutableId, scansStream, [scan]);

    expect(emulator.rows(findingsStream)).toEqual(rows);
    expect(emulator.rows(scansStream)).toEqual([scan]);
    expect(emulator.ingestionLog).toEqual([
      { stream: findingsStream, rows: 2, acceptedAtMs: expect.any(Number) },
      { stream: scansStream, rows: 1, acceptedAtMs: expect.any(Number) },
    ]);
    // Accepted in order, on the emulator's clock.
    const [first, second] = emulator.ingestionLog;
    expect(second!.acceptedAtMs).toBeGreaterThanOrEqual(first!.acceptedAtMs);
  });

  it('null is accepted in every column, and dynamic columns take any JSON', async () => {
    const allNull = Object.fromEntries(Object.keys(finding('kv-null')).map((column) => [column, null]));
    const oddDynamic = { ...finding('kv-dyn'), Tags: 'not a bag', Destinations: 42 };
    const response = await post(findingsPath(), gzipJson([allNull, oddDynamic]));
    expect(response.status).toBe(204);
  });
});

describe('rejected uploads', () => {
  it('every problem of every row is listed, and nothing of the batch is stored', async () => {
    const before = emulator.rows(findingsStream).length;
    const bad = [
      { ...finding('kv-1'), Status: 5 },
      { ...finding('kv-2'), DiagnosticSettingCount: 1.5, Colour: 'red' },
      { ...finding('kv-3'), TimeGenerated: 'yesterday', CisStrict: 'true', DiagnosticSettingCount: 2 ** 31 },
      null,
    ];
    const response = await post(findingsPath(), gzipJson(bad));
    expect(response.status).toBe(400);
    const error = JSON.parse(response.body).error;
    expect(error.code).toBe('InvalidRows');
    expect(error.details.map((d: { message: string }) => d.message)).toEqual([
      'row 0: column Status: expected string, got number',
      'row 1: column DiagnosticSettingCount: expected int (a whole number within 32 bits), got 1.5',
      'row 1: unknown column Colour',
      "row 2: column TimeGenerated: expected datetime (an ISO 8601 string), got 'yesterday'",
      'row 2: column DiagnosticSettingCount: expected int (a whole number within 32 bits), got 2147483648',
      'row 2: column CisStrict: expected boolean, got string',
      'row 3: expected an object, got null',
    ]);
    expect(emulator.rows(findingsStream)).toHaveLength(before);
  });

  it('the SDK surfaces a rejected batch as a 400 RestError', async () => {
    const failure = await uploadFailure(ingestion.upload(emulator.dcrImmutableId, scansStream, [{ ...scan, Complete: 'yes' }]));
    expect(failure).toMatchObject({ statusCode: 400, code: 'InvalidRows' });
  });

  it.each([
    ['an unknown DCR: 404', () => 'dcr-00000000000000000000000000000000', findingsStream, 404, 'NotFound'],
    ['an unknown stream: 400', () => emulator.dcrImmutableId, 'Custom-Unknown', 400, 'InvalidStream'],
  ])('%s', async (_scenario, ruleId, stream, statusCode, code) => {
    expect(await uploadFailure(ingestion.upload(ruleId(), stream, [finding('kv-a')]))).toMatchObject({ statusCode, code });
  });

  it('a single row over 1 MB, which the SDK sends alone: 413', async () => {
    const huge = { ...finding('kv-huge'), Detail: 'x'.repeat(1_100_000) };
    expect(await uploadFailure(ingestion.upload(emulator.dcrImmutableId, findingsStream, [huge]))).toMatchObject({
      statusCode: 413,
      code: 'ContentLengthLimitExceeded',
    });
  });

  it.each([
    // Random text barely compresses: over the limit compressed.
    ['over 1 MB compressed: 413', () => gzipJson([{ ...finding('kv-a'), Detail: randomBytes(900_000).toString('base64') }]), 413],
    // Repetitive text compresses to almost nothing: over the limit uncompressed only.
    ['over 1 MB uncompressed only: 413', () => gzipJson([{ ...finding('kv-a'), Detail: 'a'.repeat(1_100_000) }]), 413],
    ['not valid gzip: 400', () => Buffer.from('definitely not gzip'), 400],
    ['not JSON: 400', () => gzipSync('[{"ScanId": '), 400],
    ['not a JSON array: 400', () => gzipJson(finding('kv-a')), 400],
  ])('a body %s', async (_scenario, body, status) => {
    expect((await post(findingsPath(), body())).status).toBe(status);
  });

  it('a body sent without Content-Encoding: gzip: 400', async () => {
    const response = await post(findingsPath(), JSON.stringify([finding('kv-a')]), { 'content-encoding': 'identity' });
    expect([response.status, JSON.parse(response.body).error.code]).toEqual([400, 'InvalidContentEncoding']);
  });

  it('no bearer token: 401', async () => {
    const response = await rawRequest(emulator, {
      method: 'POST',
      path: findingsPath(),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipJson([finding('kv-a')]),
    });
    expect(response.status).toBe(401);
  });
});
