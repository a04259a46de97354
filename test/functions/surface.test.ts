import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The function app's attack surface: what its function files register with the Functions host. */

const dir = new URL('../../src/functions/', import.meta.url);
const registrations = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .flatMap((file) => [...readFileSync(new URL(file, dir), 'utf8').matchAll(/\bapp\.([\w.]+)\(/g)].map((m) => `${file}: app.${m[1]}`));

describe('the function app', () => {
  it('registers the scan timer, a start-up check and the event queue trigger, and no HTTP trigger', () => {
    expect(registrations.sort()).toEqual(['eventQueue.ts: app.storageQueue', 'scanTimer.ts: app.hook.appStart', 'scanTimer.ts: app.timer']);
  });
});

/** Every TypeScript file under src/, relative to it. */
function sources(dir = new URL('../../src/', import.meta.url).pathname, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name), root) : entry.name.endsWith('.ts') ? [relative(root, join(dir, entry.name))] : [],
  );
}

describe("the monitor's identity stays read-only", () => {
  it('only kv-audit fix writes to Azure: no other source creates a diagnostic setting or the client that would', () => {
    const writers = sources().filter((file) => /\.createOrUpdate\(|createMonitorWriteClient\(/.test(readFileSync(new URL(`../../src/${file}`, import.meta.url), 'utf8')));
    expect(writers.sort()).toEqual(['azure/clients.ts', 'cli/fix.ts']);
  });
});
