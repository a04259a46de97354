import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type BicepCli, type CliRun, compileRequired, findBicep, infraDir, infraPattern, noBicepReason, repoRoot, runBicep } from './bicepCli.js';

/*
 * Global setup: the real Bicep CLI builds and lints every .bicep file once per test run, and the infrastructure
 * tests read what it produced (test/infra/bicep.ts). Without a CLI outside CI it says so here, plainly, and those
 * tests are skipped; in CI they fail instead.
 */

export type CompiledInfra =
  | {
      readonly status: 'compiled';
      readonly cli: BicepCli;
      /** The ARM JSON of infra/<path>.bicep is <outDir>/<path>.json. */
      readonly outDir: string;
      /** Every .bicep file under infra/, relative to the repository root. */
      readonly sources: readonly string[];
      readonly build: CliRun;
      readonly lint: CliRun;
      readonly seconds: number;
    }
  | { readonly status: 'missing'; readonly reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    compiledInfra: CompiledInfra;
  }
}

function bicepSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? bicepSources(join(dir, entry.name)) : entry.name.endsWith('.bicep') ? [join(dir, entry.name)] : []))
    .map((path) => (path.startsWith(repoRoot) ? relative(repoRoot, path).split('\\').join('/') : path))
    .sort();
}

async function compile(outDir: string): Promise<CompiledInfra> {
  const cli = await findBicep();
  if (cli === undefined) {
    console.warn(`\nBicep compile ${compileRequired ? 'IMPOSSIBLE (CI requires it)' : 'SKIPPED'}: ${noBicepReason}.\n`);
    return { status: 'missing', reason: noBicepReason };
  }
  const started = performance.now();
  const [build, lint] = await Promise.all([
    runBicep(cli, ['build', '--pattern', infraPattern, '--outdir', outDir]),
    runBicep(cli, ['lint', '--pattern', infraPattern]),
  ]);
  const seconds = (performance.now() - started) / 1000;
  console.log(`Bicep ${cli.version} (${cli.origin}): built and linted ${infraPattern} in ${seconds.toFixed(1)} s.`);
  return { status: 'compiled', cli, outDir, sources: bicepSources(infraDir), build, lint, seconds };
}

export default async function setup(project: TestProject): Promise<() => void> {
  const outDir = mkdtempSync(join(tmpdir(), 'kv-audit-arm-'));
  project.provide('compiledInfra', await compile(outDir));
  // Watch mode: recompile what changed before each rerun.
  project.onTestsRerun(async () => project.provide('compiledInfra', await compile(outDir)));
  return () => rmSync(outDir, { recursive: true, force: true });
}
