/*
 * The HTML report's inline style and script. The page's Content-Security-Policy allows exactly these two by their
 * SHA-256 hashes (html.ts), so they are fixed text: everything that varies comes from the escaped markup and the
 * JSON block.
 */

export const reportStyle = `
:root { color-scheme: light; --pass: #1b6e35; --pass-bg: #e3f3e8; --fail: #b3261e; --fail-bg: #fce8e6;
  --exempt: #3d5a99; --exempt-bg: #e8eefb; --error: #8a5300; --error-bg: #fdf1d8; --other: #555; --other-bg: #eee;
  --line: #d0d4d9; --muted: #5b6470; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1280px; padding: 1.5rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2228; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
pre { white-space: pre-wrap; word-break: break-all; background: #f4f5f7; padding: .5rem .75rem; border-radius: 4px; margin: 0; }
[hidden] { display: none !important; }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.verdict { margin: 1rem 0 0; padding: .75rem 1rem; border-radius: 6px; border-left: 6px solid; font-size: 1.05rem; }
.verdict.complete { border-color: var(--pass); background: var(--pass-bg); }
.verdict.incomplete { border-color: var(--fail); background: var(--fail-bg); }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .75rem; margin: 0; }
.facts div { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; }
.facts dt { color: var(--muted); font-size: .85rem; }
.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.record { margin-top: .75rem; }
.errors.has-errors { border: 2px solid var(--fail); border-radius: 6px; padding: 0 1rem .5rem; background: var(--fail-bg); }
.errors.has-errors h2 { border-bottom-color: var(--fail); color: var(--fail); }
.summary-grid { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
.chart { max-width: 100%; height: auto; font-size: 13px; }
.chart text { fill: #1d2228; }
.chart .status text { font-weight: 700; }
.chart .bar { fill: var(--other); }
.chart .reason .bar { opacity: .55; }
.chart .status-Pass .bar { fill: var(--pass); }
.chart .status-Fail .bar { fill: var(--fail); }
.chart .status-Exempt .bar { fill: var(--exempt); }
.chart .status-Error .bar { fill: var(--error); }
.badge { display: inline-block; min-width: 4.2em; text-align: center; padding: .05rem .5rem; border-radius: 999px; font-weight: 600; font-size: .85rem; color: var(--other); background: var(--other-bg); }
.badge.status-Pass { color: var(--pass); background: var(--pass-bg); }
.badge.status-Fail { color: var(--fail); background: var(--fail-bg); }
.badge.status-Exempt { color: var(--exempt); background: var(--exempt-bg); }
.badge.status-Error { color: var(--error); background: var(--error-bg); }
table { border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
td.number { text-align: right; }
.controls { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: center; margin-bottom: .75rem; }
.controls input, .controls select { font: inherit; padding: .3rem .5rem; margin-left: .4rem; border: 1px solid #8a939e; border-radius: 4px; }
.controls input { width: 22rem; max-width: 60vw; }
.controls p { margin: 0; color: var(--muted); }
#findings { width: 100%; }
#findings caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .5rem; }
#findings > thead th { position: sticky; top: 0; background: #f4f5f7; padding: 0; white-space: nowrap; }
#findings th button { all: unset; box-sizing: border-box; display: block; width: 100%; padding: .5rem .6rem; cursor: pointer; font-weight: 700; }
#findings th button::after { content: " \\2195"; color: var(--muted); }
#findings th[aria-sort="ascending"] button::after { content: " \\2191"; color: inherit; }
#findings th[aria-sort="descending"] button::after { content: " \\2193"; color: inherit; }
#findings > tbody:nth-of-type(even) > tr:first-child { background: #fafbfc; }
#findings > tbody > tr > td { overflow-wrap: anywhere; }
#findings > tbody > tr:first-child > td:first-child, #findings td.Reason, #findings td.Location { white-space: nowrap; }
#findings td.SubscriptionId { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; }
td.detail { width: 40%; min-width: 16rem; }
.toggle { font: inherit; font-size: .85rem; margin-left: .25rem; padding: .05rem .5rem; border: 1px solid #8a939e; border-radius: 4px; background: #fff; color: #1a5fb4; cursor: pointer; }
.toggle[aria-expanded="true"] { background: #1a5fb4; color: #fff; border-color: #1a5fb4; }
.evidence-row > td { background: #f8f9fa; padding: .25rem .75rem .75rem; border-bottom: 2px solid var(--line); }
details > summary { cursor: pointer; }
.evidence { display: grid; grid-template-columns: minmax(9rem, max-content) 1fr; gap: .3rem 1rem; margin: .6rem 0 .3rem; }
.evidence dd { overflow-wrap: anywhere; }
.evidence dt { font-weight: 600; color: var(--muted); }
.evidence dd { margin: 0; min-width: 0; }
.pairs { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .75rem; margin: 0; }
.pairs dt { font-weight: 600; }
.pairs dd { margin: 0; }
.nested { font-size: .85rem; }
.nested th, .nested td { padding: .2rem .4rem; overflow-wrap: anywhere; }
.none { color: var(--muted); }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print { .controls, .toggle { display: none !important; } .evidence-row[hidden] { display: table-row !important; } #findings > thead th { position: static; } }
`;

/** Folding each finding's evidence, sorting by a column, and filtering by text and status. */
export const reportScript = `
(() => {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const table = document.getElementById('findings');
  const headers = Array.from(table.tHead.rows[0].cells);
  // One tbody per finding: its row and its evidence row move and hide together.
  const findings = Array.from(table.tBodies);
  const findingOf = (group) => data.findings[Number(group.dataset.index)];
  for (const group of findings) {
    const button = group.querySelector('button.toggle');
    const evidence = document.getElementById(button.getAttribute('aria-controls'));
    const show = (open) => {
      button.setAttribute('aria-expanded', String(open));
      evidence.hidden = !open;
    };
    show(false);
    button.hidden = false;
    button.addEventListener('click', () => show(evidence.hidden));
  }
  // The text filter searches every value of a finding, evidence and tags included, not only the visible cells.
  const words = (value) => value === null || typeof value !== 'object'
    ? [String(value)]
    : Array.isArray(value) ? value.flatMap(words) : Object.entries(value).flatMap(([k, v]) => [k, ...words(v)]);
  const haystacks = new Map(findings.map((group) => [group, words(findingOf(group)).join('\\n').toLowerCase()]));
  const text = document.getElementById('filter-text');
  const status = document.getElementById('filter-status');
  const shown = document.getElementById('shown');
  const filter = () => {
    const needle = text.value.trim().toLowerCase();
    let visible = 0;
    for (const group of findings) {
      const show = (status.value === '' || findingOf(group).Status === status.value) && haystacks.get(group).includes(needle);
      group.hidden = !show;
      if (show) visible += 1;
    }
    shown.textContent = visible === findings.length ? 'all ' + findings.length : visible + ' of ' + findings.length;
  };
  text.addEventListener('input', filter);
  status.addEventListener('change', filter);
  // Status and Reason sort in the schema's order (Pass, Fail, …), every other column as text, numbers numerically.
  const ranks = { Status: data.statuses, Reason: data.reasons };
  const keyOf = (group, column) => {
    const value = findingOf(group)[column];
    return ranks[column] ? String(ranks[column].indexOf(value)).padStart(4, '0') : String(value);
  };
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  for (const header of headers) {
    header.querySelector('button').addEventListener('click', () => {
      const column = header.dataset.column;
      const direction = header.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      for (const other of headers) other.removeAttribute('aria-sort');
      header.setAttribute('aria-sort', direction === 1 ? 'ascending' : 'descending');
      findings.sort((a, b) => direction * collator.compare(keyOf(a, column), keyOf(b, column)) || Number(a.dataset.index) - Number(b.dataset.index));
      table.append(...findings);
    });
  }
})();
`;
