/**
 * The ledger and watermark stores on DynamoDB Local (batching, idempotency, a monotonic watermark), and the batch retry of unprocessed items and keys with a mocked client (DynamoDB
 * Local never throttles, so it cannot leave items or keys unprocessed).
 */
import 'aws-sdk-client-mock-vitest/extend';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../functions/adapters/aws/recorder.ts';
import {
  batchGet,
  batchWrite,
  MAX_BATCH_GET,
  UnprocessedItemsError,
} from '../../functions/adapters/dynamodb/batch.ts';
import { encodeCustomer } from '../../functions/adapters/dynamodb/customer-codec.ts';
import { DynamoDbCustomerStore } from '../../functions/adapters/dynamodb/customer-store.ts';
import { DynamoDbLedgerStore } from '../../functions/adapters/dynamodb/ledger-store.ts';
import { DynamoDbWatermarkStore } from '../../functions/adapters/dynamodb/watermark-store.ts';
import type { LedgerEntry } from '../../functions/domain/customer-state.ts';
import { customerKey, emptyState } from '../../functions/domain/customer-state.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { at } from './fixtures.ts';

let local: DynamoDbLocal;

beforeAll(async () => {
  local = await startDynamoDbLocal();
});

afterAll(async () => {
  await local?.stop();
});

const entry = (customerId: string, n: number, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
  entryId: `default#${customerId}#campaign-${n}#2026`,
  customerId,
  brand: 'default',
  campaignId: `campaign-${n}`,
  points: 10 * n,
  reason: 'bonus',
  at: '2026-03-17T00:00:00.000Z',
  expiresAt: '2026-04-16T00:00:00.000Z',
  ...extra,
});

describe('DynamoDbLedgerStore', () => {
  it('writes 25 entries per batch and reads every entry back as written', async () => {
    const recorder = new RequestRecorder();
    const ledger = new DynamoDbLedgerStore(recorder.attach(local.client()), local.names.ledger);
    const entries = [
      ...Array.from({ length: 29 }, (_, n) => entry('c-batch', n)),
      entry('c-batch', 99, { entryId: 'order:o-1', campaignId: null, reason: 'accrual', expiresAt: null }),
    ];
    await ledger.write(entries);
    const write = recorder.get('DynamoDB', 'BatchWriteItem', local.names.ledger);
    expect(write).toMatchObject({ requests: 2, entries: 30, failedEntries: 0 });
    const byId = (a: LedgerEntry, b: LedgerEntry) => (a.entryId < b.entryId ? -1 : 1);
    expect((await ledger.list('default', 'c-batch')).toSorted(byId)).toEqual(entries.toSorted(byId));
  });

  it('is idempotent: a redelivered batch, or one entry twice in a batch, leaves one item per entry', async () => {
    const ledger = new DynamoDbLedgerStore(local.client(), local.names.ledger);
    const entries = [entry('c-idem', 1), entry('c-idem', 2)];
    await ledger.write(entries);
    await ledger.write([...entries, ...entries]);
    expect(await ledger.list('default', 'c-idem')).toHaveLength(2);
    // The same entry id of another customer is another entry (`order:<id>` is per customer).
    await ledger.write([
      entry('c-other', 1, { entryId: 'order:o-1' }),
      entry('c-idem', 1, { entryId: 'order:o-1' }),
    ]);
    expect(await ledger.list('default', 'c-idem')).toHaveLength(3);
    expect(await ledger.list('default', 'c-other')).toHaveLength(1);
  });
});

describe('DynamoDbWatermarkStore', () => {
  it('starts empty and moves only from the value read, and only forward', async () => {
    const client = local.client();
    const watermark = new DynamoDbWatermarkStore(client, local.names.dispatch);
    const t = at('2026-03-17T10:00:00Z');
    expect(await watermark.read('dispatch')).toBeNull();
    // Two runs that both read "never set": one wins.
    expect(await watermark.advance('dispatch', null, t)).toBe(true);
    expect(await watermark.advance('dispatch', null, t + 60_000)).toBe(false);
    // A run that read an old value loses; so does one going backwards or nowhere.
    expect(await watermark.advance('dispatch', t - 900_000, t + 900_000)).toBe(false);
    expect(await watermark.advance('dispatch', t, t - 900_000)).toBe(false);
    expect(await watermark.advance('dispatch', t, t)).toBe(false);
    expect(await watermark.advance('dispatch', t, t + 900_000)).toBe(true);
    expect(await watermark.read('dispatch')).toBe(t + 900_000);
    // Names are separate watermarks.
    expect(await watermark.read('other')).toBeNull();
    const item = await client.send(
      new GetItemCommand({ TableName: local.names.dispatch, Key: { pk: { S: 'dispatch#watermark' } } }),
    );
    expect(item.Item).toEqual({ pk: { S: 'dispatch#watermark' }, wm: { N: String(t + 900_000) } });
  });
});

describe('batch retries (mocked client)', () => {
  const put = (id: string) => ({ PutRequest: { Item: { eventId: { S: id } } } });
  const noSleep = { sleep: async () => {}, random: () => 0.5 };

  it('writes the unprocessed items again, backing off, until none are left', async () => {
    const mock = mockClient(DynamoDBClient);
    mock
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { t: [put('b'), put('c')] } })
      .resolvesOnce({ UnprocessedItems: { t: [put('c')] } })
      .resolves({});
    const delays: number[] = [];
    await batchWrite(new DynamoDBClient({}), 't', [put('a'), put('b'), put('c')], {
      ...noSleep,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(mock).toReceiveCommandTimes(BatchWriteItemCommand, 3);
    expect(mock).toReceiveNthCommandWith(BatchWriteItemCommand, 3, { RequestItems: { t: [put('c')] } });
    // Full jitter at 0.5 of a ceiling doubling from 50 ms.
    expect(delays).toEqual([25, 50]);
    mock.restore();
  });

  it('throws UnprocessedItemsError naming the table when a chunk never goes through', async () => {
    const mock = mockClient(DynamoDBClient);
    mock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { t: [put('a')] } });
    const attempt = batchWrite(new DynamoDBClient({}), 't', [put('a')], { ...noSleep, maxAttempts: 3 });
    await expect(attempt).rejects.toBeInstanceOf(UnprocessedItemsError);
    await expect(attempt).rejects.toMatchObject({ table: 't', remaining: 1 });
    expect(mock).toReceiveCommandTimes(BatchWriteItemCommand, 3);
    mock.restore();
  });

  type Key = Record<string, AttributeValue>;
  const key = (id: string): Key => ({ pk: { S: id } });
  const item = (id: string): Key => ({ pk: { S: id }, v: { N: '1' } });
  /** The keys each BatchGetItem call asked for, with its ConsistentRead flag. */
  const getCalls = (mock: ReturnType<typeof mockClient>) =>
    mock.commandCalls(BatchGetItemCommand).map((c) => {
      const request = c.args[0].input.RequestItems?.t;
      return { ids: (request?.Keys ?? []).map((k) => k.pk?.S), consistent: request?.ConsistentRead };
    });

  it('reads the unprocessed keys again, strongly consistent, backing off, until none are left', async () => {
    const mock = mockClient(DynamoDBClient);
    mock
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { t: [item('a')] },
        UnprocessedKeys: { t: { Keys: [key('b'), key('c')], ConsistentRead: true } },
      })
      .resolvesOnce({ Responses: { t: [item('b')] }, UnprocessedKeys: { t: { Keys: [key('c')] } } })
      .resolves({ Responses: { t: [item('c')] } });
    const delays: number[] = [];
    const out = await batchGet(new DynamoDBClient({}), 't', [key('a'), key('b'), key('c')], {
      ...noSleep,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(out).toEqual({ items: [item('a'), item('b'), item('c')], unprocessed: [] });
    expect(getCalls(mock)).toEqual([
      { ids: ['a', 'b', 'c'], consistent: true },
      { ids: ['b', 'c'], consistent: true },
      { ids: ['c'], consistent: true },
    ]);
    expect(mock).toReceiveNthCommandWith(BatchGetItemCommand, 3, {
      RequestItems: { t: { Keys: [key('c')], ConsistentRead: true } },
    });
    // Full jitter at 0.5 of a ceiling doubling from 50 ms.
    expect(delays).toEqual([25, 50]);
    mock.restore();
  });

  it('asks for 100 keys per call at most, the chunks in parallel, and returns every item', async () => {
    const mock = mockClient(DynamoDBClient);
    let inFlight = 0;
    let most = 0;
    mock.on(BatchGetItemCommand).callsFake(async (input: BatchGetItemCommand['input']) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      const keys = input.RequestItems?.t?.Keys ?? [];
      return { Responses: { t: keys.map((k) => item(k.pk?.S ?? '')) } };
    });
    const ids = Array.from({ length: 250 }, (_, i) => `k-${i}`);
    const out = await batchGet(new DynamoDBClient({}), 't', ids.map(key), noSleep);
    const calls = getCalls(mock);
    expect(MAX_BATCH_GET).toBe(100);
    expect(calls.map((c) => c.ids.length)).toEqual([100, 100, 50]);
    expect(calls.flatMap((c) => c.ids)).toEqual(ids);
    expect(calls.every((c) => c.consistent === true)).toBe(true);
    expect(most).toBe(3);
    expect(out.items.map((i) => i.pk?.S).toSorted()).toEqual(ids.toSorted());
    expect(out.unprocessed).toEqual([]);
    // Nothing to read, nothing sent.
    expect(await batchGet(new DynamoDBClient({}), 't', [], noSleep)).toEqual({ items: [], unprocessed: [] });
    expect(mock).toReceiveCommandTimes(BatchGetItemCommand, 3);
    mock.restore();
  });

  it('returns the keys still unprocessed after maxAttempts calls a chunk, instead of throwing', async () => {
    const mock = mockClient(DynamoDBClient);
    // k-7 (first chunk) and k-120 (second) are never read; every other key on the first call.
    const stuck = new Set(['k-7', 'k-120']);
    mock.on(BatchGetItemCommand).callsFake(async (input: BatchGetItemCommand['input']) => {
      const keys = input.RequestItems?.t?.Keys ?? [];
      const done = keys.filter((k) => !stuck.has(k.pk?.S ?? ''));
      const left = keys.filter((k) => stuck.has(k.pk?.S ?? ''));
      return {
        Responses: { t: done.map((k) => item(k.pk?.S ?? '')) },
        UnprocessedKeys: { t: { Keys: left } },
      };
    });
    const ids = Array.from({ length: 150 }, (_, i) => `k-${i}`);
    const out = await batchGet(new DynamoDBClient({}), 't', ids.map(key), { ...noSleep, maxAttempts: 3 });
    expect(out.unprocessed.map((k) => k.pk?.S).toSorted()).toEqual(['k-120', 'k-7']);
    expect(out.items).toHaveLength(148);
    // Two chunks, three calls each: the first, then two retries of the stuck key.
    expect(
      getCalls(mock)
        .map((c) => c.ids.length)
        .toSorted((a, b) => b - a),
    ).toEqual([100, 50, 1, 1, 1, 1]);
    mock.restore();
  });

  it('DynamoDbCustomerStore.getMany reads each customer once and leaves out those never read', async () => {
    const mock = mockClient(DynamoDBClient);
    const stored = { ...emptyState('default', 'c-1'), version: 4 };
    const dueMs = Date.parse('2026-03-17T00:00:00Z');
    mock.on(BatchGetItemCommand).callsFake(async (input: BatchGetItemCommand['input']) => {
      const keys = input.RequestItems?.customers?.Keys ?? [];
      return {
        Responses: {
          customers: keys.some((k) => k.pk?.S === 'default#c-1') ? [encodeCustomer(stored, dueMs)] : [],
        },
        UnprocessedKeys: { customers: { Keys: keys.filter((k) => k.pk?.S === 'default#c-throttled') } },
      };
    });
    const store = new DynamoDbCustomerStore({
      client: new DynamoDBClient({}),
      tableName: 'customers',
      dueTableName: 'due',
      readAheadRetry: { maxAttempts: 4, sleep: async () => {} },
    });
    try {
      const read = await store.getMany([
        { brand: 'default', customerId: 'c-1' },
        { brand: 'default', customerId: 'c-missing' },
        { brand: 'default', customerId: 'c-throttled' },
        { brand: 'default', customerId: 'c-1' },
      ]);
      expect(read).toEqual(
        new Map([
          [customerKey('default', 'c-1'), { state: stored, dueMs }],
          [customerKey('default', 'c-missing'), null],
        ]),
      );
      // Each key asked for once (BatchGetItem refuses duplicates), the throttled one then retried.
      const calls = mock
        .commandCalls(BatchGetItemCommand)
        .map((c) => c.args[0].input.RequestItems?.customers);
      expect(calls[0]?.Keys?.map((k) => k.pk?.S)).toEqual([
        'default#c-1',
        'default#c-missing',
        'default#c-throttled',
      ]);
      expect(calls).toHaveLength(4);
      expect(calls.every((c) => c?.ConsistentRead === true)).toBe(true);
      // Nothing asked, nothing sent.
      expect(await store.getMany([])).toEqual(new Map());
      expect(mock).toReceiveCommandTimes(BatchGetItemCommand, 4);
      // Asked not to be the latest: eventually consistent reads (half the read units), retries included.
      mock.resetHistory();
      await store.getMany([{ brand: 'default', customerId: 'c-1' }], { consistent: false });
      const cheaper = mock
        .commandCalls(BatchGetItemCommand)
        .map((c) => c.args[0].input.RequestItems?.customers);
      expect(cheaper.length).toBeGreaterThan(0);
      expect(cheaper.every((c) => c?.ConsistentRead === false)).toBe(true);
    } finally {
      mock.restore();
    }
  });
});
