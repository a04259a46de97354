import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddedJson, escapeHtml, renderHtml } from '../../../src/cli/reports/html.js';
import { type FindingRow, type ScanRow, findingRowSchema, findingStatuses } from '../../../src/findings/schema.js';
import { scanRow } from '../../support/rows.js';
import { demoScan } from '../runCli.js';

let demo: { scan: ScanRow; findings: FindingRow[] };
beforeAll(async () => {
  demo = await demoScan();
});

const hostileName = '<img src=x onerror=alert(1)>';
const scriptBreakout = '</script><script>alert(2)</script>';
const hostile = () =>
  findingRowSchema.parse({
    ...demo.findings[0],
    ResourceName: hostileName,
    Detail: `${scriptBreakout} <!-- & "quoted" 'single'`,
    Tags: { [scriptBreakout]: '<svg onload=alert(3)>', owner: '\u2028\u2029' },
  });

const occurrences = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;
const inlineText = (html: string, tag: 'script' | 'style') => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('HTML escaping', () => {
  it.each([
    { text: hostileName, escaped: '&lt;img src=x onerror=alert(1)&gt;' },
    { text: scriptBreakout, escaped: '&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;' },
    { text: `" onmouseover='alert(4)'`, escaped: '&quot; onmouseover=&#39;alert(4)&#39;' },
    { text: 'AT&T', escaped: 'AT&amp;T' },
    { text: 'kv-payments-prod', escaped: 'kv-payments-prod' },
  ])('$text', ({ text, escaped }) => {
    expect(escapeHtml(text)).toBe(escaped);
  });

  it.each([scriptBreakout, '<!--<script>', ']]>&amp;', 'line\u2028separator\u2029', hostileName])(
    'embedded JSON holds %j with no character that could end its script element, and reads back the same',
    (text) => {
      const json = embeddedJson({ text, nested: [text] });
      expect([/[<>&\u2028\u2029]/.test(json), JSON.parse(json)]).toEqual([false, { text, nested: [text] }]);
    },
  );
});

describe('kv-audit -o html', () => {
  it('is one self-contained page: a CSP that forbids every load, and inline script and style allowed only by their hashes', () => {
    const html = renderHtml(demo.scan, demo.findings);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    const [script] = inlineText(html, 'script');
    const [style] = inlineText(html, 'style');
    expect(csp?.split('; ')).toEqual([
      "default-src 'none'",
      `script-src ${sha256(script!)}`,
      `style-src ${sha256(style!)}`,
      "base-uri 'none'",
      "form-action 'none'",
    ]);
  });

  it('refers to nothing outside itself: no src, href, url() or import', () => {
    const html = renderHtml(demo.scan, demo.findings);
    expect(html.match(/<[a-z][^>]*\s(src|href|srcset|action|formaction|poster|background|xmlns)\s*=[^>]*>/gi)).toBeNull();
    expect(html.match(/url\(|@import|<link|<iframe|<object|<embed|<base/gi)).toBeNull();
  });

  it('has a row per finding and, in its evidence, every other column of the findings table', () => {
    const html = renderHtml(demo.scan, demo.findings);
    expect(occurrences(html, /<tbody class="finding"/g)).toBe(demo.findings.length);
    const headings = [...html.matchAll(/<th scope="col" data-column="(\w+)">/g)].map((m) => m[1]);
    const terms = new Set([...html.matchAll(/<dt title="[^"]*">(\w+)<\/dt>/g)].map((m) => m[1]));
    expect(Object.keys(findingRowSchema.shape).filter((column) => !headings.includes(column) && !terms.has(column))).toEqual([]);
  });

  it('charts every status of the schema, with its count', () => {
    const html = renderHtml(demo.scan, demo.findings);
    const bars = [...html.matchAll(/<g class="status status-\w+" data-status="(\w+)"[^>]*>.*?data-count="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);
    expect(bars).toEqual(findingStatuses.map((s) => [s, demo.findings.filter((f) => f.Status === s).length]));
  });

  it('keeps hostile names, details and tags as text: they appear only escaped, and only its own two scripts exist', () => {
    const html = renderHtml(demo.scan, [...demo.findings, hostile()]);
    expect([html.includes(hostileName), html.includes(scriptBreakout), html.includes('<svg onload'), html.includes('<!--')]).toEqual([false, false, false, false]);
    expect(occurrences(html, /<script/g)).toBe(2);
    expect(html).toContain(escapeHtml(hostileName));
  });

  it('says plainly when the scan is incomplete, and lists its errors, escaped', () => {
    const scan = scanRow({ Complete: false, Errors: ['<b>ARM</b> reads failed for 3 resources'] });
    const html = renderHtml(scan, []);
    expect(html).toMatch(/<p class="verdict incomplete"><strong>INCOMPLETE<\/strong>/);
    expect(html).toContain('<li>&lt;b&gt;ARM&lt;/b&gt; reads failed for 3 resources</li>');
  });
});
