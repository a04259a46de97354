import { createArmReadQueue } from '../azure/armReadQueue.js';
import { type AzureConnection, createAzureClients, createMonitorWriteClient } from '../azure/clients.js';
import { describeRestError } from '../azure/armError.js';
import { createDestinationCheck } from '../azure/destinations.js';
import type { Settings } from '../config/settings.js';
import { maxSettingsPerResource } from '../control/diagnosticSetting.js';
import { remediationLogs, remediationSettingName } from '../control/remediation.js';
import { lastSegment, normalizeResourceId } from '../control/resourceId.js';
import { describeError } from '../errors.js';
import type { FindingRow } from '../findings/schema.js';
import { printable } from './printable.js';

/*
 * `kv-audit fix`: for every failing vault, the diagnostic setting that would make it pass: the profile's audit
 * category groups (the same entries as the Remediation command) to one workspace, resource-specific. A plan by
 * default; with --apply, created through ARM (diagnosticSettings.createOrUpdate), as the caller's identity, one
 * result per vault. It only ever adds a setting, under a name no setting of the vault has: it never modifies or
 * deletes one. A vault that already has the most settings Azure allows (5), or a setting sending to the workspace
 * (Azure refuses a second setting with the same category to the same destination, 409 Conflict), is left alone and
 * said so. The timer never runs it: the monitor's own identity stays read-only.
 */

/** What the caller needs, said once wherever a write is refused (Learn: "Roles, permissions, and security in Azure Monitor"). */
export const fixRoles =
  'Microsoft.Insights/diagnosticSettings/write on each vault (Log Analytics Contributor, which the built-in DeployIfNotExists ' +
  'policy 6b359d8f is granted, or Monitoring Contributor) and read access to the workspace';

export type FixAction = 'Planned' | 'Created' | 'Skipped' | 'Failed';

export interface FixResult {
  readonly resourceId: string;
  readonly resourceName: string;
  readonly resourceGroup: string;
  /** Why the vault fails now. */
  readonly reason: FindingRow['Reason'];
  readonly action: FixAction;
  /** The setting added (or that would be); null when nothing is added. */
  readonly setting: string | null;
  readonly detail: string;
}

export interface FixRun {
  readonly workspaceId: string;
  readonly results: readonly FixResult[];
  /** Why the plan cannot be carried out at all (the workspace is gone, or keeps logs too briefly); empty when it can. */
  readonly blockers: readonly string[];
}

/** The body createOrUpdate sends: the setting `kv-audit fix` adds. */
export function fixSetting(workspaceId: string, profile: Settings['profile']) {
  return { workspaceId, logs: remediationLogs(profile), logAnalyticsDestinationType: 'Dedicated' };
}

const settingNames = [remediationSettingName, ...Array.from({ length: maxSettingsPerResource - 1 }, (_, i) => `${remediationSettingName}-${i + 2}`)];

const field = (raw: unknown, name: string): unknown => (typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[name] : undefined);

/** The workspace, confirmed through ARM: why the plan cannot work, if it cannot. */
async function workspaceBlockers(destinations: ReturnType<typeof createDestinationCheck>, workspaceId: string, settings: Settings): Promise<string[]> {
  const key = normalizeResourceId(workspaceId);
  const table = `${key}/tables/azkvauditlogs`;
  await destinations.confirm([key, table]);
  if (destinations.existence.get(key) === 'NotFound') return [`--workspace: ${workspaceId} does not exist`];
  const facts = destinations.facts.get(table);
  const workspace = destinations.facts.get(key);
  const days = facts?.kind === 'workspaceTable' ? facts.totalRetentionInDays : facts?.kind === 'absent' && workspace?.kind === 'workspace' ? workspace.retentionInDays : null;
  if (settings.minRetentionDays !== null && days !== null && days < settings.minRetentionDays) {
    return [`--workspace: it keeps AZKVAuditLogs ${days} days, less than KV_AUDIT_MIN_RETENTION_DAYS (${settings.minRetentionDays}): the vaults would still fail RetentionTooShort`];
  }
  return [];
}

/** Plans (and with `apply`, adds) one setting per failing vault. */
export async function runFix(
  connection: AzureConnection,
  settings: Settings,
  findings: readonly FindingRow[],
  workspaceId: string,
  apply: boolean,
): Promise<FixRun> {
  const clients = createAzureClients(connection);
  const retryDelay = connection.retryDelayInMs === undefined ? {} : { retryDelayMs: connection.retryDelayInMs };
  // Reads go through the same paced queue as a scan's: the settings are read again just before deciding.
  const reads = createArmReadQueue(clients, clients.armReadPacer, { concurrency: settings.armConcurrency, ...retryDelay });
  const destinations = createDestinationCheck(clients, reads, retryDelay);
  const blockers = await workspaceBlockers(destinations, workspaceId, settings);
  const failing = findings.filter((f) => f.Status === 'Fail');
  if (blockers.length > 0) return { workspaceId, results: [], blockers };
  const writer = apply ? createMonitorWriteClient(connection) : null;
  const body = fixSetting(workspaceId, settings.profile);
  const key = normalizeResourceId(workspaceId);

  async function fixOne(finding: FindingRow): Promise<FixResult> {
    const base = { resourceId: finding.ResourceId, resourceName: finding.ResourceName, resourceGroup: finding.ResourceGroup, reason: finding.Reason };
    const result = (action: FixAction, setting: string | null, detail: string): FixResult => ({ ...base, action, setting, detail });
    const read = await reads.readSettings(finding.ResourceId, finding.Location);
    if (read.evidence.state === 'Unreadable') return result('Failed', null, `its diagnostic settings could not be read, so nothing was added: ${read.evidence.message}`);
    const records = read.evidence.records;
    if (records.length >= maxSettingsPerResource) {
      return result('Skipped', null, `it has ${records.length} diagnostic settings, the most Azure allows; kv-audit fix never modifies or deletes one: enable audit in one of them`);
    }
    // Azure refuses a second setting sending a log category to the same destination; a metrics-only one is no conflict.
    const sending = records.find(
      (r) => r.ok && r.setting.logs.some((e) => e.enabled) && r.setting.destinations.some((d) => d.kind === 'LogAnalyticsWorkspace' && d.approvalId === key),
    );
    if (sending?.ok) {
      return result(
        'Skipped',
        null,
        `setting '${sending.setting.name}' already sends logs to this workspace, and Azure refuses a second setting sending the same category there ` +
          `(409 Conflict); kv-audit fix never modifies a setting: enable ${remediationLogs(settings.profile).map((l) => l.categoryGroup).join(' and ')} in '${sending.setting.name}'`,
      );
    }
    const taken = new Set(records.map((r) => (r.ok ? r.setting.name : (r.name ?? '')).toLowerCase()));
    const name = settingNames.find((n) => !taken.has(n));
    if (name === undefined) return result('Skipped', null, `every name kv-audit fix uses (${settingNames.join(', ')}) is taken`);
    const groups = body.logs.map((l) => l.categoryGroup).join(' and ');
    const target = `workspace '${lastSegment(workspaceId)}'`;
    if (writer === null) return result('Planned', name, `would add '${name}': ${groups} to ${target}`);
    try {
      await writer.diagnosticSettings.createOrUpdate(finding.ResourceId.replace(/^\/+/, ''), name, body);
      return result('Created', name, `added '${name}': ${groups} to ${target}; the next scan confirms it`);
    } catch (error) {
      const status = field(error, 'statusCode');
      const why = describeRestError(error).summary || describeError(error);
      const roles = status === 403 ? `; it needs ${fixRoles}` : '';
      return result('Failed', name, `not added: ${why}${roles}`);
    }
  }

  // A few vaults at a time: ARM's write limits are per subscription and hour, and the SDK waits out its 429s.
  const results: FixResult[] = [];
  for (let i = 0; i < failing.length; i += 4) results.push(...(await Promise.all(failing.slice(i, i + 4).map(fixOne))));
  return { workspaceId, results, blockers };
}

/** The run as a table: a line per vault, the action and why. */
export function renderFix(run: FixRun, apply: boolean, profile: Settings['profile']): string {
  const logs = remediationLogs(profile).map((l) => l.categoryGroup).join(' + ');
  const head = apply
    ? `kv-audit fix --apply: diagnostic settings added as your identity (${logs} to ${run.workspaceId}, resource-specific).`
    : `kv-audit fix: the plan; nothing was changed. Run again with --apply to add these settings (${logs} to ${run.workspaceId}, resource-specific).`;
  if (run.results.length === 0) return `${head}\nNo failing vault or Managed HSM: nothing to add.\n`;
  const rows = run.results.map((r) => [r.action, r.resourceName, r.resourceGroup, r.reason, r.detail].map(printable));
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['ACTION', 'RESOURCE', 'RESOURCE GROUP', 'REASON NOW'][i]!.length));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ');
  const counts = (['Planned', 'Created', 'Skipped', 'Failed'] as const).map((a) => [a, run.results.filter((r) => r.action === a).length] as const).filter(([, n]) => n > 0);
  return [head, '', line(['ACTION', 'RESOURCE', 'RESOURCE GROUP', 'REASON NOW', 'DETAIL']), ...rows.map(line), '', counts.map(([a, n]) => `${a} ${n}`).join(', '), ''].join('\n');
}
