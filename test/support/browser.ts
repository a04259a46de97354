import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Page, chromium } from 'playwright-core';

/*
 * Pages in a real browser: Debian's Chromium, headless, driven by playwright-core. A page is served from loopback so
 * that every request it makes is seen; only the page itself is answered.
 */

const chromiumPath = '/usr/bin/chromium';
const inCi = (process.env['CI'] ?? '') !== '';

/** Whether `what` must be skipped here: no Chromium, outside CI (with CI set, a missing Chromium fails the test). */
export function skipWithoutChromium(what: string): boolean {
  const skipped = !existsSync(chromiumPath) && !inCi;
  if (skipped) console.warn(`SKIPPED ${what}: no Chromium at ${chromiumPath} (apt-get install chromium). With CI set it runs, and fails without it.`);
  return skipped;
}

export interface OpenedPage {
  readonly page: Page;
  readonly url: string;
  /** Every request the page made, its own included. */
  readonly requests: readonly string[];
  /** Uncaught errors and console errors. */
  readonly errors: readonly string[];
  /** Messages of the dialogs it opened (each dismissed). */
  readonly dialogs: readonly string[];
  close(): Promise<void>;
}

/** Serves `html` at /`fileName` on loopback and opens it, with a browser profile in `profileDir`. */
export async function openPage(html: string, fileName: string, profileDir: string): Promise<OpenedPage> {
  const server: Server = createServer((_, response) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${fileName}`;
  const requests: string[] = [];
  const errors: string[] = [];
  const dialogs: string[] = [];
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  await context.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url() === url ? route.continue() : route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  return {
    page,
    url,
    requests,
    errors,
    dialogs,
    close: async () => {
      await context.close();
      await new Promise((closed) => server.close(closed));
    },
  };
}
