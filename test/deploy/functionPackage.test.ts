import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The function app exactly as it is deployed: azd zips the project without what .funcignore excludes (gitignore
 * syntax, matched here by git itself), and Flex Consumption's remote build installs the dependencies from the
 * lock file and runs `npm run build`. The emulator and its dependencies are development tools: none of them may
 * be in what runs in Azure.
 */

const repoRoot = resolve(import.meta.dirname, '..', '..');
const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });

/** The files azd puts into the zip: what is in the project (tracked or new, not gitignored) less .funcignore's patterns. */
function packagedFiles(): string[] {
  const candidates = git(['ls-files', '--cached', '--others', '--exclude-standard']);
  const verdicts = git(['-c', 'core.excludesFile=.funcignore', 'check-ignore', '--no-index', '--stdin', '--verbose', '--non-matching'], candidates);
  return verdicts
    .split('\n')
    .filter((line) => line.startsWith('::\t'))
    .map((line) => line.slice(3))
    .filter((path) => existsSync(join(repoRoot, path)));
}

/** Every path under `dir`, relative to it. */
function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() && !entry.isSymbolicLink() ? [path, ...listTree(dir, path)] : [path];
  });
}

const emulatorDependencies = ['selfsigned', '@kusto/language-service-next', '@kv-audit/azure-emulator', '@kv-audit/kql'];

describe('the deployed function package', () => {
  let site: string;
  let zipped: string[];
  beforeAll(() => {
    site = mkdtempSync(join(tmpdir(), 'kv-audit-package-'));
    zipped = packagedFiles();
    for (const path of zipped) {
      mkdirSync(dirname(join(site, path)), { recursive: true });
      cpSync(join(repoRoot, path), join(site, path));
    }
    // The remote build: install exactly what the lock file pins, then build.
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: site, stdio: 'pipe' });
    execFileSync('npm', ['run', 'build'], { cwd: site, stdio: 'pipe' });
  }, 300_000);
  afterAll(() => rmSync(site, { recursive: true, force: true }));

  it('ships the function sources and what builds them, and no tests, infrastructure or docs', () => {
    expect(zipped).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'host.json', 'tsconfig.json', 'src/functions/scanTimer.ts']));
    expect(zipped.filter((path) => /^(test|infra|docs|packages|\.ci)\//.test(path))).toEqual([]);
  });

  it('holds no emulator code, before or after the build', () => {
    const tree = listTree(site).filter((path) => !path.startsWith('node_modules/'));
    expect(tree).toContain('dist/functions/scanTimer.js');
    expect(tree.filter((path) => /(^|\/)(packages|emulator|kql)(\/|$)/i.test(path))).toEqual([]);
  });

  it("installs none of the emulator's dependencies", () => {
    const installed = listTree(join(site, 'node_modules')).filter((path) => !path.includes('/node_modules/'));
    expect(installed).toContain('@azure/functions');
    expect(installed.filter((path) => emulatorDependencies.includes(path))).toEqual([]);
  });

  it('loads its function entry point without the emulator', () => {
    const main = JSON.parse(readFileSync(join(site, 'package.json'), 'utf8')).main as string;
    expect(main).toBe('dist/functions/*.js');
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', "await import('./dist/functions/scanTimer.js'); console.log('loaded');"], {
      cwd: site,
      encoding: 'utf8',
    });
    expect(output.trim()).toBe('loaded');
  });
});
