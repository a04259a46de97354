import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, emulatorCredential } from '../src/index.js';
import { bearer, rawRequest, restError, sdkClients, startTestEmulator } from './support.js';
import { ids, kvASetting, subs, testEstate } from './testEstate.js';

/** The ARM diagnostic settings list through the real @azure/arm-monitor client. */

let emulator: Emulator;
let monitor: ReturnType<typeof sdkClients>['monitor'];

beforeAll(async () => {
  emulator = await startTestEmulator({ estate: testEstate, retryAfterSeconds: 0 });
  monitor = sdkClients(emulator).monitor;
});
afterAll(() => emulator.close());

async function list(resourceId: string): Promise<unknown[]> {
  const settings: unknown[] = [];
  for await (const setting of monitor.diagnosticSettings.list(resourceId)) settings.push(setting);
  return settings;
}

/** The raw list body, as the scanner should read it (the SDK flattens `properties`). */
async function rawList(resourceId: string, apiVersion = '2021-05-01-preview') {
  return rawRequest(emulator, {
    method: 'GET',
    path: `${resourceId}/providers/Microsoft.Insights/diagnosticSettings?api-version=${apiVersion}`,
    headers: bearer,
  });
}

describe('reading a resource\'s settings', () => {
  it.each([
    ['without a leading slash, as the spec examples pass it', ids.kvA.slice(1)],
    ['with a leading slash: the SDK then requests //subscriptions/…', ids.kvA],
    ['in another case, with a trailing slash', `${ids.kvA.toUpperCase()}/`],
  ])('200 %s', async (_scenario, resourceId) => {
    expect(await list(resourceId)).toEqual([
      expect.objectContaining({ id: kvASetting.id, name: 'to-law', workspaceId: ids.workspace, logs: [expect.objectContaining({ categoryGroup: 'audit', enabled: true })] }),
    ]);
  });

  it('serves settings verbatim, malformed ones included, in one page', async () => {
    const response = await rawList(ids.kvB);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ value: [testEstate.diagnosticSettings[1]] });
  });

  it('a resource without settings: an empty list', async () => {
    expect(await list(ids.hsm)).toEqual([]);
  });

  it.each([
    ['an unknown resource: 404', `${ids.kvA}-gone`, 404, 'ResourceNotFound', "The Resource 'Microsoft.KeyVault/vaults/kv-a-gone' under resource group 'RG-Apps' was not found"],
    ['a denied resource: 403', ids.kvDenied, 403, 'AuthorizationFailed', "does not have authorization to perform action 'Microsoft.Insights/diagnosticSettings/read'"],
  ])('%s, in ARM\'s error shape', async (_scenario, resourceId, statusCode, code, message) => {
    // The SDK's pager keeps the status and code but drops the message, so the body is read raw.
    expect(await restError(list(resourceId))).toMatchObject({ statusCode, code });
    const raw = await rawList(resourceId);
    expect(JSON.parse(raw.body)).toEqual({ error: { code, message: expect.stringContaining(message) } });
  });

  it("an unavailable resource: 500 from Microsoft.Insights, whose errors come without ARM's envelope", async () => {
    expect(await restError(list(ids.kvDown))).toMatchObject({ statusCode: 500 });
    const raw = await rawList(ids.kvDown);
    expect([raw.status, JSON.parse(raw.body)]).toEqual([500, { code: 'InternalServerError', message: expect.stringContaining('Encountered internal server error') }]);
  });

  it.each([
    ['an api-version without category groups', '2017-05-01-preview', 'InvalidApiVersionParameter'],
    ['no api-version', '', 'MissingApiVersionParameter'],
  ])('400 for %s', async (_scenario, apiVersion, code) => {
    const path = `${ids.kvA}/providers/Microsoft.Insights/diagnosticSettings${apiVersion ? `?api-version=${apiVersion}` : ''}`;
    const response = await rawRequest(emulator, { method: 'GET', path, headers: bearer });
    expect([response.status, JSON.parse(response.body).error.code]).toEqual([400, code]);
  });

  it('the percent-encoded query parameter name the SDKs send (api%2Dversion) is understood', async () => {
    const path = `${ids.kvA}/providers/Microsoft.Insights/diagnosticSettings?api%2Dversion=2021-05-01-preview`;
    expect((await rawRequest(emulator, { method: 'GET', path, headers: bearer })).status).toBe(200);
  });

  it.each([
    ['no Authorization header', {}, 401, 'AuthenticationFailed'],
    ['a non-bearer Authorization header', { authorization: 'Basic dXNlcjpwYXNz' }, 401, 'AuthenticationFailed'],
  ])('%s: 401', async (_scenario, headers, status, code) => {
    const response = await rawRequest(emulator, { method: 'GET', path: `${ids.kvA}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`, headers });
    expect([response.status, JSON.parse(response.body).error.code]).toEqual([status, code]);
  });

  it('anything else is a 404 in ARM\'s error shape', async () => {
    const response = await rawRequest(emulator, { method: 'GET', path: `/subscriptions/${subs.apps}/resourcegroups?api-version=2021-04-01`, headers: bearer });
    expect([response.status, JSON.parse(response.body).error.code]).toEqual([404, 'NotFound']);
  });
});

describe('the per-subscription read token bucket', () => {
  let throttled: Emulator;
  beforeAll(async () => {
    // Neither bucket refills, so every header value is exact.
    throttled = await startTestEmulator({
      estate: { ...testEstate, armThrottling: { globalReads: { bucketSize: 3750, refillPerSecond: 0 } } },
      armReads: { bucketSize: 2, refillPerSecond: 0 },
      retryAfterSeconds: 7,
    });
  });
  afterAll(() => throttled.close());

  it('counts down the principal and global read buckets, then answers 429 SubscriptionRequestsThrottled with Retry-After', async () => {
    const read = (resourceId: string) =>
      rawRequest(throttled, { method: 'GET', path: `${resourceId}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`, headers: bearer });
    const responses = [await read(ids.kvA), await read(ids.kvB), await read(ids.kvA), await read(ids.hsm)];
    expect(
      responses.map((r) => [
        r.status,
        r.headers['x-ms-ratelimit-remaining-subscription-reads'],
        r.headers['x-ms-ratelimit-remaining-subscription-global-reads'],
        r.headers['retry-after'] ?? null,
      ]),
    ).toEqual([
      [200, '1', '3749', null],
      [200, '0', '3748', null],
      [429, '0', '3748', '7'],
      // Another subscription has its own buckets.
      [200, '1', '3749', null],
    ]);
    expect(JSON.parse(responses[2]?.body ?? '{}').error.code).toBe('SubscriptionRequestsThrottled');
    expect(throttled.stats).toMatchObject({ armRequests: 4, armThrottled: 1 });
  });

  it('throttles each principal on its own: another principal still reads, from the same global bucket', async () => {
    const other = await rawRequest(throttled, {
      method: 'GET',
      path: `${ids.kvA}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`,
      headers: { authorization: 'Bearer another-principal' },
    });
    expect([other.status, other.headers['x-ms-ratelimit-remaining-subscription-reads'], other.headers['x-ms-ratelimit-remaining-subscription-global-reads']]).toEqual([
      200,
      '1',
      '3747',
    ]);
  });

  it('the SDK surfaces the 429 as a RestError once its retries are spent', async () => {
    const { token } = await emulatorCredential.getToken();
    const asTheSdk = (resourceId: string) =>
      rawRequest(throttled, { method: 'GET', path: `${resourceId}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`, headers: { authorization: `Bearer ${token}` } });
    expect([(await asTheSdk(ids.kvA)).status, (await asTheSdk(ids.kvA)).status]).toEqual([200, 200]);
    const error = await restError(
      (async () => {
        for await (const setting of sdkClients(throttled).monitor.diagnosticSettings.list(ids.kvB)) void setting;
      })(),
    );
    expect(error).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
  });
});

describe('a resource deleted after the inventory', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({ estate: { ...testEstate, deletedAfterInventory: [ids.kvA] } });
  });
  afterAll(() => emulator.close());

  it('is still listed by ARG but ARM answers 404 ResourceNotFound for its settings', async () => {
    const { resourceGraph, monitor } = sdkClients(emulator);
    const listed = await resourceGraph.resources({ query: "resources | where name == 'kv-a' | project id" });
    expect(listed.data).toEqual([{ id: ids.kvA }]);
    expect(await restError((async () => { for await (const s of monitor.diagnosticSettings.list(ids.kvA.slice(1))) void s; })())).toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });
});
