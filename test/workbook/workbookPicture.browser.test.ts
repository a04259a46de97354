import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type KqlRow, executeQuery } from '@kv-audit/kql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedPage, openPage, skipWithoutChromium } from '../support/browser.js';
import { tempDir } from '../support/tempDirs.js';
import { withWorkspaceFunctions } from '../support/kusto.js';
import { committedWorkbook, expandParameters, withinTimeRange, workbookQueries } from '../support/workbook.js';
import { sampleMonth, sampleNow } from './sampleMonth.js';
import { renderWorkbookPage } from './workbookPage.js';

/*
 * The picture of the workbook in docs/operations.md: every query of the committed workbook, its parameters expanded
 * as the workbook expands them (All subscriptions, the last 30 days), run by the project's KQL interpreter over a
 * made-up month of scans (sampleMonth.ts), drawn as its visualization lays it out (workbookPage.ts), in headless
 * Chromium. It is not a screenshot of Azure, and the page says so. `npm run docs:workbook-picture` writes it to
 * docs/images/workbook.png; every test run leaves it in test-artifacts/workbook.png.
 */

const skipped = skipWithoutChromium('the picture of the workbook');

const repoRoot = resolve(import.meta.dirname, '..', '..');
const picture = resolve(repoRoot, process.env['KV_AUDIT_WORKBOOK_PICTURE'] ?? 'test-artifacts/workbook.png');

const workbook = committedWorkbook();
const selection = { subscriptions: 'all', start: new Date(Date.parse(sampleNow) - 30 * 86_400_000), end: new Date(sampleNow) } as const;
const month = sampleMonth();
const results = new Map<string, readonly KqlRow[]>(
  workbookQueries(workbook).flatMap((q) =>
    q.item === undefined
      ? []
      : [[q.name, executeQuery(withWorkspaceFunctions(expandParameters(q.query, selection)), q.timeBound ? withinTimeRange(month, selection) : month, { now: () => new Date(sampleNow) })] as const],
  ),
);
const rowsOf = (name: string) => results.get(name) ?? [];

describe.skipIf(skipped)('the picture of the workbook', () => {
  let opened: OpenedPage;

  beforeAll(async () => {
    const html = renderWorkbookPage({
      workbook,
      results,
      parameters: [
        ['Time range', 'Last 30 days'],
        ['Subscriptions', 'All'],
      ],
      dataNote:
        "Drawn by kv-audit-monitor's test suite, not by Azure: the workbook's own queries (infra/queries, as deployed) run by the project's " +
        'KQL interpreter over a made-up month of scans of ten vaults (test/workbook/sampleMonth.ts), laid out as the workbook lays them out.',
    });
    opened = await openPage(html, 'workbook.html', join(tempDir('workbook'), 'profile'));
  }, 60_000);

  afterAll(() => opened?.close());

  const page = () => opened.page;
  const part = (name: string) => page().locator(`section[data-part="${name}"]`);

  it('loads nothing but itself, with no error', () => {
    expect([opened.requests, opened.errors]).toEqual([[opened.url], []]);
  });

  it('shows every part of the workbook, in its order', async () => {
    expect(await page().locator('section.part').evaluateAll((parts) => parts.map((p) => p.getAttribute('data-part')))).toEqual(
      workbook.items.filter((i) => i.type === 3).map((i) => i.name),
    );
  });

  it('shows the posture tiles with the counts the posture query returns', async () => {
    expect(await part('posture').locator('.tile-left').allTextContents()).toEqual(rowsOf('posture').map((r) => String(r['Resources'])));
    expect(rowsOf('posture').map((r) => [r['Status'], r['Resources']])).toEqual([
      ['Fail', 3],
      ['Error', 0],
      ['Exempt', 1],
      ['Pass', 6],
    ]);
  });

  it('draws a line per status over the month, and a bar per failing group', async () => {
    expect(await part('trend').locator('polyline.series').count()).toBe(4);
    expect(rowsOf('trend')).toHaveLength(31);
    expect(await part('failures').locator('rect.bar').count()).toBe(rowsOf('failures').length);
  });

  it('lists the new failure, the expiring exemption and the incomplete scan', async () => {
    expect(rowsOf('new-failures').map((r) => r['ResourceName'])).toEqual(['kv-it-secrets']);
    expect(await part('new-failures').locator('tbody tr').count()).toBe(1);
    expect(rowsOf('exemptions-expiring').map((r) => [r['ResourceName'], r['DaysLeft']])).toEqual([['kv-legal', 12]]);
    expect(rowsOf('scan-health-summary').find((r) => r['Indicator'] === 'Incomplete scans')?.['Value']).toBe('1');
  });

  it(`keeps the picture in ${picture.slice(repoRoot.length + 1)}`, async () => {
    mkdirSync(dirname(picture), { recursive: true });
    const png = await page().screenshot({ path: picture, fullPage: true });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
