/**
 * What one write of a customer item decided, read from its old and new image: every occurrence record
 * that is new or was rewritten (issued, suppressed, converted, clawed back). The stream consumers count
 * campaigns from it — the per-campaign summary of a local run, the stats of a deployed one — so the
 * counts come from what was stored, not from what a handler says it did: a retried handler that wrote
 * nothing counts nothing, and a redelivered stream record gives the same changes.
 */
import { occurrenceKey } from './candidate.ts';
import type { CustomerState, OccurrenceRecord } from './customer-state.ts';

export interface OccurrenceChange {
  /** `brand#customerId#campaignId#occurrence`. */
  occurrenceKey: string;
  brand: string;
  customerId: string;
  occurrence: OccurrenceRecord;
}

/**
 * The occurrence records of `next` that `previous` does not hold as they are: new keys, and records
 * whose status or decision time changed (a suppressed occurrence decided again, an issued one
 * converted or clawed back). Records only pruned from `next` are not changes.
 */
export function occurrenceChanges(previous: CustomerState | null, next: CustomerState): OccurrenceChange[] {
  const out: OccurrenceChange[] = [];
  for (const [key, occurrence] of Object.entries(next.occurrences)) {
    const before = previous?.occurrences[key];
    if (before === occurrence) continue;
    if (before !== undefined && before.status === occurrence.status && before.at === occurrence.at) continue;
    out.push({
      occurrenceKey: occurrenceKey(next, key),
      brand: next.brand,
      customerId: next.customerId,
      occurrence,
    });
  }
  return out;
}
