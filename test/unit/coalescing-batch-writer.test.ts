/**
 * The coalescing batch writer (functions/adapters/dynamodb/batch.ts) with a mocked client: the writes
 * concurrent callers make in one turn share BatchWriteItem calls, each caller settles with them, and a
 * failed call fails every caller that shared it.
 */
import 'aws-sdk-client-mock-vitest/extend';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CoalescingBatchWriter } from '../../functions/adapters/dynamodb/batch.ts';

const mock = mockClient(DynamoDBClient);
afterEach(() => mock.reset());

/** A put of item `id` (the table's key attribute) with value `v`. */
const put = (id: string, v = '1'): WriteRequest => ({ PutRequest: { Item: { id: { S: id }, v: { N: v } } } });
const noSleep = { sleep: async () => {}, random: () => 0.5 };

describe('CoalescingBatchWriter', () => {
  it('sends the writes of one turn in one call, and each caller resolves after it', async () => {
    mock.on(BatchWriteItemCommand).resolves({});
    const writer = new CoalescingBatchWriter(new DynamoDBClient({}), 't', ['id'], noSleep);
    await Promise.all([writer.write([put('a'), put('b')]), writer.write([put('c')]), writer.write([])]);
    expect(mock).toReceiveCommandTimes(BatchWriteItemCommand, 1);
    expect(mock).toReceiveCommandWith(BatchWriteItemCommand, {
      RequestItems: { t: [put('a'), put('b'), put('c')] },
    });
  });

  it('writes again in a later turn, and 25 items per call', async () => {
    mock.on(BatchWriteItemCommand).resolves({});
    const writer = new CoalescingBatchWriter(new DynamoDBClient({}), 't', ['id'], noSleep);
    await writer.write([put('a')]);
    const many = Array.from({ length: 30 }, (_, i) => put(`k${i}`));
    await Promise.all([writer.write(many.slice(0, 20)), writer.write(many.slice(20))]);
    const calls = mock
      .commandCalls(BatchWriteItemCommand)
      .map((c) => c.args[0].input.RequestItems?.t?.length);
    expect(calls).toEqual([1, 25, 5]);
  });

  it('names one key once in a call: the later write of a turn wins', async () => {
    mock.on(BatchWriteItemCommand).resolves({});
    const writer = new CoalescingBatchWriter(new DynamoDBClient({}), 't', ['id'], noSleep);
    await Promise.all([writer.write([put('a', '1'), put('b')]), writer.write([put('a', '2')])]);
    expect(mock).toReceiveCommandWith(BatchWriteItemCommand, {
      RequestItems: { t: [put('a', '2'), put('b')] },
    });
  });

  it('tells items apart by every key attribute, and a delete of an item from a put of it', async () => {
    mock.on(BatchWriteItemCommand).resolves({});
    const writer = new CoalescingBatchWriter(new DynamoDBClient({}), 't', ['pk', 'sk'], noSleep);
    const item = (pk: string, sk: string, v: string) => ({ pk: { S: pk }, sk: { S: sk }, v: { N: v } });
    const deleteOf = { DeleteRequest: { Key: { pk: { S: 'p' }, sk: { S: 'y' } } } };
    // Act: two items of one partition, then a put of the second and its delete in a later call
    await Promise.all([
      writer.write([
        { PutRequest: { Item: item('p', 'x', '1') } },
        { PutRequest: { Item: item('p', 'y', '1') } },
      ]),
      writer.write([deleteOf]),
    ]);
    // Assess: both items named, the second by its delete (the later write)
    expect(mock).toReceiveCommandWith(BatchWriteItemCommand, {
      RequestItems: { t: [{ PutRequest: { Item: item('p', 'x', '1') } }, deleteOf] },
    });
  });

  it('rejects every caller that shared a failed call; the next turn starts afresh', async () => {
    const writer = new CoalescingBatchWriter(new DynamoDBClient({}), 't', ['id'], noSleep);
    mock
      .on(BatchWriteItemCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const results = await Promise.allSettled([writer.write([put('a')]), writer.write([put('b')])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    mock.on(BatchWriteItemCommand).resolves({});
    await expect(writer.write([put('c')])).resolves.toBeUndefined();
    expect(mock).toReceiveCommandTimes(BatchWriteItemCommand, 2);
  });

  it('retries the unprocessed items of the shared call before resolving', async () => {
    mock
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { t: [put('b')] } })
      .resolves({});
    const writer = new CoalescingBatchWriter(new DynamoDBClient({}), 't', ['id'], noSleep);
    await Promise.all([writer.write([put('a')]), writer.write([put('b')])]);
    expect(mock).toReceiveNthCommandWith(BatchWriteItemCommand, 2, {
      RequestItems: { t: [put('b')] },
    });
  });
});
