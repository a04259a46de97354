import { expect } from 'vitest';
import { type UnsupportedQueryError, isUnsupportedQueryError } from '../src/index.js';

/** The UnsupportedQueryError that running `query` throws; the test fails if it runs, or throws anything else. */
export function unsupportedError(query: string, run: (query: string) => unknown): UnsupportedQueryError {
  try {
    run(query);
  } catch (e) {
    if (isUnsupportedQueryError(e)) return e;
    throw e;
  }
  return expect.unreachable(`query succeeded: ${query}`);
}
