import type { CustomerState } from '../domain/customer-state.ts';

/**
 * Where customer items live. `put` is a conditional write on the version read: it returns false when
 * another writer got there first, and the caller reads again and retries (optimistic concurrency).
 */
export interface CustomerStore {
  get(brand: string, customerId: string): Promise<CustomerState | null>;
  put(state: CustomerState, expectedVersion: number): Promise<boolean>;
}

/**
 * The sparse "next due" index: customers by the instant a scheduled trigger can next fire for them.
 * `set` with null removes the customer; `due` lists the customers due at or before `uptoMs`.
 */
export interface DueIndex {
  set(brand: string, customerId: string, dueMs: number | null): Promise<void>;
  due(uptoMs: number): Promise<{ brand: string; customerId: string }[]>;
}
