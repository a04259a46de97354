import { beforeAll, describe, expect, it } from 'vitest';
import { committedWorkbook, workbookQueries } from '../support/workbook.js';
import { type PredictedResource, type Snapshot, deploymentContext, moduleTemplate, resource, skipWithoutBicep, snapshotMain, template } from './bicep.js';

/*
 * The workbook as infra/main.bicep deploys it: compiled by the real Bicep CLI, and evaluated by `bicep snapshot` for a
 * new workspace and for an existing one in another subscription. What it deploys is the committed workbook, which
 * workbook.test.ts ties to the query files.
 */

const existingWorkspace = '/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central';
const base = { environmentName: 'kv-audit', location: 'westeurope' };
const scenarios = {
  newWorkspace: { parameters: base, resourceGroup: `/subscriptions/${deploymentContext.subscriptionId}/resourceGroups/rg-kv-audit` },
  existingWorkspace: { parameters: { ...base, existingWorkspaceResourceId: existingWorkspace }, resourceGroup: '/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-logs' },
};
type Scenario = keyof typeof scenarios;
const snapshots = new Map<Scenario, Snapshot>();

beforeAll(async () => {
  if (skipWithoutBicep) return;
  await Promise.all(Object.entries(scenarios).map(async ([name, { parameters }]) => snapshots.set(name as Scenario, await snapshotMain(parameters))));
}, 120_000);

function deployed(scenario: Scenario, type: string): PredictedResource[] {
  const snapshot = snapshots.get(scenario);
  if (snapshot?.ok !== true) throw new Error(`${scenario} did not deploy: ${snapshot?.ok === false ? snapshot.error : 'not run'}`);
  return snapshot.resources.filter((r) => r.type === type);
}

describe.skipIf(skipWithoutBicep)('the workbook, compiled', () => {
  const module = () => moduleTemplate(template('infra/main.bicep'), 'workbook');

  it('is a shared Azure Monitor workbook, named by a GUID derived from the workspace', () => {
    expect(resource(module(), 'workbook')).toMatchObject({
      type: 'Microsoft.Insights/workbooks',
      apiVersion: '2023-06-01',
      kind: 'shared',
      name: "[guid(parameters('workspaceResourceId'), 'kv-audit-monitor-workbook')]",
      properties: { category: 'workbook', sourceId: "[parameters('workspaceResourceId')]", version: 'Notebook/1.0' },
    });
  });

  it('carries the committed workbook, loaded at build time', () => {
    expect(Object.values(module().variables ?? {})).toContainEqual(committedWorkbook());
  });

  it('is deployed after the findings store, where the workspace is', () => {
    expect(resource(template('infra/main.bicep'), 'workbook')).toMatchObject({
      dependsOn: ['findingsStore'],
      subscriptionId: "[variables('workspaceSubscriptionId')]",
      resourceGroup: "[variables('workspaceResourceGroupName')]",
    });
  });
});

describe.skipIf(skipWithoutBicep).each(Object.keys(scenarios) as Scenario[])('the workbook, deployed with a %s', (scenario) => {
  const workbook = () => {
    const found = deployed(scenario, 'Microsoft.Insights/workbooks');
    expect(found).toHaveLength(1);
    return found[0] as PredictedResource;
  };
  const workspaceId = () => {
    const workspaces = deployed(scenario, 'Microsoft.OperationalInsights/workspaces').map((w) => w.id);
    return workspaces[0] ?? existingWorkspace;
  };

  it("goes into the workspace's resource group and is linked to the workspace", () => {
    expect(workbook().id).toMatch(new RegExp(`^${scenarios[scenario].resourceGroup}/providers/Microsoft\\.Insights/workbooks/[0-9a-f-]{36}$`));
    expect(workbook()).toMatchObject({ kind: 'shared', properties: { category: 'workbook', sourceId: workspaceId() } });
    expect(workbook().properties?.['displayName']).toBe(`Key Vault audit logging (${workspaceId().split('/').pop()})`);
  });

  it('holds the committed workbook, opening on the workspace from anywhere, every query from a shipped file', () => {
    const data = JSON.parse(String(workbook().properties?.['serializedData'])) as ReturnType<typeof committedWorkbook>;
    expect(data).toEqual({ ...committedWorkbook(), fallbackResourceIds: [workspaceId()] });
    expect(workbookQueries(data).map((q) => q.query)).toEqual(workbookQueries(committedWorkbook()).map((q) => q.query));
  });
});
