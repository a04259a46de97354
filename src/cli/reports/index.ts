import type { FindingRow, ScanRow } from '../../findings/schema.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderOcsf } from './ocsf.js';

/** A report: the scan and its findings in, the whole file out. Each format is one pure module. */
export type Report = (scan: ScanRow, findings: readonly FindingRow[]) => string;

export const reports = { csv: renderCsv, html: renderHtml, ocsf: renderOcsf } as const satisfies Record<string, Report>;
export type ReportFormat = keyof typeof reports;
export const reportFormats = Object.keys(reports) as ReportFormat[];
