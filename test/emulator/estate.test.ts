import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SettingsEvidence, evaluateAuditLogging } from '../../src/control/auditLogging.js';
import { parseDiagnosticSetting } from '../../src/control/diagnosticSetting.js';
import { normalizeResourceId } from '../../src/control/resourceId.js';
import { loadSettings } from '../../src/config/settings.js';
import { settingOwner } from '../../src/emulator/armIds.js';
import { indexEstate } from '../../src/emulator/estateIndex.js';
import { estateSchema, parseEstate, readEstateFile, sampleEnv, sampleEstate } from '../../src/emulator/index.js';
import { isKvAuditError } from '../../src/errors.js';
import { testEstate } from './testEstate.js';
import { thrownBy } from '../support/thrownBy.js';

describe('estate validation', () => {
  it('lists every problem at once, each with its JSON path', () => {
    const vault = '/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-a';
    const estate = {
      tenantId: 'not-a-guid',
      resources: [
        { id: vault, name: 'kv-a', type: 'Microsoft.KeyVault/vaults', location: 'westeurope' },
        { id: vault, name: 'kv-b', type: 'Microsoft.KeyVault/managedHSMs', location: 'westeurope' },
        { id: 'kv-c', name: 'kv-c', type: 'Microsoft.KeyVault/vaults' },
      ],
      diagnosticSettings: [
        { id: `${vault}/providers/microsoft.insights/diagnosticSettings/a`, name: 'b', type: 'Microsoft.Insights/diagnosticSettings', properties: null },
        { id: `${vault}-gone/providers/microsoft.insights/diagnosticSettings/x`, name: 'x', type: 'Microsoft.Insights/diagnosticSettings' },
        { id: `${vault}/providers/microsoft.insights/somethingElse/y`, name: 'y', type: 't' },
      ],
      denied: [`${vault}-unknown`],
      unavailable: 'all of them',
      resourceGraphIndexesDiagnosticSettings: 'no',
      extra: true,
    };
    const error = thrownBy(() => parseEstate(estate));
    expect(isKvAuditError(error) && error.code).toBe('InvalidEstate');
    expect(isKvAuditError(error) && [...error.details].sort()).toEqual(
      [
        'tenantId: must be a GUID',
        "resources[1].name: 'kv-b' does not match the id's last segment 'kv-a'",
        "resources[1].type: 'Microsoft.KeyVault/managedHSMs' does not match the id's type 'Microsoft.KeyVault/vaults'",
        'resources[2].location: Invalid input: expected string, received undefined',
        "resources[2].id: 'kv-c' is not a resource id (/subscriptions/<guid>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>)",
        "diagnosticSettings[0].name: 'b' does not match the id's name 'a'",
        `diagnosticSettings[2].id: '${vault}/providers/microsoft.insights/somethingElse/y' is not a diagnostic setting id (<resource id>/providers/microsoft.insights/diagnosticSettings/<name>)`,
        'unavailable: Invalid input: expected array, received string',
        'resourceGraphIndexesDiagnosticSettings: Invalid input: expected boolean, received string',
        '(estate): Unrecognized key: "extra"',
      ].sort(),
    );
  });

  it('cross-references are checked whenever the ids they read are well-formed', () => {
    const error = thrownBy(() =>
      parseEstate({
        ...testEstate,
        resources: [...testEstate.resources, testEstate.resources[1]],
        diagnosticSettings: [...testEstate.diagnosticSettings, { ...testEstate.diagnosticSettings[0], id: '/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-gone/providers/microsoft.insights/diagnosticSettings/to-law' }],
        denied: ['/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-nope'],
      }),
    );
    expect(isKvAuditError(error) && error.details).toEqual([
      'resources[6].id: duplicate of resources[1].id',
      "diagnosticSettings[2].id: belongs to '/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv-gone', which is not in resources",
      "denied[0]: '/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-nope' is not in resources",
    ]);
  });

  it.each([
    ['a number JSON cannot hold', { ratio: Number.NaN }],
    ['an object that is not plain data', { created: new Date(0) }],
    ['an undefined array item', { zones: [undefined] }],
  ])('properties holding %s are rejected: not JSON data', (_scenario, properties) => {
    const error = thrownBy(() => parseEstate({ ...testEstate, resources: testEstate.resources.map((r, i) => (i === 0 ? { ...r, properties } : r)) }));
    expect(isKvAuditError(error) && error.details).toEqual(['resources[0].properties: must be JSON data']);
  });

  it('keeps diagnostic settings verbatim, malformed ones included', () => {
    expect(parseEstate(testEstate).diagnosticSettings).toEqual(testEstate.diagnosticSettings);
  });

  it.each([
    ['the standard form', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/microsoft.insights/diagnosticSettings/audit'],
    ['an id without /providers/microsoft.insights', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/diagnosticSettings/audit'],
    ['another case and a trailing slash', '/SUBSCRIPTIONS/S/resourcegroups/RG/providers/microsoft.keyvault/vaults/KV/PROVIDERS/Microsoft.Insights/DiagnosticSettings/audit/'],
  ])('a setting id in %s belongs to its resource', (_scenario, id) => {
    expect(settingOwner(id)).toEqual({ resourceId: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv', name: 'audit' });
  });
});

describe('readEstateFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-audit-estate-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads and validates an estate file', () => {
    expect(readEstateFile(file('estate.json', JSON.stringify(testEstate)))).toEqual(testEstate);
  });

  it.each([
    ['a file that is not JSON', () => file('broken.json', '{ "resources": ['), 'Reading estate file'],
    ['a missing file', () => join(dir, 'missing.json'), 'Reading estate file'],
    ['an invalid estate', () => file('invalid.json', '{"resources": []}'), 'diagnosticSettings: Invalid input'],
  ])('%s: InvalidEstate', (_scenario, path, message) => {
    const error = thrownBy(() => readEstateFile(path()));
    expect(isKvAuditError(error) && error.code).toBe('InvalidEstate');
    expect(isKvAuditError(error) && error.message).toContain(message);
  });
});

describe('the sample estate', () => {
  it('is a valid estate file: plain JSON data that validates', () => {
    const asFile = JSON.parse(JSON.stringify(sampleEstate));
    expect(asFile).toEqual(sampleEstate);
    expect(estateSchema.safeParse(asFile).success).toBe(true);
  });

  it('its env is a valid configuration', () => {
    expect(loadSettings(sampleEnv, { requireIngestion: false }).approvedDestinations?.size).toBe(4);
  });

  /** What a scan of the sample estate sees, evaluated by the real control. */
  function sampleFindings() {
    const index = indexEstate(sampleEstate);
    const settings = loadSettings(sampleEnv, { requireIngestion: false });
    const policy = { exemptionTag: settings.exemptionTag, approvedDestinations: settings.approvedDestinations, remediationWorkspaceId: settings.remediationWorkspaceId };
    const vaults = index.resources.filter((r) => /^microsoft\.keyvault\/(vaults|managedhsms)$/i.test(r.resource.type));
    return vaults.map(({ resource, normalizedId, subscriptionId, resourceGroup, settings: raw }) => {
      const records = raw.map(parseDiagnosticSetting);
      const evidence: SettingsEvidence = index.denied.has(normalizedId)
        ? { state: 'Unreadable', source: 'ARM', reason: 'AccessDenied', message: '403' }
        : index.unavailable.has(normalizedId) || index.deletedAfterInventory.has(normalizedId)
          ? { state: 'Unreadable', source: 'ARM', reason: 'ReadFailed', message: '500 or 404' }
          : { state: 'Read', source: 'ARM', records };
      // A destination is known only in a visible subscription: there it Exists or is NotFound.
      const destinationExistence = new Map(
        records
          .flatMap((r) => (r.ok ? r.setting.destinations : []))
          .filter((d) => index.visibleSubscriptions.has(d.targetId.split('/')[2] ?? ''))
          .map((d) => [d.targetId, index.resourcesById.has(normalizeResourceId(d.targetId)) ? ('Exists' as const) : ('NotFound' as const)]),
      );
      const vault = { id: resource.id, name: resource.name, type: resource.type, subscriptionId, resourceGroup, location: resource.location, tenantId: index.tenantId, tags: resource.tags ?? {} };
      return evaluateAuditLogging({ resource: vault, settings: evidence, destinationExistence }, policy, new Date('2026-01-15T00:00:00Z'));
    });
  }

  it('exercises every status and reason of the control, one vault at a time', () => {
    const outcomes = Object.fromEntries(sampleFindings().map((f) => [f.ResourceName, `${f.Status}/${f.Reason}`]));
    expect(outcomes).toEqual({
      'kv-payments-prod': 'Pass/AuditLogsDelivered',
      'kv-ledger-prod': 'Pass/AuditLogsDelivered',
      'kv-checkout-prod': 'Pass/AuditLogsDelivered',
      'kv-fraud-prod': 'Pass/AuditLogsDelivered',
      'hsm-payments-prod': 'Pass/AuditLogsDelivered',
      'kv-hr-prod': 'Fail/NoDiagnosticSettings',
      'hsm-pki-corp': 'Fail/NoDiagnosticSettings',
      'kv-finance-prod': 'Fail/AuditLogsNotEnabled',
      'kv-legal-prod': 'Fail/AuditLogsNotEnabled',
      'kv-crm-prod': 'Fail/NoDestination',
      'kv-intranet-prod': 'Fail/DestinationNotFound',
      'kv-marketing-prod': 'Fail/DestinationNotApproved',
      'kv-vendor-gateway-prod': 'Exempt/Exempted',
      'kv-batch-legacy': 'Fail/NoDiagnosticSettings',
      'kv-hr-dev': 'Error/AccessDenied',
      'kv-payments-dev': 'Error/MalformedRecord',
      'kv-analytics-dev': 'Error/ReadFailed',
      'kv-shared-dev': 'Pass/AuditLogsDelivered',
    });
  });

  it.each([
    ['an Unverified destination (out-of-sight subscription)', 'kv-fraud-prod', (f: Finding) => f.Destinations.map((d) => d.Status), ['Unverified']],
    ['an event hub judged by its namespace', 'kv-checkout-prod', (f: Finding) => f.Destinations.map((d) => [d.Kind, d.Status, d.Approved]), [['EventHub', 'Exists', true]]],
    ['CIS strict (audit and allLogs)', 'hsm-payments-prod', (f: Finding) => f.CisStrict, true],
    ['an explicitly disabled audit entry', 'kv-legal-prod', (f: Finding) => f.DisabledAuditEntry, true],
    ['an expired exemption', 'kv-batch-legacy', (f: Finding) => f.Exemption?.State, 'Expired'],
    ['metrics only', 'kv-finance-prod', (f: Finding) => f.Detail.includes('metrics AllMetrics'), true],
  ])('shows %s', (_scenario, name, pick, expected) => {
    const finding = sampleFindings().find((f) => f.ResourceName === name);
    expect(finding && pick(finding)).toEqual(expected);
  });
});

type Finding = ReturnType<typeof evaluateAuditLogging>;
