import { describe, expect, it } from 'vitest';
import type { Program, RfmClass } from '../../functions/domain/campaign.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import { rfmClass } from '../../functions/domain/rfm.ts';
import { CUSTOMER_ID, SCHEMA_DEFAULTS } from './fixtures.ts';

const NOW = Date.parse('2025-06-30T12:00:00.000Z');
const DAY_MS = 86_400_000;
/** Default thresholds: recency days 14/30/90/180, orders 2/3/5/10, spend 1000/5000/15000/50000. */
const PROGRAM: Program = SCHEMA_DEFAULTS.program;

function customer(orders: number, spend: number, daysSinceLastOrder: number): CustomerState {
  const state = emptyState('default', CUSTOMER_ID);
  const last = new Date(NOW - daysSinceLastOrder * DAY_MS).toISOString();
  state.stats = {
    orders,
    spend,
    firstOrderAt: orders > 0 ? last : null,
    lastOrderAt: orders > 0 ? last : null,
  };
  return state;
}

describe('rfmClass', () => {
  it.each<[number, number, number, RfmClass | null]>([
    // orders, spend, days since the last order → class
    [0, 0, 0, null],
    [1, 100, 3, 'new'],
    [1, 100, 20, 'new'],
    [1, 100, 60, 'promising'],
    [2, 500, 10, 'potential'],
    [3, 500, 20, 'potential'],
    [2, 500, 60, 'needs-attention'],
    [10, 60_000, 5, 'champions'],
    [5, 15_000, 25, 'champions'],
    [5, 2_000, 25, 'loyal'],
    [5, 2_000, 60, 'loyal'],
    [10, 60_000, 365, 'cant-lose'],
    [10, 60_000, 120, 'at-risk'],
    [3, 500, 120, 'at-risk'],
    [4, 500, 365, 'at-risk'],
    [10, 2_000, 365, 'at-risk'],
    [2, 500, 120, 'hibernating'],
    [1, 100, 120, 'hibernating'],
    [1, 100, 365, 'lost'],
    [2, 500, 365, 'lost'],
  ])('classifies %i orders, spend %d, last order %i days ago', (orders, spend, days, expected) => {
    // Prepare
    const state = customer(orders, spend, days);

    // Act
    const result = rfmClass(state, PROGRAM, NOW);

    // Assess
    expect(result).toBe(expected);
  });

  it.each<[string, number, number, number, RfmClass]>([
    ['recency: exactly 90 days keeps score 3', 2, 500, 90, 'needs-attention'],
    ['recency: just over 90 days is score 2', 2, 500, 90.01, 'hibernating'],
    ['recency: exactly 30 days keeps score 4', 5, 15_000, 30, 'champions'],
    ['recency: just over 30 days is score 3', 5, 15_000, 30.01, 'loyal'],
    ['recency: exactly 180 days is score 2', 2, 500, 180, 'hibernating'],
    ['recency: just over 180 days is score 1', 2, 500, 180.01, 'lost'],
    ['frequency: 5 orders reach score 4', 5, 15_000, 1, 'champions'],
    ['frequency: 4 orders stay at score 3', 4, 15_000, 1, 'potential'],
    ['monetary: exactly 15 000 reaches score 4', 5, 15_000, 1, 'champions'],
    ['monetary: just under 15 000 is score 3', 5, 14_999.99, 1, 'loyal'],
  ])('at the boundary, %s', (_what, orders, spend, days, expected) => {
    // Act
    const result = rfmClass(customer(orders, spend, days), PROGRAM, NOW);

    // Assess
    expect(result).toBe(expected);
  });

  it('treats an order dated after now as ordered today', () => {
    // Act
    const result = rfmClass(customer(1, 100, -2), PROGRAM, NOW);

    // Assess
    expect(result).toBe('new');
  });

  it('uses the program thresholds', () => {
    // Prepare
    const strict: Program = {
      ...PROGRAM,
      rfm: { recencyDays: [1, 2, 3, 4], orders: [20, 30, 40, 50], spend: [1e6, 2e6, 3e6, 4e6] },
    };

    // Act
    const result = rfmClass(customer(10, 60_000, 5), strict, NOW);

    // Assess
    expect(result).toBe('lost');
  });
});
