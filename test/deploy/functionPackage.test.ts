import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The function app exactly as it is deployed: azd (and `func azure functionapp publish`) zips the project folder,
 * everything on disk, without what .funcignore excludes (gitignore syntax, matched here by git itself; neither tool
 * reads .gitignore), and Flex Consumption's remote build installs the dependencies from the lock file and runs
 * `npm run build`. The emulator and its dependencies are development tools: none of them may be in what runs in Azure.
 */

const repoRoot = resolve(import.meta.dirname, '..', '..');
const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });

const lines = (output: string) => output.split('\n').filter((line) => line !== '');

/** The files azd puts into the zip: every file in the project folder (gitignored ones too) less .funcignore's patterns. */
function packagedFiles(): string[] {
  const all = lines(git(['-c', 'core.quotePath=false', 'ls-files', '--cached', '--others']));
  const excluded = new Set(lines(git(['-c', 'core.quotePath=false', 'ls-files', '--cached', '--others', '--ignored', '--exclude-from=.funcignore'])));
  return all.filter((path) => !excluded.has(path) && existsSync(join(repoRoot, path)));
}

/** Local output .gitignore keeps out of git: node_modules, builds, the fetched Bicep CLI, settings with secrets. */
const gitignoredFiles = () => new Set(lines(git(['-c', 'core.quotePath=false', 'ls-files', '--others', '--ignored', '--exclude-standard'])));

/** Every path under `dir`, relative to it. */
function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() && !entry.isSymbolicLink() ? [path, ...listTree(dir, path)] : [path];
  });
}

const emulatorDependencies = ['selfsigned', 'azurite', '@kusto/language-service-next', '@kv-audit/azure-emulator', '@kv-audit/kql'];

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
    expect(zipped.filter((path) => /^(test|infra|docs|packages|scripts|\.ci|\.tools)\//.test(path))).toEqual([]);
  });

  it('ships none of the local output that .gitignore keeps out of git', () => {
    const ignored = gitignoredFiles();
    expect(ignored.size).toBeGreaterThan(0);
    expect(zipped.filter((path) => ignored.has(path))).toEqual([]);
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

describe('.funcignore', () => {
  const ignored = lines(readFileSync(join(repoRoot, '.funcignore'), 'utf8'))
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('leaves node_modules to the remote build, as azd requires with remoteBuild: true', () => {
    expect(ignored).toContain('node_modules');
  });

  it.each(['src', '/src/', '*.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'host.json'])('ships what the build needs: not %s', (entry) => {
    expect(ignored).not.toContain(entry);
  });
});

describe('azure.yaml', () => {
  const azureYaml = readFileSync(join(repoRoot, 'azure.yaml'), 'utf8');

  it('declares one service, the TypeScript function app that the deployment tags azd-service-name: function', () => {
    expect([...azureYaml.matchAll(/^ {2}([\w-]+):\s*$/gm)].map((m) => m[1])).toEqual(['function']);
    expect(azureYaml).toMatch(/^ {4}project: \.$/m);
    expect(azureYaml).toMatch(/^ {4}language: ts$/m);
    expect(azureYaml).toMatch(/^ {4}host: function$/m);
    expect(azureYaml).toMatch(/^ {4}remoteBuild: true$/m);
  });

  it('requires an azd whose azd down deletes only the resource groups the deployment created', () => {
    expect(azureYaml).toMatch(/^requiredVersions:\n {2}azd: ">= 1\.24\.1"$/m);
  });

  it('names the template, as the azd templates do', () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(azureYaml).toMatch(new RegExp(`^metadata:\\n {2}template: kv-audit-monitor@${version.replace(/\./g, '\\.')}$`, 'm'));
  });
});
