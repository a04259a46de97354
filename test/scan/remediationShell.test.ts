import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FindingRow } from '../../src/findings/schema.js';
import { parseEstate, startEmulator } from '../support/emulator.js';
import { scanEmulator } from '../support/emulatorScan.js';
import { tempDir } from '../support/tempDirs.js';

/*
 * Every Remediation a hostile estate produces, pasted into bash as a user would: a stand-in `az` records its argv,
 * and nothing else may run. Vault names are chosen by vault owners, and the remediation is a command line.
 */

const sub = 'abcdef00-0000-4000-8000-000000000002';
const rg = `/subscriptions/${sub}/resourceGroups/rg-shell`;
const workspace = `${rg}/providers/Microsoft.OperationalInsights/workspaces/law-central`;

// Each would create the file `pwned` in the working directory if any part of it were interpreted by the shell.
const hostileNames = [
  'kv-$(touch pwned)',
  'kv-`touch pwned`',
  "kv-'$(touch pwned)'",
  'kv-";touch pwned;"',
  "kv-';touch pwned;'",
  'kv-x\ntouch pwned',
  'kv-${IFS}$(touch${IFS}pwned)',
  'kv-\\\';touch pwned;#',
];
// Legal in an ARM id and still special to a shell: these fail, with an `az … create` remediation.
const legalButSpecial = ['kv-(prod)', 'kv-a.b_c-(1)'];

const estate = parseEstate({
  resources: [
    { id: workspace, name: 'law-central', type: 'Microsoft.OperationalInsights/workspaces', location: 'westeurope' },
    ...[...hostileNames, ...legalButSpecial].map((name) => ({
      id: `${rg}/providers/Microsoft.KeyVault/vaults/${name}`,
      name,
      type: 'Microsoft.KeyVault/vaults',
      location: 'westeurope',
    })),
  ],
  diagnosticSettings: [],
  denied: [],
  resourceGraphIndexesDiagnosticSettings: false,
});

/** The `az …` command a Remediation holds, as a user would copy it. */
const commandOf = (remediation: string) => remediation.slice(remediation.indexOf('az '));

describe('remediation commands pasted into bash', () => {
  let findings: readonly FindingRow[];
  let dir: string;
  beforeAll(async () => {
    const emulator = await startEmulator({ estate, retryAfterSeconds: 0 });
    try {
      findings = (await scanEmulator(emulator, { KV_AUDIT_REMEDIATION_WORKSPACE_ID: workspace }, { ingest: false })).findings;
    } finally {
      await emulator.close();
    }
    dir = tempDir('shell');
    // The stand-in az writes its arguments, NUL-separated, and does nothing else.
    writeFileSync(join(dir, 'az'), '#!/bin/sh\nprintf \'%s\\0\' "$@" > "$AZ_ARGV"\n');
    chmodSync(join(dir, 'az'), 0o755);
  });

  /** Runs one command line in bash, in a fresh folder; the argv az saw, and what else appeared there. */
  function paste(command: string): { argv: string[]; leftBehind: string[]; status: number | null } {
    const work = mkdtempSync(join(dir, 'run-'));
    const argvFile = join(dir, `${work.slice(-6)}.argv`);
    const result = spawnSync('bash', ['-c', command], { cwd: work, env: { PATH: `${dir}:/usr/bin:/bin`, AZ_ARGV: argvFile }, encoding: 'utf8' });
    const argv = existsSync(argvFile) ? readFileSync(argvFile, 'utf8').split('\0').slice(0, -1) : [];
    return { argv, leftBehind: readdirSync(work), status: result.status };
  }

  it('covers every hostile vault, each with a command', () => {
    expect(findings).toHaveLength(hostileNames.length + legalButSpecial.length);
    expect(findings.every((f) => f.Remediation.includes('az '))).toBe(true);
  });

  it.each(hostileNames)('a malformed id %j: az gets exactly the id, and nothing else runs', (name) => {
    const finding = findings.find((f) => f.ResourceName === name);
    expect(finding).toMatchObject({ Status: 'Error', Reason: 'MalformedRecord' });
    const { argv, leftBehind, status } = paste(commandOf(finding!.Remediation));
    expect({ argv, leftBehind, status }).toEqual({
      argv: ['monitor', 'diagnostic-settings', 'list', '--resource', finding!.ResourceId],
      leftBehind: [],
      status: 0,
    });
  });

  it.each(legalButSpecial)('a failing vault %j: the create command reaches az word for word', (name) => {
    const finding = findings.find((f) => f.ResourceName === name);
    expect(finding).toMatchObject({ Status: 'Fail', Reason: 'NoDiagnosticSettings' });
    const { argv, leftBehind, status } = paste(finding!.Remediation);
    expect({ argv, leftBehind, status }).toEqual({
      argv: [
        'monitor', 'diagnostic-settings', 'create', '--name', 'kv-audit-logs', '--resource', finding!.ResourceId,
        '--workspace', workspace, '--logs', '[{"categoryGroup":"audit","enabled":true}]', '--export-to-resource-specific', 'true',
      ],
      leftBehind: [],
      status: 0,
    });
  });
});
