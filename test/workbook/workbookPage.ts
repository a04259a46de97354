import type { KqlRow, KqlValue } from '@kv-audit/kql';
import type { Workbook, WorkbookItem } from '../support/workbook.js';

/*
 * A static page that shows what the workbook shows, for the picture in the docs: each query item's result, as its
 * visualization and settings in the workbook JSON lay it out (tiles, time chart, bar chart, table), in the workbook's
 * order and widths. It is drawn here, not by Azure, and says so at the bottom. A setting it cannot draw is an error,
 * never skipped: the picture must not show something the workbook does not. (A grid's search box, `filter`, shows no
 * data and is left out.)
 */

export interface PageInput {
  readonly workbook: Workbook;
  /** Each query item's rows, by item name. */
  readonly results: ReadonlyMap<string, readonly KqlRow[]>;
  /** How the parameters read, e.g. [['Time range', 'Last 30 days'], ['Subscriptions', 'All']]. */
  readonly parameters: readonly (readonly [string, string])[];
  /** What the rows are, for the note under the page. */
  readonly dataNote: string;
  /** Rows a table shows before it scrolls. */
  readonly tableRows?: number;
}

const colours: Readonly<Record<string, string>> = {
  green: '#107c10',
  redBright: '#e81123',
  orange: '#ca5010',
  blue: '#0078d4',
  gray: '#737373',
};
const seriesPalette = ['#0078d4', '#ca5010', '#8764b8', '#038387', '#c239b3', '#498205'];

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function display(value: KqlValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return `${value.slice(0, 10)} ${value.slice(11, 16)}`;
  if (Array.isArray(value)) return value.map((v) => display(v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The markdown the workbook's text items use: headings, paragraphs, **bold** and `code`. */
function markdown(text: string): string {
  return text
    .split('\n\n')
    .map((block) => {
      const inline = escape(block.replace(/^#+ /, ''))
        .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
        .replace(/`(.+?)`/g, '<code>$1</code>');
      return block.startsWith('#') ? `<h1>${inline}</h1>` : `<p>${inline}</p>`;
    })
    .join('');
}

interface Threshold {
  readonly operator: string;
  readonly thresholdValue: string | null;
  readonly representation: string;
}
interface Content {
  readonly columnMatch: string;
  readonly formatter: number;
  readonly formatOptions?: { readonly thresholdsOptions?: string; readonly thresholdsGrid?: readonly Threshold[]; readonly palette?: string };
  readonly numberFormat?: { readonly unit: number };
}

/** The colour formatter 18 (thresholds) gives a value, if any. */
function colourOf(content: Content, value: KqlValue | undefined): string | undefined {
  if (content.formatter !== 18) return undefined;
  const grid = content.formatOptions?.thresholdsGrid ?? [];
  const match = grid.find((t) => t.operator === '==' && t.thresholdValue === display(value)) ?? grid.find((t) => t.operator === 'Default');
  const colour = match === undefined ? undefined : colours[match.representation];
  if (colour === undefined) throw new Error(`no colour for ${JSON.stringify(match)}`);
  return colour;
}

function cell(content: Content | undefined, row: KqlRow, className: string): string {
  if (content === undefined) return '';
  if (![1, 12, 18].includes(content.formatter)) throw new Error(`tile formatter ${content.formatter} is not drawn`);
  const value = row[content.columnMatch];
  const unit = content.numberFormat?.unit === 1 ? '%' : '';
  const colour = colourOf(content, value);
  return `<div class="${className}"${colour === undefined ? '' : ` style="color:${colour}"`}>${escape(display(value))}${unit}</div>`;
}

const tileContents = ['titleContent', 'leftContent', 'rightContent', 'subtitleContent', 'showBorder', 'size'];

function tiles(item: WorkbookItem, rows: readonly KqlRow[]): string {
  const settings = (item.content.tileSettings ?? {}) as Record<string, Content | undefined>;
  const unknown = Object.keys(settings).filter((key) => !tileContents.includes(key));
  if (unknown.length > 0) throw new Error(`tile settings ${unknown.join(', ')} are not drawn`);
  const title = settings['titleContent'];
  if (title === undefined) throw new Error(`${item.name}: tiles need a titleContent`);
  return `<div class="tiles">${rows
    .map((row) => {
      const accent = colourOf(title, row[title.columnMatch]);
      return `<div class="tile"${accent === undefined ? '' : ` style="border-top-color:${accent}"`}>${cell(title, row, 'tile-title')}<div class="tile-values">${cell(
        settings['leftContent'],
        row,
        'tile-left',
      )}${cell(settings['rightContent'], row, 'tile-right')}</div>${cell(settings['subtitleContent'], row, 'tile-subtitle')}</div>`;
    })
    .join('')}</div>`;
}

const chartWidth = 560;
const chartHeight = 240;
const margin = { left: 36, right: 12, top: 12, bottom: 48 };

function yScale(max: number) {
  const top = Math.max(1, Math.ceil(max));
  const y = (v: number) => margin.top + (chartHeight - margin.top - margin.bottom) * (1 - v / top);
  const ticks = [0, Math.round(top / 2), top].filter((t, i, all) => all.indexOf(t) === i);
  const grid = ticks
    .map((t) => `<line class="grid" x1="${margin.left}" x2="${chartWidth - margin.right}" y1="${y(t)}" y2="${y(t)}"/><text class="axis" x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`)
    .join('');
  return { y, grid };
}

function legend(series: readonly (readonly [string, string])[]): string {
  return `<div class="legend">${series.map(([name, colour]) => `<span><i style="background:${colour}"></i>${escape(name)}</span>`).join('')}</div>`;
}

function timechart(item: WorkbookItem, rows: readonly KqlRow[]): string {
  const { xAxis, yAxis = [] } = item.content.chartSettings ?? {};
  const labels = (item.content.chartSettings as { seriesLabelSettings?: { seriesName: string; color: string }[] }).seriesLabelSettings ?? [];
  if (xAxis === undefined || yAxis.length === 0) throw new Error(`${item.name}: a time chart needs xAxis and yAxis`);
  const times = rows.map((r) => Date.parse(String(r[xAxis])));
  const [first = 0, last = 1] = [Math.min(...times), Math.max(...times)];
  const x = (t: number) => margin.left + ((chartWidth - margin.left - margin.right) * (t - first)) / Math.max(1, last - first);
  const { y, grid } = yScale(Math.max(...rows.flatMap((r) => yAxis.map((s) => Number(r[s])))));
  const series = yAxis.map((name, i) => [name, colours[labels.find((l) => l.seriesName === name)?.color ?? ''] ?? seriesPalette[i] ?? '#000'] as const);
  const lines = series
    .map(([name, colour]) => `<polyline class="series" data-series="${escape(name)}" fill="none" stroke="${colour}" stroke-width="2" points="${rows.map((r, i) => `${x(times[i] ?? 0).toFixed(1)},${y(Number(r[name])).toFixed(1)}`).join(' ')}"/>`)
    .join('');
  const dateTicks = (
    [
      [first, 'start'],
      [(first + last) / 2, 'middle'],
      [last, 'end'],
    ] as const
  ).map(([t, anchor]) => `<text class="axis" x="${x(t)}" y="${chartHeight - margin.bottom + 16}" text-anchor="${anchor}">${new Date(t).toISOString().slice(5, 10)}</text>`);
  return `<svg class="chart" viewBox="0 0 ${chartWidth} ${chartHeight}">${grid}${lines}${dateTicks.join('')}</svg>${legend(series)}`;
}

function barchart(item: WorkbookItem, rows: readonly KqlRow[]): string {
  const { xAxis, yAxis = [], group } = item.content.chartSettings ?? {};
  const [value] = yAxis;
  if (xAxis === undefined || value === undefined || yAxis.length !== 1) throw new Error(`${item.name}: a bar chart needs xAxis and one yAxis`);
  const categories = [...new Set(rows.map((r) => display(r[xAxis])))];
  const groups = [...new Set(rows.map((r) => (group === undefined ? value : display(r[group]))))];
  const colourOfGroup = new Map(groups.map((g, i) => [g, seriesPalette[i % seriesPalette.length] ?? '#000']));
  const totals = categories.map((c) => rows.filter((r) => display(r[xAxis]) === c).reduce((sum, r) => sum + Number(r[value]), 0));
  const { y, grid } = yScale(Math.max(...totals));
  const slot = (chartWidth - margin.left - margin.right) / Math.max(1, categories.length);
  const bars = categories
    .map((category, i) => {
      let stacked = 0;
      const segments = rows
        .filter((r) => display(r[xAxis]) === category)
        .map((r) => {
          const g = group === undefined ? value : display(r[group]);
          const bottom = stacked;
          stacked += Number(r[value]);
          return `<rect class="bar" data-group="${escape(g)}" data-value="${Number(r[value])}" x="${margin.left + i * slot + slot * 0.2}" width="${slot * 0.6}" y="${y(stacked)}" height="${y(bottom) - y(stacked)}" fill="${colourOfGroup.get(g)}"/>`;
        })
        .join('');
      const label = category.length > 14 ? `${category.slice(0, 8)}…` : category;
      return `${segments}<text class="axis" x="${margin.left + (i + 0.5) * slot}" y="${chartHeight - margin.bottom + 16}" text-anchor="middle">${escape(label)}</text>`;
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${chartWidth} ${chartHeight}">${grid}${bars}<text class="axis" x="${chartWidth / 2}" y="${chartHeight - 8}" text-anchor="middle">${escape(xAxis)}</text></svg>${legend([...colourOfGroup])}`;
}

function table(item: WorkbookItem, rows: readonly KqlRow[], visibleRows: number): string {
  const formatters = item.content.gridSettings?.formatters ?? [];
  const drawn = formatters.filter((f) => f.formatter !== 5);
  if (drawn.length > 0) throw new Error(`${item.name}: grid formatters ${drawn.map((f) => f.formatter).join(', ')} are not drawn`);
  const hidden = new Set(formatters.map((f) => f.columnMatch));
  const columns = Object.keys(rows[0] ?? {}).filter((c) => !hidden.has(c));
  const shown = rows.slice(0, visibleRows);
  const more = rows.length > shown.length ? `<p class="more">${shown.length} of ${rows.length} rows shown; the workbook's grid scrolls.</p>` : '';
  return `<div class="grid"><table><thead><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>${shown
    .map((r) => `<tr>${columns.map((c) => `<td>${escape(display(r[c]))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>${more}`;
}

function part(item: WorkbookItem, rows: readonly KqlRow[], visibleRows: number): string {
  const width = item.customWidth === undefined ? 100 : Number(item.customWidth);
  const body =
    rows.length === 0
      ? `<p class="nodata">${escape(item.content.noDataMessage ?? '')}</p>`
      : item.content.visualization === 'tiles'
        ? tiles(item, rows)
        : item.content.visualization === 'timechart'
          ? timechart(item, rows)
          : item.content.visualization === 'barchart'
            ? barchart(item, rows)
            : item.content.visualization === 'table'
              ? table(item, rows, visibleRows)
              : undefined;
  if (body === undefined) throw new Error(`${item.name}: visualization ${String(item.content.visualization)} is not drawn`);
  return `<section class="part" data-part="${escape(item.name)}" style="width:calc(${width}% - 16px)"><h2>${escape(item.content.title ?? '')}</h2>${body}</section>`;
}

const style = `
body { font: 13px "Segoe UI", system-ui, sans-serif; color: #323130; background: #faf9f8; margin: 0; padding: 16px 20px; }
h1 { font-size: 20px; font-weight: 600; margin: 0 0 6px; }
p { margin: 0 0 6px; max-width: 1100px; }
code { font: 12px Consolas, monospace; background: #edebe9; padding: 0 3px; }
.pills { margin: 10px 0 14px; }
.pill { display: inline-block; border: 1px solid #c8c6c4; border-radius: 12px; padding: 2px 10px; margin-right: 8px; background: #fff; }
.parts { display: flex; flex-wrap: wrap; gap: 0 16px; }
.parts > header, .parts > .pills { flex-basis: 100%; }
.part { background: #fff; border: 1px solid #e1dfdd; padding: 10px 12px; margin-bottom: 14px; box-sizing: border-box; }
h2 { font-size: 14px; font-weight: 600; margin: 0 0 8px; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; }
.tile { border: 1px solid #e1dfdd; border-top: 4px solid #737373; padding: 8px 12px; min-width: 150px; }
.tile-title { font-weight: 600; }
.tile-values { display: flex; align-items: baseline; gap: 10px; }
.tile-left { font-size: 26px; font-weight: 600; }
.tile-right, .tile-subtitle { color: #605e5c; }
.chart { width: 100%; height: auto; }
line.grid { stroke: #edebe9; }
.axis { font-size: 11px; fill: #605e5c; }
.legend span { margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #edebe9; white-space: nowrap; max-width: 320px; overflow: hidden; text-overflow: ellipsis; }
th { font-weight: 600; }
.grid { overflow: hidden; }
.more, .nodata { color: #605e5c; font-style: italic; }
.note { border-top: 1px solid #c8c6c4; padding-top: 8px; color: #605e5c; }
`;

/** The whole page: the workbook's text, its parameters as pills, its parts, and the note on what the page is. */
export function renderWorkbookPage(input: PageInput): string {
  const visibleRows = input.tableRows ?? 8;
  const items = input.workbook.items
    .map((item) => {
      if (item.type === 1) return `<header>${markdown(item.content.json ?? '')}</header>`;
      if (item.type === 9) return `<div class="pills">${input.parameters.map(([name, value]) => `<span class="pill">${escape(name)}: <strong>${escape(value)}</strong></span>`).join('')}</div>`;
      if (item.type === 3) {
        const rows = input.results.get(item.name);
        if (rows === undefined) throw new Error(`no result for ${item.name}`);
        return part(item, rows, visibleRows);
      }
      throw new Error(`workbook item type ${item.type} is not drawn`);
    })
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Key Vault audit logging workbook</title><style>${style}</style></head><body><div class="parts">${items}</div><p class="note">${escape(input.dataNote)}</p></body></html>`;
}
