import { parseArgs } from 'node:util';
import { KvAuditError } from '../errors.js';
import { type ReportFormat, reportFormats } from './reports/index.js';

/**
 * What the command line asked for. Problems are collected, not thrown, so that `scan` and `demo` can report them
 * together with the configuration's and the estate's: every problem at once, in one round.
 */

const outputFormats = ['table', 'json', 'ndjson', ...reportFormats] as const;
export type OutputFormat = 'table' | 'json' | 'ndjson' | ReportFormat;

export type CliCommand =
  | { readonly command: 'help'; readonly topic: HelpTopic | null }
  | { readonly command: 'version' }
  | {
      readonly command: 'scan';
      readonly subscriptions: readonly string[];
      readonly managementGroups: readonly string[];
      readonly output: OutputFormat;
      readonly out: string | null;
      readonly ingest: boolean;
      readonly verbose: boolean;
      /** File of the state an earlier scan left: this scan builds on it and replaces it. */
      readonly state: string | null;
      /** Read the Activity Log from this time (needs --state). */
      readonly since: Date | null;
    }
  | {
      readonly command: 'demo';
      readonly estate: string | null;
      readonly output: OutputFormat;
      readonly out: string | null;
      readonly faults: string | null;
      readonly seed: number;
      /** Then run `kv-audit fix --apply` against the emulator, and scan again. */
      readonly fix: boolean;
      /** Then follow the estate's timeline through Event Grid and the event path, finding by finding. */
      readonly watch: boolean;
    }
  | {
      readonly command: 'fix';
      readonly subscriptions: readonly string[];
      readonly managementGroups: readonly string[];
      readonly workspace: string | null;
      readonly apply: boolean;
      readonly output: 'table' | 'json';
      readonly verbose: boolean;
    };

export type HelpTopic = 'scan' | 'demo' | 'fix';

export interface CommandLine {
  readonly command: CliCommand;
  /** Everything wrong with the arguments, each naming its flag; empty when they are fine. */
  readonly problems: readonly string[];
}

const optionSpecs = {
  subscription: { type: 'string', short: 's', multiple: true },
  'management-group': { type: 'string', short: 'm', multiple: true },
  output: { type: 'string', short: 'o' },
  out: { type: 'string' },
  ingest: { type: 'boolean' },
  verbose: { type: 'boolean' },
  state: { type: 'string' },
  since: { type: 'string' },
  estate: { type: 'string' },
  faults: { type: 'string' },
  seed: { type: 'string' },
  workspace: { type: 'string' },
  apply: { type: 'boolean' },
  fix: { type: 'boolean' },
  watch: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;
type OptionName = keyof typeof optionSpecs;

const optionsOf = {
  scan: ['subscription', 'management-group', 'output', 'out', 'ingest', 'verbose', 'state', 'since', 'help'],
  demo: ['estate', 'output', 'out', 'faults', 'seed', 'fix', 'watch', 'help'],
  fix: ['subscription', 'management-group', 'workspace', 'apply', 'output', 'verbose', 'help'],
} as const;

const commands = ['scan', 'demo', 'fix', 'help'] as const;
const isHelpTopic = (topic: string): topic is HelpTopic => topic === 'scan' || topic === 'demo' || topic === 'fix';

/** An ISO 8601 date and time with its offset, as --since takes it. */
const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Seeds are reduced to the 32 bits the fault injector's generator takes, so any whole number is one. */
const seedModulus = 2n ** 32n;

function usageError(message: string): KvAuditError {
  return new KvAuditError('InvalidArguments', message);
}

/**
 * `-s a,b -s c` → [a, b, c]. An empty item is a problem, not something to skip: `-s "$UNSET"` or `-s "$A,$B"` with
 * one of them unset must not quietly widen or narrow the scan.
 */
function listValues(flag: string, values: readonly string[], problems: string[]): string[] {
  const items: string[] = [];
  for (const value of values) {
    const parts = value.split(/[,;]/).map((part) => part.trim());
    if (parts.some((part) => part === '')) {
      problems.push(value.trim() === '' ? `${flag}: needs a value` : `${flag}: '${value}' has an empty item`);
    }
    items.push(...parts.flatMap((part) => part.split(/\s+/)).filter((part) => part !== ''));
  }
  return items;
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: optionSpecs,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const [command, ...extra] = positionals;
  const options = tokens.filter((token) => token.kind === 'option');

  if (command === undefined || command === 'help') {
    const topic = extra[0];
    if (topic !== undefined && !isHelpTopic(topic)) {
      throw usageError(`No help on '${topic}'. Commands: ${commands.join(', ')}.`);
    }
    if (command === undefined && values.version === true) return { command: { command: 'version' }, problems: [] };
    const unknown = options.filter((token) => token.name !== 'help' && token.name !== 'version');
    if (unknown.length > 0) throw usageError(`${unknown.map((t) => t.rawName).join(', ')}: not an option without a command (kv-audit help)`);
    return { command: { command: 'help', topic: topic ?? null }, problems: [] };
  }
  if (command !== 'scan' && command !== 'demo' && command !== 'fix') {
    throw usageError(`Unknown command '${command}'. Commands: ${commands.join(', ')}.`);
  }
  if (values.help === true) return { command: { command: 'help', topic: command }, problems: [] };

  const problems: string[] = [];
  const allowed: readonly string[] = optionsOf[command];
  for (const token of options) {
    const spec = (optionSpecs as Record<string, { type: string } | undefined>)[token.name];
    if (!allowed.includes(token.name)) problems.push(`${token.rawName}: not an option of '${command}'`);
    else if (spec?.type === 'string' && (token.value === undefined || token.value.trim() === '')) {
      // Lists say so themselves, item by item.
      if (token.value === undefined || !(token.name === 'subscription' || token.name === 'management-group')) problems.push(`--${token.name}: needs a value`);
    } else if (spec?.type === 'boolean' && token.value !== undefined) {
      problems.push(`--${token.name}: takes no value`);
    }
  }
  if (extra.length > 0) problems.push(`unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`);

  const text = (name: OptionName): string | null => {
    const value = values[name];
    return typeof value === 'string' && value.trim() !== '' ? value : null;
  };
  const outputText = text('output') ?? 'table';
  const output = (outputFormats as readonly string[]).includes(outputText) ? (outputText as OutputFormat) : 'table';
  if (output !== outputText) problems.push(`--output: '${outputText}' is not one of ${outputFormats.join(', ')}`);

  const given = (name: 'subscription' | 'management-group') => {
    const value = values[name];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  };
  const subscriptions = listValues('--subscription', given('subscription'), problems);
  const managementGroups = listValues('--management-group', given('management-group'), problems);
  if (given('subscription').length > 0 && given('management-group').length > 0) {
    problems.push('--subscription, --management-group: give one or the other, not both');
  }

  if (command === 'scan') {
    const sinceText = text('since');
    const since = sinceText === null ? null : new Date(sinceText);
    if (sinceText !== null && (!isoTimestamp.test(sinceText) || Number.isNaN(since!.getTime()))) {
      problems.push(`--since: '${sinceText}' is not a time like 2026-12-07T09:00:00Z`);
    }
    if (sinceText !== null && text('state') === null) problems.push('--since: needs --state FILE, the state of the scan it builds on');
    return {
      command: {
        command,
        subscriptions,
        managementGroups,
        output,
        out: text('out'),
        ingest: values.ingest === true,
        verbose: values.verbose === true,
        state: text('state'),
        since: since !== null && !Number.isNaN(since.getTime()) ? since : null,
      },
      problems,
    };
  }
  if (command === 'fix') {
    if (output !== 'table' && output !== 'json') problems.push(`--output: '${output}' is not one of table, json (kv-audit fix)`);
    const fixOutput = output === 'json' ? 'json' : 'table';
    return {
      command: { command, subscriptions, managementGroups, workspace: text('workspace'), apply: values.apply === true, output: fixOutput, verbose: values.verbose === true },
      problems,
    };
  }
  const seedText = text('seed') ?? '1';
  const seed = /^\d+$/.test(seedText) ? Number(BigInt(seedText) % seedModulus) : 1;
  if (!/^\d+$/.test(seedText)) problems.push(`--seed: '${seedText}' is not a whole number`);
  return { command: { command, estate: text('estate'), output, out: text('out'), faults: text('faults'), seed, fix: values.fix === true, watch: values.watch === true }, problems };
}
