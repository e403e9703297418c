/**
 * In-memory implementations of the ports, for the demo and for tests: the same contracts as the
 * DynamoDB adapters (conditional writes on the version, the item and its index entry written together,
 * a sparse due index in 15-minute buckets, campaign stats items added to once per batch id), plus a
 * synchronous change feed standing in for the stream.
 */
import type { CampaignDayStats } from '../functions/domain/campaign-stats.ts';
import {
  addCounters,
  campaignDayKey,
  sortCampaignStats,
  zeroCounters,
} from '../functions/domain/campaign-stats.ts';
import type { CustomerState } from '../functions/domain/customer-state.ts';
import { customerKey } from '../functions/domain/customer-state.ts';
import type {
  CampaignStatsReader,
  CampaignStatsReport,
  CampaignStatsWriter,
} from '../functions/ports/campaign-stats.ts';
import type { ScannedCustomer } from '../functions/ports/customer-scanner.ts';
import type { CustomerRef, CustomerStore, DueIndex } from '../functions/ports/customer-store.ts';
import { BUCKET_MS, bucketOf } from '../functions/ports/customer-store.ts';

export type ChangeListener = (oldImage: CustomerState | null, newImage: CustomerState) => void;

export { BUCKET_MS, bucketOf } from '../functions/ports/customer-store.ts';

export class MemoryCustomerStore implements CustomerStore, DueIndex {
  private readonly items = new Map<string, CustomerState>();
  private readonly buckets = new Map<number, Set<string>>();
  private readonly bucketOfKey = new Map<string, number>();
  /** The due instant stored with each indexed item. */
  private readonly dueOfKey = new Map<string, number>();
  private readonly listeners: ChangeListener[] = [];
  /** Request counters, like the recorder on the AWS adapters. */
  readonly counts = { reads: 0, writes: 0, conflicts: 0, indexWrites: 0, indexReads: 0 };

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async get(brand: string, customerId: string): Promise<CustomerState | null> {
    this.counts.reads++;
    return this.items.get(customerKey(brand, customerId)) ?? null;
  }

  async put(state: CustomerState, expectedVersion: number, dueMs: number | null): Promise<boolean> {
    const key = customerKey(state.brand, state.customerId);
    const current = this.items.get(key) ?? null;
    if ((current?.version ?? 0) !== expectedVersion || state.version <= expectedVersion) {
      this.counts.conflicts++;
      return false;
    }
    this.counts.writes++;
    // Items are immutable once stored: the engine always returns a new state object.
    this.items.set(key, state);
    this.index(key, dueMs);
    for (const listener of this.listeners) listener(current, state);
    return true;
  }

  async setDue(brand: string, customerId: string, version: number, dueMs: number | null): Promise<boolean> {
    const key = customerKey(brand, customerId);
    if ((this.items.get(key)?.version ?? 0) !== version) {
      this.counts.conflicts++;
      return false;
    }
    this.counts.indexWrites++;
    this.index(key, dueMs);
    return true;
  }

  async due(afterMs: number, uptoMs: number): Promise<CustomerRef[]> {
    const out: CustomerRef[] = [];
    const take = (bucket: number, keys: Set<string>) => {
      for (const key of keys) {
        this.counts.indexReads++;
        const at = key.indexOf('#');
        out.push({ brand: key.slice(0, at), customerId: key.slice(at + 1) });
      }
      if (keys.size === 0) this.buckets.delete(bucket);
    };
    // A dispatcher tick reads a few buckets: look them up; a long range walks the map instead.
    const first = Math.floor(afterMs / BUCKET_MS) * BUCKET_MS + BUCKET_MS;
    if (Number.isFinite(afterMs) && (uptoMs - first) / BUCKET_MS < this.buckets.size) {
      for (let bucket = first; bucket <= uptoMs; bucket += BUCKET_MS) {
        const keys = this.buckets.get(bucket);
        if (keys !== undefined) take(bucket, keys);
      }
      return out;
    }
    for (const [bucket, keys] of this.buckets) {
      if (bucket > afterMs && bucket <= uptoMs) take(bucket, keys);
    }
    return out;
  }

  /** Customers in the index (those with something to come). */
  get indexed(): number {
    return this.bucketOfKey.size;
  }

  all(): IterableIterator<CustomerState> {
    return this.items.values();
  }

  /** Every item with its stored due instant, as a sweep's Scan reads them. */
  scan(): ScannedCustomer[] {
    const out: ScannedCustomer[] = [];
    for (const [key, state] of this.items) out.push({ state, dueMs: this.dueOfKey.get(key) ?? null });
    return out;
  }

  get size(): number {
    return this.items.size;
  }

  private index(key: string, dueMs: number | null): void {
    const old = this.bucketOfKey.get(key);
    if (old !== undefined) this.buckets.get(old)?.delete(key);
    if (dueMs === null) {
      this.bucketOfKey.delete(key);
      this.dueOfKey.delete(key);
      return;
    }
    const bucket = bucketOf(dueMs);
    this.bucketOfKey.set(key, bucket);
    this.dueOfKey.set(key, dueMs);
    let set = this.buckets.get(bucket);
    if (set === undefined) {
      set = new Set();
      this.buckets.set(bucket, set);
    }
    set.add(key);
  }
}

/**
 * The stats items in memory: one per (brand, campaign, day), each remembering every batch id it took
 * (the DynamoDB adapter remembers the last few; a local run never repeats one anyway).
 */
export class MemoryCampaignStats implements CampaignStatsWriter, CampaignStatsReader {
  private readonly items = new Map<string, { stats: CampaignDayStats; batches: Set<string> }>();

  /** Adds the deltas at once (the in-memory runtime's relay, which has no batches to name). */
  addNow(deltas: readonly CampaignDayStats[], batchId?: string): CampaignStatsReport {
    const report: CampaignStatsReport = { applied: 0, repeated: 0, failed: [] };
    for (const d of deltas) {
      const key = campaignDayKey(d);
      let item = this.items.get(key);
      if (item === undefined) {
        const stats = { brand: d.brand, campaignId: d.campaignId, day: d.day, counters: zeroCounters() };
        item = { stats, batches: new Set() };
        this.items.set(key, item);
      }
      if (batchId !== undefined && item.batches.has(batchId)) {
        report.repeated++;
        continue;
      }
      if (batchId !== undefined) item.batches.add(batchId);
      addCounters(item.stats.counters, d.counters);
      report.applied++;
    }
    return report;
  }

  async add(deltas: readonly CampaignDayStats[], batchId: string): Promise<CampaignStatsReport> {
    return this.addNow(deltas, batchId);
  }

  async campaign(
    brand: string,
    campaignId: string,
    fromDay: string,
    toDay: string,
  ): Promise<CampaignDayStats[]> {
    return (await this.all()).filter(
      (s) => s.brand === brand && s.campaignId === campaignId && s.day >= fromDay && s.day <= toDay,
    );
  }

  async all(): Promise<CampaignDayStats[]> {
    return sortCampaignStats([...this.items.values()].map((i) => structuredClone(i.stats)));
  }
}
