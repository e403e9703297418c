/**
 * The ledger and watermark stores on DynamoDB Local (batching, idempotency, a monotonic watermark), and the batch retry of unprocessed items with a mocked client (DynamoDB
 * Local never throttles, so it cannot leave items unprocessed).
 */
import 'aws-sdk-client-mock-vitest/extend';
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../functions/adapters/aws/recorder.ts';
import { batchWrite, UnprocessedItemsError } from '../../functions/adapters/dynamodb/batch.ts';
import { DynamoDbLedgerStore } from '../../functions/adapters/dynamodb/ledger-store.ts';
import { DynamoDbWatermarkStore } from '../../functions/adapters/dynamodb/watermark-store.ts';
import type { LedgerEntry } from '../../functions/domain/customer-state.ts';
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
});
