import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/cli/reports/html.js';
import { type FindingRow, findingRowSchema, findingStatuses } from '../../../src/findings/schema.js';
import { type OpenedPage, openPage, skipWithoutChromium } from '../../support/browser.js';
import { sampleEnv, sampleEstate } from '../../support/emulator.js';
import { demoScan } from '../runCli.js';

/*
 * The HTML report in a real browser: Debian's Chromium, headless, driven by playwright-core. The page comes from
 * a real `kv-audit demo` run over the sample estate plus a vault with a hostile name and tags, and one more
 * finding renamed to a script breakout (Azure allows no '/' in a name, so no estate can carry that one).
 * The report is served from loopback so every request the page makes is seen.
 */

const skipped = skipWithoutChromium("the HTML report's browser test");

const artifacts = resolve(import.meta.dirname, '..', '..', '..', 'test-artifacts');
const imgName = '<img src=x onerror=alert(1)>';
const scriptName = '</script><script>alert(2)</script>';

/**
 * The sample estate plus one vault whose name is markup (no ARM id can hold it, so it is a MalformedRecord), and
 * markup in the tags of a vault that is read in full.
 */
function hostileEstate() {
  const base = sampleEstate.resources.find((r) => r.name === 'kv-crm-prod')!;
  const named = { ...base, id: base.id.replace(/kv-crm-prod$/, imgName), name: imgName };
  const tagged = { ...base, tags: { owner: scriptName, [scriptName]: '<svg onload=alert(3)>' } };
  return { ...sampleEstate, resources: [...sampleEstate.resources.filter((r) => r !== base), tagged, named] };
}

describe.skipIf(skipped)('the HTML report in headless Chromium', () => {
  let dir: string;
  let opened: OpenedPage;
  let page: Page;
  let url: string;
  let findings: FindingRow[];
  let requests: readonly string[];
  let dialogs: readonly string[];
  let errors: readonly string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kv-audit-html-'));
    const estateFile = join(dir, 'estate.json');
    writeFileSync(estateFile, JSON.stringify(hostileEstate()));
    const demo = await demoScan(['--estate', estateFile], sampleEnv);
    findings = demo.findings.map((f) => (f.ResourceName === 'kv-hr-prod' ? findingRowSchema.parse({ ...f, ResourceName: scriptName }) : f));
    const html = renderHtml(demo.scan, findings);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'report.html'), html);

    // Every request is recorded; only the report itself is answered.
    opened = await openPage(html, 'report.html', join(dir, 'profile'));
    ({ page, url, requests, dialogs, errors } = opened);
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => page.locator('#findings > tbody.finding');
  const visibleNames = () => page.locator('#findings > tbody.finding:not([hidden]) td.ResourceName').allTextContents();
  const statusesInOrder = () => page.locator('#findings > tbody.finding > tr:first-child .badge').allTextContents();
  const setFilters = async (text: string, status: string) => {
    await page.fill('#filter-text', text);
    await page.selectOption('#filter-status', status);
  };

  it('loads nothing but itself, and its script runs with no error and no CSP violation', () => {
    expect([requests, errors]).toEqual([[url], []]);
  });

  it('charts every status as a bar as long as its count', async () => {
    const bars = await Promise.all(
      findingStatuses.map(async (status) => {
        const bar = page.locator(`svg.chart g.status[data-status="${status}"] rect.bar`);
        return [status, Number(await bar.getAttribute('data-count')), ((await bar.boundingBox())?.width ?? 0) > 0];
      }),
    );
    expect(bars).toEqual(findingStatuses.map((s) => [s, findings.filter((f) => f.Status === s).length, findings.some((f) => f.Status === s)]));
  });

  it('shows a row per finding', async () => {
    expect(await rows().count()).toBe(findings.length);
    expect(await page.locator('#shown').textContent()).toBe(`all ${findings.length}`);
  });

  it("sorts by a column heading in the schema's order, and reverses on a second click", async () => {
    const heading = page.locator('#findings th[data-column="Status"]');
    const rank = (status: string) => findingStatuses.indexOf(status as FindingRow['Status']);
    const ascending = findings.map((f) => f.Status).sort((a, b) => rank(a) - rank(b));
    await heading.locator('button').click();
    expect([await heading.getAttribute('aria-sort'), await statusesInOrder()]).toEqual(['ascending', ascending]);
    await heading.locator('button').click();
    expect([await heading.getAttribute('aria-sort'), await statusesInOrder()]).toEqual(['descending', [...ascending].reverse()]);
  });

  it('filters by text across every value of a finding, tags included', async () => {
    await setFilters('fraud-analytics', '');
    expect(await visibleNames()).toEqual(['kv-fraud-prod']);
    await setFilters('PAYMENTS', '');
    expect((await visibleNames()).sort()).toEqual(findings.filter((f) => JSON.stringify(f).toLowerCase().includes('payments')).map((f) => f.ResourceName).sort());
  });

  it('filters by status, alone and with the text', async () => {
    await setFilters('', 'Error');
    const errorNames = findings.filter((f) => f.Status === 'Error').map((f) => f.ResourceName);
    expect([(await visibleNames()).sort(), await page.locator('#shown').textContent()]).toEqual([errorNames.sort(), `${errorNames.length} of ${findings.length}`]);
    await setFilters('kv-hr', 'Error');
    expect(await visibleNames()).toEqual(['kv-hr-dev']);
    await setFilters('', '');
    expect(await visibleNames()).toHaveLength(findings.length);
  });

  it('keeps hostile vault names and tags as literal text, and no dialog opens', async () => {
    const taggedRow = rows().filter({ has: page.locator('td.ResourceName', { hasText: /^kv-crm-prod$/ }) });
    await taggedRow.locator('button.toggle').click();
    expect(await page.locator('#findings td.ResourceName').allTextContents()).toEqual(expect.arrayContaining([imgName, scriptName]));
    expect(await taggedRow.locator('.evidence').textContent()).toContain(`${scriptName}<svg onload=alert(3)>`);
    expect([await page.locator('img').count(), await page.locator('script').count(), await page.locator('svg').count(), dialogs]).toEqual([0, 2, 1, []]);
  });

  it("opens and closes a row's evidence, exemption and remediation with its button", async () => {
    const exempt = rows().filter({ has: page.locator('.badge', { hasText: 'Exempt' }) }).filter({ hasText: 'kv-vendor-gateway-prod' });
    const button = exempt.locator('button.toggle');
    await button.click();
    const evidence = exempt.locator('tr.evidence-row');
    expect([await button.getAttribute('aria-expanded'), await evidence.isVisible()]).toEqual(['true', true]);
    expect(await evidence.textContent()).toMatch(/Exemption.*Vendor-managed payment gateway vault.*Remediation.*az monitor diagnostic-settings create/s);
    await button.click();
    expect([await button.getAttribute('aria-expanded'), await evidence.isVisible()]).toEqual(['false', false]);
  });

  it('keeps a screenshot of the whole report in test-artifacts/report.png', async () => {
    await setFilters('', '');
    await page.locator('#findings th[data-column="Status"] button').click();
    await rows().filter({ has: page.locator('td.ResourceName', { hasText: 'kv-marketing-prod' }) }).locator('button.toggle').click();
    await page.evaluate('window.scrollTo(0, 0)');
    const png = await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
