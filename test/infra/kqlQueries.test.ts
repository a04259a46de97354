import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyVaultAuditLogSchema } from '../support/azureMonitorTables.js';
import { findingsWorkspaceSchema, kqlProblems, withWorkspaceFunctions, workspaceFunctions } from '../support/kusto.js';
import { infraDir } from './bicepCli.js';

const workspaceSchema = [...findingsWorkspaceSchema, ...keyVaultAuditLogSchema];
const queryFiles = readdirSync(join(infraDir, 'queries'))
  .filter((f) => f.endsWith('.kql'))
  .sort()
  .map((name) => [name, readFileSync(join(infraDir, 'queries', name), 'utf8')] as const);

describe('query files', () => {
  it('exist', () => {
    expect(queryFiles.length).toBeGreaterThan(0);
  });

  it.each(queryFiles)('%s parses and binds against the workspace tables and functions with no error or warning', (_name, query) => {
    expect(kqlProblems(withWorkspaceFunctions(query), workspaceSchema)).toEqual([]);
  });

  it.each(workspaceFunctions.map((f) => [f.name, f] as const))('the workspace function %s binds on its own, with no error or warning', (_name, f) => {
    expect(kqlProblems(withWorkspaceFunctions(`${f.name}(now(), 1d, dynamic(['Timer']))\n| take 1`), workspaceSchema)).toEqual([]);
  });

  it.each(queryFiles)('%s opens with a comment saying what it answers', (_name, query) => {
    expect(query.split('\n')[0]).toMatch(/^\/\/ \S.{20,}/);
  });
});

describe('the KQL check itself', () => {
  const posture = queryFiles.find(([name]) => name === 'current-posture.kql')?.[1] ?? '';
  const secretsRead = queryFiles.find(([name]) => name === 'secrets-read.kql')?.[1] ?? '';

  it.each([
    ['a misspelled findings column', posture.replace('ResourceGroup,', 'ResourceGrup,'), 'ResourceGrup'],
    ['a misspelled table', posture.replace('KeyVaultAuditScans_CL', 'KeyVaultAuditScan_CL'), 'KeyVaultAuditScan_CL'],
    ['a misspelled function', posture.replace('KeyVaultAuditRecords(', 'KeyVaultAuditRecord('), 'KeyVaultAuditRecord'],
    ['a misspelled audit-log column', secretsRead.replace('HttpStatusCode ==', 'HttpStatusCod =='), 'HttpStatusCod'],
  ])('rejects %s', (_scenario, query, name) => {
    const problems = kqlProblems(withWorkspaceFunctions(query), workspaceSchema);
    expect(problems.some((p) => p.includes(name))).toBe(true);
  });
});
