import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingDefinitions } from '../../src/config/settings.js';
import { columnFilePath, deriveColumns } from '../../src/findings/columns.js';
import { tables } from '../../src/findings/schema.js';
import {
  type BicepFile,
  infraBicepFiles,
  infraDir,
  loadCalls,
  modules,
  objectKeys,
  params,
  property,
  readBicepFile,
  repoRoot,
  resolveFrom,
  resources,
  targetScope,
} from './bicep.js';

const bicepFiles = infraBicepFiles();
const main = readBicepFile('infra/main.bicep');
const file = (name: string): BicepFile => readBicepFile(`infra/modules/${name}.bicep`);
const only = <T>(items: readonly T[], what: string): T => {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
};
const resourceOfType = (bicep: BicepFile, type: string) =>
  only(resources(bicep).filter((r) => r.type === type && !r.existing), `${type} in ${bicep.path}`);

describe('every Bicep file', () => {
  const withModules = bicepFiles.filter((f) => modules(f).length > 0);
  it('some files use modules', () => {
    expect(withModules.map((f) => f.path)).toContain('infra/main.bicep');
  });
  it.each(withModules.map((f) => [f.path, f] as const))('%s: every module path exists', (_path, bicep) => {
    expect(modules(bicep).map((m) => m.path).filter((path) => !existsSync(resolveFrom(bicep, path)))).toEqual([]);
  });

  it.each(bicepFiles.map((f) => [f.path, f] as const))('%s: every param has a @description', (_path, bicep) => {
    const undescribed = params(bicep).filter((p) => !p.decorators.some((d) => d.startsWith('@description(')));
    expect(undescribed.map((p) => p.name)).toEqual([]);
  });

  const withLoads = bicepFiles.filter((f) => loadCalls(f).length > 0);
  it('some files load other files', () => {
    expect(withLoads.map((f) => f.path)).toContain('infra/modules/alerts.bicep');
  });
  it.each(withLoads.map((f) => [f.path, f] as const))('%s: every loaded file exists', (_path, bicep) => {
    expect(loadCalls(bicep).map((c) => c.path).filter((path) => !existsSync(resolveFrom(bicep, path)))).toEqual([]);
  });

  it.each(bicepFiles.map((f) => [f.path, f] as const))('%s: holds no GUID literal (role ids live in roleDefinitions.json)', (_path, bicep) => {
    expect(bicep.text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
  });
});

describe('the module tree', () => {
  it('reaches every module file under infra/modules from main.bicep', () => {
    const used = modules(main).map((m) => m.path.replace(/^modules\//, ''));
    const present = readdirSync(join(infraDir, 'modules')).filter((f) => f.endsWith('.bicep'));
    expect([...new Set(used)].sort()).toEqual(present.sort());
  });

  it('puts the tables, the DCR and their role assignments where the workspace is, created or existing', () => {
    const workspaceScope = 'resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)';
    for (const symbol of ['findingsTables', 'dataCollectionRule', 'ingestionRole', 'alertsWorkspaceReader']) {
      const module = only(modules(main).filter((m) => m.symbol === symbol), symbol);
      expect(property(module.body, 'scope'), symbol).toBe(workspaceScope);
    }
  });

  it('creates the DCR after the tables it writes to', () => {
    const dcr = only(modules(main).filter((m) => m.symbol === 'dataCollectionRule'), 'dataCollectionRule');
    expect(dcr.body).toContain('findingsTables.outputs.');
  });
});

describe('findings tables and DCR', () => {
  const generatedFiles = tables.map((t) => `../generated/${t.tableName}.columns.json`);

  it.each(['findingsTables', 'dataCollectionRule'])('%s loads both generated column files', (name) => {
    const loaded = loadCalls(file(name)).filter((c) => c.fn === 'loadJsonContent').map((c) => c.path);
    expect(loaded.sort()).toEqual(generatedFiles.sort());
    expect(tables.map((t) => columnFilePath(t))).toEqual(generatedFiles.map((p) => `infra/${p.replace('../', '')}`));
  });

  it.each(['findingsTables', 'dataCollectionRule'])('%s inlines no table, stream or column name', (name) => {
    const text = file(name).text;
    for (const table of tables) {
      for (const literal of [table.tableName, table.streamName, ...deriveColumns(table).map((c) => c.name)]) {
        expect(text, literal).not.toContain(`'${literal}'`);
      }
    }
  });

  it('creates Analytics tables with the retention parameters and the Tables API type names', () => {
    const tablesResource = resourceOfType(file('findingsTables'), 'Microsoft.OperationalInsights/workspaces/tables');
    const properties = property(tablesResource.body, 'properties') ?? '';
    expect(property(properties, 'plan')).toBe("'Analytics'");
    expect(property(properties, 'retentionInDays')).toBe('retentionInDays');
    expect(property(properties, 'totalRetentionInDays')).toBe('totalRetentionInDays');
    expect(properties).toContain("column.type == 'datetime' ? 'dateTime' : column.type");
    expect(properties).toContain('description: column.?description');
  });

  it('declares a Direct DCR with one stream per table, passed through to the matching _CL table', () => {
    const dcr = resourceOfType(file('dataCollectionRule'), 'Microsoft.Insights/dataCollectionRules');
    expect(property(dcr.body, 'kind')).toBe("'Direct'");
    const properties = property(dcr.body, 'properties') ?? '';
    expect(property(properties, 'streamDeclarations')).toContain('toObject(columnFiles, file => file.streamName,');
    const dataFlows = property(properties, 'dataFlows') ?? '';
    expect(dataFlows).toContain("transformKql: 'source'");
    expect(dataFlows).toContain("outputStream: 'Custom-${file.tableName}'");
    expect(dataFlows).toContain('streams: [file.streamName]');
  });

  it('hands the DCR endpoint and immutable id to the function app settings', () => {
    const outputs = file('dataCollectionRule').text;
    expect(outputs).toContain('output immutableId string = dataCollectionRule.properties.immutableId');
    expect(outputs).toContain('output logsIngestionEndpoint string = dataCollectionRule.properties.endpoints.logsIngestion');
    const functionApp = only(modules(main).filter((m) => m.symbol === 'functionApp'), 'functionApp');
    expect(property(functionApp.body, 'params')).toContain('logsIngestionEndpoint: dataCollectionRule.outputs.logsIngestionEndpoint');
    expect(property(functionApp.body, 'params')).toContain('dataCollectionRuleImmutableId: dataCollectionRule.outputs.immutableId');
  });
});

describe('role assignments', () => {
  const documentedRoles = {
    Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    MonitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
    StorageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  };

  const assignments = bicepFiles.flatMap((bicep) =>
    resources(bicep)
      .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments')
      .map((r) => {
        const scopeSymbol = property(r.body, 'scope');
        const scopeType = scopeSymbol === undefined ? targetScope(bicep) : resources(bicep).find((s) => s.symbol === scopeSymbol)?.type;
        const roleProperties = property(r.body, 'properties') ?? '';
        return { bicep, scopeType, roleProperties, role: /roles\.(\w+)\)$/.exec(property(roleProperties, 'roleDefinitionId') ?? '')?.[1] };
      }),
  );

  it('uses the documented built-in role ids, named in one file', () => {
    expect(JSON.parse(readFileSync(join(infraDir, 'roleDefinitions.json'), 'utf8'))).toEqual(documentedRoles);
  });

  it('grants exactly these roles at exactly these scopes, nothing broader', () => {
    expect(assignments.map((a) => [a.bicep.path, a.role, a.scopeType]).sort()).toEqual(
      [
        ['infra/modules/rbacDataCollectionRule.bicep', 'MonitoringMetricsPublisher', 'Microsoft.Insights/dataCollectionRules'],
        ['infra/modules/rbacFunctionHost.bicep', 'MonitoringMetricsPublisher', 'Microsoft.Insights/components'],
        ['infra/modules/rbacFunctionHost.bicep', 'StorageBlobDataOwner', 'Microsoft.Storage/storageAccounts'],
        ['infra/modules/rbacSubscriptionReader.bicep', 'Reader', 'subscription'],
        ['infra/modules/rbacWorkspaceReader.bicep', 'Reader', 'Microsoft.OperationalInsights/workspaces'],
        ['infra/scope/management-group-reader.bicep', 'Reader', 'managementGroup'],
      ].sort(),
    );
  });

  it('refers to every role through roleDefinitions.json, by the id form its scope accepts', () => {
    for (const { bicep, roleProperties, scopeType } of assignments) {
      expect(bicep.text, bicep.path).toContain("var roles = loadJsonContent('../roleDefinitions.json')");
      const idFunction = scopeType === 'managementGroup' ? 'tenantResourceId' : 'subscriptionResourceId';
      expect(property(roleProperties, 'roleDefinitionId'), bicep.path).toMatch(
        new RegExp(`^${idFunction}\\('Microsoft.Authorization/roleDefinitions', roles\\.\\w+\\)$`),
      );
      expect(property(roleProperties, 'principalId'), bicep.path).toBe('principalId');
      expect(property(roleProperties, 'principalType'), bicep.path).toBe("'ServicePrincipal'");
    }
  });

  it('assigns Reader on the deployment subscription by default, and on each listed subscription otherwise', () => {
    const readers = only(modules(main).filter((m) => m.path === 'modules/rbacSubscriptionReader.bicep'), 'subscription reader');
    expect(property(readers.body, 'scope')).toBe('subscription(subscriptionId)');
    expect(main.text).toContain('[for subscriptionId in readerSubscriptionIds:');
    expect(main.text).toContain(
      'var readerSubscriptionIds = !grantScanReader ? [] : (scanScopeIsOpen ? [subscription().subscriptionId] : listedSubscriptionIds)',
    );
  });
});

describe('no secrets', () => {
  const infraTexts = [...bicepFiles, readBicepFile('infra/main.parameters.json'), readBicepFile('azure.yaml')];

  it.each(infraTexts.map((f) => [f.path, f] as const))('%s reads no keys and writes no key-bearing connection string', (_path, bicep) => {
    for (const forbidden of [/listKeys\(/i, /listSecrets\(/i, /listConnectionStrings\(/i, /AccountKey=/i, /SharedAccessKey/i, /InstrumentationKey=/i, /@secure\(\)/]) {
      expect(bicep.text).not.toMatch(forbidden);
    }
    // The only connection string is Application Insights', which carries no key: its local authentication is off.
    const connectionStrings = [...bicep.text.matchAll(/\S*connection_?string\S*/gi)].map((m) => m[0]);
    for (const mention of connectionStrings) {
      expect(['APPLICATIONINSIGHTS_CONNECTION_STRING:', 'applicationInsights.properties.ConnectionString']).toContain(mention);
    }
  });

  it('disables shared keys on the storage account and local authentication on Application Insights and the workspace', () => {
    const storageProperties = property(resourceOfType(file('storage'), 'Microsoft.Storage/storageAccounts').body, 'properties') ?? '';
    expect(property(storageProperties, 'allowSharedKeyAccess')).toBe('false');
    expect(property(storageProperties, 'allowBlobPublicAccess')).toBe('false');
    const insights = property(resourceOfType(file('monitoring'), 'Microsoft.Insights/components').body, 'properties') ?? '';
    expect(property(insights, 'DisableLocalAuth')).toBe('true');
    const workspace = property(resourceOfType(file('logAnalytics'), 'Microsoft.OperationalInsights/workspaces').body, 'properties') ?? '';
    expect(property(property(workspace, 'features') ?? '', 'disableLocalAuth')).toBe('true');
  });
});

describe('function app', () => {
  const functionApp = file('functionApp');
  const appSettings = only(resources(functionApp).filter((r) => r.type === 'config'), 'appsettings');
  const settings = objectKeys(property(appSettings.body, 'properties') ?? '');
  const hostStorageSettings = ['AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId', 'AzureWebJobsStorage__blobServiceUri'];

  it.each([...settingDefinitions.map((d) => d.name), ...hostStorageSettings, 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'])(
    'sets %s',
    (name) => {
      expect(settings).toContain(name);
    },
  );

  it.each([
    ['AzureWebJobsStorage', 'a connection string with a key'],
    ['AzureWebJobsStorage__queueServiceUri', 'a timer app uses no queue, and gets no queue role'],
    ['FUNCTIONS_WORKER_RUNTIME', 'Flex Consumption takes the runtime from functionAppConfig'],
    ['FUNCTIONS_EXTENSION_VERSION', 'Flex Consumption rejects it'],
    ['WEBSITE_RUN_FROM_PACKAGE', 'Flex Consumption deploys from its blob container'],
  ])('does not set %s (%s)', (name) => {
    expect(settings).not.toContain(name);
  });

  it('runs as the user-assigned identity everywhere: host storage, telemetry, Azure SDK', () => {
    const properties = property(appSettings.body, 'properties') ?? '';
    expect(property(properties, 'AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(property(properties, 'AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(property(properties, 'AZURE_CLIENT_ID')).toBe('identityClientId');
    expect(property(properties, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("'ClientId=${identityClientId};Authorization=AAD'");
  });

  it('runs on Flex Consumption with Node 22 and identity-authenticated deployment storage', () => {
    const plan = resourceOfType(functionApp, 'Microsoft.Web/serverfarms');
    expect(property(property(plan.body, 'sku') ?? '', 'name')).toBe("'FC1'");
    expect(property(property(plan.body, 'sku') ?? '', 'tier')).toBe("'FlexConsumption'");
    const site = property(resourceOfType(functionApp, 'Microsoft.Web/sites').body, 'properties') ?? '';
    const config = property(site, 'functionAppConfig') ?? '';
    expect(property(config, 'runtime')).toMatch(/name: 'node'\s+version: '22'/);
    expect(property(config, 'scaleAndConcurrency')).toBeDefined();
    const storage = property(property(config, 'deployment') ?? '', 'storage') ?? '';
    expect(property(storage, 'type')).toBe("'blobContainer'");
    expect(property(property(storage, 'authentication') ?? '', 'type')).toBe("'UserAssignedIdentity'");
  });

  it('is tagged with the azd service name that azure.yaml declares', () => {
    const site = resourceOfType(functionApp, 'Microsoft.Web/sites');
    expect(property(site.body, 'tags')).toBe("union(tags, { 'azd-service-name': serviceName })");
    const passed = property(only(modules(main).filter((m) => m.symbol === 'functionApp'), 'functionApp').body, 'params') ?? '';
    expect(property(passed, 'serviceName')).toBe('serviceName');
    const serviceName = /^var serviceName = '([^']+)'$/m.exec(main.text)?.[1];
    const azureYaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');
    const services = [...azureYaml.matchAll(/^ {2}([\w-]+):\s*$/gm)].map((m) => m[1]);
    expect(services).toEqual([serviceName]);
    expect(azureYaml).toMatch(/^ {4}project: \.$/m);
    expect(azureYaml).toMatch(/^ {4}language: js$/m);
    expect(azureYaml).toMatch(/^ {4}host: function$/m);
  });
});

describe('schedule and alert windows', () => {
  const intervalParam = only(params(main).filter((p) => p.name === 'scanIntervalMinutes'), 'scanIntervalMinutes');
  const allowed = (intervalParam.decorators.find((d) => d.startsWith('@allowed(')) ?? '').match(/\d+/g)?.map(Number) ?? [];
  const scheduleTable = new Map(
    [...(/var schedulesByInterval = (\{[^}]+\})/.exec(main.text)?.[1] ?? '').matchAll(/'(\d+)': '([^']+)'/g)].map((m) => [Number(m[1]), m[2] ?? '']),
  );

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

  it('defaults to hourly scans on the documented schedule', () => {
    expect(intervalParam.defaultValue).toBe('60');
    expect(scheduleTable.get(60)).toBe(settingDefinitions.find((d) => d.name === 'KV_AUDIT_SCHEDULE')?.example);
  });

  it.each(allowed)('derives a schedule that fires every %i minutes', (interval) => {
    expect(periodMinutes(scheduleTable.get(interval) ?? '')).toBe(interval);
  });

  it('has a schedule for exactly the allowed intervals', () => {
    expect([...scheduleTable.keys()]).toEqual(allowed);
  });

  it('sets the heartbeat and scan-error windows to two scan intervals', () => {
    expect(file('alerts').text).toMatch(/^var scanWindowMinutes = 2 \* scanIntervalMinutes$/m);
    const passed = property(only(modules(main).filter((m) => m.symbol === 'alerts'), 'alerts').body, 'params') ?? '';
    expect(property(passed, 'scanIntervalMinutes')).toBe('scanIntervalMinutes');
  });
});

describe('alert rules', () => {
  const alerts = file('alerts');
  const rules = resources(alerts).filter((r) => r.type === 'Microsoft.Insights/scheduledQueryRules');

  it('are three stateful log alerts on the workspace', () => {
    expect(rules.map((r) => r.symbol)).toEqual(['newFailureAlert', 'heartbeatAlert', 'scanErrorsAlert']);
    for (const rule of rules) {
      const properties = property(rule.body, 'properties') ?? '';
      expect(property(rule.body, 'kind'), rule.symbol).toBe("'LogAlert'");
      expect(property(properties, 'autoMitigate'), rule.symbol).toBe('true');
      expect(property(properties, 'scopes'), rule.symbol).toBe('[workspaceResourceId]');
      expect(property(rule.body, 'identity'), rule.symbol).toBe('ruleIdentity');
    }
  });

  it('raise one new-failure alert per resource', () => {
    const criteria = property(property(rules[0]?.body ?? '', 'properties') ?? '', 'criteria') ?? '';
    expect(criteria).toMatch(/name: 'ResourceId'\s+operator: 'Include'\s+values: \['\*'\]/);
  });

  it('notify through an action group only when an email address is given', () => {
    const actionGroup = only(resources(alerts).filter((r) => r.type === 'Microsoft.Insights/actionGroups'), 'action group');
    expect(alerts.text).toContain("resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail))");
    expect(actionGroup.body).toContain('emailAddress: alertEmail');
    expect(alerts.text).toContain('var actionGroupIds = empty(alertEmail) ? [] : [actionGroup.id]');
  });
});

describe('query pack', () => {
  it('contains every query file', () => {
    const packed = loadCalls(file('queryPack')).map((c) => c.path.replace('../queries/', ''));
    const queryFiles = readdirSync(join(infraDir, 'queries')).filter((f) => f.endsWith('.kql'));
    expect(packed.sort()).toEqual(queryFiles.sort());
  });
});

describe('main.bicep parameters and outputs', () => {
  const declared = params(main);
  const parameterFile = JSON.parse(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: unknown }>;
  };

  it('main.parameters.json sets only declared parameters', () => {
    expect(Object.keys(parameterFile.parameters).filter((name) => !declared.some((p) => p.name === name))).toEqual([]);
  });

  it('main.parameters.json supplies every parameter without a default, from azd', () => {
    const required = declared.filter((p) => p.defaultValue === undefined).map((p) => p.name);
    expect(required).toEqual(['environmentName', 'location']);
    expect(parameterFile.parameters['environmentName']?.value).toBe('${AZURE_ENV_NAME}');
    expect(parameterFile.parameters['location']?.value).toBe('${AZURE_LOCATION}');
  });

  it('tags the resource group and every resource with the azd environment', () => {
    expect(main.text).toMatch(/var tags = \{\s+'azd-env-name': environmentName\s+\}/);
    expect(property(only(resources(main), 'resource group').body, 'tags')).toBe('tags');
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
    expect(main.text).toMatch(new RegExp(`^output ${name} string = `, 'm'));
  });
});

describe('.funcignore', () => {
  const ignored = readFileSync(join(repoRoot, '.funcignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('leaves node_modules to the remote build', () => {
    expect(ignored).toContain('node_modules');
  });

  it.each(['src', '/src/', '*.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'host.json'])('ships what the build needs: not %s', (entry) => {
    expect(ignored).not.toContain(entry);
  });
});
