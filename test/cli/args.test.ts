import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';

const problemsOf = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (error) {
    return (error as { details: string[] }).details;
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`);
};

describe('kv-audit command line', () => {
  it.each([
    { argv: [], parsed: { command: 'help', topic: null } },
    { argv: ['help', 'scan'], parsed: { command: 'help', topic: 'scan' } },
    { argv: ['scan', '--help'], parsed: { command: 'help', topic: 'scan' } },
    { argv: ['demo', '-h'], parsed: { command: 'help', topic: 'demo' } },
    { argv: ['--version'], parsed: { command: 'version' } },
    {
      argv: ['scan'],
      parsed: { command: 'scan', subscriptions: [], managementGroups: [], output: 'table', out: null, ingest: false },
    },
    {
      argv: ['scan', '-s', 'a,b', '--subscription', 'c', '-o', 'ndjson', '--out', 'f.ndjson', '--ingest'],
      parsed: { command: 'scan', subscriptions: ['a', 'b', 'c'], managementGroups: [], output: 'ndjson', out: 'f.ndjson', ingest: true },
    },
    {
      argv: ['scan', '--management-group', 'mg-platform', '--output=json'],
      parsed: { command: 'scan', subscriptions: [], managementGroups: ['mg-platform'], output: 'json', out: null, ingest: false },
    },
    {
      argv: ['scan', '-o', 'html'],
      parsed: { command: 'scan', subscriptions: [], managementGroups: [], output: 'html', out: null, ingest: false },
    },
    {
      argv: ['demo', '-o', 'csv', '--out', 'f.ndjson'],
      parsed: { command: 'demo', estate: null, output: 'csv', out: 'f.ndjson', faults: null, seed: 1 },
    },
    {
      argv: ['demo', '--output=ocsf'],
      parsed: { command: 'demo', estate: null, output: 'ocsf', out: null, faults: null, seed: 1 },
    },
    {
      argv: ['demo', '--estate', 'estate.json', '--faults', 'arm:500@0.2', '--seed', '7'],
      parsed: { command: 'demo', estate: 'estate.json', output: 'table', out: null, faults: 'arm:500@0.2', seed: 7 },
    },
  ])('$argv', ({ argv, parsed }) => {
    expect(parseCommandLine(argv)).toEqual(parsed);
  });

  it('rejects an unknown command', () => {
    expect(() => parseCommandLine(['audit'])).toThrow("Unknown command 'audit'. Commands: scan, demo, help.");
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
    { argv: ['demo', '--out'], problem: '--out: needs a value' },
    { argv: ['demo', '--ingest'], problem: "--ingest: not an option of 'demo'" },
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
