import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs } from '../../src/azure/retryAfter.js';

/** Retry-After as RFC 9110 defines it: whole seconds or an HTTP-date; anything else is not guessed at. */

const now = Date.UTC(2026, 11, 2, 12, 0, 0);

describe("reading a Retry-After header", () => {
  it.each([
    { scenario: 'whole seconds', value: '3', ms: 3_000 },
    { scenario: 'zero seconds', value: '0', ms: 0 },
    { scenario: 'seconds with surrounding whitespace', value: ' 120 ', ms: 120_000 },
    { scenario: 'minutes of seconds, as a provider throttle sends', value: '300', ms: 300_000 },
    { scenario: 'an HTTP-date, relative to now', value: new Date(now + 10_000).toUTCString(), ms: 10_000 },
    { scenario: 'an HTTP-date already past: no wait', value: new Date(now - 60_000).toUTCString(), ms: 0 },
    { scenario: 'absent', value: undefined, ms: null },
    { scenario: 'empty', value: '', ms: null },
    { scenario: 'a word', value: 'soon', ms: null },
    { scenario: 'exponent notation is not delay-seconds', value: '1e3', ms: null },
    { scenario: 'a fraction is not delay-seconds', value: '1.5', ms: null },
    { scenario: 'a negative number', value: '-1', ms: null },
    { scenario: 'hexadecimal', value: '0x10', ms: null },
    { scenario: 'a date in another format than IMF-fixdate', value: '2026-12-02T12:00:10Z', ms: null },
  ])('$scenario: $value', ({ value, ms }) => {
    expect(parseRetryAfterMs(value, now)).toBe(ms);
  });
});
