import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingDefinitions } from '../../src/config/settings.js';
import { eventsConnection, eventsQueueName } from '../../src/functions/eventQueue.js';
import { deriveColumns } from '../../src/findings/columns.js';
import { tables } from '../../src/findings/schema.js';
import { keyVaultAuditLogSchema } from '../support/azureMonitorTables.js';
import { findingsWorkspaceSchema, kqlProblems, withWorkspaceFunctions } from '../support/kusto.js';
import { deploymentContext, infraDir, type PredictedResource, roleGrants, skipWithoutBicep, snapshotsOf } from './bicep.js';

/*
 * What infra/main.bicep deploys, for the parameter sets that matter, as ARM's template engine evaluates it: the real
 * Bicep CLI's `bicep snapshot` expands every module and expression it can without Azure. Values only Azure knows
 * (principal ids, endpoints) stay expressions.
 */

const otherSubscription = '22222222-2222-4222-8222-222222222222';
const existingWorkspace = `/subscriptions/${otherSubscription}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central`;
const developer = '33333333-3333-4333-8333-333333333333';
const scanned = ['aaaaaaaa-1111-4111-8111-111111111111', 'bbbbbbbb-2222-4222-8222-222222222222'];

const base = { environmentName: 'kv-audit', location: 'westeurope' };
const scenarios = {
  defaults: base,
  listedSubscriptions: {
    ...base,
    // Repeated, differently cased and differently separated: each subscription still gets one deployment.
    scanSubscriptions: `${scanned[0]}, ${scanned[1]};${scanned[0]?.toUpperCase()} ${scanned[1]}`,
    scanIntervalMinutes: 30,
    scanErrorThreshold: 3,
    alertEmail: 'secops@example.com',
  },
  existingWorkspace: { ...base, existingWorkspaceResourceId: existingWorkspace },
  managementGroups: { ...base, scanManagementGroups: 'mg-prod,mg-nonprod' },
  developerIngestion: { ...base, principalId: developer, grantDeveloperIngestion: true },
  developerNotGranted: { ...base, principalId: developer },
  twelveYears: { ...base, findingsTotalRetentionInDays: 4383 },
  threeYears: { ...base, findingsTotalRetentionInDays: 1095 },
  totalOf731Days: { ...base, findingsTotalRetentionInDays: 731 },
  totalOf1000Days: { ...base, findingsTotalRetentionInDays: 1000 },
  totalBelowInteractive: { ...base, findingsRetentionInDays: 180, findingsTotalRetentionInDays: 90 },
  regionWithoutFlexConsumption: { ...base, location: 'westindia' },
  newFailureEvery15Minutes: { ...base, newFailureEvaluationMinutes: 15 },
  newFailureEveryMinute: { ...base, newFailureEvaluationMinutes: 1 },
  proofOfDelivery: { ...base, verifyDelivery: true, deliveryWorkspaceIds: existingWorkspace, controlProfile: 'cis', minRetentionDays: 365, tagExemptions: 'off' },
} satisfies Record<string, Record<string, string | number | boolean>>;
type Scenario = keyof typeof scenarios;

const { snapshot: snapshotOf, deployed } = snapshotsOf(scenarios);
const ofType = (scenario: Scenario, type: string) => deployed(scenario).filter((r) => r.type === type);
const only = (scenario: Scenario, type: string): PredictedResource => {
  const found = ofType(scenario, type);
  expect(found, type).toHaveLength(1);
  return found[0] as PredictedResource;
};

const rg = `/subscriptions/${deploymentContext.subscriptionId}/resourceGroups/rg-kv-audit`;

/** Each role assignment as [role, scope, principal]: the principal is an identity's name or a literal object id. */
const grants = (scenario: Scenario): string[][] => roleGrants(deployed(scenario), rg);

describe.skipIf(skipWithoutBicep)('a deployment with the defaults', () => {
  it('creates the resource group, tagged for azd', () => {
    expect(only('defaults', 'Microsoft.Resources/resourceGroups')).toMatchObject({ id: rg, location: 'westeurope', tags: { 'azd-env-name': 'kv-audit' } });
  });

  it('grants exactly these roles, at exactly these scopes, to managed identities only', () => {
    const account = (path: string) => expect.stringMatching(new RegExp(`^<rg>/providers/Microsoft\\.Storage/storageAccounts/stkvaudit[a-z0-9]{13}${path}$`));
    const topic = `evgt-kvaudit@${deploymentContext.subscriptionId} (ServicePrincipal)`;
    expect(grants('defaults')).toEqual([
      ['MonitoringMetricsPublisher', expect.stringMatching(/^<rg>\/providers\/Microsoft\.Insights\/components\/appi-kvaudit-/), 'id-kvaudit-func (ServicePrincipal)'],
      ['MonitoringMetricsPublisher', expect.stringMatching(/^<rg>\/providers\/Microsoft\.Insights\/dataCollectionRules\/dcr-kvaudit-/), 'id-kvaudit-func (ServicePrincipal)'],
      ['Reader', `/subscriptions/${deploymentContext.subscriptionId}`, 'id-kvaudit-func (ServicePrincipal)'],
      ['Reader', expect.stringMatching(/^<rg>\/providers\/Microsoft\.OperationalInsights\/workspaces\/log-kvaudit-/), 'id-kvaudit-alerts (ServicePrincipal)'],
      // The function reads its own findings: whether the last scan's rows arrived.
      ['Reader', expect.stringMatching(/^<rg>\/providers\/Microsoft\.OperationalInsights\/workspaces\/log-kvaudit-/), 'id-kvaudit-func (ServicePrincipal)'],
      ['StorageBlobDataContributor', account('/blobServices/default/containers/kv-audit-events-deadletter'), topic],
      ['StorageBlobDataContributor', account('/blobServices/default/containers/kv-audit-state'), 'id-kvaudit-func (ServicePrincipal)'],
      ['StorageBlobDataOwner', account(''), 'id-kvaudit-func (ServicePrincipal)'],
      ['StorageQueueDataMessageProcessor', account('/queueServices/default/queues/kv-audit-events'), 'id-kvaudit-func (ServicePrincipal)'],
      ['StorageQueueDataMessageSender', account('/queueServices/default/queues/kv-audit-events'), topic],
      ['StorageQueueDataMessageSender', account('/queueServices/default/queues/kv-audit-events-poison'), 'id-kvaudit-func (ServicePrincipal)'],
      ['StorageQueueDataReader', account('/queueServices/default/queues/kv-audit-events'), 'id-kvaudit-func (ServicePrincipal)'],
    ]);
  });

  it('creates both tables as Analytics tables with the generated columns and the default retention', () => {
    const created = ofType('defaults', 'Microsoft.OperationalInsights/workspaces/tables');
    expect(created.map((t) => t.name.split('/').pop())).toEqual(tables.map((t) => t.tableName));
    expect(created).toHaveLength(2);
    for (const [i, table] of tables.entries()) {
      expect(created[i]?.properties).toMatchObject({ plan: 'Analytics', retentionInDays: 90, totalRetentionInDays: 365 });
      const columns = (created[i]?.properties?.['schema'] as { columns: { name: string; type: string }[] }).columns;
      expect(columns.map((c) => [c.name, c.type])).toEqual(deriveColumns(table).map((c) => [c.name, c.type === 'datetime' ? 'dateTime' : c.type]));
    }
  });

  it('declares a Direct DCR with one stream per table, passed through to that table', () => {
    const dcr = only('defaults', 'Microsoft.Insights/dataCollectionRules');
    expect(dcr.kind).toBe('Direct');
    const properties = dcr.properties as { streamDeclarations: Record<string, unknown>; dataFlows: unknown[] };
    expect(Object.keys(properties.streamDeclarations)).toEqual(tables.map((t) => t.streamName));
    expect(properties.dataFlows).toEqual(
      tables.map((t) => ({ streams: [t.streamName], destinations: ['findingsWorkspace'], transformKql: 'source', outputStream: `Custom-${t.tableName}` })),
    );
  });

  it('runs the function on Flex Consumption, Node 22, deploying from blob storage with its identity', () => {
    expect(only('defaults', 'Microsoft.Web/serverfarms')).toMatchObject({ sku: { tier: 'FlexConsumption', name: 'FC1' } });
    const site = only('defaults', 'Microsoft.Web/sites');
    expect(site).toMatchObject({ kind: 'functionapp,linux', tags: { 'azd-service-name': 'function' } });
    expect(site.properties?.['functionAppConfig']).toMatchObject({
      runtime: { name: 'node', version: '22' },
      deployment: { storage: { type: 'blobContainer', authentication: { type: 'UserAssignedIdentity' } } },
    });
  });

  const settings = () => only('defaults', 'Microsoft.Web/sites/config').properties ?? {};
  it.each([...settingDefinitions.map((d) => d.name), 'AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId', 'AzureWebJobsStorage__blobServiceUri', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'])(
    'sets %s',
    (name) => {
      expect(Object.keys(settings())).toContain(name);
    },
  );

  it('gives the event function the queue and the identity-based connection it reads (src/functions/eventQueue.ts)', () => {
    const queues = ofType('defaults', 'Microsoft.Storage/storageAccounts/queueServices/queues').map((q) => q.name.split('/').pop());
    expect(queues).toContain(eventsQueueName);
    expect(Object.keys(settings()).filter((name) => name.startsWith(`${eventsConnection}__`)).sort()).toEqual(
      [`${eventsConnection}__clientId`, `${eventsConnection}__credential`, `${eventsConnection}__queueServiceUri`],
    );
  });

  it.each([
    ['AzureWebJobsStorage', 'a connection string with a key'],
    ['AzureWebJobsStorage__queueServiceUri', 'the host itself uses no queue; the event queue has its own connection'],
    ['FUNCTIONS_WORKER_RUNTIME', 'Flex Consumption takes the runtime from functionAppConfig'],
    ['FUNCTIONS_EXTENSION_VERSION', 'Flex Consumption rejects it'],
    ['WEBSITE_RUN_FROM_PACKAGE', 'Flex Consumption deploys from its blob container'],
  ])('does not set %s (%s)', (name) => {
    expect(Object.keys(settings())).not.toContain(name);
  });

  it('authenticates the host, telemetry and the Azure SDK with the user-assigned identity', () => {
    expect(settings()).toMatchObject({ AzureWebJobsStorage__credential: 'managedidentity', KV_AUDIT_SCHEDULE: '0 0 * * * *' });
    expect(settings()['APPLICATIONINSIGHTS_AUTHENTICATION_STRING']).toMatch(/^\[format\('ClientId=\{0\};Authorization=AAD', reference\('[^']+userAssignedIdentities\/id-kvaudit-func-/);
  });

  it('disables shared keys on the storage account and local authentication on Application Insights and the workspace', () => {
    expect(only('defaults', 'Microsoft.Storage/storageAccounts').properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false });
    expect(only('defaults', 'Microsoft.Insights/components').properties).toMatchObject({ DisableLocalAuth: true });
    expect(only('defaults', 'Microsoft.OperationalInsights/workspaces').properties).toMatchObject({ features: { disableLocalAuth: true } });
  });

  it('creates three stateful log alerts on the workspace, validated by the tests instead of at creation, and no action group', () => {
    const rules = ofType('defaults', 'Microsoft.Insights/scheduledQueryRules');
    expect(rules.map((r) => r.name)).toEqual(['new-failure', 'scan-heartbeat', 'scan-errors'].map((n) => expect.stringMatching(new RegExp(`^kv-audit-${n}-[a-z0-9]{13}$`))));
    for (const rule of rules) {
      expect(rule.kind).toBe('LogAlert');
      expect(rule.properties).toMatchObject({ autoMitigate: true, skipQueryValidation: true, scopes: [expect.stringMatching(/workspaces\/log-kvaudit-/)], actions: { actionGroups: [] } });
    }
    expect(ofType('defaults', 'Microsoft.Insights/actionGroups')).toEqual([]);
  });

  // A Fail the event path writes alerts at the next evaluation of the new-failure rule; heartbeat and scan errors follow
  // the hourly scans. The queries pick their own time span, so a window as long as the period is all a rule needs.
  const frequencies = (scenario: Scenario) =>
    ofType(scenario, 'Microsoft.Insights/scheduledQueryRules').map((r) => [r.name.replace(/-[a-z0-9]{13}$/, ''), r.properties?.['evaluationFrequency'], r.properties?.['windowSize']]);
  it.each([
    ['defaults', 'PT5M'],
    ['newFailureEvery15Minutes', 'PT15M'],
  ] as const)('%s: evaluates the new-failure rule every %s, over a window as long; the others every 15 minutes', (scenario, frequency) => {
    expect(frequencies(scenario)).toEqual([
      ['kv-audit-new-failure', frequency, frequency],
      ['kv-audit-scan-heartbeat', 'PT15M', 'PT15M'],
      ['kv-audit-scan-errors', 'PT15M', 'PT15M'],
    ]);
  });

  it('raises one new-failure alert per resource', () => {
    const rule = ofType('defaults', 'Microsoft.Insights/scheduledQueryRules')[0];
    expect(rule?.properties?.['criteria']).toMatchObject({ allOf: [{ dimensions: [{ name: 'ResourceId', operator: 'Include', values: ['*'] }] }] });
  });

  it('puts every query file in the query pack, as it is', () => {
    const bodies = ofType('defaults', 'Microsoft.OperationalInsights/queryPacks/queries').map((q) => q.properties?.['body']);
    const files = readdirSync(join(infraDir, 'queries')).filter((f) => f.endsWith('.kql'));
    expect(files.length).toBeGreaterThan(5);
    expect(bodies.sort()).toEqual(files.map((f) => readFileSync(join(infraDir, 'queries', f), 'utf8')).sort());
  });
});

describe.skipIf(skipWithoutBicep)('a deployment with other parameters', () => {
  it('grants Reader once per listed subscription, however often and in whatever case it is listed', () => {
    expect(grants('listedSubscriptions').filter(([role, scope]) => role === 'Reader' && scope?.startsWith('/subscriptions/'))).toEqual(
      scanned.map((id) => ['Reader', `/subscriptions/${id}`, 'id-kvaudit-func (ServicePrincipal)']),
    );
  });

  it('notifies through an action group when an email address is given, with a name unique to the deployment', () => {
    const group = only('listedSubscriptions', 'Microsoft.Insights/actionGroups');
    expect(group.name).toMatch(/^ag-kvaudit-[a-z0-9]{13}$/);
    expect(group.properties).toMatchObject({ emailReceivers: [{ emailAddress: 'secops@example.com' }] });
    const rules = ofType('listedSubscriptions', 'Microsoft.Insights/scheduledQueryRules');
    expect(rules).toHaveLength(3);
    for (const rule of rules) expect(rule.properties).toMatchObject({ actions: { actionGroups: [group.id] } });
  });

  it('puts the tables, the DCR and the roles on them where an existing workspace is, and creates no workspace', () => {
    expect(ofType('existingWorkspace', 'Microsoft.OperationalInsights/workspaces')).toEqual([]);
    const inWorkspaceGroup = (r: PredictedResource) => r.id.startsWith(`/subscriptions/${otherSubscription}/resourceGroups/rg-logs/`);
    expect(ofType('existingWorkspace', 'Microsoft.OperationalInsights/workspaces/tables').every(inWorkspaceGroup)).toBe(true);
    expect(inWorkspaceGroup(only('existingWorkspace', 'Microsoft.Insights/dataCollectionRules'))).toBe(true);
    expect(grants('existingWorkspace').filter(([, scope]) => scope?.includes('rg-logs')).map(([role]) => role)).toEqual(['MonitoringMetricsPublisher', 'Reader', 'Reader']);
  });

  it('grants no subscription Reader when it scans management groups', () => {
    expect(grants('managementGroups').filter(([, scope]) => /^\/subscriptions\/[^/]+$/.test(scope ?? ''))).toEqual([]);
  });

  it.each([
    ['developerIngestion', [['MonitoringMetricsPublisher', `${developer} (User)`]]],
    ['developerNotGranted', []],
  ] as const)('%s: lets the developer send findings through the DCR only when asked', (scenario, expected) => {
    expect(grants(scenario).filter(([, , principal]) => principal?.startsWith(developer)).map(([role, , principal]) => [role, principal])).toEqual(expected);
  });
});

describe.skipIf(skipWithoutBicep)('parameters the deployment refuses before it creates anything', () => {
  it.each([
    ['twelveYears', 4383],
    ['threeYears', 1095],
  ] as const)('%s: accepts a total retention of whole years (%i days)', (scenario, days) => {
    expect(ofType(scenario, 'Microsoft.OperationalInsights/workspaces/tables').map((t) => t.properties?.['totalRetentionInDays'])).toEqual([days, days]);
  });

  it.each([
    ['totalOf731Days', /findingsTotalRetentionInDays must be 4-730, or one of 1095, 1460, .*4383; it is 731\./],
    ['totalOf1000Days', /findingsTotalRetentionInDays must be 4-730, or one of .*; it is 1000\./],
    ['totalBelowInteractive', /findingsTotalRetentionInDays \(90\) must be at least findingsRetentionInDays \(180\)\./],
    ['regionWithoutFlexConsumption', /Expected a value of type "'australiaeast' \| .*'westeurope' \|.*" but the provided value is of type "'westindia'"/],
    // 1-minute log search alerts need a query Azure Monitor can optimize; this one joins two days of scans.
    ['newFailureEveryMinute', /Expected a value of type "10 \| 15 \| 5" but the provided value is of type "1"/],
  ] as const)('%s', (scenario, message) => {
    const snapshot = snapshotOf(scenario);
    expect(snapshot?.ok).toBe(false);
    expect(snapshot?.ok === false ? snapshot.error : '').toMatch(message);
  });
});

/*
 * Log search alerts accept ago() with timespan literals only, so the deployed queries carry the window as a literal
 * where the shipped files bind it with `let`. Replacing a `let` name by the literal it is bound to changes nothing:
 * the deployed text must be exactly the shipped file with that one substitution, and still bind against the tables.
 */
describe.skipIf(skipWithoutBicep)('alert rule queries, as deployed', () => {
  const shipped = (name: string) => readFileSync(join(infraDir, 'queries', `${name}.kql`), 'utf8');
  const deployedQuery = (scenario: Scenario, name: string) => {
    const rule = ofType(scenario, 'Microsoft.Insights/scheduledQueryRules').find((r) => r.name.startsWith(`kv-audit-${name}-`));
    return (rule?.properties?.['criteria'] as { allOf: { query: string }[] }).allOf[0]?.query ?? '';
  };
  /** The file with each `let NAME = literal;` line in `literals` dropped and NAME replaced by the literal. */
  function inlined(text: string, literals: Record<string, string>): string {
    return Object.entries(literals).reduce((query, [name, literal]) => {
      const binding = new RegExp(`^let ${name} = [^;\\n]+;\\n`, 'm');
      expect(query, `the file binds ${name}`).toMatch(binding);
      return query.replace(binding, '').replace(new RegExp(`\\b${name}\\b`, 'g'), literal);
    }, text);
  }

  // The scan-errors threshold stays a `let`: only ago() needs literals. The deployment sets it from its parameter.
  const threshold = (value: number) => (query: string) => query.replace('let errorThreshold = 0;', `let errorThreshold = ${value};`);
  it.each([
    ['defaults', 'new-failure', {}, threshold(0)],
    ['defaults', 'scan-heartbeat', { heartbeatWindow: '120m' }, threshold(0)],
    ['defaults', 'scan-errors', { lookback: '120m' }, threshold(0)],
    ['listedSubscriptions', 'scan-heartbeat', { heartbeatWindow: '60m' }, threshold(3)],
    ['listedSubscriptions', 'scan-errors', { lookback: '60m' }, threshold(3)],
  ] as const)('%s: %s is its query file with the window as a literal', (scenario, name, literals, setThreshold) => {
    expect(deployedQuery(scenario, name)).toBe(setThreshold(inlined(shipped(`alert-${name}`), literals)));
  });

  it.each([
    { name: 'new-failure', agoCalls: 0 },
    { name: 'scan-heartbeat', agoCalls: 3 },
    { name: 'scan-errors', agoCalls: 3 },
  ])('$name passes ago() only timespan literals, and binds against the tables and workspace functions', ({ name, agoCalls }) => {
    const query = deployedQuery('listedSubscriptions', name);
    const agoArguments = [...query.matchAll(/\bago\(([^)]*)\)/g)].map((m) => m[1]);
    expect(agoArguments).toHaveLength(agoCalls);
    expect(agoArguments.filter((arg) => !/^\d+(d|h|m|s)$/.test(arg ?? ''))).toEqual([]);
    expect(kqlProblems(withWorkspaceFunctions(query), [...findingsWorkspaceSchema, ...keyVaultAuditLogSchema])).toEqual([]);
  });

  // The queries pick their own time span: no TimeGenerated column for the alert to bin rows into windowSize buckets.
  it.each(['new-failure', 'scan-heartbeat', 'scan-errors'])('%s ends with a project that returns no TimeGenerated column', (name) => {
    const operators = deployedQuery('defaults', name).split('\n').filter((line) => line.startsWith('|'));
    expect(operators.at(-1)).toMatch(/^\| project /);
    expect(operators.at(-1)).not.toContain('TimeGenerated');
  });
});

describe.skipIf(skipWithoutBicep)('a deployment that verifies delivery, under the cis profile, with a retention minimum and no tag exemptions', () => {
  it('grants the function identity Log Analytics Reader on each listed destination workspace, and nothing more', () => {
    const extra = grants('proofOfDelivery').filter((g) => !grants('defaults').some((d) => JSON.stringify(d) === JSON.stringify(g)));
    expect(extra).toEqual([['LogAnalyticsReader', existingWorkspace, 'id-kvaudit-func (ServicePrincipal)']]);
  });

  it('passes the settings to the app, and no minimum as an empty setting by default', () => {
    const settingsOf = (scenario: Scenario) => only(scenario, 'Microsoft.Web/sites/config').properties ?? {};
    expect(settingsOf('proofOfDelivery')).toMatchObject({
      KV_AUDIT_PROFILE: 'cis',
      KV_AUDIT_MIN_RETENTION_DAYS: '365',
      KV_AUDIT_VERIFY_DELIVERY: 'true',
      KV_AUDIT_EXEMPTIONS: '[]',
      KV_AUDIT_TAG_EXEMPTIONS: 'off',
    });
    expect(settingsOf('defaults')).toMatchObject({ KV_AUDIT_PROFILE: 'default', KV_AUDIT_MIN_RETENTION_DAYS: '', KV_AUDIT_VERIFY_DELIVERY: 'false', KV_AUDIT_TAG_EXEMPTIONS: 'on' });
  });
});
