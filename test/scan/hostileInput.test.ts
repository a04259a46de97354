import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, parseEstate, parseFaultSpec, startEmulator } from '../support/emulator.js';
import { findingRowSchema, findingsTable } from '../../src/findings/schema.js';
import { maxFieldBytes } from '../../src/findings/rowLimits.js';
import { type ScanRun, generatedEstate, scanEmulator } from '../support/emulatorScan.js';

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
  // The SDK puts the id into the URL unescaped ({+resourceUri}) and ARM decodes it: this one would read kv-healthy's
  // settings, and a '#' would cut the URL short.
  percentEncoded: 'kv-%68ealthy',
  fragment: 'kv-x#frag',
  protoTag: 'kv-proto-tag',
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
        tags:
          name === names.longTags
            ? { notes: 'n'.repeat(100_000), owner: 'team-a' }
            : name === names.protoTag
              ? (JSON.parse('{"__proto__": "team-a", "env": "prod"}') as Record<string, string>)
              : {},
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
  // Quotes, pipes and backslashes cannot be in an ARM id: no URL is built from it, and no verdict rests on it.
  [names.unicode]: 'Error/MalformedRecord',
  [names.longTags]: 'Pass/AuditLogsDelivered',
  // Not a workspace id, so not a destination: the audit setting sends its logs nowhere.
  [names.injectedDestination]: 'Fail/NoDestination',
  [names.manyDestinations]: 'Error/MalformedRecord',
  [names.trailingSlash]: 'Pass/AuditLogsDelivered',
  [names.percentEncoded]: 'Error/MalformedRecord',
  [names.fragment]: 'Error/MalformedRecord',
  [names.protoTag]: 'Fail/NoDiagnosticSettings',
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
    expect(run.scan).toMatchObject({ Complete: true, ResourceCount: 16, FindingsWritten: 16, Errors: [] });
  });

  it('every landed row is valid, and no value exceeds the field budget', () => {
    const landed = emulator.rows(findingsTable.streamName);
    expect(landed).toHaveLength(16);
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

  it('a destination id with KQL metacharacters is no destination and is never sent anywhere; the detail says why', () => {
    const finding = run.findings.find((f) => f.ResourceName === names.injectedDestination)!;
    expect(finding.Destinations).toEqual([]);
    expect(finding.Detail).toContain("Not destinations: 'audit' workspaceId '");
    expect(finding.Detail).toContain('is not a Log Analytics workspace resource id');
    expect(run.findings.find((f) => f.ResourceName === names.healthy)?.Destinations[0]?.Status).toBe('Exists');
  });

  it('keeps a vault with 2,000 audit destinations a valid row: 50 listed, the rest counted in the detail', () => {
    const landed = findingRowSchema.parse(emulator.rows(findingsTable.streamName).find((r) => r['ResourceName'] === names.manyDestinations));
    expect(landed.Destinations).toHaveLength(50);
    expect(landed.Detail).toMatch(/\(1950 more audit destinations are not listed in Destinations\.\)$/);
  });

  it.each([names.percentEncoded, names.fragment])('%s, an id no ARM id can be, is not read through ARM: it could read another vault\'s settings', (name) => {
    const finding = run.findings.find((f) => f.ResourceName === name)!;
    expect(finding.Detail).toMatch(/is not the resource id of a Key Vault or Managed HSM/);
    expect(finding.AuditSettings).toEqual([]);
    // Judged on the Resource Graph record alone: no ARM request was built from it.
    expect(finding.EvidenceSource).toBe('ResourceGraph');
  });

  it('keeps a tag named __proto__ as a tag, in the finding and in the landed row', () => {
    const finding = run.findings.find((f) => f.ResourceName === names.protoTag)!;
    expect(Object.entries(finding.Tags)).toEqual([['__proto__', 'team-a'], ['env', 'prod']]);
    const landed = emulator.rows(findingsTable.streamName).find((r) => r['ResourceName'] === names.protoTag)!;
    expect(Object.entries(landed['Tags'] as object)).toEqual([['__proto__', 'team-a'], ['env', 'prod']]);
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

describe('Resource Graph answers that would double or drop vaults', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('a vault listed twice gets one finding, and the scan is not Complete', async () => {
    emulator = await startEmulator({ estate: generatedEstate({ vaults: 30, subscriptions: 2 }), faults: parseFaultSpec('arg:duprow@1.0'), retryAfterSeconds: 0 });
    const run = await scanEmulator(emulator);
    const ids = run.findings.map((f) => f.ResourceId);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(run.scan.Complete).toBe(false);
    expect(run.scan.Errors).toEqual(expect.arrayContaining([expect.stringMatching(/listed .* twice; it is evaluated once/)]));
  });

  it('a page that drops its $skipToken while rows remain makes the scan incomplete, never Complete with vaults missing', async () => {
    // 10 vaults counted, then 1,200 created: the one partition comes back with a page of 1,000 and no $skipToken.
    const base = generatedEstate({ vaults: 10, subscriptions: 1 });
    const created = generatedEstate({ vaults: 1_200, subscriptions: 1 }).resources
      .filter((r) => r.type === 'Microsoft.KeyVault/vaults')
      .map((r) => ({ ...r, id: r.id.replace(/kv-(\d+)$/, 'kv-new-$1'), name: r.name.replace('kv-', 'kv-new-') }));
    const estate = {
      ...base,
      changesDuringScan: [{ afterArgPage: 1, create: created }],
      armThrottling: { principalReads: { bucketSize: 100_000, refillPerSecond: 100_000 } },
    };
    emulator = await startEmulator({ estate, faults: parseFaultSpec('arg:notoken@1.0'), retryAfterSeconds: 0 });
    const run = await scanEmulator(emulator);
    expect(emulator.stats.changesApplied).toBe(1);
    expect(run.scan.Complete).toBe(false);
    expect(run.scan.Errors).toEqual([expect.stringMatching(/^Azure Resource Graph inventory partition 0\/1: paging ended at 1000 of the 1210 rows ARG counts$/)]);
  });
});

describe('a diagnostic settings list that comes in pages (the API is pageable; the SDK follows nextLink)', () => {
  it('is judged on every page: a delivering setting on the last page passes', async () => {
    const base = generatedEstate({ vaults: 1, subscriptions: 1 });
    const [workspace, vault] = base.resources;
    const metricsOnly = (name: string) => ({
      id: `${vault!.id}/providers/microsoft.insights/diagnosticSettings/${name}`,
      name,
      type: 'Microsoft.Insights/diagnosticSettings',
      properties: { workspaceId: workspace!.id, logs: [], metrics: [{ category: 'AllMetrics', enabled: true }] },
    });
    const emulator = await startEmulator({
      estate: { ...base, diagnosticSettings: [metricsOnly('metrics-1'), metricsOnly('metrics-2'), ...base.diagnosticSettings], diagnosticSettingsPageSize: 1 },
      retryAfterSeconds: 0,
    });
    try {
      const run = await scanEmulator(emulator);
      expect(run.findings).toEqual([expect.objectContaining({ Status: 'Pass', Reason: 'AuditLogsDelivered', DiagnosticSettingCount: 3, AuditSettings: ['audit'] })]);
      expect(emulator.stats.armRequests).toBeGreaterThanOrEqual(3);
    } finally {
      await emulator.close();
    }
  });
});

describe('subscriptions in scope that the identity cannot read (new role assignments take a while to reach them all)', () => {
  it('a batch of 1,000 with none readable (ARG answers 403) costs only those: every readable one is evaluated, the rest named', async () => {
    const estate = generatedEstate({ vaults: 10, subscriptions: 5 });
    const readable = [...new Set(estate.resources.map((r) => r.id.split('/')[2]!))];
    const unreadable = Array.from({ length: 1_000 }, (_, i) => `f${String(i).padStart(7, '0')}-0000-4000-8000-000000000000`);
    const emulator = await startEmulator({ estate, retryAfterSeconds: 0 });
    try {
      const run = await scanEmulator(emulator, { KV_AUDIT_SUBSCRIPTIONS: [...unreadable, ...readable].join(',') });
      expect(run.findings).toHaveLength(10);
      expect(run.scan).toMatchObject({ Complete: false, InventoryComplete: false, ResourceCount: 10, FindingsWritten: 10 });
      expect(run.scan.Errors).toEqual([
        ...unreadable.slice(0, 10).map((id) => `Subscription ${id} is in scope but the scanner's identity cannot read it (grant Reader); its vaults are missing from this scan`),
        "990 more subscriptions in scope cannot be read by the scanner's identity (grant Reader); their vaults are missing from this scan",
      ]);
    } finally {
      await emulator.close();
    }
  });
});

describe('an exemption whose end date is written outside the grammar, through a real scan', () => {
  it.each(['Vendor HSM (until=2020-01-01)', 'valid-until=2020-01-01', 'until: 2020-01-01', '"until=2020-01-01"'])('%j buys no Exempt: the vault fails, and the detail says why', async (value) => {
    const base = generatedEstate({ vaults: 2, subscriptions: 1 });
    // kv-00001 has no diagnostic setting: it fails unless the exemption holds.
    const estate = { ...base, resources: base.resources.map((r) => (r.name === 'kv-00001' ? { ...r, tags: { 'kv-audit-exempt': value } } : r)) };
    const emulator = await startEmulator({ estate, retryAfterSeconds: 0 });
    try {
      const run = await scanEmulator(emulator);
      const finding = run.findings.find((f) => f.ResourceName === 'kv-00001');
      expect(finding).toMatchObject({ Status: 'Fail', Reason: 'NoDiagnosticSettings', Exemption: { State: 'Invalid' } });
      expect(finding?.Detail).toContain("seems to hold an end date outside the form '<reason>' or '<reason>; until=YYYY-MM-DD'");
    } finally {
      await emulator.close();
    }
  });
});
