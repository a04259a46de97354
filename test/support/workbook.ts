import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KqlRow, KqlTables } from '@kv-audit/kql';
import { workbookFilePath } from '../../src/workbook/workbook.js';

/*
 * The committed workbook (infra/generated/kv-audit-monitor.workbook.json, what the Bicep deploys) as the tests read
 * it: its queries, exactly as deployed, and those queries with their parameters expanded the way the workbook expands
 * them before it sends a query to Log Analytics.
 */

export interface WorkbookItem {
  readonly type: number;
  readonly name: string;
  readonly customWidth?: string;
  readonly content: {
    readonly json?: string;
    readonly query?: string;
    readonly title?: string;
    readonly visualization?: string;
    readonly noDataMessage?: string;
    readonly timeContextFromParameter?: string;
    readonly parameters?: readonly WorkbookParameterItem[];
    readonly tileSettings?: Record<string, { readonly columnMatch?: string } | unknown>;
    readonly chartSettings?: { readonly xAxis?: string; readonly yAxis?: readonly string[]; readonly group?: string };
    readonly gridSettings?: { readonly formatters?: readonly { readonly columnMatch: string; readonly formatter: number }[] };
    readonly [key: string]: unknown;
  };
}

export interface WorkbookParameterItem {
  readonly name: string;
  readonly type: number;
  readonly query?: string;
  readonly timeContextFromParameter?: string;
  readonly [key: string]: unknown;
}

export interface Workbook {
  readonly version: string;
  readonly items: readonly WorkbookItem[];
  readonly [key: string]: unknown;
}

const repoRoot = resolve(import.meta.dirname, '..', '..');
export const committedWorkbookText = () => readFileSync(resolve(repoRoot, workbookFilePath), 'utf8');
export const committedWorkbook = (): Workbook => JSON.parse(committedWorkbookText()) as Workbook;

/** A query the workbook runs: a query item's, or a parameter's (which has no visualization). */
export interface WorkbookQuery {
  readonly name: string;
  readonly query: string;
  /** Bound to the TimeRange parameter: the workbook passes the range to Log Analytics with the query. */
  readonly timeBound: boolean;
  readonly item?: WorkbookItem;
}

export function workbookQueries(workbook: Workbook): WorkbookQuery[] {
  return workbook.items.flatMap((item): WorkbookQuery[] => {
    if (item.type === 3 && item.content.query !== undefined) {
      return [{ name: item.name, query: item.content.query, timeBound: item.content.timeContextFromParameter === 'TimeRange', item }];
    }
    return (item.content.parameters ?? []).flatMap((p) =>
      p.query === undefined ? [] : [{ name: `parameter ${p.name}`, query: p.query, timeBound: p.timeContextFromParameter === 'TimeRange' }],
    );
  });
}

/** The columns a query item's visualization names: tile contents, chart axes and groups, grid formatters. */
export function columnsShown(item: WorkbookItem): string[] {
  const { tileSettings = {}, chartSettings = {}, gridSettings = {} } = item.content;
  const tiles = Object.values(tileSettings).flatMap((s) => (typeof s === 'object' && s !== null && 'columnMatch' in s ? [String(s.columnMatch)] : []));
  const chart = [chartSettings.xAxis, ...(chartSettings.yAxis ?? []), chartSettings.group].filter((c) => c !== undefined);
  return [...tiles, ...chart, ...(gridSettings.formatters ?? []).map((f) => f.columnMatch)];
}

/** The parameter values a viewer picks. */
export interface WorkbookSelection {
  /** 'all' is the drop-down's "All" item. */
  readonly subscriptions: 'all' | readonly string[];
  readonly start: Date;
  readonly end: Date;
}

const placeholder = /\{[A-Za-z]+(?::[A-Za-z]+)?\}/g;

/**
 * A query as the workbook sends it: `{Subscription}` is the selected values, each quoted '…' and comma-separated
 * (the drop-down's quote and delimiter), or '*' for "All" (its selectAllValue); `{TimeRange:start}` is a datetime.
 * Any other parameter reference is an error: the tests would not be running what the workbook runs.
 */
export function expandParameters(query: string, selection: WorkbookSelection): string {
  const values = selection.subscriptions === 'all' ? ['*'] : selection.subscriptions;
  const expansions: Record<string, string> = {
    '{Subscription}': values.map((v) => `'${v}'`).join(','),
    '{TimeRange:start}': `datetime(${selection.start.toISOString()})`,
  };
  return query.replace(placeholder, (reference) => {
    const expansion = expansions[reference];
    if (expansion === undefined) throw new Error(`the workbook query references ${reference}, which the tests do not expand`);
    return expansion;
  });
}

/** The rows Log Analytics reads for a query bound to the time range: TimeGenerated within it. */
export function withinTimeRange(tables: KqlTables, selection: WorkbookSelection): KqlTables {
  const inRange = (row: KqlRow) => {
    const time = Date.parse(String(row['TimeGenerated']));
    return time >= selection.start.getTime() && time <= selection.end.getTime();
  };
  return Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, rows.filter(inRange)]));
}
