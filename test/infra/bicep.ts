import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, inject } from 'vitest';
import { compileRequired, infraDir, repoRoot, runBicep } from './bicepCli.js';

/*
 * What the infrastructure tests read: the ARM JSON the real Bicep CLI compiled from infra/ (test/infra/bicepSetup.ts),
 * and deployments the CLI evaluates with `bicep snapshot`, ARM's own template engine run locally on given parameters.
 */

export { infraDir, repoRoot };

export const compiledInfra = inject('compiledInfra');

/** Outside CI, with no Bicep CLI, the tests that need one are skipped (the global setup said why). */
export const skipWithoutBicep = compiledInfra.status === 'missing' && !compileRequired;

export function compiled(): Extract<typeof compiledInfra, { status: 'compiled' }> {
  if (compiledInfra.status !== 'compiled') throw new Error(`The Bicep templates were not compiled: ${compiledInfra.reason}`);
  return compiledInfra;
}

/** A resource of a compiled template; `symbol` is its Bicep symbolic name. */
export interface ArmResource {
  readonly symbol: string;
  readonly type: string;
  readonly apiVersion?: string;
  readonly name?: string;
  readonly condition?: unknown;
  readonly existing?: boolean;
  readonly dependsOn?: readonly string[];
  readonly scope?: string;
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  readonly properties?: Record<string, unknown> & { readonly template?: RawTemplate };
  readonly [key: string]: unknown;
}

interface RawTemplate {
  readonly languageVersion?: string;
  readonly metadata?: { readonly _generator?: { readonly templateHash?: string } };
  readonly parameters?: Record<string, { readonly type?: string; readonly metadata?: { readonly description?: string }; readonly [key: string]: unknown }>;
  readonly variables?: Record<string, unknown>;
  readonly resources: Record<string, Omit<ArmResource, 'symbol'>> | readonly Omit<ArmResource, 'symbol'>[];
  readonly outputs?: Record<string, { readonly type: string; readonly value: unknown }>;
}

export interface ArmTemplate extends Omit<RawTemplate, 'resources'> {
  readonly resources: readonly ArmResource[];
}

/** Both template forms the CLI writes: symbolic names (an object) and the older array. */
function normalize(raw: RawTemplate): ArmTemplate {
  const resources = Array.isArray(raw.resources)
    ? raw.resources.map((r, i) => ({ symbol: String(i), ...r }))
    : Object.entries(raw.resources).map(([symbol, r]) => ({ symbol, ...r }));
  return { ...raw, resources };
}

/** The compiled ARM template of a .bicep file, given relative to the repository root. */
export function template(bicepPath: string): ArmTemplate {
  const json = join(compiled().outDir, relative('infra', bicepPath).replace(/\.bicep$/, '.json'));
  return normalize(JSON.parse(readFileSync(json, 'utf8')) as RawTemplate);
}

/** The template a module deploys, inlined in its parent's compiled JSON. */
export function moduleTemplate(parent: ArmTemplate, symbol: string): ArmTemplate {
  const nested = resource(parent, symbol).properties?.template;
  if (nested === undefined) throw new Error(`${symbol} is not a module`);
  return normalize(nested);
}

export function resource(t: ArmTemplate, symbol: string): ArmResource {
  const found = t.resources.find((r) => r.symbol === symbol);
  if (found === undefined) throw new Error(`no resource ${symbol}; there are ${t.resources.map((r) => r.symbol).join(', ')}`);
  return found;
}

/** A resource ARM predicts a deployment creates, with every expression it could evaluate evaluated. */
export interface PredictedResource {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly location?: string;
  readonly kind?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: Record<string, unknown>;
}

export type Snapshot = { readonly ok: true; readonly resources: readonly PredictedResource[] } | { readonly ok: false; readonly error: string };

/** The built-in role names of infra/roleDefinitions.json, by role id. */
export const roleNames = new Map(Object.entries(JSON.parse(readFileSync(join(infraDir, 'roleDefinitions.json'), 'utf8')) as Record<string, string>).map(([name, id]) => [id, name]));

/**
 * Each role assignment as [role, scope, principal], sorted. The principal is a user-assigned identity's name, a system
 * topic's `<name>@<subscription>` (its system-assigned identity), or a literal object id; names lose the deployment's
 * unique suffix, and the resource group the deployment creates in its own subscription is written `<rg>`.
 */
export function roleGrants(resources: readonly PredictedResource[], rg: string): string[][] {
  const suffix = /-[a-z0-9]{13}$/;
  return resources
    .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments')
    .map((assignment) => {
      const properties = assignment.properties as { roleDefinitionId: string; principalId: string; principalType: string };
      const scope =
        /^\[extensionResourceId\('([^']+)'/.exec(assignment.id)?.[1] ??
        /^\[subscriptionResourceId\('([^']+)'/.exec(assignment.id)?.[1]?.replace(/^/, '/subscriptions/') ??
        assignment.id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/, '');
      const identity = /userAssignedIdentities\/([^']+)'/.exec(properties.principalId)?.[1]?.replace(suffix, '');
      const topic = /\/subscriptions\/([^/]+)\/resourceGroups\/[^/]+\/providers\/Microsoft\.EventGrid\/systemTopics\/([^']+)'/i.exec(properties.principalId);
      const principal = identity ?? (topic === null ? properties.principalId : `${topic[2]?.replace(suffix, '')}@${topic[1]}`);
      return [roleNames.get(properties.roleDefinitionId.split('/').pop() ?? '') ?? properties.roleDefinitionId, scope.replace(rg, '<rg>'), `${principal} (${properties.principalType})`];
    })
    .sort();
}

export const deploymentContext = {
  subscriptionId: '00000000-0000-4000-8000-000000000001',
  tenantId: '00000000-0000-4000-8000-000000000002',
  location: 'westeurope',
  deploymentName: 'kv-audit',
};

function bicepValue(value: string | number | boolean): string {
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(value);
}

/** infra/main.bicep deployed to a subscription with these parameters, as ARM predicts it (nothing reaches Azure). */
export async function snapshotMain(parameters: Readonly<Record<string, string | number | boolean>>): Promise<Snapshot> {
  const dir = mkdtempSync(join(tmpdir(), 'kv-audit-snapshot-'));
  try {
    const lines = [`using '${relative(dir, join(infraDir, 'main.bicep')).split('\\').join('/')}'`, ...Object.entries(parameters).map(([k, v]) => `param ${k} = ${bicepValue(v)}`)];
    writeFileSync(join(dir, 'main.bicepparam'), `${lines.join('\n')}\n`);
    const { subscriptionId, tenantId, location, deploymentName } = deploymentContext;
    const run = await runBicep(compiled().cli, [
      'snapshot',
      join(dir, 'main.bicepparam'),
      ...['--subscription-id', subscriptionId, '--tenant-id', tenantId, '--location', location, '--deployment-name', deploymentName],
    ]);
    if (run.exitCode !== 0) return { ok: false, error: [...run.otherOutput, ...run.diagnostics.map((d) => d.message)].join('\n') };
    const snapshot = JSON.parse(readFileSync(join(dir, 'main.snapshot.json'), 'utf8')) as { predictedResources: PredictedResource[] };
    return { ok: true, resources: snapshot.predictedResources };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Snapshots<S extends string> {
  /** What `bicep snapshot` said for a scenario: its predicted resources, or its error. */
  readonly snapshot: (scenario: S) => Snapshot | undefined;
  /** The resources a scenario that must deploy is predicted to create. */
  readonly deployed: (scenario: S) => readonly PredictedResource[];
}

/** infra/main.bicep snapshotted once per named parameter set, before the calling file's tests. */
export function snapshotsOf<S extends string>(scenarios: Readonly<Record<S, Readonly<Record<string, string | number | boolean>>>>): Snapshots<S> {
  const taken = new Map<S, Snapshot>();
  beforeAll(async () => {
    if (skipWithoutBicep) return;
    const names = Object.keys(scenarios) as S[];
    // Two at a time: each is a CLI process, and CI has two cores.
    for (let i = 0; i < names.length; i += 2) {
      await Promise.all(names.slice(i, i + 2).map(async (name) => taken.set(name, await snapshotMain(scenarios[name]))));
    }
  }, 300_000);
  return {
    snapshot: (scenario) => taken.get(scenario),
    deployed: (scenario) => {
      const snapshot = taken.get(scenario);
      if (snapshot?.ok !== true) throw new Error(`${scenario} did not deploy: ${snapshot?.ok === false ? snapshot.error : 'not run'}`);
      return snapshot.resources;
    },
  };
}
