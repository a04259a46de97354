import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/settings.js';
import { type Emulator, type Estate, type EstateResource, listedDiagnosticSetting, metricEntries, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { scanEmulator } from '../support/emulatorScan.js';
import { runCli } from './runCli.js';

/*
 * `kv-audit fix` as a user runs it, against the emulator standing in for Azure: a plan by default, settings added
 * through ARM's createOrUpdate with --apply, as the caller; never a setting modified or deleted.
 */

const resourceNamed = (name: string) => sampleEstate.resources.find((r) => r.name === name)!;
const centralWorkspace = resourceNamed('law-central-weu').id;
const appsWorkspace = resourceNamed('law-apps-weu').id;

function vaultLike(name: string): EstateResource {
  const model = resourceNamed('kv-hr-prod');
  return { ...model, id: model.id.replace(/kv-hr-prod$/, name), name };
}

/** The sample estate, plus a vault at Azure's limit of 5 settings and one whose setting already has kv-audit fix's name. */
function fixEstate(overrides: Partial<Estate> = {}): Estate {
  const atLimit = vaultLike('kv-five-settings');
  const named = vaultLike('kv-name-taken');
  const metricsTo = (vault: EstateResource, name: string) =>
    listedDiagnosticSetting(vault.id, { name, metrics: metricEntries('AllMetrics'), workspaceId: appsWorkspace });
  return {
    ...sampleEstate,
    resources: [...sampleEstate.resources, atLimit, named],
    diagnosticSettings: [
      ...sampleEstate.diagnosticSettings,
      ...[1, 2, 3, 4, 5].map((n) => metricsTo(atLimit, `metrics-${n}`)),
      metricsTo(named, 'kv-audit-logs'),
    ],
    ...overrides,
  };
}

const fix = (argv: string[], emulator: Emulator, env: Env = sampleEnv) => runCli(['fix', ...argv], env, { emulator });
const rowOf = (stdout: string, name: string) => stdout.split('\n').find((line) => new RegExp(`^\\w+ +${name} `).test(line)) ?? '';
const settingsOf = (emulator: Emulator, name: string) => scanEmulator(emulator, sampleEnv, { ingest: false }).then((run) => run.findings.find((f) => f.ResourceName === name));

describe('kv-audit fix against an Azure estate (the emulator standing in for Azure)', () => {
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await startEmulator({ estate: fixEstate(), retryAfterSeconds: 0 });
  });
  afterEach(() => emulator.close());

  it('plans by default: the exact setting for each failing vault, and changes nothing', async () => {
    const { code, stdout } = await fix([], emulator);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^kv-audit fix: the plan; nothing was changed\. Run again with --apply to add these settings \(audit to \/subscriptions\/.*\/law-central-weu, resource-specific\)\.$/m);
    expect(rowOf(stdout, 'kv-hr-prod')).toMatch(/^Planned +kv-hr-prod +rg-hr-prod +NoDiagnosticSettings +would add 'kv-audit-logs': audit to workspace 'law-central-weu'$/);
    expect(rowOf(stdout, 'kv-treasury-prod')).toMatch(/^Planned .* DestinationBlocked /);
    expect(emulator.stats.settingWrites).toBe(0);
  });

  it('--apply adds the settings as the caller, one result per vault, and the next scan shows them pass', async () => {
    const before = await settingsOf(emulator, 'kv-hr-prod');
    const { code, stdout } = await fix(['--apply'], emulator);
    const after = await scanEmulator(emulator, sampleEnv, { ingest: false });
    const byName = Object.fromEntries(after.findings.map((f) => [f.ResourceName, f]));
    expect(code).toBe(0);
    expect(rowOf(stdout, 'kv-hr-prod')).toMatch(/^Created +kv-hr-prod .* added 'kv-audit-logs': audit to workspace 'law-central-weu'; the next scan confirms it$/);
    expect([before?.Status, byName['kv-hr-prod']?.Status, byName['kv-hr-prod']?.AuditSettings]).toEqual(['Fail', 'Pass', ['kv-audit-logs']]);
    // Every vault it added a setting to passes now; the ones it left alone say why.
    const created = stdout.split('\n').filter((l) => /^Created +\S+ +rg-/.test(l)).map((l) => l.split(/ +/)[1]!);
    expect(created.length).toBeGreaterThan(5);
    expect(created.filter((name) => byName[name]?.Status !== 'Pass')).toEqual([]);
    expect(stdout).toMatch(/^Created 10, Skipped 2$/m);
  });

  it('writes resource-specific settings with exactly the profile\'s groups: cis enables audit and allLogs', async () => {
    await fix(['--apply'], emulator, { ...sampleEnv, KV_AUDIT_PROFILE: 'cis' });
    const finding = await scanEmulator(emulator, { ...sampleEnv, KV_AUDIT_PROFILE: 'cis' }, { ingest: false }).then((run) => run.findings.find((f) => f.ResourceName === 'kv-hr-prod'));
    expect(finding).toMatchObject({ Status: 'Pass', Profile: 'cis', CisStrict: true, AuditSources: ['audit', 'allLogs'] });
  });

  it('is idempotent: run again, it adds nothing twice', async () => {
    await fix(['--apply'], emulator);
    const writes = emulator.stats.settingWrites;
    const { code, stdout } = await fix(['--apply'], emulator);
    expect(code).toBe(0);
    expect(emulator.stats.settingWrites).toBe(writes);
    expect(stdout).not.toMatch(/^Created/m);
  });

  it('never modifies or deletes a setting: it leaves a vault at 5 settings, steps past a taken name, and skips a workspace already in use', async () => {
    const { stdout } = await fix(['--apply'], emulator);
    expect(rowOf(stdout, 'kv-five-settings')).toMatch(/^Skipped .* it has 5 diagnostic settings, the most Azure allows; kv-audit fix never modifies or deletes one/);
    expect(rowOf(stdout, 'kv-name-taken')).toMatch(/^Created .* added 'kv-audit-logs-2'/);
    expect(rowOf(stdout, 'kv-legal-prod')).toMatch(/^Skipped .* setting 'policy-evaluations' already sends logs to this workspace, and Azure refuses a second setting/);
    const taken = await settingsOf(emulator, 'kv-name-taken');
    expect(taken).toMatchObject({ DiagnosticSettingCount: 2, AuditSettings: ['kv-audit-logs-2'] });
  });
});

describe('kv-audit fix refuses what cannot work, and says why', () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());

  it('states the roles it needs when a write is refused, one result per vault, and exits 1', async () => {
    emulator = await startEmulator({ estate: fixEstate({ writeDenied: [resourceNamed('kv-hr-prod').id] }), retryAfterSeconds: 0 });
    const { code, stdout } = await fix(['--apply'], emulator);
    expect(code).toBe(1);
    expect(rowOf(stdout, 'kv-hr-prod')).toMatch(
      /^Failed +kv-hr-prod .* not added: HTTP 403 AuthorizationFailed: The client does not have authorization to perform action 'Microsoft\.Insights\/diagnosticSettings\/write' .*; it needs Microsoft\.Insights\/diagnosticSettings\/write on each vault \(Log Analytics Contributor, .* or Monitoring Contributor\)/,
    );
    expect(rowOf(stdout, 'kv-crm-prod')).toMatch(/^Created /);
  });

  it.each([
    {
      scenario: 'no workspace given or configured',
      argv: [],
      env: { ...sampleEnv, KV_AUDIT_REMEDIATION_WORKSPACE_ID: '' },
      problem: '--workspace: required: the Log Analytics workspace the new settings send to (or set KV_AUDIT_REMEDIATION_WORKSPACE_ID)',
    },
    { scenario: 'a storage account', argv: ['--workspace', resourceNamed('stauditarchiveweu01').id], env: sampleEnv, problem: /is not a Log Analytics workspace resource id$/ },
    {
      scenario: 'a workspace off the approved list',
      argv: ['--workspace', resourceNamed('law-marketing-prod').id],
      env: sampleEnv,
      problem: /is not in KV_AUDIT_APPROVED_DESTINATIONS: the vaults would still fail DestinationNotApproved$/,
    },
    {
      scenario: 'a workspace that keeps logs too briefly',
      argv: ['--workspace', appsWorkspace],
      env: sampleEnv,
      problem: '--workspace: it keeps AZKVAuditLogs 90 days, less than KV_AUDIT_MIN_RETENTION_DAYS (365): the vaults would still fail RetentionTooShort',
    },
    {
      scenario: 'a workspace that does not exist',
      argv: ['--workspace', centralWorkspace.replace('law-central-weu', 'law-gone')],
      env: { ...sampleEnv, KV_AUDIT_APPROVED_DESTINATIONS: '' },
      problem: /^--workspace: .*law-gone does not exist$/,
    },
  ])('$scenario: exit 2, nothing written', async ({ argv, env, problem }) => {
    emulator = await startEmulator({ estate: fixEstate(), retryAfterSeconds: 0 });
    const { code, stderr } = await fix([...argv, '--apply'], emulator, env);
    expect({ code, writes: emulator.stats.settingWrites }).toEqual({ code: 2, writes: 0 });
    const problems = stderr.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
    expect(problems).toEqual([typeof problem === 'string' ? problem : expect.stringMatching(problem)]);
  });
});

describe('kv-audit fix --help', () => {
  it('says what it adds, that it never modifies a setting, and the roles --apply needs', async () => {
    const { code, stdout } = await runCli(['fix', '--help']);
    expect(code).toBe(0);
    for (const text of ['--apply', 'never modifies or deletes a setting', 'Log Analytics Contributor', 'Monitoring Contributor', "the monitor's identity, which stays read-only"]) {
      expect(stdout).toContain(text);
    }
  });
});

describe('kv-audit demo --fix', () => {
  it('shows the sample estate, the settings kv-audit fix adds, and the scan again: failing vaults go from Fail to Pass', async () => {
    const { code, stdout } = await runCli(['demo', '--fix']);
    const [before, after] = stdout.split('The scan again, after kv-audit fix --apply:');
    expect(code).toBe(0);
    expect(before).toMatch(/^Fail {4}10 /m);
    expect(before).toMatch(/^Created +kv-hr-prod /m);
    expect(after).toMatch(/^Pass {4}15 {5}AuditLogsDelivered 15$/m);
    expect(after).toMatch(/^Fail {4}1 {6}AuditLogsNotEnabled 1$/m);
  });
});
