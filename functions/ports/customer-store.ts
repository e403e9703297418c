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

/** One page of a due range (see {@link DueIndex.duePage}). */
export interface DuePage {
  refs: CustomerRef[];
  /** Where the next page starts: an opaque string of at most a few KB; null when the range is read. */
  cursor: string | null;
}

/**
 * Reads the "next due" index: the customers with an entry in a bucket of (afterMs, uptoMs], each once.
 * That includes customers whose due instant has moved since (their evaluation finds nothing to do).
 */
export interface DueIndex {
  due(afterMs: number, uptoMs: number): Promise<CustomerRef[]>;
  /**
   * Parts of the index that can be read independently and side by side (`partition` below): the due
   * table's shards; 1 for an index without shards.
   */
  readonly duePartitions: number;
  /**
   * The same range in pages of about `limit` customers (never more than twice that), from `cursor`
   * (null: the start), so a wave of millions due in one bucket is read in bounded memory and can be
   * handed on. A customer is listed once in a page; one with entries in two buckets of the range (a
   * stale one) may come in two pages. A cursor belongs to its `afterMs`; read with a later `uptoMs`, it
   * goes on into the buckets added. With `partition` (0 to `duePartitions` − 1), only that part of the
   * range is read: a cursor of the whole range then goes on with that part of it, so the rest of a range
   * begun as a whole can be split into one reader per partition.
   */
  duePage(
    afterMs: number,
    uptoMs: number,
    cursor: string | null,
    limit: number,
    partition?: number,
  ): Promise<DuePage>;
}

/** Checks a due page's `limit` (an integer of 1 or more) and `partition` (0 to `partitions` − 1). */
export function checkDuePage(limit: number, partition: number | undefined, partitions: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`a due page needs a limit of 1 or more, got ${limit}`);
  }
  if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0 && partition < partitions)) {
    throw new RangeError(`the due index has partitions 0 to ${partitions - 1}, got ${partition}`);
  }
}

/** A due-page cursor that this index did not write, or that was damaged. */
export class DueCursorError extends Error {
  constructor(cursor: string, reason: string) {
    super(`invalid due-page cursor ${JSON.stringify(cursor.slice(0, 80))}: ${reason}`);
    this.name = 'DueCursorError';
  }
}
