/**
 * In-memory implementations of the ports, for the demo and for tests: the same contracts as the
 * DynamoDB adapters (conditional writes on the version; a due index of entries in 15-minute buckets,
 * the entry of a new bucket filed before the item is written and old entries left to expire; campaign
 * stats items added to once per batch id), plus a synchronous change feed standing in for the stream.
 */

import { DUE_ENTRY_TTL_DAYS } from '../functions/adapters/dynamodb/tables.ts';
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
import type {
  CustomerRef,
  CustomerStore,
  DueIndex,
  DuePage,
  StoredCustomer,
} from '../functions/ports/customer-store.ts';
import {
  BUCKET_MS,
  bucketOf,
  checkDuePage,
  customerRefOf,
  DueCursorError,
  entryToFile,
  sameBucket,
} from '../functions/ports/customer-store.ts';

export type ChangeListener = (oldImage: CustomerState | null, newImage: CustomerState) => void;

export { BUCKET_MS, bucketOf } from '../functions/ports/customer-store.ts';

/** How long an entry outlives its bucket, as the due table's TTL keeps it. */
const ENTRY_TTL_MS = DUE_ENTRY_TTL_DAYS * 86_400_000;

export class MemoryCustomerStore implements CustomerStore, DueIndex {
  /** Items are immutable once stored: every write stores a new record. */
  private readonly items = new Map<string, StoredCustomer>();
  /** Due entries: bucket → the customer keys filed there. Never removed but by expiry. */
  private readonly entries = new Map<number, Set<string>>();
  private readonly listeners: ChangeListener[] = [];
  /**
   * Request counters, like the recorder on the AWS adapters: item reads, item writes (a new state),
   * refused writes, due moves of an unchanged item, entries filed and entries read.
   */
  readonly counts = { reads: 0, writes: 0, conflicts: 0, dueMoves: 0, indexWrites: 0, indexReads: 0 };

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async get(brand: string, customerId: string): Promise<StoredCustomer | null> {
    this.counts.reads++;
    return this.items.get(customerKey(brand, customerId)) ?? null;
  }

  async getMany(refs: readonly CustomerRef[]): Promise<Map<string, StoredCustomer | null>> {
    const read = new Map<string, StoredCustomer | null>();
    for (const { brand, customerId } of refs) {
      const key = customerKey(brand, customerId);
      if (!read.has(key)) read.set(key, await this.get(brand, customerId));
    }
    return read;
  }

  async put(
    state: CustomerState,
    expectedVersion: number,
    dueMs: number | null,
    storedDueMs: number | null,
  ): Promise<boolean> {
    const key = customerKey(state.brand, state.customerId);
    if (state.version <= expectedVersion) {
      this.counts.conflicts++;
      return false;
    }
    // Before the condition, as in DynamoDB: a write that loses it leaves its entry behind.
    this.file(key, dueMs, storedDueMs);
    const current = this.items.get(key) ?? null;
    if ((current?.state.version ?? 0) !== expectedVersion) {
      this.counts.conflicts++;
      return false;
    }
    this.counts.writes++;
    this.items.set(key, { state, dueMs });
    for (const listener of this.listeners) listener(current?.state ?? null, state);
    return true;
  }

  async setDue(
    brand: string,
    customerId: string,
    version: number,
    dueMs: number | null,
    storedDueMs: number | null,
  ): Promise<boolean> {
    if (sameBucket(dueMs, storedDueMs)) return true;
    const key = customerKey(brand, customerId);
    const current = this.items.get(key);
    // No item read: nothing to file; an item stored meanwhile means the read was stale.
    if (version === 0) return current === undefined;
    this.file(key, dueMs, storedDueMs);
    if (current?.state.version !== version) {
      this.counts.conflicts++;
      return false;
    }
    this.counts.dueMoves++;
    this.items.set(key, { state: current.state, dueMs });
    return true;
  }

  async due(afterMs: number, uptoMs: number): Promise<CustomerRef[]> {
    this.expireBefore(afterMs);
    const keys = new Set<string>();
    const take = (bucket: number) => {
      for (const key of this.entries.get(bucket) ?? []) {
        this.counts.indexReads++;
        keys.add(key);
      }
    };
    // A dispatcher tick reads a few buckets: look them up; a long range walks the map instead.
    const first = Math.floor(afterMs / BUCKET_MS) * BUCKET_MS + BUCKET_MS;
    if (Number.isFinite(afterMs) && (uptoMs - first) / BUCKET_MS < this.entries.size) {
      for (let bucket = first; bucket <= uptoMs; bucket += BUCKET_MS) take(bucket);
    } else {
      const inRange = [...this.entries.keys()].filter((b) => b > afterMs && b <= uptoMs);
      for (const bucket of inRange.sort((a, b) => a - b)) take(bucket);
    }
    // Oldest bucket first; a customer with entries in two of them (a stale one) is listed once.
    return [...keys].map(customerRefOf);
  }

  /** One partition: the in-memory index has no shards. */
  readonly duePartitions = 1;

  /**
   * The range in pages (DueIndex.duePage): buckets oldest first, customer keys in order within one;
   * the cursor is the bucket and customer key last listed.
   */
  async duePage(
    afterMs: number,
    uptoMs: number,
    cursor: string | null,
    limit: number,
    partition?: number,
  ): Promise<DuePage> {
    checkDuePage(limit, partition, this.duePartitions);
    this.expireBefore(afterMs);
    const [fromBucket, fromKey] =
      cursor === null ? [Number.NEGATIVE_INFINITY, ''] : parseMemoryCursor(cursor);
    const buckets = [...this.entries.keys()]
      .filter((b) => b > afterMs && b <= uptoMs && b >= fromBucket)
      .sort((a, b) => a - b);
    const page = new Set<string>();
    let last: [number, string] | null = null;
    for (const bucket of buckets) {
      for (const key of [...(this.entries.get(bucket) ?? [])].sort()) {
        if (bucket === fromBucket && key <= fromKey) continue;
        if (page.size >= limit && last !== null) {
          return { refs: [...page].map(customerRefOf), cursor: JSON.stringify(last) };
        }
        this.counts.indexReads++;
        page.add(key);
        last = [bucket, key];
      }
    }
    return { refs: [...page].map(customerRefOf), cursor: null };
  }

  /** What TTL would have deleted by now lies before the range anyway: forget it. */
  private expireBefore(afterMs: number): void {
    if (!Number.isFinite(afterMs)) return;
    for (const bucket of this.entries.keys()) {
      if (bucket + ENTRY_TTL_MS < afterMs) this.entries.delete(bucket);
    }
  }

  /** Customers whose item stores a due instant (those with something to come). */
  get indexed(): number {
    let n = 0;
    for (const item of this.items.values()) if (item.dueMs !== null) n++;
    return n;
  }

  /** Every stored state. */
  *all(): IterableIterator<CustomerState> {
    for (const item of this.items.values()) yield item.state;
  }

  /** Every item with its stored due instant, as a sweep's Scan reads them. */
  scan(): ScannedCustomer[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Files the new bucket's entry, when the due instant leaves the stored one's bucket. */
  private file(key: string, dueMs: number | null, storedDueMs: number | null): void {
    const filed = entryToFile(dueMs, storedDueMs);
    if (filed === null) return;
    this.counts.indexWrites++;
    const bucket = bucketOf(filed);
    let set = this.entries.get(bucket);
    if (set === undefined) {
      set = new Set();
      this.entries.set(bucket, set);
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

  /** Adds the deltas at once (the in-memory runtime, which has no batches or windows to name). */
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

function parseMemoryCursor(cursor: string): [number, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw new DueCursorError(cursor, 'not JSON');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'string') {
    throw new DueCursorError(cursor, 'expected [bucket, customer key]');
  }
  return [parsed[0], parsed[1]];
}
