import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyVaultAuditLogSchema } from '../support/azureMonitorTables.js';
import { findingsWorkspaceSchema, kqlProblems, withWorkspaceFunctions } from '../support/kusto.js';
import { infraDir, repoRoot } from './bicep.js';

/** The KQL a user copies from the README or docs/ is checked like every other query string in the repo. */

const documents = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const kustoBlocks = documents.flatMap((document) =>
  [...readFileSync(join(repoRoot, document), 'utf8').matchAll(/```kusto\n([\s\S]*?)```/g)].map((m, i) => ({
    name: `${document} block ${i + 1}`,
    text: m[1]!.trimEnd(),
  })),
);

describe('KQL in the documentation', () => {
  it('has the blocks a user needs to see the first findings', () => {
    expect(kustoBlocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(kustoBlocks.map((block) => [block.name, block.text] as const))('%s parses and binds against the workspace tables and functions', (_, text) => {
    expect(kqlProblems(withWorkspaceFunctions(text), [...findingsWorkspaceSchema, ...keyVaultAuditLogSchema])).toEqual([]);
  });

  it('shows the current-posture query exactly as shipped', () => {
    expect(kustoBlocks.map((b) => b.text)).toContain(readFileSync(join(infraDir, 'queries', 'current-posture.kql'), 'utf8').trimEnd());
  });
});
