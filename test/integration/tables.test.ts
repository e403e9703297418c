/**
 * The table definitions (functions/adapters/dynamodb/tables.ts) create real tables in DynamoDB Local
 * with the keys, indexes, stream and TTL the adapters rely on; the due-entry key scheme.
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUCKET_MS,
  bucketCount,
  bucketOf,
  bucketsIn,
  DUE_SHARDS,
  dueKeyFor,
  dueKeyOf,
  shardOf,
} from '../../functions/adapters/dynamodb/due-keys.ts';
import { createTableInputs, TABLE_IDS, TABLES } from '../../functions/adapters/dynamodb/tables.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { bucketOf as memoryBucketOf } from '../../local/memory-stores.ts';
import { at } from './fixtures.ts';

let local: DynamoDbLocal;
let client: DynamoDBClient;

beforeAll(async () => {
  // As deployed: TTL on (the tests here write no item it could expire).
  local = await startDynamoDbLocal({ timeToLive: true });
  client = local.client();
});

afterAll(async () => {
  await local?.stop();
});

describe('createTableInputs', () => {
  it('creates every table on demand, from the one description', async () => {
    for (const id of TABLE_IDS) {
      const d = await client.send(new DescribeTableCommand({ TableName: local.names[id] }));
      const table = TABLES[id];
      expect(d.Table?.TableStatus).toBe('ACTIVE');
      expect(d.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(d.Table?.KeySchema).toEqual([
        { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
        ...(table.sortKey ? [{ AttributeName: table.sortKey.name, KeyType: 'RANGE' }] : []),
      ]);
      expect(d.Table?.StreamSpecification?.StreamViewType).toBe(table.stream ?? undefined);
    }
  });

  it('gives the customers table a NEW_AND_OLD_IMAGES stream and no index', async () => {
    const d = await client.send(new DescribeTableCommand({ TableName: local.names.customers }));
    expect(d.Table?.GlobalSecondaryIndexes).toBeUndefined();
    expect(d.Table?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(d.Table?.LatestStreamArn).toMatch(/:table\/lt-test-customers\/stream\//);
    // Only key attributes are declared: the state, version and due instant are schemaless.
    expect(d.Table?.AttributeDefinitions?.map((a) => a.AttributeName)).toEqual(['pk']);
  });

  it('gives the due table the due key (bucket and shard), then the customer key, and no stream', async () => {
    const d = await client.send(new DescribeTableCommand({ TableName: local.names.due }));
    expect(d.Table?.KeySchema).toEqual([
      { AttributeName: 'dueKey', KeyType: 'HASH' },
      { AttributeName: 'pk', KeyType: 'RANGE' },
    ]);
    expect(d.Table?.GlobalSecondaryIndexes).toBeUndefined();
    expect(d.Table?.StreamSpecification).toBeUndefined();
    expect(d.Table?.AttributeDefinitions?.map((a) => a.AttributeName).toSorted()).toEqual(['dueKey', 'pk']);
  });

  it('enables TTL on the due table only, on `ttl`', async () => {
    for (const id of TABLE_IDS) {
      const d = await client.send(new DescribeTimeToLiveCommand({ TableName: local.names[id] }));
      if (id === 'due') {
        expect(d.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
      } else {
        expect(d.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
      }
    }
    expect(createTableInputs(local.names).timeToLive).toEqual([
      { TableName: local.names.due, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } },
    ]);
  });

  it('gives the ledger a customer partition and an entry sort key, and no index', () => {
    const ledger = createTableInputs(local.names).tables.find((t) => t.TableName === local.names.ledger);
    expect(ledger).toMatchObject({
      TableName: 'lt-test-ledger',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'entryId', KeyType: 'RANGE' },
      ],
    });
    expect(ledger?.GlobalSecondaryIndexes).toBeUndefined();
  });
});

describe('due keys', () => {
  it.each([
    ['on a boundary', '2026-03-17T10:00:00.000Z', '2026-03-17T10:00Z'],
    ['a millisecond after', '2026-03-17T10:00:00.001Z', '2026-03-17T10:15Z'],
    ['a millisecond before', '2026-03-17T10:14:59.999Z', '2026-03-17T10:15Z'],
  ])('files an instant %s under the bucket the in-memory store uses', (_name, instant, minute) => {
    expect(bucketOf(at(instant))).toBe(memoryBucketOf(at(instant)));
    expect(dueKeyFor('default#c-1', at(instant))).toBe(
      `${minute}#${String(shardOf('default#c-1')).padStart(2, '0')}`,
    );
  });

  it('spreads customers evenly over the 16 shards, stably', () => {
    const counts = new Array<number>(DUE_SHARDS).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const shard = shardOf(`default#customer-${i}`);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    // 1,000 expected per shard; a fair hash stays well within ±15%.
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    // Pinned values: a change of the hash would orphan every indexed customer.
    expect([shardOf('default#c-1'), shardOf('brand-2#42'), shardOf('default#Ярослава')]).toEqual([6, 4, 0]);
    expect(dueKeyOf(at('2026-03-17T00:15:00Z'), 7)).toBe('2026-03-17T00:15Z#07');
  });

  it('lists the buckets in (after, upto], oldest first', () => {
    const t = at('2026-03-17T10:00:00Z');
    expect(bucketsIn(t, t)).toEqual([]);
    expect(bucketsIn(t - 1, t)).toEqual([t]);
    expect(bucketsIn(t, t + 2 * BUCKET_MS + 1)).toEqual([t + BUCKET_MS, t + 2 * BUCKET_MS]);
    expect(bucketCount(t, t + 2 * BUCKET_MS + 1)).toBe(2);
    expect(bucketCount(t + 1, t)).toBe(0);
    expect(() => bucketsIn(Number.NEGATIVE_INFINITY, t)).toThrow(RangeError);
  });
});
