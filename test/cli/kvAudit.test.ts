import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/settings.js';
import { type Emulator, parseFaultSpec, sampleEnv, sampleEstate, startEmulator } from '../support/emulator.js';
import { findingRowSchema, findingsTable, scansTable } from '../../src/findings/schema.js';
import { emulatorEnv, generatedEstate } from '../support/emulatorScan.js';
import { tempDir } from '../support/tempDirs.js';
import { reportFormats } from '../../src/cli/reports/index.js';
import { runCli } from './runCli.js';

/** The kv-audit command line as a user runs it: arguments in, text and files and an exit code out. */

const run = (argv: string[], env: Env = {}, emulator?: Emulator) => runCli(argv, env, emulator ? { emulator } : {});

const lines = (text: string) => text.trim().split('\n');

describe('kv-audit demo', () => {
  it('scans the built-in sample estate, prints the summary and writes the findings NDJSON that landed', async () => {
    const { code, stdout, stderr, cwd } = await run(['demo']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Scan [0-9a-f-]{36} \(Demo, every subscription in the emulator's estate\) complete in [\d.]+ s: 21 vaults and Managed HSMs\./);
    expect(stdout).toMatch(/^Pass {4}6 {6}AuditLogsDelivered 6$/m);
    expect(stdout).toMatch(
      /^Fail {4}10 {5}RetentionTooShort 1, DestinationNotApproved 1, DestinationBlocked 2, DestinationNotFound 1, NoDestination 1, AuditLogsNotEnabled 2, NoDiagnosticSettings 2$/m,
    );
    expect(stdout).toMatch(/^Exempt {2}2 {6}Exempted 2$/m);
    expect(stdout).toMatch(/^Error {3}3 {6}AccessDenied 1, ReadFailed 1, MalformedRecord 1$/m);
    expect(stdout).toMatch(/^Fail +NoDestination +kv-crm-prod +rg-crm-prod /m);
    expect(stderr).toContain(`Findings written to ${join(cwd, '.kv-audit/demo-findings.ndjson')}`);
    const rows = lines(readFileSync(join(cwd, '.kv-audit/demo-findings.ndjson'), 'utf8')).map((l) => findingRowSchema.parse(JSON.parse(l)));
    expect(rows).toHaveLength(21);
  });

  it.each([
    { output: 'ndjson', check: (stdout: string) => expect(lines(stdout).map((l) => findingRowSchema.parse(JSON.parse(l)).ResourceName)).toHaveLength(21) },
    {
      output: 'json',
      check: (stdout: string) => expect(JSON.parse(stdout)).toMatchObject({ scan: { Complete: true, ResourceCount: 21 }, findings: expect.any(Array) }),
    },
  ])('-o $output prints machine-readable output on stdout', async ({ output, check }) => {
    const { code, stdout } = await run(['demo', '-o', output, '--out', 'f.ndjson']);
    expect(code).toBe(0);
    check(stdout);
  });

  // Each report is exactly what stdout carries: the progress line and notes stay on stderr, even on a terminal.
  it.each([
    { output: 'csv', head: /^TimeGenerated,ScanId,ControlId,/, findings: (out: string) => out.split('\r\n').length - 2 },
    { output: 'html', head: /^<!doctype html>\n/, findings: (out: string) => out.split('<tbody class="finding"').length - 1 },
    { output: 'ocsf', head: /^\{"activity_id":1,/, findings: (out: string) => lines(out).length },
  ])('-o $output writes the report alone on stdout, progress on stderr', async ({ output, head, findings }) => {
    const { code, stdout, stderr } = await runCli(['demo', '-o', output], {}, { tty: true });
    expect(code).toBe(0);
    expect(stdout).toMatch(head);
    expect(findings(stdout)).toBe(21);
    expect([stdout.includes('\x1b'), stdout.includes('emulator listening'), stdout.includes('Findings written to')]).toEqual([false, false, false]);
    expect(stderr).toMatch(/\r\x1b\[2KListing vaults and Managed HSMs/);
    expect(stderr).toContain('Findings written to');
  });

  it('scans an estate file with the settings from the environment', async () => {
    const dir = tempDir('estate');
    const estateFile = join(dir, 'estate.json');
    writeFileSync(estateFile, JSON.stringify(generatedEstate({ vaults: 4, subscriptions: 2 })));
    const { code, stdout, cwd } = await run(['demo', '--estate', estateFile, '--out', 'out/findings.ndjson', '-o', 'json'], { KV_AUDIT_EXEMPTION_TAG: 'waiver' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).scan).toMatchObject({ ResourceCount: 4, PassCount: 2, FailCount: 2 });
    expect(lines(readFileSync(join(cwd, 'out/findings.ndjson'), 'utf8'))).toHaveLength(4);
  });

  it('exits 1 and says why when the scan is incomplete', async () => {
    const payments = sampleEstate.resources.find((r) => r.name === 'kv-payments-prod')!.id.split('/')[2]!;
    const { code, stdout } = await run(['demo', '--faults', `arm:500@1.0~${payments}`]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/\) INCOMPLETE in /);
    expect(stdout).toMatch(/^Errors:\n {2}- \d+ resources could not be read through ARM after retries \(ReadFailed\)/m);
  });

  it.each([
    { argv: ['demo', '--faults', 'arm:600@2,disk:500@0.1'], message: /^ {2}- fault spec 'arm:600@2,disk:500@0\.1': 'arm:600@2': /m },
    { argv: ['demo', '--estate', 'missing.json'], message: /^ {2}- Reading estate file .*missing\.json/m },
    { argv: ['demo', '-o', 'xml'], message: /--output: 'xml' is not one of table, json, ndjson, csv, html, ocsf/ },
  ])('exits 2 on bad input: $argv', async ({ argv, message }) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe('kv-audit scan against an Azure estate (the emulator standing in for Azure)', () => {
  let emulator: Emulator;
  const payments = sampleEstate.resources.find((r) => r.name === 'kv-payments-prod')!.id.split('/')[2]!;
  beforeEach(async () => {
    emulator = await startEmulator({ estate: sampleEstate, retryAfterSeconds: 0 });
  });
  afterEach(() => emulator.close());

  // Delivery verification records each vault's latest audit event, which changes by the minute: it keeps scans full.
  const withoutDelivery = { ...sampleEnv, KV_AUDIT_VERIFY_DELIVERY: 'false' };

  it('--state builds on the last scan: the first is full, the next reads only what may have changed and writes what did', async () => {
    const state = join(tempDir('state'), 'kv-audit-state.txt');
    const first = await run(['scan', '--state', state, '-o', 'json'], withoutDelivery, emulator);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).scan).toMatchObject({ Mode: 'Full', ResourcesRead: 21 });
    expect(first.stderr).toContain(`State for the next scan written to ${state}`);
    const second = await run(['scan', '--state', state, '-o', 'json'], withoutDelivery, emulator);
    expect(second.code).toBe(0);
    const scan = JSON.parse(second.stdout).scan;
    expect(scan).toMatchObject({ Mode: 'Incremental', Since: JSON.parse(first.stdout).scan.StartedAt, ResourceCount: 21 });
    // What could change unseen is read again: the vaults whose last read failed (ReadFailed), and nothing else.
    expect(scan.ResourcesRead).toBeLessThan(3);
    // Every vault in scope is counted by its status as of the scan, read again or carried forward.
    const counts = (s: Record<string, number>) => [s['PassCount'], s['FailCount'], s['ExemptCount'], s['ErrorCount']];
    expect(counts(scan)).toEqual(counts(JSON.parse(first.stdout).scan));
  });

  it('--since reads the Activity Log from the time given, building on the state in --state', async () => {
    const state = join(tempDir('state'), 'kv-audit-state.txt');
    expect((await run(['scan', '--state', state], withoutDelivery, emulator)).code).toBe(0);
    const { code, stdout } = await run(['scan', '--state', state, '--since', '2026-01-01T00:00:00Z', '-o', 'json'], withoutDelivery, emulator);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).scan).toMatchObject({ Mode: 'Incremental' });
  });

  it('with delivery verification on, every scan is full, and says why', async () => {
    const state = join(tempDir('state'), 'kv-audit-state.txt');
    expect((await run(['scan', '--state', state], sampleEnv, emulator)).code).toBe(0);
    const { code, stdout, stderr } = await run(['scan', '--state', state, '-o', 'json'], sampleEnv, emulator);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).scan).toMatchObject({ Mode: 'Full' });
    expect(stderr).toContain('Full scan: delivery is verified (KV_AUDIT_VERIFY_DELIVERY), which every finding records afresh.');
  });

  it.each([
    { scenario: 'a state file whose first line is not JSON', content: '{ "version": 2,', problem: /^ {2}- --state .*kv-audit-state\.txt: the state in .* is not one this version reads \(its first line is not JSON/m },
    { scenario: 'a state file of another version', content: '{"version": 1}', problem: /^ {2}- --state .*kv-audit-state\.txt: the state in .* is not one this version reads \(version: /m },
  ])('$scenario is exit 2, naming the file, before any scan', async ({ content, problem }) => {
    const state = join(tempDir('state'), 'kv-audit-state.txt');
    writeFileSync(state, content);
    const { code, stderr } = await run(['scan', '--state', state], sampleEnv, emulator);
    expect(code).toBe(2);
    expect(stderr).toMatch(problem);
    expect(emulator.stats.argRequests).toBe(0);
  });

  it('a state file in a folder that does not exist is exit 2 before any scan: the state could not be kept', async () => {
    const state = join(tempDir('state'), 'missing', 'kv-audit-state.txt');
    const { code, stderr } = await run(['scan', '--state', state], sampleEnv, emulator);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ {2}- --state .*missing\/kv-audit-state\.txt: the folder .*missing does not exist, so the state could not be kept$/m);
    expect(emulator.stats.argRequests).toBe(0);
  });

  it('--since with a state file that holds no scan yet is exit 2: there is nothing to build on', async () => {
    const state = join(tempDir('state'), 'kv-audit-state.txt');
    const { code, stderr } = await run(['scan', '--state', state, '--since', '2026-01-01T00:00:00Z'], sampleEnv, emulator);
    expect(code).toBe(2);
    expect(stderr).toContain(`  - --since: --state ${state} holds no earlier scan to build on`);
  });

  it('-o csv prints a row per finding, and --out still writes the findings NDJSON', async () => {
    const { code, stdout, cwd } = await run(['scan', '-o', 'csv', '--out', 'findings.ndjson'], sampleEnv, emulator);
    expect(code).toBe(0);
    expect(stdout.split('\r\n').filter((row) => row !== '')).toHaveLength(22);
    expect(lines(readFileSync(join(cwd, 'findings.ndjson'), 'utf8')).map((l) => findingRowSchema.parse(JSON.parse(l)))).toHaveLength(21);
  });

  it('evaluates without writing anything to Log Analytics, prints JSON and writes the NDJSON file', async () => {
    const { code, stdout, cwd } = await run(['scan', '-o', 'json', '--out', 'findings.ndjson'], sampleEnv, emulator);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).scan).toMatchObject({ Trigger: 'Cli', Complete: true, ResourceCount: 21, FindingsWritten: 0 });
    expect(lines(readFileSync(join(cwd, 'findings.ndjson'), 'utf8'))).toHaveLength(21);
    expect(emulator.stats.ingestRequests).toBe(0);
  });

  it('--subscription limits the scope, passed to ARG as a request parameter', async () => {
    const { code, stdout } = await run(['scan', '-s', payments, '-o', 'ndjson'], sampleEnv, emulator);
    expect(code).toBe(0);
    const findings = lines(stdout).map((l) => findingRowSchema.parse(JSON.parse(l)));
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.SubscriptionId))).toEqual(new Set([payments]));
  });

  it('--ingest writes the findings, then the scan row, through the DCR', async () => {
    const { code } = await run(['scan', '--ingest'], emulatorEnv(emulator, sampleEnv), emulator);
    expect(code).toBe(0);
    expect(emulator.rows(findingsTable.streamName)).toHaveLength(21);
    expect(emulator.rows(scansTable.streamName)).toEqual([expect.objectContaining({ Trigger: 'Cli', Complete: true })]);
  });

  it('exits 1 when the scan is incomplete', async () => {
    emulator.setFaults(parseFaultSpec(`arm:500@1.0~${payments}`));
    const { code, stdout } = await run(['scan'], sampleEnv, emulator);
    expect(code).toBe(1);
    expect(stdout).toMatch(/\) INCOMPLETE in /);
  });
});

describe('kv-audit scan', () => {
  it('documents real-Azure use in --help', async () => {
    const { code, stdout } = await run(['scan', '--help']);
    expect(code).toBe(0);
    for (const text of ['az login', 'DefaultAzureCredential', 'Reader', '--subscription', '--management-group', '--ingest', 'KV_AUDIT_DCR_IMMUTABLE_ID', 'Exit codes']) {
      expect(stdout).toContain(text);
    }
  });

  it.each(['scan', 'demo'])('%s --help names every output format', async (command) => {
    const { stdout } = await run([command, '--help']);
    expect([...stdout.matchAll(/^ {24,}(\w+) {3,}\S/gm)].map((m) => m[1])).toEqual(['table', 'json', 'ndjson', ...reportFormats]);
  });

  it('names the flag, not the setting, when a flag value is bad — before any sign-in', async () => {
    const { code, stderr } = await run(['scan', '--subscription', 'prod-subscription']);
    expect(code).toBe(2);
    expect(stderr).toContain("--subscription: 'prod-subscription' is not a subscription id (GUID)");
  });

  it('requires the DCR settings for --ingest, naming both', async () => {
    const { code, stderr } = await run(['scan', '--ingest']);
    expect(code).toBe(2);
    expect(stderr).toContain('KV_AUDIT_LOGS_INGESTION_ENDPOINT: required to write findings to Log Analytics');
    expect(stderr).toContain('KV_AUDIT_DCR_IMMUTABLE_ID: required to write findings to Log Analytics');
  });
});

describe('kv-audit', () => {
  it.each([
    { argv: [], text: 'kv-audit scan [options]' },
    { argv: ['help', 'demo'], text: '--faults SPEC' },
    { argv: ['--version'], text: '0.1.0' },
  ])('$argv prints $text', async ({ argv, text }) => {
    const { code, stdout } = await run(argv);
    expect(code).toBe(0);
    expect(stdout).toContain(text);
  });

  it('rejects an unknown command with exit code 2', async () => {
    const { code, stderr } = await run(['audit']);
    expect(code).toBe(2);
    expect(stderr).toBe("kv-audit: Unknown command 'audit'. Commands: scan, demo, fix, help.\n");
  });
});

describe('terminal output of names others chose', () => {
  const hostile = {
    clearScreen: 'kv-\u001b[2J\u001b[Hclean',
    forgedRow: 'kv-a\nPass    AuditLogsDelivered  kv-forged',
    bidi: 'kv-\u202egnp.exe',
    zeroWidth: 'kv-pay\u200bments',
  };
  const estate = () => {
    const base = generatedEstate({ vaults: 1, subscriptions: 1 });
    const vault = base.resources[1]!;
    const resources = Object.values(hostile).map((name) => ({ ...vault, id: vault.id.replace(/kv-\d+$/, name), name }));
    const dir = tempDir('estate');
    writeFileSync(join(dir, 'estate.json'), JSON.stringify({ ...base, resources: [base.resources[0], ...resources], diagnosticSettings: [] }));
    return join(dir, 'estate.json');
  };

  it('the table shows control, bidi and zero-width characters as visible escapes: no sequence reaches the terminal, no row is forged', async () => {
    const { code, stdout } = await run(['demo', '--estate', estate(), '--out', 'f.ndjson']);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u200b]/);
    expect(stdout).toContain('kv-\\u{1b}[2J\\u{1b}[Hclean');
    expect(stdout).toContain('kv-a\\u{a}Pass    AuditLogsDelivered  kv-forged');
    expect(stdout).toContain('kv-\\u{202e}gnp.exe');
    expect(stdout).toContain('kv-pay\\u{200b}ments');
    expect(stdout).not.toMatch(/^Pass +AuditLogsDelivered +kv-forged/m);
  });

  it('json keeps every value exact', async () => {
    const { code, stdout } = await run(['demo', '--estate', estate(), '--out', 'f.ndjson', '-o', 'json']);
    expect(code).toBe(0);
    const names = (JSON.parse(stdout) as { findings: { ResourceName: string }[] }).findings.map((f) => f.ResourceName).sort();
    expect(names).toEqual(Object.values(hostile).sort());
  });
});

describe('an output file that cannot be written is refused before any work', () => {
  const neverAzure = () => {
    throw new Error('no Azure connection may be made');
  };

  it.each([
    { scenario: 'a folder under /proc (recursive mkdir once spun there forever)', out: '/proc/nope/x.ndjson', problem: /^--out \/proc\/nope\/x\.ndjson: cannot create the folder \/proc\/nope \(E[A-Z]+\)$/ },
    { scenario: 'a device that refuses writes', out: '/dev/full', problem: /^--out \/dev\/full: is not a regular file; to read the findings on standard output, use -o ndjson$/ },
    { scenario: 'a folder', out: '/tmp', problem: /^--out \/tmp: is a folder; name a file$/ },
    { scenario: 'a file in a read-only file system', out: '/proc/findings.ndjson', problem: /^--out \/proc\/findings\.ndjson: cannot be written \(E[A-Z]+\)$/ },
    { scenario: 'an empty value', out: '', problem: /^--out: needs a value$/ },
  ])('kv-audit scan: $scenario exits 2 at once', async ({ out, problem }) => {
    const { code, stderr } = await runCli(['scan', '--out', out], {}, { azure: neverAzure });
    const [headline, ...problems] = stderr.trim().split('\n');
    expect({ code, headline, problems }).toEqual({
      code: 2,
      headline: "kv-audit: Invalid arguments or configuration for 'kv-audit scan' (1 problem; see kv-audit scan --help):",
      problems: [expect.stringMatching(new RegExp(`^ {2}- ${problem.source.slice(1)}`))],
    });
  });

  it('kv-audit demo: the same check, before the emulator starts', async () => {
    const { code, stderr } = await run(['demo', '--out', '/proc/nope/x.ndjson']);
    expect(code).toBe(2);
    expect(stderr).not.toContain('emulator listening');
    expect(stderr.trim()).toMatch(/^ {2}- --out \/proc\/nope\/x\.ndjson: cannot create the folder \/proc\/nope/m);
  });
});
