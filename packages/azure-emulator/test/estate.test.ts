import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { settingOwner } from '../src/armIds.js';
import { estateSchema, isEmulatorInputError, parseEstate, readEstateFile, sampleEstate } from '../src/index.js';
import { thrownBy } from './support.js';
import { testEstate } from './testEstate.js';

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
    expect(isEmulatorInputError(error) && error.code).toBe('InvalidEstate');
    expect(isEmulatorInputError(error) && [...error.details].sort()).toEqual(
      [
        'tenantId: must be a GUID',
        "resources[1].name: 'kv-b' does not match the id's last segment 'kv-a'",
        "resources[1].type: 'Microsoft.KeyVault/managedHSMs' does not match the id's type 'Microsoft.KeyVault/vaults'",
        'resources[2].location: is required',
        "resources[2].id: 'kv-c' is not a resource id (/subscriptions/<guid>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>)",
        "diagnosticSettings[0].name: 'b' does not match the id's name 'a'",
        `diagnosticSettings[2].id: '${vault}/providers/microsoft.insights/somethingElse/y' is not a diagnostic setting id (<resource id>/providers/microsoft.insights/diagnosticSettings/<name>)`,
        'unavailable: must be an array, not a string',
        'resourceGraphIndexesDiagnosticSettings: must be a boolean, not a string',
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
    expect(isEmulatorInputError(error) && error.details).toEqual([
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
    expect(isEmulatorInputError(error) && error.details).toEqual(['resources[0].properties: must be JSON data']);
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
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
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
    ['an invalid estate', () => file('invalid.json', '{"resources": []}'), 'diagnosticSettings: is required'],
  ])('%s: InvalidEstate', (_scenario, path, message) => {
    const error = thrownBy(() => readEstateFile(path()));
    expect(isEmulatorInputError(error) && error.code).toBe('InvalidEstate');
    expect(isEmulatorInputError(error) && error.message).toContain(message);
  });
});

describe('the sample estate', () => {
  it('is a valid estate file: plain JSON data that validates', () => {
    const asFile = JSON.parse(JSON.stringify(sampleEstate));
    expect(asFile).toEqual(sampleEstate);
    expect(estateSchema.safeParse(asFile).success).toBe(true);
  });
});
