import { parseArgs } from 'node:util';
import { KvAuditError } from '../errors.js';
import { type ReportFormat, reportFormats } from './reports/index.js';

/** What the command line asked for, validated; every problem is reported at once. */

const outputFormats = ['table', 'json', 'ndjson', ...reportFormats] as const;
export type OutputFormat = 'table' | 'json' | 'ndjson' | ReportFormat;

export type CliCommand =
  | { readonly command: 'help'; readonly topic: 'scan' | 'demo' | null }
  | { readonly command: 'version' }
  | {
      readonly command: 'scan';
      readonly subscriptions: readonly string[];
      readonly managementGroups: readonly string[];
      readonly output: OutputFormat;
      readonly out: string | null;
      readonly ingest: boolean;
    }
  | {
      readonly command: 'demo';
      readonly estate: string | null;
      readonly output: OutputFormat;
      readonly out: string | null;
      readonly faults: string | null;
      readonly seed: number;
    };

const optionSpecs = {
  subscription: { type: 'string', short: 's', multiple: true },
  'management-group': { type: 'string', short: 'm', multiple: true },
  output: { type: 'string', short: 'o' },
  out: { type: 'string' },
  ingest: { type: 'boolean' },
  estate: { type: 'string' },
  faults: { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const optionsOf = {
  scan: ['subscription', 'management-group', 'output', 'out', 'ingest', 'help'],
  demo: ['estate', 'output', 'out', 'faults', 'seed', 'help'],
} as const;

/** `--subscription a,b --subscription c` → [a, b, c]. */
const splitList = (values: readonly string[] | undefined) =>
  (values ?? []).flatMap((v) => v.split(/[\s,;]+/)).filter((v) => v !== '');

export function parseCommandLine(argv: readonly string[]): CliCommand {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: optionSpecs,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const [command, ...extra] = positionals;
  if (values.version === true && command === undefined) return { command: 'version' };
  if (command === undefined || command === 'help') {
    const topic = extra[0] === 'scan' || extra[0] === 'demo' ? extra[0] : null;
    return { command: 'help', topic };
  }
  if (command !== 'scan' && command !== 'demo') {
    throw new KvAuditError('InvalidArguments', `Unknown command '${command}'. Commands: scan, demo, help.`);
  }
  if (values.help === true) return { command: 'help', topic: command };

  const problems: string[] = [];
  const allowed: readonly string[] = optionsOf[command];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!allowed.includes(token.name)) problems.push(`--${token.name}: not an option of '${command}'`);
    else if (optionSpecs[token.name as keyof typeof optionSpecs].type === 'string' && token.value === undefined) {
      problems.push(`--${token.name}: needs a value`);
    } else if (optionSpecs[token.name as keyof typeof optionSpecs].type === 'boolean' && token.value !== undefined) {
      problems.push(`--${token.name}: takes no value`);
    }
  }
  if (extra.length > 0) problems.push(`unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`);

  const text = (name: keyof typeof optionSpecs): string | null => {
    const value = values[name];
    return typeof value === 'string' ? value : null;
  };
  const output = text('output') ?? 'table';
  if (!(outputFormats as readonly string[]).includes(output)) problems.push(`--output: '${output}' is not one of ${outputFormats.join(', ')}`);

  const lists = (name: 'subscription' | 'management-group') => {
    const value = values[name];
    return splitList(Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);
  };
  const subscriptions = lists('subscription');
  const managementGroups = lists('management-group');
  if (subscriptions.length > 0 && managementGroups.length > 0) {
    problems.push('--subscription, --management-group: give one or the other, not both');
  }
  const seedText = text('seed') ?? '1';
  const seed = Number(seedText);
  if (!Number.isSafeInteger(seed)) problems.push(`--seed: '${seedText}' is not a whole number`);

  if (problems.length > 0) {
    throw new KvAuditError('InvalidArguments', `Invalid arguments for 'kv-audit ${command}' (see kv-audit ${command} --help):`, {
      details: problems,
    });
  }
  const format = output as OutputFormat;
  return command === 'scan'
    ? { command, subscriptions, managementGroups, output: format, out: text('out'), ingest: values.ingest === true }
    : { command, estate: text('estate'), output: format, out: text('out'), faults: text('faults'), seed };
}
