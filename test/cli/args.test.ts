import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';

const problemsOf = (argv: string[]) => parseCommandLine(argv).problems;

describe('kv-audit command line', () => {
  it.each([
    { argv: [], parsed: { command: 'help', topic: null } },
    { argv: ['help', 'scan'], parsed: { command: 'help', topic: 'scan' } },
    { argv: ['scan', '--help'], parsed: { command: 'help', topic: 'scan' } },
    { argv: ['demo', '-h'], parsed: { command: 'help', topic: 'demo' } },
    { argv: ['--version'], parsed: { command: 'version' } },
    { argv: ['-v'], parsed: { command: 'version' } },
    {
      argv: ['scan'],
      parsed: { command: 'scan', subscriptions: [], managementGroups: [], output: 'table', out: null, ingest: false, verbose: false, state: null, since: null },
    },
    {
      argv: ['scan', '-s', 'a,b', '--subscription', 'c', '-o', 'ndjson', '--out', 'f.ndjson', '--ingest', '--verbose'],
      parsed: { command: 'scan', subscriptions: ['a', 'b', 'c'], managementGroups: [], output: 'ndjson', out: 'f.ndjson', ingest: true, verbose: true, state: null, since: null },
    },
    {
      argv: ['scan', '--management-group', 'mg-platform', '--output=json'],
      parsed: { command: 'scan', subscriptions: [], managementGroups: ['mg-platform'], output: 'json', out: null, ingest: false, verbose: false, state: null, since: null },
    },
    {
      argv: ['scan', '-o', 'html'],
      parsed: { command: 'scan', subscriptions: [], managementGroups: [], output: 'html', out: null, ingest: false, verbose: false, state: null, since: null },
    },
    {
      argv: ['demo', '-o', 'csv', '--out', 'f.ndjson'],
      parsed: { command: 'demo', estate: null, output: 'csv', out: 'f.ndjson', faults: null, seed: 1, fix: false, watch: false },
    },
    {
      argv: ['demo', '--output=ocsf'],
      parsed: { command: 'demo', estate: null, output: 'ocsf', out: null, faults: null, seed: 1, fix: false, watch: false },
    },
    {
      argv: ['demo', '--estate', 'estate.json', '--faults', 'arm:500@0.2', '--seed', '7'],
      parsed: { command: 'demo', estate: 'estate.json', output: 'table', out: null, faults: 'arm:500@0.2', seed: 7, fix: false, watch: false },
    },
    {
      argv: ['demo', '--seed', '340282366920938463463374607431768211457'],
      parsed: { command: 'demo', estate: null, output: 'table', out: null, faults: null, seed: 1, fix: false, watch: false },
    },
    {
      argv: ['demo', '--fix'],
      parsed: { command: 'demo', estate: null, output: 'table', out: null, faults: null, seed: 1, fix: true, watch: false },
    },
    {
      argv: ['demo', '--watch', '--faults', 'events:dup@0.5'],
      parsed: { command: 'demo', estate: null, output: 'table', out: null, faults: 'events:dup@0.5', seed: 1, fix: false, watch: true },
    },
    { argv: ['fix', '-h'], parsed: { command: 'help', topic: 'fix' } },
    { argv: ['help', 'fix'], parsed: { command: 'help', topic: 'fix' } },
    {
      argv: ['fix'],
      parsed: { command: 'fix', subscriptions: [], managementGroups: [], workspace: null, apply: false, output: 'table', verbose: false },
    },
    {
      argv: ['fix', '--workspace', '/subscriptions/x/w', '--apply', '-s', 'a', '-o', 'json', '--verbose'],
      parsed: { command: 'fix', subscriptions: ['a'], managementGroups: [], workspace: '/subscriptions/x/w', apply: true, output: 'json', verbose: true },
    },
  ])('$argv', ({ argv, parsed }) => {
    expect(parseCommandLine(argv)).toEqual({ command: parsed, problems: [] });
  });

  it.each([
    { argv: ['audit'], message: "Unknown command 'audit'. Commands: scan, demo, fix, help." },
    { argv: ['help', 'bogus'], message: "No help on 'bogus'. Commands: scan, demo, fix, help." },
    { argv: ['--bogus'], message: '--bogus: not an option without a command (kv-audit help)' },
  ])('rejects $argv', ({ argv, message }) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('reports every problem at once', () => {
    expect(problemsOf(['scan', '-o', 'xml', '--estate', 'e.json', '-s', 'a', '-m', 'b', '--ingest=yes', 'extra'])).toEqual([
      "--estate: not an option of 'scan'",
      '--ingest: takes no value',
      'unexpected argument: extra',
      "--output: 'xml' is not one of table, json, ndjson, csv, html, ocsf",
      '--subscription, --management-group: give one or the other, not both',
    ]);
  });

  it.each([
    { argv: ['demo', '--seed', 'abc'], problem: "--seed: 'abc' is not a whole number" },
    { argv: ['demo', '--seed', ''], problem: '--seed: needs a value' },
    { argv: ['demo', '--out', ''], problem: '--out: needs a value' },
    // An unset variable must never widen the scan to every subscription the identity can read.
    { argv: ['scan', '-s', ''], problem: '--subscription: needs a value' },
    { argv: ['scan', '--subscription='], problem: '--subscription: needs a value' },
    { argv: ['scan', '-s', ' , '], problem: "--subscription: ' , ' has an empty item" },
    { argv: ['scan', '-s', 'a,'], problem: "--subscription: 'a,' has an empty item" },
    { argv: ['scan', '-m', ''], problem: '--management-group: needs a value' },
    { argv: ['scan', '-m', '   '], problem: '--management-group: needs a value' },
    { argv: ['demo', '--out'], problem: '--out: needs a value' },
    { argv: ['demo', '--ingest'], problem: "--ingest: not an option of 'demo'" },
    { argv: ['fix', '-o', 'csv'], problem: "--output: 'csv' is not one of table, json (kv-audit fix)" },
    { argv: ['fix', '--workspace'], problem: '--workspace: needs a value' },
    { argv: ['fix', '--apply=yes'], problem: '--apply: takes no value' },
    { argv: ['fix', '--out', 'f.ndjson'], problem: "--out: not an option of 'fix'" },
    { argv: ['scan', '--apply'], problem: "--apply: not an option of 'scan'" },
  ])('$problem', ({ argv, problem }) => {
    expect(problemsOf(argv)).toContain(problem);
  });
});

describe('version', () => {
  it('matches package.json', async () => {
    const { readFileSync } = await import('node:fs');
    const { version } = await import('../../src/version.js');
    expect(version).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });
});
