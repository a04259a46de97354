import { resourceGraphDialectProblems } from '@kv-audit/azure-emulator';
import { describe, expect, it } from 'vitest';
import { inventoryCountQuery, inventoryQuery, inventorySizingQuery, readableSubscriptionsQuery } from '../../src/azure/inventory.js';
import { kqlProblems, resourceGraphSchema } from '../support/kusto.js';

/**
 * Every ARG query string the scan sends, bound by the Kusto parser against the declared ARG schema and checked
 * against Resource Graph's dialect (its operators, join flavors and limits), so an edit ARG would refuse cannot
 * pass here and fail in Azure.
 */
const shipped = [
  ['the inventory count', inventoryCountQuery],
  ['an inventory partition', inventoryQuery({ mod: 125, remainders: [7] })],
  ['a packed inventory partition', inventoryQuery({ mod: 4000, remainders: [3, 17, 2048] })],
  ['the inventory sizing', inventorySizingQuery(4000)],
  ['the subscription check', readableSubscriptionsQuery],
] as const;

describe('Resource Graph query text', () => {
  it.each(shipped)('%s parses and binds without errors or warnings', (_, query) => {
    expect(kqlProblems(query, resourceGraphSchema)).toEqual([]);
  });

  it.each(shipped)("%s stays within Resource Graph's dialect", (_, query) => {
    expect(resourceGraphDialectProblems(query)).toEqual([]);
  });

  it('the checker itself reports an unknown column (it would catch a typo in the queries above)', () => {
    expect(kqlProblems('resources | project subscriptionid', resourceGraphSchema)).toEqual([
      expect.stringMatching(/KS142.*'subscriptionid' does not refer to any known column/),
    ]);
  });

  it('the inventory carries no scope: subscriptions and management groups travel as request parameters', () => {
    for (const [, query] of shipped.slice(0, 4)) expect(query).not.toMatch(/subscriptionId\s*(==|in)/i);
    expect(inventoryQuery({ mod: 8, remainders: [3, 5] })).toMatch(/\| where hash\(tolower\(id\), 8\) in \(3, 5\)\n/);
  });
});
