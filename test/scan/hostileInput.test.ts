import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, parseEstate, startEmulator } from '../support/emulator.js';
import { findingRowSchema, findingsTable } from '../../src/findings/schema.js';
import { maxFieldBytes } from '../../src/findings/rowLimits.js';
import { type ScanRun, scanEmulator } from '../support/emulatorScan.js';

/*
 * Hostile and malformed records, end to end through ARG, ARM and Logs Ingestion: each resource gets the right
 * finding or MalformedRecord, the rest of the scan is unaffected, and every row written stays valid.
 */

const sub = 'abcdef00-0000-4000-8000-000000000001';
const rg = `/subscriptions/${sub}/resourceGroups/rg-hostile`;
const workspace = `${rg}/providers/Microsoft.OperationalInsights/workspaces/law-central`;
const vaultId = (name: string) => `${rg}/providers/Microsoft.KeyVault/vaults/${name}`;

const audit = [{ categoryGroup: 'audit', enabled: true }];
function setting(vault: string, name: string, properties: unknown) {
  return { id: `${vault}/providers/microsoft.insights/diagnosticSettings/${name}`, name, type: 'Microsoft.Insights/diagnosticSettings', properties };
}

const names = {
  healthy: 'kv-healthy',
  failing: 'kv-failing',
  logsObject: 'kv-logs-object',
  nullProperties: 'kv-null-properties',
  enabledString: 'kv-enabled-string',
  unknownGroup: 'kv-unknown-group',
  thousands: 'kv-ten-thousand-settings',
  casing: 'KV-Odd-Casing',
  unicode: "kv-ünïcödé-'\"|{}[]\\",
  longTags: 'kv-long-tags',
  injectedDestination: 'kv-injected-destination',
  manyDestinations: 'kv-two-thousand-destinations',
  trailingSlash: 'kv-trailing-slash',
};

const casingId = `/SUBSCRIPTIONS/${sub.toUpperCase()}/RESOURCEGROUPS/RG-HOSTILE/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${names.casing}`;
const injectedWorkspace = `${rg}/providers/Microsoft.OperationalInsights/workspaces/law') | union (resources | project id = 'x`;

// Through parseEstate, as an estate file would be: the emulator serves the hostile records verbatim.
const estate = parseEstate({
  resources: [
    { id: workspace, name: 'law-central', type: 'Microsoft.OperationalInsights/workspaces', location: 'westeurope' },
    ...Object.values(names)
      .filter((name) => name !== names.casing)
      .map((name) => ({
        id: name === names.trailingSlash ? `${vaultId(name)}/` : vaultId(name),
        name,
        type: 'Microsoft.KeyVault/vaults',
        location: 'westeurope',
        tags: name === names.longTags ? { notes: 'n'.repeat(100_000), owner: 'team-a' } : {},
      })),
    { id: casingId, name: names.casing, type: 'MICROSOFT.KEYVAULT/VAULTS', location: 'westeurope' },
  ],
  diagnosticSettings: [
    setting(vaultId(names.healthy), 'audit', { workspaceId: workspace, logs: audit }),
    setting(vaultId(names.logsObject), 'odd', { workspaceId: workspace, logs: { category: 'AuditEvent', enabled: true } }),
    setting(vaultId(names.nullProperties), 'odd', null),
    setting(vaultId(names.enabledString), 'odd', { workspaceId: workspace, logs: [{ category: 'AuditEvent', enabled: 'true' }] }),
    setting(vaultId(names.unknownGroup), 'security', { workspaceId: workspace, logs: [{ categoryGroup: 'security', enabled: true }] }),
    ...Array.from({ length: 10_000 }, (_, i) =>
      setting(vaultId(names.thousands), `metrics-${i}`, { workspaceId: workspace, metrics: [{ category: 'AllMetrics', enabled: true }] }),
    ),
    setting(vaultId(names.thousands), 'the-one-that-audits', { workspaceId: workspace, logs: audit }),
    // A setting id in other casing than its upper-case vault id, pointing at an upper-case workspace id.
    setting(casingId.toLowerCase(), 'audit', { workspaceId: workspace.toUpperCase(), logs: [{ categoryGroup: 'AUDIT', enabled: true }] }),
    setting(vaultId(names.unicode), 'aüdit-"quoted"', { workspaceId: workspace, logs: audit }),
    setting(vaultId(names.longTags), 'audit', { workspaceId: workspace, logs: audit }),
    setting(vaultId(names.injectedDestination), 'audit', { workspaceId: injectedWorkspace, logs: audit }),
    // Each with its own (deleted) workspace: Destinations would outgrow a Log Analytics field.
    ...Array.from({ length: 2_000 }, (_, i) => setting(vaultId(names.manyDestinations), `audit-${i}`, { workspaceId: `${workspace}-${i}`, logs: audit })),
    setting(vaultId(names.trailingSlash), 'audit', { workspaceId: `${workspace}/`, logs: audit }),
  ],
  denied: [],
  resourceGraphIndexesDiagnosticSettings: false,
});

const expected: Record<string, string> = {
  [names.healthy]: 'Pass/AuditLogsDelivered',
  [names.failing]: 'Fail/NoDiagnosticSettings',
  [names.logsObject]: 'Error/MalformedRecord',
  [names.nullProperties]: 'Error/MalformedRecord',
  [names.enabledString]: 'Error/MalformedRecord',
  [names.unknownGroup]: 'Fail/AuditLogsNotEnabled',
  [names.thousands]: 'Error/MalformedRecord',
  [names.casing]: 'Pass/AuditLogsDelivered',
  [names.unicode]: 'Pass/AuditLogsDelivered',
  [names.longTags]: 'Pass/AuditLogsDelivered',
  [names.injectedDestination]: 'Pass/AuditLogsDelivered',
  [names.manyDestinations]: 'Error/MalformedRecord',
  [names.trailingSlash]: 'Pass/AuditLogsDelivered',
};

describe('a scan over hostile and malformed records', () => {
  let emulator: Emulator;
  let run: ScanRun;
  beforeAll(async () => {
    emulator = await startEmulator({ estate, retryAfterSeconds: 0 });
    run = await scanEmulator(emulator);
  });
  afterAll(() => emulator.close());

  it.each(Object.entries(expected))('%s is %s', (name, verdict) => {
    const finding = run.findings.find((f) => f.ResourceName === name);
    expect(`${finding?.Status}/${finding?.Reason}`).toBe(verdict);
  });

  it('completes: one bad record costs only its own resource', () => {
    expect(run.scan).toMatchObject({ Complete: true, ResourceCount: 13, FindingsWritten: 13, Errors: [] });
  });

  it('every landed row is valid, and no value exceeds the field budget', () => {
    const landed = emulator.rows(findingsTable.streamName);
    expect(landed).toHaveLength(13);
    for (const row of landed) {
      findingRowSchema.parse(row);
      for (const value of Object.values(row)) expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(maxFieldBytes + 2);
    }
  });

  it('10,000 settings, where Azure allows 5, buy no Pass: an Error whose count is exact and whose detail says why', () => {
    const finding = run.findings.find((f) => f.ResourceName === names.thousands)!;
    expect(finding.DiagnosticSettingCount).toBe(10_001);
    expect(finding.AuditSettings).toEqual(['the-one-that-audits']);
    expect(finding.Detail).toMatch(/^The resource lists 10001 diagnostic settings, but Azure allows at most 5 per resource: .* Taken at face value it would give Pass\./);
  });

  it('spends no ARM read on the destinations of a list Azure could not have returned', () => {
    expect(run.scan.ArmCalls).toBeLessThan(100);
  });

  it('caps a 100 KB tag value in the row, keeping the other tags', () => {
    const landed = emulator.rows(findingsTable.streamName).find((r) => r['ResourceName'] === names.longTags)!;
    const tags = landed['Tags'] as Record<string, string>;
    expect(tags['owner']).toBe('team-a');
    expect(tags['notes']).toMatch(/ … \[truncated 100000 bytes\]$/);
  });

  it('never embeds a destination id with KQL metacharacters in a query: it stays Unverified', () => {
    const finding = run.findings.find((f) => f.ResourceName === names.injectedDestination)!;
    expect(finding.Destinations).toEqual([expect.objectContaining({ Id: injectedWorkspace, Status: 'Unverified' })]);
    expect(run.findings.find((f) => f.ResourceName === names.healthy)?.Destinations[0]?.Status).toBe('Exists');
  });

  it('keeps a vault with 2,000 audit destinations a valid row: 50 listed, the rest counted in the detail', () => {
    const landed = findingRowSchema.parse(emulator.rows(findingsTable.streamName).find((r) => r['ResourceName'] === names.manyDestinations));
    expect(landed.Destinations).toHaveLength(50);
    expect(landed.Detail).toMatch(/\(1950 more audit destinations are not listed in Destinations\.\)$/);
  });

  it('drops trailing slashes from resource and destination ids', () => {
    const finding = run.findings.find((f) => f.ResourceName === names.trailingSlash)!;
    expect(finding.ResourceId).toBe(vaultId(names.trailingSlash).toLowerCase());
    expect(finding.Destinations[0]?.Status).toBe('Exists');
  });

  it('matches ids whatever their casing: the lowercased resource id and its destination are found', () => {
    const finding = run.findings.find((f) => f.ResourceName === names.casing)!;
    expect(finding.ResourceId).toBe(casingId.toLowerCase());
    expect(finding.Destinations[0]?.Status).toBe('Exists');
  });
});
