/**
 * The customer store and its "next due" index on DynamoDB: one item per (brand, customer), written only
 * with a condition on the version read, the due-index entry (a sparse, sharded GSI) written in the same
 * request. An issuance is recorded in the item, so one conditional write per occurrence is exactly once.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CustomerState } from '../../domain/customer-state.ts';
import { customerKey } from '../../domain/customer-state.ts';
import type { CustomerRef, CustomerStore, DueIndex } from '../../ports/customer-store.ts';
import { isConditionFailure } from './conditional.ts';
import { decodeCustomer, encodeCustomer } from './customer-codec.ts';
import {
  BUCKET_MS,
  bucketCount,
  bucketsIn,
  checkShards,
  DUE_SHARDS,
  dueKeyFor,
  dueKeyOf,
} from './due-keys.ts';
import { CUSTOMER_ATTRS as A, DUE_INDEX } from './tables.ts';

export interface DynamoDbCustomerStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /**
   * Most buckets one `due` call reads (default 96: one day, 1,536 queries). A longer range — an outage
   * longer than that — is read with `dueSlice`, oldest buckets first, across dispatcher runs.
   */
  maxBucketsPerCall?: number;
  /** Queries in flight at once while reading buckets × shards (default 16). */
  queryConcurrency?: number;
  /** Due-index shards of this table (default 16; see due-keys.ts). */
  dueShards?: number;
  /** Page size of each index query (default: DynamoDB's 1 MB pages). */
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

function refOf(pk: string): CustomerRef {
  const at = pk.indexOf('#');
  return { brand: pk.slice(0, at), customerId: pk.slice(at + 1) };
}

export class DynamoDbCustomerStore implements CustomerStore, DueIndex {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  readonly maxBucketsPerCall: number;
  private readonly concurrency: number;
  private readonly pageSize: number | undefined;
  readonly shards: number;

  constructor(options: DynamoDbCustomerStoreOptions) {
    this.shards = checkShards(options.dueShards ?? DUE_SHARDS);
    this.client = options.client;
    this.table = options.tableName;
    this.maxBucketsPerCall = options.maxBucketsPerCall ?? 96;
    this.concurrency = options.queryConcurrency ?? DUE_SHARDS;
    this.pageSize = options.queryPageSize;
  }

  async get(brand: string, customerId: string): Promise<CustomerState | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { [A.pk]: { S: customerKey(brand, customerId) } },
        // The read a conditional write is based on must be the latest, or the write conflicts for nothing.
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? null : decodeCustomer(out.Item).state;
  }

  async put(state: CustomerState, expectedVersion: number, dueMs: number | null): Promise<boolean> {
    if (state.version <= expectedVersion) return false;
    const first = expectedVersion === 0;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: encodeCustomer(state, dueMs, this.shards),
          ConditionExpression: first ? 'attribute_not_exists(#pk)' : '#v = :v',
          ExpressionAttributeNames: first ? { '#pk': A.pk } : { '#v': A.version },
          ...(first ? {} : { ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async setDue(brand: string, customerId: string, version: number, dueMs: number | null): Promise<boolean> {
    const pk = customerKey(brand, customerId);
    if (version === 0) {
      // Nothing stored: there is no item to index (an update would create a bare one). The caller read
      // "no item"; if one exists now, that read is stale and the caller must read again.
      const out = await this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { [A.pk]: { S: pk } },
          ConsistentRead: true,
          ProjectionExpression: '#v',
          ExpressionAttributeNames: { '#v': A.version },
        }),
      );
      return out.Item === undefined;
    }
    const names: Record<string, string> = { '#v': A.version, '#due': A.due, '#dueKey': A.dueKey };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [A.pk]: { S: pk } },
          UpdateExpression: dueMs === null ? 'REMOVE #due, #dueKey' : 'SET #due = :due, #dueKey = :dueKey',
          // `v = :v` also fails on a missing item, so an update never creates one.
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':v': { N: String(version) },
            ...(dueMs === null
              ? {}
              : { ':due': { N: String(dueMs) }, ':dueKey': { S: dueKeyFor(pk, dueMs, this.shards) } }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * The customers whose due bucket is in (afterMs, uptoMs]: every bucket × shard, paginated. Throws
   * {@link DueRangeError} for a range over `maxBucketsPerCall` buckets (or an open one): a partial
   * answer here would let a caller advance its watermark past buckets never read.
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

  private async readBuckets(buckets: number[]): Promise<CustomerRef[]> {
    const keys = buckets.flatMap((b) => Array.from({ length: this.shards }, (_, s) => dueKeyOf(b, s)));
    const results: CustomerRef[][] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < keys.length; i = next++) {
        const key = keys[i];
        if (key !== undefined) results[i] = await this.queryKey(key);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, keys.length) }, worker));
    // Oldest bucket first, shards in order, customers by key within a shard: deterministic.
    return results.flat();
  }

  private async queryKey(dueKey: string): Promise<CustomerRef[]> {
    const out: CustomerRef[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: DUE_INDEX,
          KeyConditionExpression: '#dueKey = :k',
          ExpressionAttributeNames: { '#dueKey': A.dueKey },
          ExpressionAttributeValues: { ':k': { S: dueKey } },
          ExclusiveStartKey: start,
          ...(this.pageSize === undefined ? {} : { Limit: this.pageSize }),
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item[A.pk]?.S;
        if (pk !== undefined) out.push(refOf(pk));
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}
