import { type FindingRow, type ScanRow, findingRowSchema } from '../../findings/schema.js';

/*
 * `-o csv`: one row per finding, the findings table's columns in schema order (RFC 4180: CRLF line ends, a field
 * quoted when it holds a quote, comma, CR or LF, inner quotes doubled).
 */

/** The findings table's columns, in the order src/findings/schema.ts defines them. */
export const csvColumns = Object.keys(findingRowSchema.shape) as (keyof FindingRow)[];

/*
 * Vault names, tags and details are attacker-controlled. A spreadsheet runs a cell that starts with one of these as
 * a formula (OWASP "CSV Injection": = + - @ tab CR; ASVS 5.0 V1.2.10 adds NUL; LF for the same reason as CR), so
 * such a cell gets a leading apostrophe and is read as text.
 */
const formulaStart = /^[=+\-@\t\r\n\0]/;

/** One cell: dynamic columns (arrays, objects) as compact JSON, null as an empty cell. */
export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const neutral = formulaStart.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(neutral) ? `"${neutral.replaceAll('"', '""')}"` : neutral;
}

const csvLine = (cells: readonly unknown[]) => `${cells.map(csvCell).join(',')}\r\n`;

export function renderCsv(_scan: ScanRow, findings: readonly FindingRow[]): string {
  return csvLine(csvColumns) + findings.map((finding) => csvLine(csvColumns.map((column) => finding[column]))).join('');
}
