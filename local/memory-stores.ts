/**
 * In-memory implementations of the ports, for the demo and for tests: the same contracts as the
 * DynamoDB adapters (conditional put on the version, a sparse due index in 15-minute buckets), plus a
 * synchronous change feed standing in for the DynamoDB stream.
 */
import type { CustomerState } from '../functions/domain/customer-state.ts';
import { customerKey } from '../functions/domain/customer-state.ts';
import type { CustomerStore, DueIndex } from '../functions/ports/customer-store.ts';

export type ChangeListener = (oldImage: CustomerState | null, newImage: CustomerState) => void;

export class MemoryCustomerStore implements CustomerStore {
  private readonly items = new Map<string, CustomerState>();
  private readonly listeners: ChangeListener[] = [];
  /** Request counters, like the recorder on the AWS adapters. */
  readonly counts = { reads: 0, writes: 0, conflicts: 0 };

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async get(brand: string, customerId: string): Promise<CustomerState | null> {
    this.counts.reads++;
    return this.items.get(customerKey(brand, customerId)) ?? null;
  }

  async put(state: CustomerState, expectedVersion: number): Promise<boolean> {
    const key = customerKey(state.brand, state.customerId);
    const current = this.items.get(key) ?? null;
    if ((current?.version ?? 0) !== expectedVersion) {
      this.counts.conflicts++;
      return false;
    }
    this.counts.writes++;
    // Items are immutable once stored: the engine always returns a new state object.
    this.items.set(key, state);
    for (const listener of this.listeners) listener(current, state);
    return true;
  }

  all(): IterableIterator<CustomerState> {
    return this.items.values();
  }

  get size(): number {
    return this.items.size;
  }
}

export const BUCKET_MS = 15 * 60_000;

export class MemoryDueIndex implements DueIndex {
  private readonly buckets = new Map<number, Set<string>>();
  private readonly bucketOf = new Map<string, number>();
  readonly counts = { writes: 0, reads: 0 };

  async set(brand: string, customerId: string, dueMs: number | null): Promise<void> {
    this.counts.writes++;
    const key = customerKey(brand, customerId);
    const old = this.bucketOf.get(key);
    if (old !== undefined) this.buckets.get(old)?.delete(key);
    if (dueMs === null) {
      this.bucketOf.delete(key);
      return;
    }
    // The first bucket boundary at or after the due instant: the dispatcher reads buckets ≤ now, so a
    // customer is never evaluated before they are due.
    const bucket = Math.ceil(dueMs / BUCKET_MS) * BUCKET_MS;
    this.bucketOf.set(key, bucket);
    let set = this.buckets.get(bucket);
    if (set === undefined) {
      set = new Set();
      this.buckets.set(bucket, set);
    }
    set.add(key);
  }

  async due(uptoMs: number): Promise<{ brand: string; customerId: string }[]> {
    const out: { brand: string; customerId: string }[] = [];
    for (const [bucket, keys] of this.buckets) {
      if (bucket > uptoMs) continue;
      if (keys.size === 0) {
        this.buckets.delete(bucket);
        continue;
      }
      for (const key of keys) {
        this.counts.reads++;
        const at = key.indexOf('#');
        out.push({ brand: key.slice(0, at), customerId: key.slice(at + 1) });
      }
    }
    return out;
  }

  get size(): number {
    return this.bucketOf.size;
  }
}
