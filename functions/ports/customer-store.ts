import type { CustomerState } from '../domain/customer-state.ts';

/**
 * Where customer items live, together with their entry in the sparse "next due" index (in DynamoDB the
 * index is a GSI over attributes of the customer item, so both are written in one request).
 *
 * Writes are conditional on the version read: they return false when another writer got there first,
 * and the caller reads again and retries (optimistic concurrency).
 */
export interface CustomerStore {
  get(brand: string, customerId: string): Promise<CustomerState | null>;
  /** Writes the new state (its version above `expectedVersion`) and its due instant (null: not indexed). */
  put(state: CustomerState, expectedVersion: number, dueMs: number | null): Promise<boolean>;
  /** Moves only the index entry of an unchanged item, still conditional on its version. */
  setDue(brand: string, customerId: string, version: number, dueMs: number | null): Promise<boolean>;
}

/** Granularity of the due index: the dispatcher runs every 15 minutes. */
export const BUCKET_MS = 15 * 60_000;

/** The first bucket boundary at or after the due instant: a customer is never evaluated before due. */
export function bucketOf(dueMs: number): number {
  return Math.ceil(dueMs / BUCKET_MS) * BUCKET_MS;
}

export interface CustomerRef {
  brand: string;
  customerId: string;
}

/** Reads the "next due" index: the customers whose due instant falls in (afterMs, uptoMs]. */
export interface DueIndex {
  due(afterMs: number, uptoMs: number): Promise<CustomerRef[]>;
}
