/** What `action` throws, for asserting on an error's fields; fails the test when it does not throw. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
