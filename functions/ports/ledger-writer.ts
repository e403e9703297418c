import type { LedgerEntry } from '../domain/customer-state.ts';

/**
 * The points ledger: one entry per issuance, accrual, claw-back, expiry or conversion, written by the
 * relay from the customer item's stream. Entries are immutable and keyed by `entryId` (deterministic),
 * so a redelivered stream record writes the same entries again without changing anything.
 */
export interface LedgerWriter {
  /** Writes the entries, idempotently by `entryId`; rejects when some could not be written. */
  write(entries: readonly LedgerEntry[]): Promise<void>;
}
