import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AzureCliCredential, ChainedTokenCredential, EnvironmentCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureConnection } from '../../src/azure/clients.js';
import { maxAttentionRows } from '../../src/cli/render.js';
import type { Env } from '../../src/config/settings.js';
import { version } from '../../src/version.js';
import { type Emulator, sampleEnv, startEmulator } from '../support/emulator.js';
import { emulatorConnection, generatedEstate } from '../support/emulatorScan.js';
import { tempDir } from '../support/tempDirs.js';
import { runCli } from './runCli.js';

/*
 * A new user's first commands, through the CLI's real entry point: what they type, the exit code and the words
 * they read. Scans that must not start are given a connection that fails the test if it is ever used.
 */

/** Runs kv-audit; a command that must not start a scan is given a connection that fails the test if used. */
const run = (argv: string[], options: { env?: Env; azure?: () => AzureConnection } = {}) =>
  runCli(argv, options.env ?? {}, { azure: options.azure ?? neverAzure }).then(({ code, stdout, stderr }) => ({ code, stdout, stderr }));

function neverAzure(): AzureConnection {
  throw new Error('this command must not connect to Azure');
}

const repoRoot = resolve(import.meta.dirname, '..', '..');
/** The built executable, as `npx kv-audit` runs it (npm test builds it first). */
function runBuilt(shellCommand: string): { status: number | null; stdout: string } {
  const result = spawnSync('bash', ['-c', shellCommand], { cwd: repoRoot, encoding: 'utf8', env: { PATH: process.env['PATH'], TMPDIR: process.env['TMPDIR'] } });
  return { status: result.status, stdout: result.stdout };
}

describe('an empty scope never widens the scan', () => {
  it.each([
    { argv: ['scan', '-s', ''], problem: '--subscription: needs a value' },
    { argv: ['scan', '--subscription='], problem: '--subscription: needs a value' },
    { argv: ['scan', '-s', ' , '], problem: "--subscription: ' , ' has an empty item" },
    { argv: ['scan', '-m', ''], problem: '--management-group: needs a value' },
  ])('kv-audit $argv exits 2 naming the flag, and scans nothing', async ({ argv, problem }) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(`  - ${problem}\n`);
  });

  it.each([
    { env: { KV_AUDIT_SUBSCRIPTIONS: ',' }, problem: 'KV_AUDIT_SUBSCRIPTIONS: has an empty item' },
    { env: { KV_AUDIT_MANAGEMENT_GROUPS: 'mg-a,,mg-b' }, problem: 'KV_AUDIT_MANAGEMENT_GROUPS: has an empty item' },
  ])('a setting with a blank item ($problem) exits 2 naming the setting', async ({ env, problem }) => {
    const { code, stderr } = await run(['scan'], { env });
    expect(code).toBe(2);
    expect(stderr).toContain(`  - ${problem}\n`);
  });
});

describe('not signed in says so', () => {
  // The real credentials of DefaultAzureCredential's chain that answer at once on a machine without a sign-in.
  const notSignedIn = (): AzureConnection => ({ credential: new ChainedTokenCredential(new EnvironmentCredential(), new AzureCliCredential()) });

  it('exits 3 before the scan, saying what to do', async () => {
    const { code, stdout, stderr } = await run(['scan'], { azure: notSignedIn });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^kv-audit: Not signed in to Azure: no credential could get a token for Azure Resource Manager\.\n {2}Sign in with 'az login'/);
    expect(stderr).toContain('AZURE_CLIENT_SECRET');
    expect(stderr).toContain('\n  Run again with --verbose to see why each credential failed.\n');
    expect(stderr).not.toContain('INCOMPLETE');
  });

  it('--verbose adds why each credential failed', async () => {
    const { code, stderr } = await run(['scan', '--verbose'], { azure: notSignedIn });
    expect(code).toBe(3);
    expect(stderr).toContain('\n  Why each credential failed:\n');
    expect(stderr).toMatch(/^ {2}- CredentialUnavailableError: EnvironmentCredential is unavailable/m);
    expect(stderr).toMatch(/^ {2}- CredentialUnavailableError: .*Azure CLI/m);
  });
});

describe('signed in, but the identity can read nothing in scope', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ estate: generatedEstate({ vaults: 2, subscriptions: 1 }), retryAfterSeconds: 0 });
  });
  afterAll(() => emulator.close());

  it('every subscription answers 403: exit 4, naming the role', async () => {
    const { code, stdout } = await run(['scan', '-s', 'abcdef00-0000-4000-8000-00000000000f'], { azure: () => emulatorConnection(emulator) });
    expect(code).toBe(4);
    expect(stdout).toContain("Subscription abcdef00-0000-4000-8000-00000000000f is in scope but the scanner's identity cannot read it (grant Reader)");
  });

  it('a tenant scope in which the identity sees no subscription is not "no vaults": exit 4, and never Complete', async () => {
    const empty = await startEmulator({ estate: { resources: [], diagnosticSettings: [], denied: [], resourceGraphIndexesDiagnosticSettings: false }, retryAfterSeconds: 0 });
    try {
      const { code, stdout } = await run(['scan', '-o', 'json'], { azure: () => emulatorConnection(empty) });
      expect(code).toBe(4);
      expect(JSON.parse(stdout).scan).toMatchObject({
        Complete: false,
        InventoryComplete: false,
        ResourceCount: 0,
        Errors: [expect.stringMatching(/^The scanner's identity can read no subscription in scope \(grant it Reader/)],
      });
    } finally {
      await empty.close();
    }
  });

  it('a management group the identity cannot read: exit 4', async () => {
    const { code, stdout } = await run(['scan', '-m', 'mg-elsewhere'], { azure: () => emulatorConnection(emulator) });
    expect(code).toBe(4);
    expect(stdout).toContain('ManagementGroupsContainInvalidIds');
    expect(stdout).toContain('(check the scope, and that the identity has Reader on it)');
  });
});

describe('large estates stay readable', () => {
  it(`lists at most ${maxAttentionRows} resources needing attention, with counts by reason and subscription, and says where the rest are`, async () => {
    const dir = tempDir('estate');
    const estate = generatedEstate({ vaults: 240, subscriptions: 3 });
    writeFileSync(join(dir, 'estate.json'), JSON.stringify({ ...estate, armThrottling: { principalReads: { bucketSize: 10_000, refillPerSecond: 10_000 } } }));
    const { code, stdout } = await run(['demo', '--estate', join(dir, 'estate.json'), '--out', 'f.ndjson']);
    expect(code).toBe(0);
    expect(stdout).toContain('Needs attention: 120 resources\n  by reason:       Fail/NoDiagnosticSettings 120\n  by subscription: ');
    expect(stdout).toContain(`The first ${maxAttentionRows}, worst first (all of them: -o csv > findings.csv, or --out FILE for NDJSON):`);
    expect(stdout.split('\n').filter((line) => /^Fail +NoDiagnosticSettings +kv-/.test(line))).toHaveLength(maxAttentionRows);
    expect(stdout).toContain('… and 70 more.');
  });
});

describe('every problem at once, in our words', () => {
  it('arguments and configuration in one round', async () => {
    const { code, stderr } = await run(['scan', '-o', 'xml', '-s', ' , '], { env: { KV_AUDIT_ARM_CONCURRENCY: 'abc', KV_AUDIT_SCHEDULE: '99 * * * * *' } });
    expect(code).toBe(2);
    expect(stderr.split('\n')).toEqual([
      "kv-audit: Invalid arguments or configuration for 'kv-audit scan' (4 problems; see kv-audit scan --help):",
      "  - --output: 'xml' is not one of table, json, ndjson, csv, html, ocsf",
      "  - --subscription: ' , ' has an empty item",
      'KV_AUDIT_SCHEDULE',
      '  - KV_AUDIT_ARM_CONCURRENCY: must be a whole number from 1 to 1024',
      '',
    ].map((line) => (line === 'KV_AUDIT_SCHEDULE' ? `  - KV_AUDIT_SCHEDULE: second '99' is not within 0-59 (e.g. "0 0 * * * *" for hourly)` : line)));
  });

  it('demo: arguments, faults, estate and configuration in one round, the estate read in full', async () => {
    const dir = tempDir('estate');
    const file = join(dir, 'estate.json');
    writeFileSync(file, JSON.stringify({ resources: [{ id: 'not-an-id', name: 'x', type: 'Microsoft.KeyVault/vaults', location: 'westeurope' }], diagnosticSettings: [], resourceGraphIndexesDiagnosticSettings: 'no' }));
    const { code, stderr } = await run(['demo', '--estate', file, '--faults', 'bogus', '--seed', 'x'], { env: { KV_AUDIT_ARM_CONCURRENCY: '0' } });
    expect(code).toBe(2);
    expect(stderr.split('\n').slice(1, -1)).toEqual([
      "  - --seed: 'x' is not a whole number",
      "  - fault spec 'bogus': 'bogus': expected service:status@probability[~subscriptionId] or latency:service=<n>ms",
      `  - estate file ${file}: resources[0].id: 'not-an-id' is not a resource id (/subscriptions/<guid>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>)`,
      `  - estate file ${file}: denied: is required`,
      `  - estate file ${file}: resourceGraphIndexesDiagnosticSettings: must be a boolean, not a string`,
      '  - KV_AUDIT_ARM_CONCURRENCY: must be a whole number from 1 to 1024',
    ]);
  });

  it('an estate nested too deep names the file', async () => {
    const dir = tempDir('estate');
    const file = join(dir, 'deep.json');
    writeFileSync(file, `{"resources":[{"properties":${'['.repeat(20_000)}${']'.repeat(20_000)}}]}`);
    const { code, stderr } = await run(['demo', '--estate', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`  - estate file ${file}: resources[0].properties nests values more than 64 levels deep`);
  });
});

describe('the built-in demo honours the environment, and says so', () => {
  it('a KV_AUDIT_* setting overrides the sample estate\'s own: here the exempt vault fails under another exemption tag', async () => {
    const { code, stdout, stderr } = await run(['demo', '-o', 'json', '--out', 'f.ndjson'], { env: { KV_AUDIT_EXEMPTION_TAG: 'waiver', KV_AUDIT_LOGS_INGESTION_ENDPOINT: 'https://ignored.example' } });
    expect(code).toBe(0);
    expect(stderr).toContain("Demo settings from the environment: KV_AUDIT_EXEMPTION_TAG; the others from the built-in sample estate's settings.");
    const findings = (JSON.parse(stdout) as { findings: { Status: string; Exemption: { Source: string } | null }[] }).findings;
    // Only the central list (KV_AUDIT_EXEMPTIONS) still exempts: the tag the sample vault carries is no longer read.
    expect(findings.filter((f) => f.Status === 'Exempt').map((f) => f.Exemption?.Source)).toEqual(['CentralList']);
    expect(sampleEnv['KV_AUDIT_EXEMPTION_TAG']).not.toBe('waiver');
  });
});

describe('small things users hit', () => {
  it.each([
    { argv: ['help', 'bogus'], code: 2, out: '', err: "kv-audit: No help on 'bogus'. Commands: scan, demo, fix, help.\n" },
    { argv: ['-v'], code: 0, out: `${version}\n`, err: '' },
    { argv: ['--version'], code: 0, out: `${version}\n`, err: '' },
  ])('kv-audit $argv', async ({ argv, code, out, err }) => {
    expect(await run(argv)).toEqual({ code, stdout: out, stderr: err });
  });

  it('demo --help offers only what demo takes', async () => {
    const { code, stdout } = await run(['demo', '--help']);
    expect(code).toBe(0);
    expect(stdout).not.toContain('--ingest');
    expect(stdout).toContain('Exit codes:');
  });

  it('one vault is "1 vault", not "1 vaults"', async () => {
    const dir = tempDir('estate');
    writeFileSync(join(dir, 'one.json'), JSON.stringify(generatedEstate({ vaults: 1, subscriptions: 1 })));
    const { code, stdout } = await run(['demo', '--estate', join(dir, 'one.json'), '--out', 'f.ndjson']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/complete in [\d.]+ s: 1 vault or Managed HSM\.$/m);
    expect(stdout).toMatch(/, 1 finding written\.$/m);
  });

  it('settings copied from local.settings.sample.json are refused, each placeholder named', async () => {
    const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as { Values: Env };
    const { code, stderr } = await run(['scan'], { env: sample.Values });
    expect(code).toBe(2);
    expect(stderr.match(/is a placeholder \(as in local\.settings\.sample\.json\)/g)).toHaveLength(6);
  });

  it('a reader that stops early (| head -1) costs nothing: the exit code is the scan\'s', () => {
    const out = join(tempDir('pipe'), 'findings.ndjson');
    const { status, stdout } = runBuilt(`node dist/cli/main.js demo --out '${out}' 2>&1 | head -1; exit \${PIPESTATUS[0]}`);
    expect(stdout).toMatch(/^Local Azure emulator listening on https:\/\/127\.0\.0\.1:\d+/);
    expect(status).toBe(0);
  });

  it('the built executable prints its version with -v', () => {
    expect(runBuilt('node dist/cli/main.js -v')).toEqual({ status: 0, stdout: `${version}\n` });
  });
});
