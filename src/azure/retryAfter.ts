/*
 * Retry-After, as RFC 9110 §10.2.3 defines it: a whole number of seconds (delay-seconds = 1*DIGIT) or an
 * HTTP-date. Anything else is unreadable rather than guessed at: "1e3" is not a thousand seconds.
 */

const delaySeconds = /^\d+$/;
// IMF-fixdate, the form senders must use: "Sun, 06 Nov 1994 08:49:37 GMT".
const imfFixdate = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** The wait a Retry-After value asks for, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfterMs(value: string | null | undefined, now: number): number | null {
  const text = value?.trim() ?? '';
  if (delaySeconds.test(text)) return Number(text) * 1000;
  if (!imfFixdate.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
