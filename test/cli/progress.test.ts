import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';

function stream(isTTY: boolean) {
  let text = '';
  return { isTTY, write: (t: string) => (text += t), get text() { return text; } };
}

describe('the progress line', () => {
  it('on a terminal: one self-overwriting status line; notes print above it; cleared when done', () => {
    const tty = stream(true);
    const progress = progressLine(tty);
    progress.onProgress({ listed: 0, total: null, evaluated: 0 });
    progress.onProgress({ listed: 1000, total: 2500, evaluated: 3 });
    progress.note('warning: something');
    progress.done();
    expect(tty.text).toBe(
      '\r\x1b[2KListing vaults and Managed HSMs (Azure Resource Graph)…' +
        '\r\x1b[2KListed 1000 of 2500 vaults and Managed HSMs; evaluated 3 of 2500' +
        '\r\x1b[2Kwarning: something\nListed 1000 of 2500 vaults and Managed HSMs; evaluated 3 of 2500' +
        '\r\x1b[2K',
    );
  });

  it('in a pipe or a log: no status line and no control characters, notes only', () => {
    const pipe = stream(false);
    const progress = progressLine(pipe);
    progress.onProgress({ listed: 18, total: 18, evaluated: 18 });
    progress.note('Azure Resource Graph returned no diagnostic settings');
    progress.done();
    expect(pipe.text).toBe('Azure Resource Graph returned no diagnostic settings\n');
  });
});
