/**
 * The "next due" index on DynamoDB: a table of entries, one per (due bucket × shard, customer), written
 * with a plain PutItem (1 WRU) whenever a customer's due instant moves to another bucket, and never
 * deleted — TTL removes an entry two weeks after its bucket, for free. A customer item's stored due
 * instant always has its entry (the store files it before writing the item); older entries of the same
 * customer are stale: the dispatcher reads the customer once more, the evaluation finds nothing due and
 * writes nothing.
 *
 * Why not a GSI on the customer item: every write that moved the due bucket cost the GSI a delete and a
 * put (2 WRU), and every evaluation moves it. Here it is one put, and only on a bucket change.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { CustomerRef, DueIndex, DuePage } from '../../ports/customer-store.ts';
import { checkDuePage, customerRefOf, DueCursorError } from '../../ports/customer-store.ts';
import { forEachLimit } from '../../shared/pool.ts';
import { CoalescingBatchWriter } from './batch.ts';
import {
  BUCKET_MS,
  bucketCount,
  bucketOf,
  bucketsIn,
  checkShards,
  DUE_SHARDS,
  dueKeyFor,
  dueKeyOf,
} from './due-keys.ts';
import { DUE_ENTRY_TTL_DAYS, DUE_ATTRS as E, keyNames, TABLES } from './tables.ts';

export interface DueEntriesOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Shards per bucket of this table (default 16; see due-keys.ts). */
  shards?: number;
  /**
   * Most buckets one `due` call reads (default 96: one day, 1,536 queries). A longer range — an outage
   * longer than that — is read with `dueSlice`, oldest buckets first, across dispatcher runs.
   */
  maxBucketsPerCall?: number;
  /** Queries in flight at once while reading buckets × shards (default 16). */
  queryConcurrency?: number;
  /** Page size of each query (default: DynamoDB's 1 MB pages). */
  queryPageSize?: number;
}

/** A due range larger than one call may read (see `maxBucketsPerCall`). */
export class DueRangeError extends RangeError {
  constructor(
    readonly afterMs: number,
    readonly uptoMs: number,
    readonly maxBuckets: number,
  ) {
    super(
      `due range (${afterMs}, ${uptoMs}] spans more than ${maxBuckets} buckets: read it with dueSlice, ` +
        'advancing the watermark to each slice’s throughMs',
    );
    this.name = 'DueRangeError';
  }
}

export interface DueSlice {
  refs: CustomerRef[];
  /** Every bucket in (afterMs, throughMs] was read: the watermark may advance to here. */
  throughMs: number;
  /** True when the slice reached `uptoMs`. */
  complete: boolean;
}

const DAY_S = 86_400;

/** The entry filing customer `pk` under the bucket of `dueMs`; `ttl` in epoch seconds, as TTL requires. */
export function dueEntryItem(
  pk: string,
  dueMs: number,
  shards: number = DUE_SHARDS,
): Record<string, AttributeValue> {
  return {
    [E.dueKey]: { S: dueKeyFor(pk, dueMs, shards) },
    [E.pk]: { S: pk },
    [E.ttl]: { N: String(Math.floor(bucketOf(dueMs) / 1000) + DUE_ENTRY_TTL_DAYS * DAY_S) },
  };
}

export class DynamoDbDueEntries implements DueIndex {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  readonly shards: number;
  readonly maxBucketsPerCall: number;
  private readonly concurrency: number;
  private readonly pageSize: number | undefined;
  private readonly filing: CoalescingBatchWriter;

  constructor(options: DueEntriesOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.shards = checkShards(options.shards ?? DUE_SHARDS);
    this.maxBucketsPerCall = options.maxBucketsPerCall ?? 96;
    this.concurrency = options.queryConcurrency ?? DUE_SHARDS;
    this.pageSize = options.queryPageSize;
    this.filing = new CoalescingBatchWriter(this.client, this.table, keyNames(TABLES.due));
  }

  /**
   * Files customer `pk` under the bucket of `dueMs` (an unconditional put: writing it twice is one
   * entry). The entries that concurrent writers file in one turn share a BatchWriteItem: a batch's
   * customers, evaluated side by side, file theirs in one request before their conditional writes.
   */
  async put(pk: string, dueMs: number): Promise<void> {
    await this.filing.write([{ PutRequest: { Item: dueEntryItem(pk, dueMs, this.shards) } }]);
  }

  /**
   * The customers with an entry in a bucket of (afterMs, uptoMs], each once: every bucket × shard,
   * paginated. Throws {@link DueRangeError} for a range over `maxBucketsPerCall` buckets (or an open
   * one): a partial answer here would let a caller advance its watermark past buckets never read.
   */
  async due(afterMs: number, uptoMs: number): Promise<CustomerRef[]> {
    if (bucketCount(afterMs, uptoMs) > this.maxBucketsPerCall) {
      throw new DueRangeError(afterMs, uptoMs, this.maxBucketsPerCall);
    }
    return this.readBuckets(bucketsIn(afterMs, uptoMs));
  }

  /**
   * The oldest `maxBuckets` buckets of (afterMs, uptoMs] and how far they reach: a dispatcher catching
   * up after an outage reads slice after slice, storing `throughMs` as its watermark after each.
   */
  async dueSlice(afterMs: number, uptoMs: number, maxBuckets = this.maxBucketsPerCall): Promise<DueSlice> {
    if (!Number.isFinite(afterMs)) throw new RangeError(`dueSlice needs a finite start, got ${afterMs}`);
    const count = Math.min(bucketCount(afterMs, uptoMs), maxBuckets);
    if (count === 0) return { refs: [], throughMs: Math.max(afterMs, uptoMs), complete: true };
    const first = Math.floor(afterMs / BUCKET_MS) * BUCKET_MS + BUCKET_MS;
    const last = first + (count - 1) * BUCKET_MS;
    const complete = last + BUCKET_MS > uptoMs;
    const refs = await this.readBuckets(bucketsIn(afterMs, last));
    return { refs, throughMs: complete ? uptoMs : last, complete };
  }

  /** The due table's shards: each can be read on its own (`duePage`'s partition). */
  get duePartitions(): number {
    return this.shards;
  }

  /**
   * (afterMs, uptoMs] in pages of about `limit` customers (see {@link DueIndex.duePage}): the bucket ×
   * shard keys are read in order, 16 at a time (`limit` if fewer), each in queries of `limit / 16`
   * entries, and no query is sent once the page holds `limit`. The cursor names the last key started
   * and where each key left unfinished stopped (its last customer key: the sort key to start after);
   * keys before the last started one and not named are read through. A partition is a shard: its keys
   * alone are read, and a cursor of the whole range says the same of them.
   */
  async duePage(
    afterMs: number,
    uptoMs: number,
    cursor: string | null,
    limit: number,
    partition?: number,
  ): Promise<DuePage> {
    if (bucketCount(afterMs, uptoMs) > this.maxBucketsPerCall) {
      throw new DueRangeError(afterMs, uptoMs, this.maxBucketsPerCall);
    }
    checkDuePage(limit, partition, this.shards);
    const from = parseCursor(cursor);
    const keys = this.keysOf(bucketsIn(afterMs, uptoMs), partition).filter(
      (key) => from.open.has(key) || from.started === null || key > from.started,
    );
    // A page's budget is shared by the keys read side by side (one shard's keys are few: a bucket each),
    // never more than `limit` of them: every query is sent while the page holds less than `limit`, and
    // those in flight ask for `limit` entries at most together, so a page holds less than twice that.
    const side = Math.max(1, Math.min(this.concurrency, keys.length, limit));
    const perQuery = Math.min(Math.floor(limit / side), this.pageSize ?? Number.POSITIVE_INFINITY);
    const found: string[][] = [];
    const open = new Map<string, string>();
    let count = 0;
    let started = 0;
    const readKey = async (key: string, i: number): Promise<void> => {
      started = i + 1;
      const out: string[] = [];
      found[i] = out;
      let after = from.open.get(key);
      for (;;) {
        const page = await this.queryPage(key, after, perQuery);
        out.push(...page.pks);
        count += page.pks.length;
        after = page.last;
        if (after === undefined) break;
        if (count >= limit) {
          open.set(key, after);
          break;
        }
      }
    };
    // Keys start in order, so the keys started are the first `started`.
    await forEachLimit(keys, side, readKey, () => count < limit);
    // A key the cursor left unfinished that this page did not get to stays unfinished.
    for (const key of keys.slice(started)) {
      const after = from.open.get(key);
      if (after !== undefined) open.set(key, after);
    }
    const refs = [...new Set(found.flat())].map(customerRefOf);
    if (open.size === 0 && started === keys.length) return { refs, cursor: null };
    // The keys resumed come first, from before the cursor's last key: that one stays the last started
    // until a later key is (going back would read the keys between again).
    const last = started > 0 ? (keys[started - 1] as string) : null;
    const through = from.started !== null && (last === null || last < from.started) ? from.started : last;
    const next: DueCursor = { k: through ?? '', o: Object.fromEntries(open) };
    return { refs, cursor: JSON.stringify(next) };
  }

  /** The bucket × shard keys of the buckets, in order (one shard's alone with `shard`). */
  private keysOf(buckets: number[], shard?: number): string[] {
    if (shard !== undefined) return buckets.map((b) => dueKeyOf(b, shard));
    return buckets.flatMap((b) => Array.from({ length: this.shards }, (_, s) => dueKeyOf(b, s)));
  }

  private async readBuckets(buckets: number[]): Promise<CustomerRef[]> {
    const keys = this.keysOf(buckets);
    const results: string[][] = new Array(keys.length);
    await forEachLimit(keys, this.concurrency, async (key, i) => {
      const out: string[] = [];
      let after: string | undefined;
      do {
        const page = await this.queryPage(key, after, this.pageSize);
        out.push(...page.pks);
        after = page.last;
      } while (after !== undefined);
      results[i] = out;
    });
    // Oldest bucket first, shards in order, customers by key within a shard: deterministic. A customer
    // with entries in two of these buckets (a stale one and its current one) is listed once.
    return [...new Set(results.flat())].map(customerRefOf);
  }

  /** One Query page of a key's entries after customer key `after`; `last` is set when more may follow. */
  private async queryPage(
    dueKey: string,
    after: string | undefined,
    limit: number | undefined,
  ): Promise<{ pks: string[]; last: string | undefined }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#k = :k',
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#k': E.dueKey, '#pk': E.pk },
        ExpressionAttributeValues: { ':k': { S: dueKey } },
        ...(after === undefined
          ? {}
          : { ExclusiveStartKey: { [E.dueKey]: { S: dueKey }, [E.pk]: { S: after } } }),
        ...(limit === undefined ? {} : { Limit: limit }),
      }),
    );
    const pks: string[] = [];
    for (const item of page.Items ?? []) {
      const pk = item[E.pk]?.S;
      if (pk !== undefined) pks.push(pk);
    }
    return { pks, last: page.LastEvaluatedKey?.[E.pk]?.S };
  }
}

/** A page cursor: `k` the last key started, `o` each unfinished key's last customer key read. */
interface DueCursor {
  k: string;
  o: Record<string, string>;
}

function parseCursor(cursor: string | null): { started: string | null; open: Map<string, string> } {
  if (cursor === null) return { started: null, open: new Map() };
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw new DueCursorError(cursor, 'not JSON');
  }
  const c = parsed as Partial<DueCursor> | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.k !== 'string' ||
    typeof c.o !== 'object' ||
    c.o === null
  ) {
    throw new DueCursorError(cursor, 'expected {k: string, o: {key: customer key}}');
  }
  const open = new Map<string, string>();
  for (const [key, pk] of Object.entries(c.o)) {
    if (typeof pk !== 'string') throw new DueCursorError(cursor, `key ${key} has no customer key`);
    open.set(key, pk);
  }
  return { started: c.k === '' ? null : c.k, open };
}
