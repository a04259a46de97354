import { describe, expect, it } from 'vitest';
import { subscriptionIdOf } from '../../src/control/resourceId.js';

/** Which subscription an ARM id or request path belongs to: what ARM's read budget is kept per. */

describe('the subscription an id or path names', () => {
  it.each([
    { scenario: 'a resource id', path: '/subscriptions/8A41C7E2-93BD-4F06-A5C8-1D7E2B9F4063/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv', id: '8a41c7e2-93bd-4f06-a5c8-1d7e2b9f4063' },
    { scenario: 'the doubled slash the arm-monitor SDK sends', path: '//subscriptions/abc/resourcegroups/rg', id: 'abc' },
    { scenario: 'an id without a leading slash', path: 'subscriptions/abc/resourcegroups/rg', id: 'abc' },
    { scenario: 'a subscription-level path', path: '/subscriptions/abc', id: 'abc' },
    { scenario: 'a tenant-level path', path: '/providers/Microsoft.ResourceGraph/resources', id: null },
    { scenario: '"subscriptions" further down the path does not count', path: '/providers/x/subscriptions/abc', id: null },
  ])('$scenario', ({ path, id }) => {
    expect(subscriptionIdOf(path)).toBe(id);
  });
});
