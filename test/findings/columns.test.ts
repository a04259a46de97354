import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { columnFilePath, deriveColumns, renderColumnFile, reservedColumnNames } from '../../src/findings/columns.js';
import { findingsTable, scansTable, tables } from '../../src/findings/schema.js';

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('generated column files under infra/ (the Bicep loads them with loadJsonContent)', () => {
  it.each(tables.map((t) => [t.tableName, t] as const))('%s matches the zod schema; run `npm run generate` if not', (_, table) => {
    expect(repoFile(columnFilePath(table))).toBe(renderColumnFile(table));
  });
});

describe('column derivation', () => {
  it('maps the findings schema to Log Analytics types, in schema order', () => {
    const types = Object.fromEntries(deriveColumns(findingsTable).map((c) => [c.name, c.type]));
    expect(types).toEqual({
      TimeGenerated: 'datetime',
      ScanId: 'string',
      ControlId: 'string',
      ResourceId: 'string',
      ResourceName: 'string',
      ResourceType: 'string',
      SubscriptionId: 'string',
      ResourceGroup: 'string',
      Location: 'string',
      AzureTenantId: 'string',
      Status: 'string',
      Reason: 'string',
      Detail: 'string',
      Severity: 'string',
      EvidenceSource: 'string',
      DiagnosticSettingCount: 'int',
      AuditSettings: 'dynamic',
      AuditSources: 'dynamic',
      Destinations: 'dynamic',
      Profile: 'string',
      CisStrict: 'boolean',
      DisabledAuditEntry: 'boolean',
      Exemption: 'dynamic',
      DeliveryCheck: 'string',
      LastAuditEventAt: 'datetime',
      Remediation: 'string',
      Tags: 'dynamic',
    });
    expect(Object.keys(types)).toEqual(Object.keys(findingsTable.schema.shape));
  });

  it('maps the scan schema, with a long duration and int counts', () => {
    const columns = deriveColumns(scansTable);
    expect(columns.find((c) => c.name === 'DurationMs')?.type).toBe('long');
    expect(columns.find((c) => c.name === 'ResourceCount')?.type).toBe('int');
    expect(columns.find((c) => c.name === 'Complete')?.type).toBe('boolean');
    expect(columns.find((c) => c.name === 'Errors')?.type).toBe('dynamic');
  });

  it('documents every column', () => {
    const undocumented = tables.flatMap((t) => deriveColumns(t).filter((c) => !c.description).map((c) => `${t.tableName}.${c.name}`));
    expect(undocumented).toEqual([]);
  });

  it.each([
    { scenario: 'a reserved name (TenantId)', shape: { TimeGenerated: z.iso.datetime(), TenantId: z.string() }, error: /TenantId: reserved/ },
    { scenario: 'a reserved name in other casing (ID)', shape: { TimeGenerated: z.iso.datetime(), ID: z.string() }, error: /ID: reserved/ },
    { scenario: 'a name starting with a digit', shape: { TimeGenerated: z.iso.datetime(), '1st': z.string() }, error: /not a valid Log Analytics column name/ },
    { scenario: 'a union of two types', shape: { TimeGenerated: z.iso.datetime(), Mixed: z.union([z.string(), z.number()]) }, error: /exactly one non-null type/ },
  ])('refuses $scenario', ({ shape, error }) => {
    expect(() => deriveColumns({ tableName: 'T_CL', streamName: 'Custom-T', schema: z.object(shape) })).toThrow(error);
  });

  it('no table uses a name Log Analytics reserves', () => {
    const names = tables.flatMap((t) => deriveColumns(t).map((c) => c.name.toLowerCase()));
    expect(names.filter((n) => reservedColumnNames.has(n))).toEqual([]);
  });
});
