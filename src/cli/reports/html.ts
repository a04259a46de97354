import { createHash } from 'node:crypto';
import { type FindingRow, type ScanRow, findingReasons, findingRowSchema, findingStatuses, scanRowSchema } from '../../findings/schema.js';
import { type StatusCount, countByStatusAndReason, describeScope } from '../render.js';
import { reportScript, reportStyle } from './htmlAssets.js';

/*
 * `-o html`: one self-contained page for an auditor. It loads nothing: styles, script, chart and data are inline,
 * and its Content-Security-Policy forbids every other source (the script and style run by their hashes, so even
 * markup that slipped through escaping could not run). Vault names, tags and details are attacker-controlled: every
 * value is escaped, and the data the script reads sits in a JSON block that no markup can end.
 */

const escapes: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);

/** JSON that stays inert inside <script type="application/json">: nothing in it can close the element. */
export function embeddedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const contentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${sha256(reportScript)}`,
  `style-src ${sha256(reportStyle)}`,
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The columns of the findings table; every other column is in each row's evidence. */
const tableColumns = ['Status', 'Reason', 'ResourceName', 'ResourceGroup', 'SubscriptionId', 'Location', 'Detail'] as const satisfies readonly (keyof FindingRow)[];
const evidenceColumns = (Object.keys(findingRowSchema.shape) as (keyof FindingRow)[]).filter(
  (column) => !(tableColumns as readonly string[]).includes(column),
);
/** The scan row's columns in its record; its errors have a section of their own. */
const scanRecordColumns = (Object.keys(scanRowSchema.shape) as (keyof ScanRow)[]).filter((column) => column !== 'Errors');

const descriptionOf = (shape: Readonly<Record<string, { description?: string | undefined }>>, column: string) => shape[column]?.description ?? '';
const utc = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
const badge = (status: string) => `<span class="badge status-${escapeHtml(status)}">${escapeHtml(status)}</span>`;

/** Any value of a row, as markup: dynamic columns become lists and tables, null and empty a dash. */
function valueHtml(value: unknown): string {
  if (value === null || value === undefined || value === '') return '<span class="none">—</span>';
  if (Array.isArray(value)) {
    if (value.length === 0) return '<span class="none">none</span>';
    if (value.every((item) => typeof item !== 'object' || item === null)) return value.map((item) => `<code>${escapeHtml(String(item))}</code>`).join(', ');
    const records = value.map((item: unknown) => (typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : { value: item }));
    const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
    const head = keys.map((k) => `<th scope="col">${escapeHtml(k)}</th>`).join('');
    const body = records.map((record) => `<tr>${keys.map((k) => `<td>${valueHtml(record[k])}</td>`).join('')}</tr>`).join('');
    return `<table class="nested"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '<span class="none">none</span>';
    return `<dl class="pairs">${entries.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${valueHtml(v)}</dd>`).join('')}</dl>`;
  }
  return escapeHtml(String(value));
}

function evidenceHtml(finding: FindingRow): string {
  const items = evidenceColumns.map((column) => {
    const value = finding[column];
    const shown = column === 'Remediation' && value !== '' ? `<pre><code>${escapeHtml(String(value))}</code></pre>` : valueHtml(value);
    return `<dt title="${escapeHtml(descriptionOf(findingRowSchema.shape, column))}">${column}</dt><dd>${shown}</dd>`;
  });
  return `<dl class="evidence">${items.join('')}</dl>`;
}

/**
 * One finding: its row, and under it a full-width row with its evidence, exemption and remediation. Without the
 * script (or on paper) the evidence rows stay open; the script folds them behind each row's Evidence button.
 */
function findingHtml(finding: FindingRow, index: number): string {
  const cells = tableColumns.map((column) => {
    switch (column) {
      case 'Status':
        return `<td>${badge(finding.Status)}</td>`;
      case 'Detail':
        return (
          `<td class="detail">${escapeHtml(finding.Detail)} ` +
          `<button type="button" class="toggle" aria-expanded="true" aria-controls="evidence-${index}" hidden>Evidence</button></td>`
        );
      default:
        return `<td class="${column}">${escapeHtml(finding[column])}</td>`;
    }
  });
  return (
    `<tbody class="finding" data-index="${index}"><tr>${cells.join('')}</tr>` +
    `<tr class="evidence-row" id="evidence-${index}"><td colspan="${tableColumns.length}">${evidenceHtml(finding)}</td></tr></tbody>`
  );
}

/** Counts by status, and by reason under each, as horizontal bars. */
function chartHtml(counts: readonly StatusCount[]): string {
  const bars = counts.flatMap(({ status, count, reasons }) => [
    { kind: 'status', status, label: status, count },
    ...reasons.map((r) => ({ kind: 'reason', status, label: r.reason, count: r.count })),
  ]);
  const max = Math.max(1, ...bars.map((b) => b.count));
  const [rowHeight, labelWidth, barWidth] = [24, 200, 380];
  const body = bars
    .map((bar, i) => {
      const y = i * rowHeight;
      const width = Math.round((bar.count / max) * barWidth * 10) / 10;
      const height = bar.kind === 'status' ? 16 : 10;
      return (
        `<g class="${bar.kind} status-${escapeHtml(bar.status)}" data-status="${escapeHtml(bar.status)}" data-label="${escapeHtml(bar.label)}">` +
        `<text x="${bar.kind === 'status' ? 0 : 16}" y="${y + 16}">${escapeHtml(bar.label)}</text>` +
        `<rect class="bar" x="${labelWidth}" y="${y + (rowHeight - height) / 2}" width="${width}" height="${height}" data-count="${bar.count}"/>` +
        `<text class="count" x="${labelWidth + width + 6}" y="${y + 16}">${bar.count}</text></g>`
      );
    })
    .join('');
  const total = counts.map(({ status, count }) => `${status} ${count}`).join(', ');
  return (
    `<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 ${labelWidth + barWidth + 50} ${bars.length * rowHeight}" ` +
    `width="${labelWidth + barWidth + 50}" height="${bars.length * rowHeight}">` +
    `<title id="chart-title">Findings by status and reason: ${escapeHtml(total)}</title>${body}</svg>`
  );
}

function summaryTableHtml(counts: readonly StatusCount[]): string {
  const rows = counts
    .map(({ status, count, reasons }) => {
      const listed = reasons.map((r) => `${escapeHtml(r.reason)} ${r.count}`).join(', ');
      return `<tr><th scope="row">${badge(status)}</th><td class="number">${count}</td><td>${listed}</td></tr>`;
    })
    .join('');
  return `<table class="summary"><thead><tr><th scope="col">Status</th><th scope="col">Count</th><th scope="col">Reasons</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function scanHtml(scan: ScanRow): string {
  const scopeIds = scan.Scope.Ids.length > 0 ? `: ${scan.Scope.Ids.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ')}` : '';
  const facts = [
    ['Scope', `${escapeHtml(describeScope(scan))}${scopeIds}`],
    ['Started', escapeHtml(utc(scan.StartedAt))],
    ['Finished', escapeHtml(utc(scan.FinishedAt))],
    ['Duration', `${(scan.DurationMs / 1000).toFixed(1)} s`],
    ['Vaults and Managed HSMs', String(scan.ResourceCount)],
    ['Trigger', escapeHtml(scan.Trigger)],
  ];
  const record = scanRecordColumns
    .map((column) => `<dt title="${escapeHtml(descriptionOf(scanRowSchema.shape, column))}">${column}</dt><dd>${valueHtml(scan[column])}</dd>`)
    .join('');
  return (
    `<dl class="facts">${facts.map(([term, value]) => `<div><dt>${term}</dt><dd>${value}</dd></div>`).join('')}</dl>` +
    `<details class="record"><summary>Every column of the scan row</summary><dl class="evidence">${record}</dl></details>`
  );
}

function verdictHtml(scan: ScanRow): string {
  return scan.Complete
    ? '<p class="verdict complete"><strong>Complete</strong>: every vault and Managed HSM in scope was evaluated.</p>'
    : '<p class="verdict incomplete"><strong>INCOMPLETE</strong>: some of the estate was not evaluated or not written; the errors below say what. ' +
        'A resource missing from this report is not known to pass.</p>';
}

function errorsHtml(scan: ScanRow): string {
  const list = scan.Errors.length === 0 ? '<p>None.</p>' : `<ul>${scan.Errors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>`;
  return `<section aria-labelledby="errors-title" class="errors${scan.Errors.length > 0 ? ' has-errors' : ''}"><h2 id="errors-title">Errors (${scan.Errors.length})</h2>${list}</section>`;
}

function findingsHtml(findings: readonly FindingRow[], counts: readonly StatusCount[]): string {
  const options = counts.map(({ status, count }) => `<option value="${escapeHtml(status)}">${escapeHtml(status)} (${count})</option>`).join('');
  const head = tableColumns
    .map((column) => `<th scope="col" data-column="${column}"><button type="button" title="${escapeHtml(descriptionOf(findingRowSchema.shape, column))}">${column}</button></th>`)
    .join('');
  return (
    `<section aria-labelledby="findings-title"><h2 id="findings-title">Findings (${findings.length})</h2>` +
    '<div class="controls">' +
    '<label>Filter <input id="filter-text" type="search" placeholder="name, tag, destination, reason…" autocomplete="off"></label>' +
    `<label>Status <select id="filter-status"><option value="">All statuses</option>${options}</select></label>` +
    `<p aria-live="polite">Showing <output id="shown">all ${findings.length}</output> findings</p></div>` +
    '<table id="findings"><caption>One row per vault or Managed HSM. Select a column heading to sort, and Evidence for the settings, destinations, exemption and remediation behind a row.</caption>' +
    `<thead><tr>${head}</tr></thead>${findings.map(findingHtml).join('')}</table></section>`
  );
}

export function renderHtml(scan: ScanRow, findings: readonly FindingRow[]): string {
  const counts = countByStatusAndReason(findings);
  const data = embeddedJson({ statuses: findingStatuses, reasons: findingReasons, scan, findings });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kv-audit-monitor ${escapeHtml(scan.Version)}">
<title>Key Vault audit logging report, ${escapeHtml(utc(scan.StartedAt))}</title>
<style>${reportStyle}</style>
</head>
<body>
<header>
<h1>Key Vault and Managed HSM audit logging</h1>
<p>Is every vault's <code>AuditEvent</code> log delivered to a destination that exists? Scan <code>${escapeHtml(scan.ScanId)}</code>, ${escapeHtml(utc(scan.StartedAt))}.</p>
${verdictHtml(scan)}
</header>
<main>
<section aria-labelledby="scan-title"><h2 id="scan-title">Scan</h2>${scanHtml(scan)}</section>
${errorsHtml(scan)}
<section aria-labelledby="summary-title"><h2 id="summary-title">Summary by status and reason</h2><div class="summary-grid">${chartHtml(counts)}${summaryTableHtml(counts)}</div></section>
${findingsHtml(findings, counts)}
</main>
<footer><p>Generated by kv-audit-monitor ${escapeHtml(scan.Version)}. The scan row and every finding are embedded in this file as JSON (<code>script#report-data</code>).</p></footer>
<script type="application/json" id="report-data">${data}</script>
<script>${reportScript}</script>
</body>
</html>
`;
}
