import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiled, compiledInfra, repoRoot, skipWithoutBicep, template } from './bicep.js';
import { compileRequired, runBicep } from './bicepCli.js';

/*
 * Every .bicep file under infra/ goes through the real Bicep CLI, `bicep build` and `bicep lint` (global setup), with
 * the linter configured in bicepconfig.json: no error, no warning. CI fetches the pinned CLI (scripts/fetch-bicep.sh)
 * and must compile; elsewhere, with no CLI, these tests are skipped and the run says why.
 */

const cliName = compiledInfra.status === 'compiled' ? `Bicep ${compiledInfra.cli.version} (${compiledInfra.cli.origin})` : `none: ${compiledInfra.reason}`;

describe('the Bicep CLI', () => {
  it(`is available${compileRequired ? ', as CI requires' : ''}: ${cliName}`, (ctx) => {
    if (skipWithoutBicep) ctx.skip(`Bicep compile skipped: ${cliName}`);
    expect(compiledInfra.status).toBe('compiled');
  });
});

describe.skipIf(skipWithoutBicep)('every .bicep file under infra/', () => {
  it('builds to ARM JSON, one template per file', () => {
    const { sources, build } = compiled();
    expect(sources.length).toBeGreaterThan(1);
    expect(build.exitCode).toBe(0);
    expect(build.otherOutput).toEqual([]);
    for (const source of sources) expect(template(source).resources.length, source).toBeGreaterThan(0);
  });

  it.each([
    ['bicep build', () => compiled().build],
    ['bicep lint', () => compiled().lint],
  ])('%s reports no error and no warning', (_command, run) => {
    expect(run().exitCode).toBe(0);
    expect(run().diagnostics.map((d) => `${d.file}:${d.line} ${d.level} ${d.code}: ${d.message}`)).toEqual([]);
    expect(run().otherOutput).toEqual([]);
  });
});

describe('bicepconfig.json', () => {
  const config = JSON.parse(readFileSync(join(repoRoot, 'bicepconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as {
    analyzers: { core: { enabled: boolean; rules: Record<string, { level: string; maxAllowedAgeInDays?: number }> } };
  };
  const rules = config.analyzers.core.rules;

  it('turns the linter on, with recent API versions required', () => {
    expect(config.analyzers.core.enabled).toBe(true);
    expect(rules['use-recent-api-versions']).toEqual({ level: 'warning', maxAllowedAgeInDays: 730 });
  });

  it('turns off only what-if-short-circuiting, and says why in the file', () => {
    expect(Object.entries(rules).filter(([, rule]) => rule.level === 'off').map(([name]) => name)).toEqual(['what-if-short-circuiting']);
    expect(readFileSync(join(repoRoot, 'bicepconfig.json'), 'utf8')).toMatch(/\/\/ Off: .+\n.+\n\s+"what-if-short-circuiting"/);
  });

  // The check itself: with this configuration, the CLI flags what the rules are there for.
  it.skipIf(skipWithoutBicep).each([
    ['an API version older than two years', "resource ws 'Microsoft.OperationalInsights/workspaces@2020-08-01' = {\n  name: 'ws'\n  location: location\n}\n", 'use-recent-api-versions'],
    ['an unused parameter', "param unused string\n", 'no-unused-params'],
    ['a hard-coded location', "resource ws 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {\n  name: 'ws'\n  location: 'westeurope'\n}\n", 'no-hardcoded-location'],
  ])('warns about %s', async (_case, body, rule) => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-audit-lint-'));
    try {
      writeFileSync(join(dir, 'probe.bicep'), `param location string\n${body}output where string = location\n`);
      const run = await runBicep(compiled().cli, ['lint', join(dir, 'probe.bicep'), '--config', join(repoRoot, 'bicepconfig.json')]);
      expect(run.diagnostics.map((d) => d.code)).toContain(rule);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
