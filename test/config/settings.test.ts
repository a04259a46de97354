import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSettings, settingDefinitions } from '../../src/config/settings.js';
import { isKvAuditError } from '../../src/errors.js';

const sub1 = '11111111-1111-1111-1111-111111111111';
const sub2 = '22222222-2222-2222-2222-222222222222';
const workspace = `/subscriptions/${sub1}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-central`;
const ingestion = {
  KV_AUDIT_LOGS_INGESTION_ENDPOINT: 'https://dcr-kvaudit-prod-7f3a.westeurope-1.ingest.monitor.azure.com',
  KV_AUDIT_DCR_IMMUTABLE_ID: 'dcr-0123456789abcdef0123456789abcdef',
};

function problemsOf(env: Record<string, string | undefined>, requireIngestion = false): readonly string[] {
  try {
    loadSettings(env, { requireIngestion });
  } catch (error) {
    if (isKvAuditError(error)) return error.details;
    throw error;
  }
  return [];
}

describe('defaults', () => {
  it('an empty environment scans everything the identity can read, with safe defaults', () => {
    expect(loadSettings({}, { requireIngestion: false })).toEqual({
      scope: { Kind: 'Tenant', Ids: [] },
      exemptionTag: 'kv-audit-exempt',
      approvedDestinations: null,
      remediationWorkspaceId: null,
      armConcurrency: 512,
      ingestion: null,
      stateUrl: null,
      findingsWorkspaceId: null,
      fullScanIntervalHours: 24,
      activityLogOverlapMinutes: 30,
      profile: 'default',
      minRetentionDays: null,
      verifyDelivery: false,
      exemptions: [],
      tagExemptions: true,
    });
  });

  it('treats blank values (as app settings often carry) as unset', () => {
    expect(loadSettings({ KV_AUDIT_SUBSCRIPTIONS: '  ', KV_AUDIT_ARM_CONCURRENCY: '' }, { requireIngestion: false }).armConcurrency).toBe(512);
  });
});

describe('valid settings', () => {
  it.each(['0 0 * * * *', '0 */5 * * * *', '30 0 9-17/2 * JAN,jul mon-FRI', '0 0 0 1,15 * 0'])('accepts the schedule %s', (schedule) => {
    expect(problemsOf({ KV_AUDIT_SCHEDULE: schedule })).toEqual([]);
  });

  it.each([
    { scenario: 'comma-separated subscriptions', env: { KV_AUDIT_SUBSCRIPTIONS: `${sub1},${sub2}` }, scope: { Kind: 'Subscriptions', Ids: [sub1, sub2] } },
    { scenario: 'subscriptions separated by spaces and semicolons, repeated, upper-case', env: { KV_AUDIT_SUBSCRIPTIONS: `${sub1.toUpperCase()} ; ${sub2}\n${sub2}` }, scope: { Kind: 'Subscriptions', Ids: [sub1, sub2] } },
    { scenario: 'management groups', env: { KV_AUDIT_MANAGEMENT_GROUPS: 'mg-platform, Contoso(Prod)' }, scope: { Kind: 'ManagementGroups', Ids: ['mg-platform', 'Contoso(Prod)'] } },
  ])('scope from $scenario', ({ env, scope }) => {
    expect(loadSettings(env, { requireIngestion: false }).scope).toEqual(scope);
  });

  it('reads every optional setting', () => {
    const settings = loadSettings(
      {
        ...ingestion,
        KV_AUDIT_EXEMPTION_TAG: 'security-waiver',
        KV_AUDIT_APPROVED_DESTINATIONS: `${workspace}/`,
        KV_AUDIT_REMEDIATION_WORKSPACE_ID: workspace,
        KV_AUDIT_ARM_CONCURRENCY: '16',
        KV_AUDIT_SCHEDULE: '0 */30 * * * *',
        KV_AUDIT_STATE_URL: 'https://stkvaudit7f3a.blob.core.windows.net/kv-audit-state/scan-state.txt',
        KV_AUDIT_FINDINGS_WORKSPACE_ID: workspace,
        KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: '12',
        KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: '0',
        AZURE_CLIENT_ID: sub2,
        KV_AUDIT_PROFILE: 'cis',
        KV_AUDIT_MIN_RETENTION_DAYS: '365',
        KV_AUDIT_VERIFY_DELIVERY: 'true',
        KV_AUDIT_TAG_EXEMPTIONS: 'off',
        KV_AUDIT_EXEMPTIONS: JSON.stringify([
          { scope: `/subscriptions/${sub1}/resourceGroups/RG-PKI`, reason: 'PKI HSM, vendor ships logs', expires: '2027-03-31', approvedBy: 'CISO office' },
        ]),
      },
      { requireIngestion: true },
    );
    expect(settings).toEqual({
      scope: { Kind: 'Tenant', Ids: [] },
      exemptionTag: 'security-waiver',
      approvedDestinations: new Set([workspace.toLowerCase()]),
      remediationWorkspaceId: workspace,
      armConcurrency: 16,
      ingestion: { endpoint: ingestion.KV_AUDIT_LOGS_INGESTION_ENDPOINT, ruleId: ingestion.KV_AUDIT_DCR_IMMUTABLE_ID },
      stateUrl: 'https://stkvaudit7f3a.blob.core.windows.net/kv-audit-state/scan-state.txt',
      findingsWorkspaceId: workspace,
      fullScanIntervalHours: 12,
      activityLogOverlapMinutes: 0,
      profile: 'cis',
      minRetentionDays: 365,
      verifyDelivery: true,
      exemptions: [{ scope: `/subscriptions/${sub1}/resourcegroups/rg-pki`, reason: 'PKI HSM, vendor ships logs', expires: '2027-03-31', approvedBy: 'CISO office' }],
      tagExemptions: false,
    });
  });
});

describe('invalid settings are all reported at once, each naming its setting', () => {
  it.each([
    { env: { KV_AUDIT_SUBSCRIPTIONS: `${sub1},not-a-guid` }, problem: "KV_AUDIT_SUBSCRIPTIONS: 'not-a-guid' is not a subscription id (GUID)" },
    { env: { KV_AUDIT_SUBSCRIPTIONS: "x' or 1==1 //" }, problem: "KV_AUDIT_SUBSCRIPTIONS: 'x'' is not a subscription id (GUID)" },
    { env: { KV_AUDIT_MANAGEMENT_GROUPS: 'ends-with-period.' }, problem: "KV_AUDIT_MANAGEMENT_GROUPS: 'ends-with-period.' is not a management group id" },
    { env: { KV_AUDIT_MANAGEMENT_GROUPS: "mg'|union" }, problem: "KV_AUDIT_MANAGEMENT_GROUPS: 'mg'|union' is not a management group id" },
    { env: { KV_AUDIT_SUBSCRIPTIONS: sub1, KV_AUDIT_MANAGEMENT_GROUPS: 'mg' }, problem: 'KV_AUDIT_SUBSCRIPTIONS, KV_AUDIT_MANAGEMENT_GROUPS: set one or the other, not both' },
    { env: { KV_AUDIT_EXEMPTION_TAG: 'a/b' }, problem: 'KV_AUDIT_EXEMPTION_TAG: must be a tag name: 1-512 characters, none of < > % & \\ ? /' },
    { env: { KV_AUDIT_APPROVED_DESTINATIONS: 'law-central' }, problem: "KV_AUDIT_APPROVED_DESTINATIONS: 'law-central' is not a resource id (/subscriptions/…/resourceGroups/…/providers/…)" },
    { env: { KV_AUDIT_REMEDIATION_WORKSPACE_ID: `/subscriptions/${sub1}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st` }, problem: 'KV_AUDIT_REMEDIATION_WORKSPACE_ID: must be a Log Analytics workspace resource id' },
    { env: { KV_AUDIT_ARM_CONCURRENCY: '0' }, problem: 'KV_AUDIT_ARM_CONCURRENCY: must be a whole number from 1 to 1024' },
    { env: { KV_AUDIT_ARM_CONCURRENCY: 'abc' }, problem: 'KV_AUDIT_ARM_CONCURRENCY: must be a whole number from 1 to 1024' },
    { env: { KV_AUDIT_ARM_CONCURRENCY: '2.5' }, problem: 'KV_AUDIT_ARM_CONCURRENCY: must be a whole number from 1 to 1024' },
    { env: { KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: '72' }, problem: 'KV_AUDIT_FULL_SCAN_INTERVAL_HOURS: must be a whole number from 1 to 48' },
    { env: { KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: '-5' }, problem: 'KV_AUDIT_ACTIVITY_LOG_OVERLAP_MINUTES: must be a whole number from 0 to 1440' },
    { env: { KV_AUDIT_STATE_URL: 'http://st.blob.core.windows.net/s/state.json' }, problem: 'KV_AUDIT_STATE_URL: must be an https URL of a blob' },
    { env: { KV_AUDIT_SUBSCRIPTIONS: ',' }, problem: 'KV_AUDIT_SUBSCRIPTIONS: has an empty item' },
    { env: { KV_AUDIT_SUBSCRIPTIONS: `${sub1},,${sub2}` }, problem: 'KV_AUDIT_SUBSCRIPTIONS: has an empty item' },
    { env: { KV_AUDIT_MANAGEMENT_GROUPS: ' , ' }, problem: 'KV_AUDIT_MANAGEMENT_GROUPS: has an empty item' },
    { env: { KV_AUDIT_SCHEDULE: '0 * * * *' }, problem: 'KV_AUDIT_SCHEDULE: must be an NCRONTAB expression with six fields, seconds first (e.g. "0 0 * * * *" for hourly); it has 5' },
    { env: { KV_AUDIT_SCHEDULE: '99 * * * * *' }, problem: "KV_AUDIT_SCHEDULE: second '99' is not within 0-59 (e.g. \"0 0 * * * *\" for hourly)" },
    { env: { KV_AUDIT_SCHEDULE: '0 0 24 * * *' }, problem: "KV_AUDIT_SCHEDULE: hour '24' is not within 0-23 (e.g. \"0 0 * * * *\" for hourly)" },
    { env: { KV_AUDIT_SCHEDULE: '0 0 0 0 * *' }, problem: "KV_AUDIT_SCHEDULE: day of month '0' is not within 1-31 (e.g. \"0 0 * * * *\" for hourly)" },
    { env: { KV_AUDIT_SCHEDULE: '0 0 0 * 13 SUN-7' }, problem: "KV_AUDIT_SCHEDULE: month '13' is not within 1-12; day of week 'SUN-7' is not within 0-6 (e.g. \"0 0 * * * *\" for hourly)" },
    { env: { KV_AUDIT_SCHEDULE: '0 */0 * * * *' }, problem: "KV_AUDIT_SCHEDULE: minute '*/0' has a step that is not a whole number of 1 or more (e.g. \"0 0 * * * *\" for hourly)" },
    { env: { KV_AUDIT_SCHEDULE: '0 30-10 * * * *' }, problem: "KV_AUDIT_SCHEDULE: minute '30-10' is a range that runs backwards (e.g. \"0 0 * * * *\" for hourly)" },
    { env: { ...ingestion, KV_AUDIT_LOGS_INGESTION_ENDPOINT: 'http://plain.example.com' }, problem: 'KV_AUDIT_LOGS_INGESTION_ENDPOINT: must be an https URL (the DCR logs ingestion endpoint)' },
    { env: { ...ingestion, KV_AUDIT_DCR_IMMUTABLE_ID: 'my-dcr' }, problem: 'KV_AUDIT_DCR_IMMUTABLE_ID: must look like dcr-<32 hex digits>' },
    { env: { KV_AUDIT_DCR_IMMUTABLE_ID: ingestion.KV_AUDIT_DCR_IMMUTABLE_ID }, problem: 'KV_AUDIT_LOGS_INGESTION_ENDPOINT, KV_AUDIT_DCR_IMMUTABLE_ID: set both or neither' },
    { env: { AZURE_CLIENT_ID: 'my-identity' }, problem: 'AZURE_CLIENT_ID: must be a client id (GUID)' },
    { env: { KV_AUDIT_PROFILE: 'CIS-v2' }, problem: 'KV_AUDIT_PROFILE: must be one of default, cis' },
    { env: { KV_AUDIT_MIN_RETENTION_DAYS: '0' }, problem: 'KV_AUDIT_MIN_RETENTION_DAYS: must be a whole number of days from 1 to 4383' },
    { env: { KV_AUDIT_MIN_RETENTION_DAYS: '1y' }, problem: 'KV_AUDIT_MIN_RETENTION_DAYS: must be a whole number of days from 1 to 4383' },
    { env: { KV_AUDIT_MIN_RETENTION_DAYS: '5000' }, problem: 'KV_AUDIT_MIN_RETENTION_DAYS: must be a whole number of days from 1 to 4383' },
    { env: { KV_AUDIT_VERIFY_DELIVERY: 'yes' }, problem: 'KV_AUDIT_VERIFY_DELIVERY: must be true or false' },
    { env: { KV_AUDIT_TAG_EXEMPTIONS: 'false' }, problem: 'KV_AUDIT_TAG_EXEMPTIONS: must be on or off' },
    { env: { KV_AUDIT_EXEMPTIONS: '{"scope":' }, problem: expect.stringMatching(/^KV_AUDIT_EXEMPTIONS: not JSON \(/) },
    { env: { KV_AUDIT_EXEMPTIONS: '{}' }, problem: 'KV_AUDIT_EXEMPTIONS: must be a JSON array of exemptions' },
    {
      env: { KV_AUDIT_EXEMPTIONS: JSON.stringify([{ scope: 'kv-hr-prod', reason: 'x', expires: '2027-01-01', approvedBy: 'me' }]) },
      problem: 'KV_AUDIT_EXEMPTIONS[0].scope: must be a subscription, resource group or resource id (/subscriptions/<guid>[/resourceGroups/<group>[/providers/…]])',
    },
    {
      env: { KV_AUDIT_EXEMPTIONS: JSON.stringify([{ scope: workspace, reason: 'x', expires: '31/12/2027', approvedBy: 'me' }]) },
      problem: 'KV_AUDIT_EXEMPTIONS[0].expires: must be the last exempt day, YYYY-MM-DD (every central exemption ends)',
    },
    {
      env: { KV_AUDIT_EXEMPTIONS: JSON.stringify([{ scope: workspace, reason: 'x', approvedBy: 'me' }]) },
      problem: expect.stringMatching(/^KV_AUDIT_EXEMPTIONS\[0\]\.expires: /),
    },
    {
      env: { KV_AUDIT_EXEMPTIONS: JSON.stringify([{ scope: workspace, reason: 'x', expires: '2027-01-01', approvedBy: ' ' }]) },
      problem: 'KV_AUDIT_EXEMPTIONS[0].approvedBy: must name who approved it',
    },
    {
      env: { KV_AUDIT_EXEMPTIONS: JSON.stringify([{ scope: workspace, reason: '\u200b', expires: '2027-01-01', approvedBy: 'me' }]) },
      problem: 'KV_AUDIT_EXEMPTIONS[0].reason: must say why, in words',
    },
    {
      env: { KV_AUDIT_EXEMPTIONS: JSON.stringify([{ scope: workspace, reason: 'x', expires: '2027-01-01', approvedBy: 'me', expiry: '2027-01-01' }]) },
      problem: expect.stringMatching(/^KV_AUDIT_EXEMPTIONS\[0\]: Unrecognized key: "expiry"/),
    },
    {
      env: {
        KV_AUDIT_EXEMPTIONS: JSON.stringify([
          { scope: workspace, reason: 'x', expires: '2027-01-01', approvedBy: 'me' },
          { scope: workspace.toUpperCase(), reason: 'y', expires: '2027-01-01', approvedBy: 'me' },
        ]),
      },
      problem: `KV_AUDIT_EXEMPTIONS[1].scope: '${workspace.toUpperCase()}' is already exempted by entry 0; one entry per scope`,
    },
  ])('$problem', ({ env, problem }) => {
    expect(problemsOf(env)).toContainEqual(problem);
  });

  it('lists every problem in one error whose message names each setting', () => {
    const env = { KV_AUDIT_SUBSCRIPTIONS: 'nope', KV_AUDIT_ARM_CONCURRENCY: '9999', KV_AUDIT_EXEMPTION_TAG: '<x>' };
    expect(() => loadSettings(env, { requireIngestion: true })).toThrow(
      expect.objectContaining({
        name: 'KvAuditError',
        code: 'InvalidConfiguration',
        message: expect.stringMatching(/^Invalid configuration \(5 problems\):\n {2}- /),
      }),
    );
    expect(problemsOf(env, true).map((p) => p.split(':')[0])).toEqual([
      'KV_AUDIT_SUBSCRIPTIONS',
      'KV_AUDIT_EXEMPTION_TAG',
      'KV_AUDIT_ARM_CONCURRENCY',
      'KV_AUDIT_LOGS_INGESTION_ENDPOINT',
      'KV_AUDIT_DCR_IMMUTABLE_ID',
    ]);
  });

  it('requires the DCR settings only where findings are written to Log Analytics', () => {
    expect(problemsOf({}, false)).toEqual([]);
    expect(problemsOf({}, true)).toEqual([
      'KV_AUDIT_LOGS_INGESTION_ENDPOINT: required to write findings to Log Analytics',
      'KV_AUDIT_DCR_IMMUTABLE_ID: required to write findings to Log Analytics',
    ]);
  });
});

describe('documentation of settings', () => {
  const sample = JSON.parse(readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8')) as {
    Values: Record<string, string>;
  };
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it.each(settingDefinitions.map((d) => [d.name, d] as const))('%s is in local.settings.sample.json with its example and in the README', (name, definition) => {
    expect(sample.Values[name]).toBe(definition.example);
    expect(readme).toContain(`\`${name}\``);
  });

  it("the sample's placeholders are refused as configuration, each named; its other values are valid", () => {
    expect(problemsOf(sample.Values, true)).toEqual(
      [
        'KV_AUDIT_SUBSCRIPTIONS',
        'KV_AUDIT_REMEDIATION_WORKSPACE_ID',
        'KV_AUDIT_LOGS_INGESTION_ENDPOINT',
        'KV_AUDIT_DCR_IMMUTABLE_ID',
        'KV_AUDIT_STATE_URL',
        'KV_AUDIT_FINDINGS_WORKSPACE_ID',
      ].map(
        (name) => `${name}: '${sample.Values[name]}' is a placeholder (as in local.settings.sample.json); put your own value, or leave it empty`,
      ),
    );
  });

  it('an all-zero id is a placeholder wherever it appears', () => {
    expect(problemsOf({ AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000000' })).toEqual([
      "AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000000' is a placeholder (as in local.settings.sample.json); put your own value, or leave it empty",
    ]);
  });
});
