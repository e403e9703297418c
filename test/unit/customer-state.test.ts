import { describe, expect, it } from 'vitest';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { copyState, emptyState } from '../../functions/domain/customer-state.ts';

function someState(): CustomerState {
  const state = emptyState('default', 'c-1');
  state.version = 7;
  state.updatedAt = '2026-01-01T00:00:00.000Z';
  state.tier = 'Gold';
  state.rfm = 'loyal';
  return state;
}

describe('copyState', () => {
  it('copies every field of the item, sharing its parts, in the order of a new item', () => {
    // Prepare
    const state = someState();

    // Act
    const copy = copyState(state);

    // Assess
    expect(copy).not.toBe(state);
    expect(copy).toStrictEqual(state);
    expect(Object.keys(copy)).toEqual(Object.keys(emptyState('b', 'c')));
    for (const key of Object.keys(state) as (keyof CustomerState)[]) expect(copy[key]).toBe(state[key]);
  });

  it('is a spread of an item with other fields or another order: nothing of it is lost', () => {
    // Prepare: a field this version does not know, and the fields in another order
    const { occurrences, ...rest } = someState();
    const reordered = { occurrences, ...rest };
    const extended = { ...someState(), loyaltyCard: 'LC-1' };

    // Act / Assess
    for (const item of [reordered, extended]) {
      const copy = copyState(item);
      expect(copy).not.toBe(item);
      expect(copy).toStrictEqual({ ...item });
      expect(Object.keys(copy)).toEqual(Object.keys(item));
    }
  });
});
