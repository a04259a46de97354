import { QueueClient } from '@azure/storage-queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Azurite, type Emulator, type Estate, type EventGridEvent, parseFaultSpec, startAzurite } from '../src/index.js';
import { bearer, manualClock, rawRequest, startTestEmulator } from './support.js';
import { ids, kvASetting, subs, testEstate } from './testEstate.js';

/** Event Grid into a Storage queue in Azurite: each ARM operation the estate goes through, as Azure delivers it. */

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite.close());

const emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()));
});

let queues = 0;
/** An emulator delivering to a queue of its own, and that queue as the function app reads it. */
async function start(estate: Estate, options: { faults?: string; seed?: number; clock?: ReturnType<typeof manualClock> } = {}) {
  const queueName = `events-${(queues += 1)}`;
  const clock = options.clock ?? manualClock();
  const emulator = await startTestEmulator({
    estate,
    clock: clock.now,
    events: { connectionString: azurite.connectionString, queueName },
    faults: parseFaultSpec(options.faults ?? ''),
    seed: options.seed ?? 1,
  });
  emulators.push(emulator);
  return { emulator, clock, queue: new QueueClient(azurite.connectionString, queueName) };
}

/** Every message in the queue, received (and so hidden) in arrival order: raw bodies and decoded events. */
async function drain(queue: QueueClient): Promise<{ bodies: string[]; events: EventGridEvent[] }> {
  const bodies: string[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 600 });
    if (receivedMessageItems.length === 0) break;
    bodies.push(...receivedMessageItems.map((m) => m.messageText));
  }
  return { bodies, events: bodies.map((body) => JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as EventGridEvent) };
}

const rg = (group: string) => `/subscriptions/${subs.logging}/resourceGroups/${group}`;
const dest = {
  storage: `${rg('rg-logs')}/providers/Microsoft.Storage/storageAccounts/stlogs`,
  namespace: `${rg('rg-logs')}/providers/Microsoft.EventHub/namespaces/ehns`,
  hub: `${rg('rg-logs')}/providers/Microsoft.EventHub/namespaces/ehns/eventhubs/hub1`,
  namespaceRule: `${rg('rg-logs')}/providers/Microsoft.EventHub/namespaces/ehns/authorizationRules/send`,
  hubRule: `${rg('rg-logs')}/providers/Microsoft.EventHub/namespaces/ehns/eventhubs/hub1/authorizationRules/send`,
};
const resource = (id: string, type: string) => ({ id, name: id.split('/').at(-1)!, type, location: 'westeurope' });
const kvNew = `/subscriptions/${subs.apps}/resourceGroups/RG-Apps/providers/Microsoft.KeyVault/vaults/kv-new`;
const kvNewSetting = { ...kvASetting, id: `${kvNew}/providers/microsoft.insights/diagnosticSettings/to-law` };

/** A day in the life of the estate: every kind of change, each a few seconds after the last. */
const history: Estate = {
  ...testEstate,
  timeline: [
    {
      afterSeconds: 10,
      create: [
        resource(dest.storage, 'Microsoft.Storage/storageAccounts'),
        resource(dest.namespace, 'Microsoft.EventHub/namespaces'),
        resource(dest.hub, 'Microsoft.EventHub/namespaces/eventhubs'),
        resource(dest.namespaceRule, 'Microsoft.EventHub/namespaces/authorizationRules'),
        resource(dest.hubRule, 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules'),
      ],
    },
    { afterSeconds: 20, create: [resource(kvNew, 'Microsoft.KeyVault/vaults')], diagnosticSettings: [kvNewSetting] },
    { afterSeconds: 30, diagnosticSettings: [{ ...kvASetting, properties: { workspaceId: ids.workspace, logs: [] } }] },
    { afterSeconds: 40, deleteDiagnosticSettings: [kvASetting.id] },
    { afterSeconds: 50, tags: [{ resourceId: ids.kvB, tags: { 'kv-audit-exempt': 'true' } }, { resourceId: ids.workspace, tags: { team: 'logs' } }] },
    { afterSeconds: 60, delete: [kvNew, ids.hsm] },
    { afterSeconds: 70, delete: [dest.hubRule, dest.namespaceRule, dest.hub, dest.namespace, dest.storage, ids.workspace] },
  ],
};

const write = 'Microsoft.Resources.ResourceWriteSuccess';
const del = 'Microsoft.Resources.ResourceDeleteSuccess';

describe('every ARM operation that can change a verdict becomes one Event Grid event in the queue', () => {
  it('in order, with the right type, subject and operation, and only those the event subscription lets through', async () => {
    const { emulator, clock, queue } = await start(history);
    clock.advance(70_000);
    await emulator.settle();
    const { events } = await drain(queue);
    expect(events.map((e) => [e.data.operationName, e.subject, e.eventType, 'httpRequest' in e.data])).toEqual([
      ['Microsoft.KeyVault/vaults/write', kvNew, write, false],
      ['Microsoft.Insights/diagnosticSettings/write', `${kvNew}/providers/Microsoft.Insights/diagnosticSettings/to-law`, write, false],
      ['Microsoft.Insights/diagnosticSettings/write', `${ids.kvA.toLowerCase()}/providers/Microsoft.Insights/diagnosticSettings/to-law`, write, true],
      ['Microsoft.Insights/diagnosticSettings/delete', `${ids.kvA.toLowerCase()}/providers/Microsoft.Insights/diagnosticSettings/to-law`, del, true],
      ['Microsoft.Resources/tags/write', `${ids.kvB}/providers/Microsoft.Resources/tags/default`, write, true],
      ['Microsoft.KeyVault/vaults/delete', kvNew, del, true],
      ['Microsoft.KeyVault/managedHSMs/delete', ids.hsm, del, true],
      ['Microsoft.EventHub/namespaces/eventhubs/authorizationRules/delete', dest.hubRule, del, true],
      ['Microsoft.EventHub/namespaces/authorizationRules/delete', dest.namespaceRule, del, true],
      ['Microsoft.EventHub/namespaces/eventhubs/delete', dest.hub, del, true],
      ['Microsoft.EventHub/namespaces/delete', dest.namespace, del, true],
      ['Microsoft.Storage/storageAccounts/delete', dest.storage, del, true],
      ['Microsoft.OperationalInsights/workspaces/delete', ids.workspace, del, true],
    ]);
    // Resource writes outside Key Vault (the destinations' creation, a workspace's tags) are filtered out.
    expect(emulator.stats).toMatchObject({ changesApplied: 7, eventsPublished: 13, eventsDelivered: 13 });
  });

  it("each message is one event in the Event Grid schema, Base64-encoded as Event Grid writes a Storage queue's messages", async () => {
    const { emulator, clock, queue } = await start(history);
    clock.advance(40_000);
    await emulator.settle();
    const { bodies, events } = await drain(queue);
    expect(bodies.every((body) => /^[A-Za-z0-9+/]+=*$/.test(body))).toBe(true);
    expect(events[3]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      topic: `/subscriptions/${subs.apps}`,
      subject: `${ids.kvA.toLowerCase()}/providers/Microsoft.Insights/diagnosticSettings/to-law`,
      eventType: del,
      eventTime: '2030-01-01T00:00:40.000Z',
      data: {
        authorization: { scope: events[3]?.subject, action: 'Microsoft.Insights/diagnosticSettings/delete', evidence: expect.any(Object) },
        claims: expect.any(Object),
        correlationId: expect.any(String),
        httpRequest: { clientRequestId: expect.any(String), clientIpAddress: expect.any(String), method: 'DELETE', url: expect.stringContaining('/diagnosticSettings/to-law') },
        resourceProvider: 'Microsoft.Insights',
        resourceUri: events[3]?.subject,
        operationName: 'Microsoft.Insights/diagnosticSettings/delete',
        status: 'Succeeded',
        subscriptionId: subs.apps,
        tenantId: testEstate.tenantId,
      },
      dataVersion: '2',
      metadataVersion: '1',
    });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('changesDuringScan are announced too, when the Resource Graph page that triggers them is served', async () => {
    const { emulator, queue } = await start({ ...testEstate, changesDuringScan: [{ afterArgPage: 1, delete: [ids.kvB] }] });
    const query = (await rawRequest(emulator, {
      method: 'POST',
      path: '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'resources | project id' }),
    })).status;
    await emulator.settle();
    expect([query, (await drain(queue)).events.map((e) => [e.data.operationName, e.subject])]).toEqual([200, [['Microsoft.KeyVault/vaults/delete', ids.kvB]]]);
  });
});

describe('the timeline on an injected clock', () => {
  const settingsPath = (id: string) => `${id}/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview`;

  it('a change happens when the clock passes it, not before: ARM serves the estate as the clock has it', async () => {
    const { emulator, clock, queue } = await start(history);
    const kvASettings = async () => JSON.parse((await rawRequest(emulator, { method: 'GET', path: settingsPath(ids.kvA), headers: bearer })).body) as { value: unknown[] };
    clock.advance(39_999);
    await emulator.settle();
    const before = { settings: (await kvASettings()).value.length, events: (await drain(queue)).events.length };
    clock.advance(1);
    // A request alone applies what is due: the setting is gone for the read that follows the tick.
    const after = (await kvASettings()).value.length;
    await emulator.settle();
    expect([before, after, (await drain(queue)).events.map((e) => e.data.operationName)]).toEqual([
      { settings: 1, events: 3 },
      0,
      ['Microsoft.Insights/diagnosticSettings/delete'],
    ]);
  });

  it('refuses a timeline out of order, or naming what does not exist at that point, listing every problem', async () => {
    const estate = {
      ...testEstate,
      timeline: [
        { afterSeconds: 20, deleteDiagnosticSettings: [`${ids.kvA}/providers/microsoft.insights/diagnosticSettings/nope`] },
        { afterSeconds: 10, tags: [{ resourceId: `${ids.kvA}-gone`, tags: {} }], delete: [ids.kvA] },
        { afterSeconds: 30, delete: [ids.kvA] },
        { afterSeconds: 40, deleteResourceGroups: [`/subscriptions/${subs.logging}/resourceGroups/rg-empty`, ids.kvB] },
      ],
    };
    await expect(start(estate)).rejects.toThrow(
      new RegExp(
        [
          String.raw`timeline\[3\]\.deleteResourceGroups\[1\]: is not a resource group id\n`,
          String.raw`timeline\[0\]\.deleteDiagnosticSettings\[0\]: '.*/nope' does not exist at that point`,
          String.raw`timeline\[1\]\.afterSeconds: changes are applied in order: 10 comes after 20`,
          String.raw`timeline\[1\]\.tags\[0\]\.resourceId: '.*kv-a-gone' does not exist at that point`,
          String.raw`timeline\[2\]\.delete\[0\]: '.*kv-a' does not exist at that point`,
          String.raw`timeline\[3\]\.deleteResourceGroups\[0\]: '.*rg-empty' holds no resource at that point`,
        ].join('[\\s\\S]*'),
      ),
    );
  });
});

describe('hostile delivery: Event Grid delivers at least once, in no guaranteed order', () => {
  /** Twenty tag writes, one a second: twenty events in a known order. */
  const many: Estate = {
    ...testEstate,
    timeline: Array.from({ length: 20 }, (_, i) => ({ afterSeconds: i + 1, tags: [{ resourceId: ids.kvA, tags: { n: String(i) } }] })),
  };
  const publishedOrder = (events: EventGridEvent[]) => [...events].sort((a, b) => a.eventTime.localeCompare(b.eventTime)).map((e) => e.id);

  async function delivered(faults: string, seed: number) {
    const { emulator, clock, queue } = await start(many, { faults, seed });
    for (let i = 0; i < 20; i += 1) {
      clock.advance(1000);
      await emulator.settle();
    }
    clock.advance(120_000);
    await emulator.settle();
    return { ids: (await drain(queue)).events, stats: emulator.stats };
  }

  it.each([
    ['drop', 'events:drop@0.3', 'eventsDropped'],
    ['dup', 'events:dup@0.3', 'eventsDuplicated'],
    ['reorder', 'events:reorder@0.3', 'eventsReordered'],
  ] as const)('%s: the same seed gives the same deliveries, another seed others', async (_outcome, faults, counter) => {
    const first = await delivered(faults, 7);
    const again = await delivered(faults, 7);
    const other = await delivered(faults, 8);
    const sequence = (run: typeof first) => run.ids.map((e) => e.data.operationName + e.eventTime);
    expect(sequence(again)).toEqual(sequence(first));
    expect(sequence(other)).not.toEqual(sequence(first));
    expect(first.stats[counter]).toBeGreaterThan(0);
    expect(first.stats.eventsPublished).toBe(20);
  });

  it('drop: an event dropped never arrives; the others do, once each', async () => {
    const { ids: events, stats } = await delivered('events:drop@0.3', 7);
    expect(events.length).toBe(20 - stats.eventsDropped);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('dup: a duplicated event arrives twice with the same id', async () => {
    const { ids: events, stats } = await delivered('events:dup@0.3', 7);
    const counts = Object.values(Object.groupBy(events, (e) => e.id)).map((group) => group?.length);
    expect([counts.length, counts.filter((n) => n === 2).length]).toEqual([20, stats.eventsDuplicated]);
  });

  it('reorder: a reordered event arrives right after the one that followed it', async () => {
    const { ids: events, stats } = await delivered('events:reorder@0.3', 7);
    const order = publishedOrder(events);
    const arrived = events.map((e) => e.id);
    // Two reordered in a row arrive in their own order after the next one: only the first of them is behind its predecessor.
    const late = arrived.filter((id, i) => order.indexOf(id) < order.indexOf(arrived[i - 1] ?? ''));
    expect([arrived.length, new Set(arrived).size, late.length > 0, late.length <= stats.eventsReordered]).toEqual([20, 20, true, true]);
  });

  it('latency: an event reaches the queue that long after its operation, on the emulator clock', async () => {
    const { emulator, clock, queue } = await start(history, { faults: 'latency:events=5000ms' });
    clock.advance(40_000);
    await emulator.settle();
    const early = (await drain(queue)).events.map((e) => e.data.operationName);
    clock.advance(4_999);
    await emulator.settle();
    const stillEarly = (await drain(queue)).events.length;
    clock.advance(1);
    await emulator.settle();
    expect([early.length, stillEarly, (await drain(queue)).events.map((e) => e.data.operationName)]).toEqual([
      3,
      0,
      ['Microsoft.Insights/diagnosticSettings/delete'],
    ]);
  });
});
