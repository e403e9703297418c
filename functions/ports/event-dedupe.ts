/**
 * Ingest deduplication by event key (`<brand>#<event id>`), kept for a TTL. Optional: the customer
 * item remembers its recent event ids and order ids, so a duplicate is a no-op anyway; this saves the
 * customer read for redeliveries and covers duplicates older than the item's memory.
 */
export interface EventDedupe {
  /** The keys among `keys` already processed. */
  seen(keys: readonly string[]): Promise<ReadonlySet<string>>;
  /** Records keys as processed at `nowMs` (they expire after the store's TTL). */
  remember(keys: readonly string[], nowMs: number): Promise<void>;
}
