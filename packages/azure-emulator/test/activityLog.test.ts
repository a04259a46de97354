import type { EventData } from '@azure/arm-monitor';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions, Estate } from '../src/index.js';
import { activityLogClient, manualClock, restError, startTestEmulator } from './support.js';
import { ids, kvASetting, subs, testEstate } from './testEstate.js';

/** The Activity Log list API through @azure/arm-monitor's activityLogs.list: every operation the estate went through. */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const start0 = '2030-01-01T00:00:00Z';
const at = (seconds: number) => new Date(Date.parse(start0) + seconds * 1000).toISOString();

/** The estate's history: kv-a loses its setting at 10 s, kv-b gets an exemption tag at 20 s, the HSM is deleted at 30 s. */
const history: Estate = {
  ...testEstate,
  timeline: [
    { afterSeconds: 10, deleteDiagnosticSettings: [kvASetting.id] },
    { afterSeconds: 20, tags: [{ resourceId: ids.kvB, tags: { 'kv-audit-exempt': 'true' } }] },
    { afterSeconds: 30, delete: [ids.hsm] },
  ],
};

async function start(estate: Estate = history, options: Omit<EmulatorOptions, 'streams' | 'estate' | 'clock'> = {}) {
  const clock = manualClock(start0);
  emulator = await startTestEmulator({ estate, clock: clock.now, ...options });
  return { emulator, clock };
}

async function list(subscriptionId: string, filter: string, select?: string): Promise<EventData[]> {
  const entries: EventData[] = [];
  for await (const entry of activityLogClient(emulator!, subscriptionId).activityLogs.list(filter, select === undefined ? {} : { select })) entries.push(entry);
  return entries;
}

const window = (from: number, to?: number) => `eventTimestamp ge '${at(from)}'${to === undefined ? '' : ` and eventTimestamp le '${at(to)}'`}`;
const summary = (entries: EventData[]) => entries.map((e) => [e.operationName?.value, e.status?.value, e.eventTimestamp?.toISOString()]);

describe('every operation, newest first, with the time the emulator clock gave it', () => {
  it('Started and Succeeded for each operation, one correlationId between them, in the subscription asked for', async () => {
    const { clock } = await start();
    clock.advance(60_000);
    const apps = await list(subs.apps, window(0));
    expect(summary(apps)).toEqual([
      ['Microsoft.Resources/tags/write', 'Succeeded', at(20)],
      ['Microsoft.Resources/tags/write', 'Started', at(20)],
      ['Microsoft.Insights/diagnosticSettings/delete', 'Succeeded', at(10)],
      ['Microsoft.Insights/diagnosticSettings/delete', 'Started', at(10)],
    ]);
    expect(apps[2]).toMatchObject({
      resourceId: `${ids.kvA.toLowerCase()}/providers/Microsoft.Insights/diagnosticSettings/to-law`,
      resourceGroupName: 'rg-apps',
      resourceProviderName: { value: 'Microsoft.Insights' },
      category: { value: 'Administrative' },
      level: 'Informational',
      subscriptionId: subs.apps,
      tenantId: testEstate.tenantId,
      correlationId: apps[3]?.correlationId,
      httpRequest: { method: 'DELETE' },
    });
    expect(summary(await list(subs.logging, window(0)))).toEqual([
      ['Microsoft.KeyVault/managedHSMs/delete', 'Succeeded', at(30)],
      ['Microsoft.KeyVault/managedHSMs/delete', 'Started', at(30)],
    ]);
  });

  it('writes no entry for what has not happened yet on the clock', async () => {
    const { clock } = await start();
    clock.advance(15_000);
    expect(summary(await list(subs.apps, window(0)))).toEqual([
      ['Microsoft.Insights/diagnosticSettings/delete', 'Succeeded', at(10)],
      ['Microsoft.Insights/diagnosticSettings/delete', 'Started', at(10)],
    ]);
  });
});

describe('a held timeline (holdTimeline), as kv-audit demo --watch plays it after its first scan', () => {
  it('nothing happens until playTimeline(); then each entry is due afterSeconds from then', async () => {
    const { emulator: held, clock } = await start(history, { holdTimeline: true });
    clock.advance(60_000);
    await held.settle();
    expect([await list(subs.apps, window(0)), held.changesToCome]).toEqual([[], 3]);
    held.playTimeline();
    clock.advance(15_000);
    await held.settle();
    expect(summary(await list(subs.apps, window(0)))).toEqual([
      ['Microsoft.Insights/diagnosticSettings/delete', 'Succeeded', at(70)],
      ['Microsoft.Insights/diagnosticSettings/delete', 'Started', at(70)],
    ]);
    expect(held.changesToCome).toBe(2);
  });
});

describe('the documented $filter', () => {
  it.each([
    ['a time window', window(15, 25), ['Microsoft.Resources/tags/write']],
    ['only a start: up to now', window(15), ['Microsoft.Resources/tags/write']],
    ['resourceGroupName, any case', `${window(0)} and resourceGroupName eq 'RG-APPS'`, ['Microsoft.Resources/tags/write', 'Microsoft.Insights/diagnosticSettings/delete']],
    ['resourceUri', `${window(0)} and resourceUri eq '${ids.kvB}/providers/Microsoft.Resources/tags/default'`, ['Microsoft.Resources/tags/write']],
    ['resourceId, as the CLI sends it', `${window(0)} and resourceId eq '${kvASetting.id.toUpperCase()}'`, ['Microsoft.Insights/diagnosticSettings/delete']],
    ['resourceProvider', `${window(0)} and resourceProvider eq 'microsoft.insights'`, ['Microsoft.Insights/diagnosticSettings/delete']],
    ['a resource that had no operation', `${window(0)} and resourceUri eq '${ids.kvA}'`, []],
  ])('%s', async (_scenario, filter, operations) => {
    const { clock } = await start();
    clock.advance(60_000);
    const entries = await list(subs.apps, filter);
    expect([...new Set(entries.map((e) => e.operationName?.value))]).toEqual(operations);
  });

  it('correlationId: both entries of one operation', async () => {
    const { clock } = await start();
    clock.advance(60_000);
    const [latest] = await list(subs.apps, window(0));
    expect(summary(await list(subs.apps, `${window(0)} and correlationId eq '${latest?.correlationId}'`))).toEqual([
      ['Microsoft.Resources/tags/write', 'Succeeded', at(20)],
      ['Microsoft.Resources/tags/write', 'Started', at(20)],
    ]);
  });

  it.each([
    ['no filter', ''],
    ['no start', `eventTimestamp le '${at(10)}'`],
    ['a term the API does not know', `${window(0)} and status eq 'Succeeded'`],
    ['two narrowing terms', `${window(0)} and resourceGroupName eq 'rg-apps' and resourceProvider eq 'Microsoft.Insights'`],
    ['or', `${window(0)} or resourceGroupName eq 'rg-apps'`],
    ['an unquoted time', `eventTimestamp ge ${at(0)}`],
    ['a time that is not one', `eventTimestamp ge 'yesterday'`],
    ['an end before the start', window(20, 10)],
    ['a start more than 90 days back', `eventTimestamp ge '${at(-91 * 86_400)}'`],
  ])("%s: 400 BadRequest, Microsoft.Insights' unwrapped error", async (_scenario, filter) => {
    await start();
    const error = await restError(list(subs.apps, filter));
    expect(error).toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });
});

describe('$select', () => {
  it('returns only the properties it names, in any case', async () => {
    const { clock } = await start();
    clock.advance(60_000);
    const [entry] = await list(subs.apps, window(0), 'OperationName,eventTimestamp,resourceId');
    expect(Object.entries(entry ?? {}).filter(([, value]) => value !== undefined).map(([name]) => name).sort()).toEqual([
      'eventTimestamp',
      'operationName',
      'resourceId',
    ]);
  });

  it('refuses a property EventData does not have', async () => {
    await start();
    expect(await restError(list(subs.apps, window(0), 'operationName,nope'))).toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });
});

describe('paging, lag, retention, access and throttling, as the real log', () => {
  const manyTags: Estate = {
    ...testEstate,
    activityLogPageSize: 3,
    timeline: Array.from({ length: 5 }, (_, i) => ({ afterSeconds: i + 1, tags: [{ resourceId: ids.kvA, tags: { n: String(i) } }] })),
  };

  it('pages of activityLogPageSize linked with nextLink, which the SDK follows: every entry once, newest first', async () => {
    const { clock } = await start(manyTags);
    clock.advance(10_000);
    const pages: number[] = [];
    for await (const page of activityLogClient(emulator!, subs.apps).activityLogs.list(window(0)).byPage()) pages.push(page.length);
    const entries = await list(subs.apps, window(0));
    expect(pages).toEqual([3, 3, 3, 1]);
    expect(new Set(entries.map((e) => e.eventDataId)).size).toBe(10);
    expect(entries.map((e) => e.eventTimestamp?.getTime())).toEqual(entries.map((e) => e.eventTimestamp!.getTime()).sort((a, b) => b - a));
  });

  it('activityLogDelaySeconds: an operation is listed only that long after its eventTimestamp', async () => {
    const { clock } = await start({ ...history, activityLogDelaySeconds: 300 });
    clock.advance(10_000 + 299_999);
    const early = await list(subs.apps, window(0));
    clock.advance(1);
    const entries = await list(subs.apps, window(0));
    expect([early.length, summary(entries)]).toEqual([
      0,
      [
        ['Microsoft.Insights/diagnosticSettings/delete', 'Succeeded', at(10)],
        ['Microsoft.Insights/diagnosticSettings/delete', 'Started', at(10)],
      ],
    ]);
    expect(entries[0]?.submissionTimestamp?.toISOString()).toBe(at(310));
  });

  it('90 days of retention: older operations are gone, and a start before that is refused', async () => {
    const { clock } = await start();
    clock.advance(90 * 86_400_000 + 15_000);
    expect(summary(await list(subs.apps, `eventTimestamp ge '${at(15)}'`))).toEqual([
      ['Microsoft.Resources/tags/write', 'Succeeded', at(20)],
      ['Microsoft.Resources/tags/write', 'Started', at(20)],
    ]);
    expect(await restError(list(subs.apps, window(0)))).toMatchObject({ statusCode: 400 });
  });

  it('a subscription out of sight: 403 AuthorizationFailed, like every ARM read', async () => {
    await start();
    expect(await restError(list(subs.invisible, window(0)))).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
  });

  it("ARM's read throttling: the subscription's bucket, its headers, then 429 SubscriptionRequestsThrottled", async () => {
    await start(history, { armReads: { bucketSize: 2, refillPerSecond: 0 } });
    const seen: (string | undefined)[] = [];
    const read = () => list(subs.apps, window(0)).catch(() => []);
    await read();
    await read();
    const error = await restError(
      (async () => {
        for await (const entry of activityLogClient(emulator!, subs.apps).activityLogs.list(window(0), {
          onResponse: (raw) => seen.push(raw.headers.get('x-ms-ratelimit-remaining-subscription-reads')),
        }))
          void entry;
      })(),
    );
    expect(error).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
    expect(seen).toEqual(['0']);
  });
});
