import type { CustomerState } from '../domain/customer-state.ts';

/** A customer item as stored: its state and the due instant written with it. */
export interface StoredCustomer {
  state: CustomerState;
  /** The next due instant stored with the item (epoch ms); null when nothing is scheduled. */
  dueMs: number | null;
}

/**
 * Where customer items live, with their entries in the "next due" index. The item stores its due
 * instant, and the bucket of that instant always has an entry in the index: a write that moves the due
 * to another bucket files the new entry first, then writes the item. Old entries are never removed (in
 * DynamoDB they expire by TTL): an entry whose customer has moved on brings it to the dispatcher once
 * more, whose evaluation finds nothing due and writes nothing.
 *
 * Writes are conditional on the version read: they return false when another writer got there first,
 * and the caller reads again and retries (optimistic concurrency).
 */
export interface CustomerStore {
  get(brand: string, customerId: string): Promise<StoredCustomer | null>;
  /**
   * Reads several customers at once, as `get` does (a batch consumer reads its batch in one request).
   * The map holds, by `customerKey`, each customer read (null: no item); a customer missing from it was
   * not read (a throttled part) and is read with `get`. A store without it is read one by one.
   *
   * `consistent: false` allows a read that may miss a write of the last moment (half the read units in
   * DynamoDB): for callers whose customers were written long before, as a due customer's item was when
   * its due was set. A stale read is never a wrong write, the writes being conditional on the version
   * read: it costs a refused write and a fresh read. Default: the latest.
   */
  getMany?(
    refs: readonly CustomerRef[],
    options?: { consistent?: boolean },
  ): Promise<Map<string, StoredCustomer | null>>;
  /**
   * Writes the new state (its version above `expectedVersion`) and its due instant (null: nothing
   * scheduled). `storedDueMs` is the due instant read with `expectedVersion`: when the new one falls in
   * another bucket, its index entry is written before the item.
   */
  put(
    state: CustomerState,
    expectedVersion: number,
    dueMs: number | null,
    storedDueMs: number | null,
  ): Promise<boolean>;
  /**
   * Moves the due instant of an unchanged item, still conditional on its version: the new bucket's
   * entry first, then the item's due. Writes nothing (and returns true) when the new due instant falls
   * in the bucket of `storedDueMs`, the one read with `version`.
   */
  setDue(
    brand: string,
    customerId: string,
    version: number,
    dueMs: number | null,
    storedDueMs: number | null,
  ): Promise<boolean>;
}

/** Granularity of the due index: the dispatcher runs every 15 minutes. */
export const BUCKET_MS = 15 * 60_000;

/** The first bucket boundary at or after the due instant: a customer is never evaluated before due. */
export function bucketOf(dueMs: number): number {
  return Math.ceil(dueMs / BUCKET_MS) * BUCKET_MS;
}

/** Whether two due instants (null: nothing scheduled) are filed alike: both null, or the same bucket. */
export function sameBucket(a: number | null, b: number | null): boolean {
  return a === null || b === null ? a === b : bucketOf(a) === bucketOf(b);
}

/**
 * The due instant whose bucket needs a new entry when an item filed under `storedDueMs` is written
 * with `dueMs`: null when nothing is scheduled or the bucket stays (its entry exists).
 */
export function entryToFile(dueMs: number | null, storedDueMs: number | null): number | null {
  return dueMs === null || sameBucket(dueMs, storedDueMs) ? null : dueMs;
}

export interface CustomerRef {
  brand: string;
  customerId: string;
}

/** The brand and customer id of a customer key (`customerKey`: `<brand>#<customerId>`). */
export function customerRefOf(key: string): CustomerRef {
  const at = key.indexOf('#');
  return { brand: key.slice(0, at), customerId: key.slice(at + 1) };
}

/**
 * Reads the "next due" index: the customers with an entry in a bucket of (afterMs, uptoMs], each once.
 * That includes customers whose due instant has moved since (their evaluation finds nothing to do).
 */
export interface DueIndex {
  due(afterMs: number, uptoMs: number): Promise<CustomerRef[]>;
}
