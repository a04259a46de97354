import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyVaultAuditLogSchema } from '../support/azureMonitorTables.js';
import { findingsWorkspaceSchema, kqlProblems } from '../support/kusto.js';
import { infraDir, repoRoot } from './bicep.js';

/** The KQL a user copies from the README is checked like every other query string in the repo. */

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const kustoBlocks = [...readme.matchAll(/```kusto\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd());

describe('KQL in the README', () => {
  it('has the blocks a user needs to see the first findings', () => {
    expect(kustoBlocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(kustoBlocks.map((block, i) => [i + 1, block] as const))('block %i parses and binds against the workspace tables', (_, block) => {
    expect(kqlProblems(block, [...findingsWorkspaceSchema, ...keyVaultAuditLogSchema])).toEqual([]);
  });

  it('shows the current-posture query exactly as shipped', () => {
    expect(kustoBlocks).toContain(readFileSync(join(infraDir, 'queries', 'current-posture.kql'), 'utf8').trimEnd());
  });
});
