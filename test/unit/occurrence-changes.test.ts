/**
 * occurrenceChanges: what one customer write decided, from the old and new image — the source of the
 * per-campaign counts of both runtimes.
 */
import { describe, expect, it } from 'vitest';
import type { CustomerState, OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import { occurrenceChanges } from '../../functions/domain/occurrence-changes.ts';
import { occurrenceRecord } from './occurrence-record.ts';

function occurrence(over: Partial<OccurrenceRecord> = {}): OccurrenceRecord {
  return occurrenceRecord({
    campaignId: 'birthday',
    trigger: 'birthday',
    at: '2026-03-17T00:00:00.000Z',
    sendAt: '2026-03-17T07:00:00.000Z',
    points: 500,
    ...over,
  });
}

function withOccurrences(occurrences: Record<string, OccurrenceRecord>): CustomerState {
  return { ...emptyState('default', 'c-1'), occurrences };
}

describe('occurrenceChanges', () => {
  it('lists every record of a first write, with the full occurrence key', () => {
    // Prepare
    const issued = occurrence();
    const next = withOccurrences({ 'birthday#2026': issued });
    // Act
    const changes = occurrenceChanges(null, next);
    // Assess
    expect(changes).toEqual([
      { occurrenceKey: 'default#c-1#birthday#2026', brand: 'default', customerId: 'c-1', occurrence: issued },
    ]);
  });

  it('skips records kept as they were, and records only pruned', () => {
    const kept = occurrence();
    const previous = withOccurrences({ a: kept, pruned: occurrence({ campaignId: 'old' }) });
    const next = withOccurrences({ a: { ...kept } });
    expect(occurrenceChanges(previous, next)).toEqual([]);
  });

  it('lists a status change (converted, clawed back) and a suppression decided again later', () => {
    const suppressed = occurrence({ status: 'suppressed', reason: 'cap-expired', points: 0 });
    const previous = withOccurrences({ s: suppressed, i: occurrence() });
    const converted = occurrence({ status: 'converted', points: 200 });
    const decidedAgain = { ...suppressed, at: '2026-03-18T00:00:00.000Z' };
    const next = withOccurrences({ s: decidedAgain, i: converted });
    expect(occurrenceChanges(previous, next).map((c) => c.occurrence)).toEqual([decidedAgain, converted]);
  });
});
