import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventSubscriptionOperations } from '@kv-audit/azure-emulator';
import { compiled, deploymentContext, moduleTemplate, type PredictedResource, repoRoot, resource, roleGrants, skipWithoutBicep, snapshotsOf, template } from './bicep.js';

/*
 * The event path as infra/main.bicep deploys it, evaluated by the real Bicep CLI (`bicep snapshot`): a system topic per
 * subscription in the event path's scope, two filtered event subscriptions on each that deliver to the host storage
 * account's queue with the topic's identity, the roles that takes, and the settings the function reads. The filters
 * are docs/issue 16's contract: what can change a verdict, nothing less.
 */

const home = deploymentContext.subscriptionId;
const [a, b, c] = ['aaaaaaaa-1111-4111-8111-111111111111', 'bbbbbbbb-2222-4222-8222-222222222222', 'cccccccc-3333-4333-8333-333333333333'];
const existingTopic = `/subscriptions/${a}/resourceGroups/Default-EventGrid/providers/Microsoft.EventGrid/systemTopics/subscription-events`;

const base = { environmentName: 'kv-audit', location: 'westeurope' };
const scenarios = {
  openScope: base,
  // Repeated, differently cased and separated, and without the deployment's own subscription.
  listedSubscriptions: { ...base, scanSubscriptions: `${a}, ${b};${a.toUpperCase()}` },
  managementGroups: { ...base, scanManagementGroups: 'mg-prod' },
  managementGroupsWithEventSubscriptions: { ...base, scanManagementGroups: 'mg-prod', eventSubscriptions: `${b} ${c}` },
  narrowerEventPath: { ...base, scanSubscriptions: `${a},${b}`, eventSubscriptions: b },
  reusedTopic: { ...base, scanSubscriptions: `${a},${b}`, existingEventTopics: existingTopic },
  badEventParameters: {
    ...base,
    scanSubscriptions: `${a},${b}`,
    eventSubscriptions: `${a},${c}`,
    existingEventTopics: [
      `/subscriptions/${a}/resourceGroups/rg-one/providers/Microsoft.EventGrid/systemTopics/one`,
      `/subscriptions/${a}/resourceGroups/rg-two/providers/Microsoft.EventGrid/systemTopics/two`,
      `/subscriptions/${b}/resourceGroups/rg-b/providers/Microsoft.EventGrid/systemTopics/b`,
      `/subscriptions/${a}/resourceGroups/rg-one/providers/Microsoft.EventGrid/topics/custom`,
    ].join(','),
  },
} satisfies Record<string, Record<string, string | number | boolean>>;
type Scenario = keyof typeof scenarios;

const { snapshot: snapshotOf, deployed } = snapshotsOf(scenarios);
const ofType = (scenario: Scenario, type: string) => deployed(scenario).filter((r) => r.type === type);
const rg = `/subscriptions/${home}/resourceGroups/rg-kv-audit`;
const hostAccount = (scenario: Scenario) => ofType(scenario, 'Microsoft.Storage/storageAccounts')[0]?.id ?? 'no storage account';

/** Each topic as `<subscription>/<resource group>/<name>`, the deployment's suffix as `<token>`. */
const topicsOf = (resources: readonly PredictedResource[]) =>
  resources
    .filter((r) => r.type === 'Microsoft.EventGrid/systemTopics')
    .map((r) => r.id.replace(/^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.EventGrid\/systemTopics\/(.+)$/, '$1/$2/$3').replace(/[a-z0-9]{13}$/, '<token>'))
    .sort();
/** Each event subscription as `<subscription>/<resource group>/<topic>/<name>`. */
const eventSubscriptionsOf = (scenario: Scenario) =>
  ofType(scenario, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')
    .map((r) => r.id.replace(/^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.EventGrid\/systemTopics\/([^/]+)\/eventSubscriptions\/(.+)$/, '$1/$2/$3/$4').replace(/[a-z0-9]{13}/g, '<token>'))
    .sort();
const both = (topic: string) => [`${topic}/kvaudit-destinations-<token>`, `${topic}/kvaudit-keyvault-<token>`];

describe.skipIf(skipWithoutBicep)('system topics: one per subscription of the event path', () => {
  it.each([
    ['openScope', [`${home}/rg-kv-audit/evgt-kvaudit-<token>`]],
    ['listedSubscriptions', [`${a}/rg-kv-audit/evgt-kvaudit-<token>`, `${b}/rg-kv-audit/evgt-kvaudit-<token>`]],
    ['managementGroups', []],
    ['managementGroupsWithEventSubscriptions', [`${b}/rg-kv-audit/evgt-kvaudit-<token>`, `${c}/rg-kv-audit/evgt-kvaudit-<token>`]],
    ['narrowerEventPath', [`${b}/rg-kv-audit/evgt-kvaudit-<token>`]],
    ['reusedTopic', [`${b}/rg-kv-audit/evgt-kvaudit-<token>`]],
  ] as const)('%s: creates %j', (scenario, expected) => {
    expect(topicsOf(deployed(scenario))).toEqual(expected);
  });

  it.each([
    ['openScope', [`${home}/rg-kv-audit/evgt-kvaudit-<token>`]],
    ['listedSubscriptions', [`${a}/rg-kv-audit/evgt-kvaudit-<token>`, `${b}/rg-kv-audit/evgt-kvaudit-<token>`]],
    ['managementGroups', []],
    ['reusedTopic', [`${a}/default-eventgrid/subscription-events`, `${b}/rg-kv-audit/evgt-kvaudit-<token>`]],
  ] as const)('%s: puts both event subscriptions on each topic, created or reused', (scenario, topics) => {
    expect(eventSubscriptionsOf(scenario)).toEqual(topics.flatMap(both));
  });

  it('listens to the subscription itself, from the global location, with a system-assigned identity', () => {
    const created = ofType('listedSubscriptions', 'Microsoft.EventGrid/systemTopics');
    expect(created).toHaveLength(2);
    for (const topic of created) {
      const subscriptionId = topic.id.split('/')[2];
      expect(topic).toMatchObject({
        location: 'global',
        identity: { type: 'SystemAssigned' },
        tags: { 'azd-env-name': 'kv-audit' },
        properties: { source: `/subscriptions/${subscriptionId}`, topicType: 'Microsoft.Resources.Subscriptions' },
      });
    }
  });

  it.each([
    ['openScope', []],
    ['listedSubscriptions', [a, b]],
    ['managementGroupsWithEventSubscriptions', [b, c]],
    ['reusedTopic', [b]],
  ] as const)('%s: creates a resource group for the topic only outside the deployment subscription (%j)', (scenario, subscriptions) => {
    const groups = ofType(scenario, 'Microsoft.Resources/resourceGroups').map((r) => r.id);
    expect(groups.sort()).toEqual([rg, ...subscriptions.map((id) => `/subscriptions/${id}/resourceGroups/rg-kv-audit`)].sort());
  });
});

describe.skipIf(skipWithoutBicep)('event subscriptions: what can change a verdict, delivered with the topic identity', () => {
  interface Filter {
    readonly operatorType: string;
    readonly key: string;
    readonly values: readonly string[];
  }
  interface EventSubscription {
    readonly eventDeliverySchema: string;
    readonly filter: { readonly includedEventTypes: readonly string[]; readonly advancedFilters: readonly Filter[] };
    readonly retryPolicy: { readonly maxDeliveryAttempts: number; readonly eventTimeToLiveInMinutes: number };
    readonly [property: string]: unknown;
  }
  const subscriptionNamed = (name: string) => {
    const found = ofType('openScope', 'Microsoft.EventGrid/systemTopics/eventSubscriptions').find((r) => r.name.split('/').pop()?.startsWith(name));
    if (found === undefined) throw new Error(`no event subscription ${name}`);
    return found.properties as unknown as EventSubscription;
  };

  it('sends Key Vault and Managed HSM setting, resource and tag changes, and only those', () => {
    expect(subscriptionNamed('kvaudit-keyvault-').filter).toEqual({
      includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess'],
      advancedFilters: [
        {
          operatorType: 'StringIn',
          key: 'data.operationName',
          values: [
            'Microsoft.Insights/diagnosticSettings/write',
            'Microsoft.Insights/diagnosticSettings/delete',
            'Microsoft.KeyVault/vaults/write',
            'Microsoft.KeyVault/vaults/delete',
            'Microsoft.KeyVault/managedHSMs/write',
            'Microsoft.KeyVault/managedHSMs/delete',
            'Microsoft.Resources/tags/write',
          ],
        },
        { operatorType: 'StringContains', key: 'data.resourceUri', values: ['/providers/Microsoft.KeyVault/'] },
      ],
    });
  });

  it('sends every delete of a kind of audit log destination', () => {
    expect(subscriptionNamed('kvaudit-destinations-').filter).toEqual({
      includedEventTypes: ['Microsoft.Resources.ResourceDeleteSuccess'],
      advancedFilters: [
        {
          operatorType: 'StringIn',
          key: 'data.operationName',
          values: [
            'Microsoft.OperationalInsights/workspaces/delete',
            'Microsoft.Storage/storageAccounts/delete',
            'Microsoft.EventHub/namespaces/delete',
            'Microsoft.EventHub/namespaces/eventhubs/delete',
            'Microsoft.EventHub/namespaces/authorizationRules/delete',
            'Microsoft.EventHub/namespaces/eventhubs/authorizationRules/delete',
          ],
        },
      ],
    });
  });

  it('the local emulator delivers exactly what these filters let through', () => {
    const operationsOf = (name: string) => subscriptionNamed(name).filter.advancedFilters.find((f) => f.key === 'data.operationName')?.values;
    expect({ keyVault: operationsOf('kvaudit-keyvault-'), destinationDeletes: operationsOf('kvaudit-destinations-') }).toEqual(eventSubscriptionOperations);
  });

  // Learn, "Understand event filtering for Event Grid subscriptions": 25 advanced filters and 25 values across them
  // per event subscription, 512 characters per string value.
  it.each(['kvaudit-keyvault-', 'kvaudit-destinations-'])('%s stays within Event Grid\'s advanced filter limits', (name) => {
    const filters = subscriptionNamed(name).filter.advancedFilters;
    expect(filters.length).toBeGreaterThan(0);
    expect(filters.length).toBeLessThanOrEqual(25);
    expect(filters.flatMap((f) => f.values).length).toBeLessThanOrEqual(25);
    expect(filters.flatMap((f) => f.values).filter((v) => v.length > 512)).toEqual([]);
  });

  it.each(['kvaudit-keyvault-', 'kvaudit-destinations-'])('%s delivers to the event queue and dead-letters to its container, both with the topic identity', (name) => {
    const account = hostAccount('openScope');
    expect(subscriptionNamed(name)).toEqual({
      eventDeliverySchema: 'EventGridSchema',
      deliveryWithResourceIdentity: {
        identity: { type: 'SystemAssigned' },
        destination: { endpointType: 'StorageQueue', properties: { resourceId: account, queueName: 'kv-audit-events' } },
      },
      deadLetterWithResourceIdentity: {
        identity: { type: 'SystemAssigned' },
        deadLetterDestination: { endpointType: 'StorageBlob', properties: { resourceId: account, blobContainerName: 'kv-audit-events-deadletter' } },
      },
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
      filter: expect.anything(),
    });
  });

  it('delivers the events of other subscriptions to the one host account', () => {
    const destinations = ofType('listedSubscriptions', 'Microsoft.EventGrid/systemTopics/eventSubscriptions').map(
      (r) => (r.properties as unknown as { deliveryWithResourceIdentity: { destination: { properties: { resourceId: string } } } }).deliveryWithResourceIdentity.destination.properties.resourceId,
    );
    expect(destinations).toHaveLength(4);
    expect(new Set(destinations)).toEqual(new Set([hostAccount('listedSubscriptions')]));
    expect(hostAccount('listedSubscriptions').startsWith(`${rg}/`)).toBe(true);
  });
});

describe.skipIf(skipWithoutBicep)('roles of the event path, on the one queue or container each uses', () => {
  const eventGrants = (scenario: Scenario) => roleGrants(deployed(scenario), rg).filter(([, scope]) => /\/(queues|containers)\//.test(scope ?? ''));
  const on = (path: string) => expect.stringMatching(new RegExp(`^<rg>/providers/Microsoft\\.Storage/storageAccounts/stkvaudit[a-z0-9]{13}/${path}$`));
  const functionGrants = [
    ['StorageBlobDataContributor', on('blobServices/default/containers/kv-audit-state'), 'id-kvaudit-func (ServicePrincipal)'],
    ['StorageQueueDataMessageProcessor', on('queueServices/default/queues/kv-audit-events'), 'id-kvaudit-func (ServicePrincipal)'],
    ['StorageQueueDataMessageSender', on('queueServices/default/queues/kv-audit-events-poison'), 'id-kvaudit-func (ServicePrincipal)'],
    ['StorageQueueDataReader', on('queueServices/default/queues/kv-audit-events'), 'id-kvaudit-func (ServicePrincipal)'],
  ];
  const topicGrants = (principal: string) => [
    ['StorageBlobDataContributor', on('blobServices/default/containers/kv-audit-events-deadletter'), `${principal} (ServicePrincipal)`],
    ['StorageQueueDataMessageSender', on('queueServices/default/queues/kv-audit-events'), `${principal} (ServicePrincipal)`],
  ];
  const sorted = (rows: unknown[][]) => [...rows].sort((x, y) => `${String(x[0])}${String(x[2])}`.localeCompare(`${String(y[0])}${String(y[2])}`));

  it.each([
    ['managementGroups', []],
    ['listedSubscriptions', [`evgt-kvaudit@${a}`, `evgt-kvaudit@${b}`]],
    ['reusedTopic', [`subscription-events@${a}`, `evgt-kvaudit@${b}`]],
  ] as const)('%s: the function reads the queue and the state, and each topic identity (%j) only sends and dead-letters', (scenario, topics) => {
    const rows = eventGrants(scenario);
    expect(sorted(rows)).toEqual(sorted([...functionGrants, ...topics.flatMap(topicGrants)]));
  });

  it('delivers from a reused topic with its own identity, checked to be there and of the right kind', () => {
    const principal = roleGrants(deployed('reusedTopic'), rg).find(([, , who]) => who?.startsWith('subscription-events@'));
    expect(principal).toBeDefined();
    const eventPath = moduleTemplate(template('infra/modules/eventPath.bicep'), 'systemTopic');
    const output = String(eventPath.outputs?.['principalId']?.value);
    expect(output).toContain("tryGet(tryGet(if(parameters('reuse'), reference('reused'");
    for (const check of ["'microsoft.resources.subscriptions'", 'toLower(subscription().id)', 'has no system-assigned identity', '--identity systemassigned', 'KV_AUDIT_EVENT_TOPICS']) {
      expect(output).toContain(check);
    }
  });
});

describe.skipIf(skipWithoutBicep)('the function app', () => {
  const settings = (scenario: Scenario) => ofType(scenario, 'Microsoft.Web/sites/config')[0]?.properties ?? {};

  it('connects the queue trigger through the user-assigned identity, to the queue service only', () => {
    expect(settings('openScope')).toMatchObject({
      KV_AUDIT_EVENTS__credential: 'managedidentity',
      KV_AUDIT_EVENTS__clientId: expect.stringMatching(/^\[reference\('[^']+\/userAssignedIdentities\/id-kvaudit-func-[a-z0-9]{13}', '[^']+'\)\.clientId\]$/),
      KV_AUDIT_EVENTS__queueServiceUri: expect.stringMatching(/^\[join\(take\(split\(reference\('[^']+\/storageAccounts\/stkvaudit[a-z0-9]{13}', '[^']+'\)\.primaryEndpoints\.queue, '\/'\), 3\), '\/'\)\]$/),
    });
    expect(Object.keys(settings('openScope')).filter((name) => name.startsWith('KV_AUDIT_EVENTS')).sort()).toEqual([
      'KV_AUDIT_EVENTS__clientId',
      'KV_AUDIT_EVENTS__credential',
      'KV_AUDIT_EVENTS__queueServiceUri',
    ]);
  });

  it('names the state blob and the incremental scan settings', () => {
    expect(settings('openScope')).toMatchObject({
      KV_AUDIT_STATE_URL: expect.stringMatching(/^\[format\('\{0\}\{1\}\/scan-state\.txt', reference\('[^']+\/storageAccounts\/stkvaudit[a-z0-9]{13}', '[^']+'\)\.primaryEndpoints\.blob, 'kv-audit-state'\)\]$/),
      KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: '24',
      KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: '30',
    });
  });
});

describe.skipIf(skipWithoutBicep)('parameters the event path refuses before it creates anything', () => {
  it('names every problem with the event path parameters at once', () => {
    const snapshot = snapshotOf('badEventParameters');
    expect(snapshot?.ok).toBe(false);
    const error = snapshot?.ok === false ? snapshot.error : '';
    for (const problem of [
      `eventSubscriptions (KV_AUDIT_EVENT_SUBSCRIPTIONS) lists ${c}, which scanSubscriptions (KV_AUDIT_SUBSCRIPTIONS) does not scan.`,
      `existingEventTopics (KV_AUDIT_EVENT_TOPICS) lists /subscriptions/${a}/resourcegroups/rg-one/providers/microsoft.eventgrid/topics/custom, which is not an Event Grid system topic id`,
      `existingEventTopics (KV_AUDIT_EVENT_TOPICS) lists /subscriptions/${b}/resourcegroups/rg-b/providers/microsoft.eventgrid/systemtopics/b, whose subscription the event path does not cover (${a}, ${c}).`,
      `existingEventTopics (KV_AUDIT_EVENT_TOPICS) lists more than one topic of subscription ${a}: Azure allows one per subscription.`,
    ]) {
      expect(error).toContain(problem);
    }
  });
});

describe.skipIf(skipWithoutBicep)('the compiled event path', () => {
  it('creates the event subscriptions after the topic identity\'s roles on the queue and the container', () => {
    const eventPath = template('infra/modules/eventPath.bicep');
    expect(resource(eventPath, 'eventSubscriptions').dependsOn).toContain('deliveryRoles');
    expect(JSON.stringify(resource(eventPath, 'deliveryRoles').properties?.['parameters'])).toContain("reference('systemTopic').outputs.principalId.value");
  });

  it('delivers with identities only: no key, SAS or endpoint URL in any event subscription', () => {
    const json = JSON.stringify(template('infra/modules/eventSubscriptions.bicep'));
    expect(json).toContain('deliveryWithResourceIdentity');
    for (const forbidden of [/endpointUrl/i, /sharedAccess/i, /sasToken/i, /listKeys/i, /accessKey/i]) expect(json).not.toMatch(forbidden);
    expect(compiled().sources).toContain('infra/modules/eventSubscriptions.bicep');
  });
});

describe('host.json', () => {
  const queues = () => (JSON.parse(readFileSync(join(repoRoot, 'host.json'), 'utf8')) as { extensions?: { queues?: Record<string, unknown> } }).extensions?.queues;

  // Event Grid writes each event into the queue Base64-encoded (MicrosoftDocs/azure-docs#102923, dapr/components-
  // contrib#232), which is also the Functions queue extension's default (QueuesOptions.MessageEncoding).
  it('reads the queue the way Event Grid writes it, promptly, and parks what keeps failing in the poison queue', () => {
    expect(queues()).toEqual({
      messageEncoding: 'base64',
      maxPollingInterval: '00:00:02',
      batchSize: 16,
      newBatchThreshold: 8,
      maxDequeueCount: 5,
      visibilityTimeout: '00:00:30',
    });
  });
});
