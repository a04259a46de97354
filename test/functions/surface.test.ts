import { readFileSync, readdirSync } from 'node:fs';
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
