import { beforeEach, expect } from 'vitest';

// A test whose loops ran zero times, or whose assertions sat behind an `if`, asserts nothing: fail it.
beforeEach(() => {
  expect.hasAssertions();
});
