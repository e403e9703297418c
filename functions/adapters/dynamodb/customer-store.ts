/**
 * The customer store on DynamoDB: one item per (brand, customer), written only with a condition on the
 * version read. An issuance is recorded in the item, so one conditional write per occurrence is exactly
 * once. The item keeps its next due instant; when a write moves it to another bucket, the entry for
 * that bucket goes into the due table (due-entries.ts) first, so the item's due always has its entry.
 * A write that then loses its condition leaves an entry its customer never took: harmless, it brings the
 * customer to the dispatcher once for nothing.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CustomerState } from '../../domain/customer-state.ts';
import { customerKey } from '../../domain/customer-state.ts';
import type {
  CustomerRef,
  CustomerStore,
  DueIndex,
  DuePage,
  StoredCustomer,
} from '../../ports/customer-store.ts';
import { entryToFile, sameBucket } from '../../ports/customer-store.ts';
import type { RetryOptions } from './batch.ts';
import { batchGet } from './batch.ts';
import { isConditionFailure } from './conditional.ts';
import { decodeCustomer, encodeCustomer } from './customer-codec.ts';
import type { DueEntriesOptions, DueSlice } from './due-entries.ts';
import { DynamoDbDueEntries } from './due-entries.ts';
import { CUSTOMER_ATTRS as A } from './tables.ts';

export interface DynamoDbCustomerStoreOptions
  extends Omit<DueEntriesOptions, 'client' | 'tableName' | 'shards'> {
  client: DynamoDBClient;
  tableName: string;
  /** The due table: where the item's due bucket is filed. */
  dueTableName: string;
  /** Due-entry shards of that table (default 16; see due-keys.ts). */
  dueShards?: number;
  /**
   * Retries of `getMany`'s unprocessed keys (default 3 calls, backoff under 100 ms): a batch waits for
   * its read-ahead, and what is left is read one by one anyway.
   */
  readAheadRetry?: RetryOptions;
}

const READ_AHEAD_RETRY: RetryOptions = { maxAttempts: 3, maxDelayMs: 100 };

export class DynamoDbCustomerStore implements CustomerStore, DueIndex {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly readAheadRetry: RetryOptions;
  /** The due index this store files its customers in. */
  readonly entries: DynamoDbDueEntries;

  constructor(options: DynamoDbCustomerStoreOptions) {
    const { client, tableName, dueTableName, dueShards, readAheadRetry, ...reading } = options;
    this.client = client;
    this.readAheadRetry = readAheadRetry ?? READ_AHEAD_RETRY;
    this.table = tableName;
    this.entries = new DynamoDbDueEntries({
      client,
      tableName: dueTableName,
      ...reading,
      ...(dueShards === undefined ? {} : { shards: dueShards }),
    });
  }

  get shards(): number {
    return this.entries.shards;
  }

  async get(brand: string, customerId: string): Promise<StoredCustomer | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { [A.pk]: { S: customerKey(brand, customerId) } },
        // The read a conditional write is based on must be the latest, or the write conflicts for nothing.
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? null : decodeCustomer(out.Item);
  }

  async getMany(
    refs: readonly CustomerRef[],
    options: { consistent?: boolean } = {},
  ): Promise<Map<string, StoredCustomer | null>> {
    const read = new Map<string, StoredCustomer | null>();
    const keys = [...new Set(refs.map((r) => customerKey(r.brand, r.customerId)))];
    if (keys.length === 0) return read;
    const { items, unprocessed } = await batchGet(
      this.client,
      this.table,
      keys.map((pk) => ({ [A.pk]: { S: pk } })),
      this.readAheadRetry,
      // The reads conditional writes are based on: the latest unless the caller knows them old.
      options.consistent ?? true,
    );
    for (const pk of keys) read.set(pk, null);
    for (const item of items) {
      const stored = decodeCustomer(item);
      read.set(customerKey(stored.state.brand, stored.state.customerId), stored);
    }
    for (const key of unprocessed) {
      const pk = key[A.pk]?.S;
      if (pk !== undefined) read.delete(pk);
    }
    return read;
  }

  async put(
    state: CustomerState,
    expectedVersion: number,
    dueMs: number | null,
    storedDueMs: number | null,
  ): Promise<boolean> {
    if (state.version <= expectedVersion) return false;
    const first = expectedVersion === 0;
    await this.file(customerKey(state.brand, state.customerId), dueMs, storedDueMs);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: encodeCustomer(state, dueMs),
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

  async setDue(
    brand: string,
    customerId: string,
    version: number,
    dueMs: number | null,
    storedDueMs: number | null,
  ): Promise<boolean> {
    // The bucket the item is filed under already has its entry: nothing to write, nothing to check.
    if (sameBucket(dueMs, storedDueMs)) return true;
    const pk = customerKey(brand, customerId);
    if (version === 0) {
      // Nothing stored: there is no item to file (an update would create a bare one). The caller read
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
    await this.file(pk, dueMs, storedDueMs);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [A.pk]: { S: pk } },
          UpdateExpression: dueMs === null ? 'REMOVE #due' : 'SET #due = :due',
          // `v = :v` also fails on a missing item, so an update never creates one.
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': A.version, '#due': A.due },
          ExpressionAttributeValues: {
            ':v': { N: String(version) },
            ...(dueMs === null ? {} : { ':due': { N: String(dueMs) } }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** The entry for the new due instant, when it leaves the bucket the item is filed under. */
  private async file(pk: string, dueMs: number | null, storedDueMs: number | null): Promise<void> {
    const filed = entryToFile(dueMs, storedDueMs);
    if (filed !== null) await this.entries.put(pk, filed);
  }

  due(afterMs: number, uptoMs: number): Promise<CustomerRef[]> {
    return this.entries.due(afterMs, uptoMs);
  }

  get duePartitions(): number {
    return this.entries.duePartitions;
  }

  duePage(
    afterMs: number,
    uptoMs: number,
    cursor: string | null,
    limit: number,
    partition?: number,
  ): Promise<DuePage> {
    return this.entries.duePage(afterMs, uptoMs, cursor, limit, partition);
  }

  dueSlice(afterMs: number, uptoMs: number, maxBuckets?: number): Promise<DueSlice> {
    return this.entries.dueSlice(afterMs, uptoMs, maxBuckets);
  }
}
