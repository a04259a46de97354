import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingDefinitions } from '../../src/config/settings.js';
import { deriveColumns } from '../../src/findings/columns.js';
import { tables } from '../../src/findings/schema.js';
import { workspaceFunctions } from '../support/kusto.js';
import { type ArmTemplate, compiled, moduleTemplate, repoRoot, resource, skipWithoutBicep, template } from './bicep.js';

/*
 * The shape of the deployment, read from the ARM JSON the real Bicep CLI compiled (what Azure receives): module
 * wiring, dependencies, parameters, and what the Bicep sources must not contain. What the deployment creates, with
 * its values evaluated, is in bicepDeployment.test.ts.
 */

const text = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

describe.skipIf(skipWithoutBicep)('the compiled templates', () => {
  const sources = () => compiled().sources;
  const main = () => template('infra/main.bicep');

  it('document every parameter', () => {
    const undescribed = sources().flatMap((source) =>
      Object.entries(template(source).parameters ?? {})
        .filter(([, p]) => (p.metadata?.description ?? '') === '')
        .map(([name]) => `${source}: ${name}`),
    );
    expect(sources().length).toBeGreaterThan(1);
    expect(undescribed).toEqual([]);
  });

  it('use every module file under infra/modules, through main.bicep', () => {
    const hashOf = (t: ArmTemplate) => t.metadata?._generator?.templateHash;
    const used = new Set<string | undefined>();
    const walk = (t: ArmTemplate) => {
      for (const r of t.resources.filter((r) => r.type === 'Microsoft.Resources/deployments')) {
        const nested = moduleTemplate(t, r.symbol);
        used.add(hashOf(nested));
        walk(nested);
      }
    };
    walk(main());
    const modules = sources().filter((s) => s.startsWith('infra/modules/'));
    expect(modules.length).toBeGreaterThan(0);
    expect(modules.filter((m) => !used.has(hashOf(template(m))))).toEqual([]);
  });

  it('read no key or secret, anywhere', () => {
    const json = sources().map((s) => JSON.stringify(template(s))).join('\n');
    for (const forbidden of [/listKeys\(/i, /listSecrets\(/i, /listConnectionStrings\(/i, /AccountKey=/i, /SharedAccessKey/i, /InstrumentationKey=/i, /"secureString"/]) {
      expect(json).not.toMatch(forbidden);
    }
  });
});

describe.skipIf(skipWithoutBicep)('main.bicep: what is deployed after what', () => {
  const main = () => template('infra/main.bicep');
  const dependsOn = (t: ArmTemplate, symbol: string): Set<string> => {
    const direct = resource(t, symbol).dependsOn ?? [];
    return new Set([...direct, ...direct.flatMap((d) => [...dependsOn(t, d)])]);
  };

  // A module scoped to resourceGroup(subscription, name) is not ordered after the resource group it names.
  it('deploys every module after the resource group, directly or through another module', () => {
    const modules = main().resources.filter((r) => r.type === 'Microsoft.Resources/deployments');
    expect(modules.length).toBeGreaterThan(5);
    expect(modules.filter((m) => !dependsOn(main(), m.symbol).has('rg')).map((m) => m.symbol)).toEqual([]);
  });

  it.each([
    ['functionApp', ['hostRoles', 'eventRoles', 'ingestionRole', 'scanReaders'], 'the host reads its storage and the event queue, and the first scan writes, as soon as it starts'],
    ['eventPath', ['storage'], 'the topics deliver to a queue and a container that must exist, and are granted roles on them'],
    ['alerts', ['alertsWorkspaceReader', 'findingsStore'], 'the rules query the workspace with their identity from their first evaluation'],
  ])('deploys %s after %j: %s', (symbol, before) => {
    expect([...dependsOn(main(), symbol)]).toEqual(expect.arrayContaining(before));
  });

  it('creates the DCR after the tables it writes to, in the same resource group', () => {
    const store = moduleTemplate(main(), 'findingsStore');
    expect(resource(store, 'tables').copy).toBeDefined();
    expect(resource(store, 'dataCollectionRule').dependsOn).toContain('tables');
    expect(resource(store, 'dataCollectionRule').resourceGroup).toBeUndefined();
  });
});

describe.skipIf(skipWithoutBicep)('main.bicep parameters', () => {
  const parameters = () => template('infra/main.bicep').parameters ?? {};
  const parameterFile = JSON.parse(text('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> };

  it('main.parameters.json sets only declared parameters', () => {
    expect(Object.keys(parameterFile.parameters).filter((name) => !(name in parameters()))).toEqual([]);
  });

  it('main.parameters.json supplies every parameter without a default, from azd', () => {
    const required = Object.entries(parameters()).filter(([, p]) => !('defaultValue' in p)).map(([name]) => name);
    expect(required).toEqual(['environmentName', 'location']);
  });

  it.each([
    ['environmentName', '${AZURE_ENV_NAME}'],
    ['location', '${AZURE_LOCATION}'],
    ['resourceGroupName', '${AZURE_RESOURCE_GROUP=}'],
    ['principalId', '${AZURE_PRINCIPAL_ID=}'],
    ['principalType', '${AZURE_PRINCIPAL_TYPE=User}'],
  ])('maps %s to the azd variable %s, as the azd templates do', (name, value) => {
    expect(parameterFile.parameters[name]?.value).toBe(value);
  });

  const azdVariables = Object.values(parameterFile.parameters).map(({ value }) => /^\$\{(KV_AUDIT_\w+)=/.exec(String(value))?.[1]).filter((name) => name !== undefined);
  it('documents every KV_AUDIT_ azd variable main.parameters.json reads in docs/operations.md', () => {
    expect(azdVariables.length).toBeGreaterThan(5);
    expect(azdVariables.filter((name) => !text('docs/operations.md').includes(`| \`${name}\` |`))).toEqual([]);
  });

  it('offers only regions with Flex Consumption, and azd prompts among them', () => {
    const location = parameters()['location'] ?? {};
    expect(location['allowedValues']).toEqual(expect.arrayContaining(['westeurope', 'eastus', 'swedencentral']));
    expect(location['allowedValues']).not.toContain('westindia');
    expect(location.metadata).toMatchObject({ azd: { type: 'location' } });
  });

  it('evaluates the new-failure alert every 5 minutes by default, and at no frequency its query cannot run at', () => {
    expect(parameters()['newFailureEvaluationMinutes']).toMatchObject({ type: 'int', defaultValue: 5, allowedValues: [5, 10, 15] });
  });

  it('defaults to hourly scans on the documented schedule', () => {
    expect(parameters()['scanIntervalMinutes']?.['defaultValue']).toBe(60);
    const schedules = template('infra/main.bicep').variables?.['schedulesByInterval'] as Record<string, string>;
    expect(schedules['60']).toBe(settingDefinitions.find((d) => d.name === 'KV_AUDIT_SCHEDULE')?.example);
  });

  /** Minutes between firings, for the NCRONTAB forms the table uses; NaN for any other form. */
  function periodMinutes(ncrontab: string): number {
    const forms: [RegExp, (n: number) => number][] = [
      [/^0 \*\/(\d+) \* \* \* \*$/, (n) => n],
      [/^0 0 \* \* \* \*$/, () => 60],
      [/^0 0 \*\/(\d+) \* \* \*$/, (n) => 60 * n],
      [/^0 0 0 \* \* \*$/, () => 1440],
    ];
    const [pattern, period] = forms.find(([p]) => p.test(ncrontab)) ?? [/$/, () => NaN];
    return period(Number(pattern.exec(ncrontab)?.[1]));
  }

  it('derives a schedule that fires every allowed interval, and for no other', () => {
    const allowed = parameters()['scanIntervalMinutes']?.['allowedValues'] as number[];
    const schedules = template('infra/main.bicep').variables?.['schedulesByInterval'] as Record<string, string>;
    expect(allowed.length).toBeGreaterThan(5);
    expect(Object.keys(schedules).map(Number)).toEqual(allowed);
    expect(allowed.map((interval) => periodMinutes(schedules[String(interval)] ?? ''))).toEqual(allowed);
  });

  it.each([
    'AZURE_RESOURCE_GROUP',
    'AZURE_FUNCTION_APP_NAME',
    'LOG_ANALYTICS_WORKSPACE_ID',
    'LOG_ANALYTICS_WORKSPACE_NAME',
    'LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID',
    'KV_AUDIT_LOGS_INGESTION_ENDPOINT',
    'KV_AUDIT_DCR_IMMUTABLE_ID',
    'FUNCTION_IDENTITY_PRINCIPAL_ID',
  ])('outputs %s', (name) => {
    expect(template('infra/main.bicep').outputs?.[name]?.type).toBe('string');
  });
});

describe.skipIf(skipWithoutBicep)('the management group template', () => {
  it('assigns Reader by its tenant-level role id, the only form a management group accepts', () => {
    const mg = template('infra/scope/management-group-reader.bicep');
    const assignment = mg.resources.find((r) => r.type === 'Microsoft.Authorization/roleAssignments');
    const reader = (JSON.parse(text('infra/roleDefinitions.json')) as Record<string, string>)['Reader'];
    expect(String(assignment?.properties?.['roleDefinitionId'])).toMatch(/^\[tenantResourceId\('Microsoft\.Authorization\/roleDefinitions', /);
    expect(JSON.stringify(mg)).toContain(`"Reader":"${reader}"`);
    expect(assignment?.properties?.['principalType']).toBe('ServicePrincipal');
  });
});

describe('the Bicep sources', () => {
  const bicepFiles = () => (skipWithoutBicep ? [] : compiled().sources);

  it.skipIf(skipWithoutBicep)('hold no GUID literal: role ids live in roleDefinitions.json', () => {
    expect(bicepFiles().length).toBeGreaterThan(1);
    const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
    expect(bicepFiles().filter((f) => guid.test(text(f)))).toEqual([]);
  });

  it('name the documented built-in role ids, in one file', () => {
    expect(JSON.parse(text('infra/roleDefinitions.json'))).toEqual({
      Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      MonitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
      StorageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      StorageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
      StorageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925',
      StorageQueueDataMessageProcessor: '8a0f0c08-91a1-4084-bc3d-661d67233fed',
      StorageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
      LogAnalyticsReader: '73c42c96-874c-492b-b04d-ab87d138a893',
    });
  });

  // The columns come from src/findings/schema.ts through infra/generated/*.columns.json, never typed by hand.
  it.skipIf(skipWithoutBicep).each(['infra/modules/findingsStore.bicep', 'infra/modules/dataCollectionRule.bicep'])(
    '%s inlines no table, stream or column name',
    (path) => {
      const literals = tables.flatMap((table) => [table.tableName, table.streamName, ...deriveColumns(table).map((c) => c.name)]);
      expect(literals.length).toBeGreaterThan(10);
      expect(literals.filter((literal) => text(path).includes(`'${literal}'`))).toEqual([]);
    },
  );

  it.each(['infra/main.parameters.json', 'azure.yaml'])('%s holds no key or connection string', (path) => {
    for (const forbidden of [/AccountKey=/i, /SharedAccessKey/i, /InstrumentationKey=/i, /connection_?string/i]) {
      expect(text(path)).not.toMatch(forbidden);
    }
  });
});

describe.skipIf(skipWithoutBicep)('findingsStore.bicep: the workspace function the shipped queries call', () => {
  const store = () => template('infra/modules/findingsStore.bicep');

  it.each(workspaceFunctions.map((f) => [f.name, f] as const))('deploys %s from its file, with the parameters its first line declares', (_name, f) => {
    const saved = store().resources.filter((r) => r.type === 'Microsoft.OperationalInsights/workspaces/savedSearches');
    const properties = saved.map((r) => r.properties as { functionAlias: string; functionParameters: string; query: string });
    const deployed = properties.find((p) => p.functionAlias === f.name);
    // loadTextContent compiles to a variable; the query is that variable's text.
    const variable = /^\[variables\('(.+)'\)\]$/.exec(deployed?.query ?? '')?.[1] ?? '';
    expect(store().variables?.[variable]).toBe(f.body);
    expect(deployed?.functionParameters.replace(/\s+/g, '')).toBe(f.parameters.replace(/\s+/g, ''));
  });
});
