import { describe, expect, it } from 'vitest';
import { destinationQuery } from '../../src/azure/destinations.js';
import { inventoryQuery, readableSubscriptionsQuery } from '../../src/azure/inventory.js';
import { kqlProblems, resourceGraphSchema } from '../support/kusto.js';

/** Every ARG query string the scan sends, bound by the Kusto parser against the declared ARG schema. */
describe('Resource Graph query text', () => {
  it.each([
    ['the inventory query', inventoryQuery],
    ['the subscription check', readableSubscriptionsQuery],
    [
      'the destination lookup',
      destinationQuery(
        ['/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg-logs/providers/microsoft.operationalinsights/workspaces/law-central'],
        ['11111111-1111-1111-1111-111111111111'],
      ),
    ],
    ['an empty destination lookup', destinationQuery([], [])],
  ])('%s parses and binds without errors or warnings', (_, query) => {
    expect(kqlProblems(query, resourceGraphSchema)).toEqual([]);
  });

  it('the checker itself reports an unknown column (it would catch a typo in the queries above)', () => {
    expect(kqlProblems('resources | project subscriptionid', resourceGraphSchema)).toEqual([
      expect.stringMatching(/KS142.*'subscriptionid' does not refer to any known column/),
    ]);
  });

  it('the inventory query carries no scope: subscriptions and management groups travel as request parameters', () => {
    expect(inventoryQuery).not.toMatch(/subscriptionId\s*(==|in)/i);
    expect(inventoryQuery).toMatch(/order by vaultsInSubscription desc, id asc\n/);
  });
});
