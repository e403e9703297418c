/**
 * The request recorder on real clients: DynamoDB calls against DynamoDB Local with the capacity units
 * it reports (table and GSI apart), the document client, the Streams API, and SQS batches through a
 * stub HTTP handler (there is no local SQS), including SDK retries.
 */

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../functions/adapters/aws/recorder.ts';
import { encodeCustomer, writeUnits } from '../../functions/adapters/dynamodb/customer-codec.ts';
import type { DynamoDbCustomerStore } from '../../functions/adapters/dynamodb/customer-store.ts';
import { dynamoDbDataLayer } from '../../functions/adapters/dynamodb/data-layer.ts';
import { DynamoDbHeldMessages } from '../../functions/adapters/dynamodb/held-messages-store.ts';
import { DynamoDbLedgerStore, encodeLedgerEntry } from '../../functions/adapters/dynamodb/ledger-store.ts';
import { StreamReader } from '../../functions/adapters/dynamodb/stream-reader.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import type { Message } from '../../functions/domain/message.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { at, simulatedStates } from './fixtures.ts';

let local: DynamoDbLocal;
let recorder: RequestRecorder;
let client: DynamoDBClient;
let store: DynamoDbCustomerStore;
let big: CustomerState;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  recorder = new RequestRecorder();
  client = recorder.attach(local.client());
  store = dynamoDbDataLayer({ client, names: local.names }).customers;
  // The largest simulated customer: an item of several KB even compressed.
  const states = await simulatedStates();
  big = states.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
});

afterAll(async () => {
  await local?.stop();
});

describe('RequestRecorder on DynamoDB', () => {
  it('counts requests and write units per table: the customer item and its due entry apart', async () => {
    recorder.reset();
    // Mid-bucket: t and t + 1 min share the 10:15 bucket.
    const t = at('2026-05-01T10:05:00Z');
    const table = local.names.customers;
    const due = local.names.due;
    const units = writeUnits(encodeCustomer(big, t));
    // A new item: the item's units, and one for its due entry, in the due table
    await store.put(big, 0, t, null);
    expect(recorder.get('DynamoDB', 'PutItem', table)).toMatchObject({
      requests: 1,
      attempts: 1,
      writeUnits: units,
      indexUnits: {},
    });
    expect(recorder.get('DynamoDB', 'BatchWriteItem', due)).toMatchObject({ requests: 1, writeUnits: 1 });
    // A new version in the same bucket: no entry is written
    recorder.reset();
    await store.put({ ...big, version: big.version + 1 }, big.version, t + 60_000, t);
    expect(recorder.get('DynamoDB', 'PutItem', table)).toMatchObject({ writeUnits: units });
    expect(recorder.get('DynamoDB', 'BatchWriteItem', due).requests).toBe(0);
    // Moving the due to another bucket: the item's units (an update is billed on the item's size),
    // plus one put of the new entry (the old one is left to expire)
    recorder.reset();
    await store.setDue(big.brand, big.customerId, big.version + 1, t + 86_400_000, t + 60_000);
    expect(recorder.get('DynamoDB', 'UpdateItem', table)).toMatchObject({ writeUnits: units });
    expect(recorder.get('DynamoDB', 'BatchWriteItem', due)).toMatchObject({ requests: 1, writeUnits: 1 });
    // A strongly consistent read of an item under 4 KB: one read unit
    recorder.reset();
    await store.get(big.brand, big.customerId);
    expect(recorder.get('DynamoDB', 'GetItem', table)).toMatchObject({ requests: 1, readUnits: 1 });
  });

  it('counts a held message as one write to hold and one to release: no index', async () => {
    recorder.reset();
    const held = new DynamoDbHeldMessages(client, local.names.held);
    const message: Message = {
      messageId: 'default#c-rec#birthday-bonus#2026#email',
      occurrenceKey: 'default#c-rec#birthday-bonus#2026',
      campaignId: 'birthday-bonus',
      trigger: 'birthday',
      customerId: 'c-rec',
      brand: 'default',
      channel: 'email',
      to: 'rec@example.com',
      locale: 'en',
      template: 'birthday-bonus/en',
      variables: {},
      content: { subject: 'Happy birthday', body: '+500 points' },
      sendAt: '2026-05-02T08:00:00.000Z',
      createdAt: '2026-05-01T08:00:00.000Z',
    };
    await held.hold([message]);
    const batch = recorder.get('DynamoDB', 'BatchWriteItem', local.names.held);
    expect(batch).toMatchObject({ requests: 1, entries: 1, writeUnits: 1, indexUnits: {} });
    recorder.reset();
    await held.release([message]);
    expect(recorder.get('DynamoDB', 'BatchWriteItem', local.names.held)).toMatchObject({
      requests: 1,
      entries: 1,
      writeUnits: 1,
      indexUnits: {},
    });
  });

  it('counts the write units a GSI adds, within the total and by index name', async () => {
    // Prepare: no engine table has an index; a table of this test's own has one
    const TableName = 'lt-test-recorder-gsi';
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-g',
            KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    recorder.reset();

    // Act
    await client.send(new PutItemCommand({ TableName, Item: { id: { S: 'a' }, g: { S: 'x' } } }));

    // Assess: the total (table and index), and the index's share of it
    expect(recorder.get('DynamoDB', 'PutItem', TableName)).toMatchObject({
      requests: 1,
      writeUnits: 2,
      indexUnits: { 'by-g': 1 },
    });
    await client.send(new DeleteTableCommand({ TableName }));
  });

  it('counts a refused conditional write as an error of its operation', async () => {
    recorder.reset();
    expect(await store.put(big, 0, null, null)).toBe(false);
    const put = recorder.get('DynamoDB', 'PutItem', local.names.customers);
    expect(put).toMatchObject({ requests: 1, errors: { ConditionalCheckFailedException: 1 } });
    expect(recorder.snapshot().totals.errors).toBe(1);
  });

  it('splits batch and transaction units per table, with their entries', async () => {
    recorder.reset();
    const ledger = new DynamoDbLedgerStore(client, local.names.ledger);
    const entry = big.ledger[0];
    if (entry === undefined) throw new Error('the simulated customer has no ledger entry');
    await ledger.write(big.ledger);
    expect(recorder.get('DynamoDB', 'BatchWriteItem', local.names.ledger)).toMatchObject({
      requests: Math.ceil(big.ledger.length / 25),
      entries: big.ledger.length,
      writeUnits: big.ledger.length,
    });
    // The alternative to one conditional write: the customer item and a ledger item in one transaction
    const next = { ...big, customerId: 'tx-1', version: 1 };
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: local.names.customers,
              Item: encodeCustomer(next, null),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: { TableName: local.names.ledger, Item: encodeLedgerEntry({ ...entry, customerId: 'tx-1' }) },
          },
        ],
      }),
    );
    // Transactions bill two units per KB on every item they write.
    expect(recorder.get('DynamoDB', 'TransactWriteItems', local.names.customers)).toMatchObject({
      requests: 1,
      entries: 1,
      writeUnits: 2 * writeUnits(encodeCustomer(next, null)),
    });
    expect(recorder.get('DynamoDB', 'TransactWriteItems', local.names.ledger).writeUnits).toBe(2);
  });

  it('records the document client under the service and the wire operation', async () => {
    recorder.reset();
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(new GetCommand({ TableName: local.names.customers, Key: { pk: 'default#nobody' } }));
    expect(recorder.snapshot().operations).toEqual([
      expect.objectContaining({ service: 'DynamoDB', operation: 'GetItem', resource: local.names.customers }),
    ]);
  });

  it('leaves an explicit ReturnConsumedCapacity alone', async () => {
    recorder.reset();
    const out = await client.send(
      new GetItemCommand({
        TableName: local.names.customers,
        Key: { pk: { S: 'default#nobody' } },
        ReturnConsumedCapacity: 'NONE',
      }),
    );
    expect(out.ConsumedCapacity).toBeUndefined();
    expect(recorder.get('DynamoDB', 'GetItem', local.names.customers)).toMatchObject({
      requests: 1,
      readUnits: 0,
    });
  });

  it('records Streams API calls by table', async () => {
    const streams = recorder.attach(local.streams());
    recorder.reset();
    const arn = await local.customersStreamArn();
    await new StreamReader(streams, arn).poll();
    const ops = recorder.snapshot().operations.map((o) => `${o.service}:${o.operation}:${o.resource}`);
    expect(ops).toEqual(
      expect.arrayContaining([
        `DynamoDBStreams:DescribeStream:${local.names.customers}`,
        `DynamoDBStreams:GetShardIterator:${local.names.customers}`,
        'DynamoDBStreams:GetRecords:-',
      ]),
    );
    expect(streams.middlewareStack).toBeDefined();
    // Attaching twice does not count twice.
    recorder.reset();
    recorder.attach(streams);
    await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    expect(recorder.get('DynamoDBStreams', 'DescribeStream', local.names.customers).requests).toBe(1);
  });
});

describe('RequestRecorder on SQS', () => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');

  /** An SQS endpoint stub: answers SendMessageBatch (AWS JSON protocol), failing the first `failures` calls. */
  function stubSqs(failures: number, failedIds: string[] = []) {
    let calls = 0;
    return {
      handle: async (request: { body?: unknown }) => {
        calls++;
        const json = (body: unknown, statusCode = 200) => ({
          response: {
            statusCode,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(JSON.stringify(body))]),
          },
        });
        if (calls <= failures) return json({ __type: 'InternalError', message: 'try again' }, 500);
        const body =
          request.body instanceof Uint8Array
            ? Buffer.from(request.body).toString('utf8')
            : String(request.body);
        const input = JSON.parse(body) as { Entries: { Id: string; MessageBody: string }[] };
        return json({
          Successful: input.Entries.filter((e) => !failedIds.includes(e.Id)).map((e) => ({
            Id: e.Id,
            MessageId: `m-${e.Id}`,
            MD5OfMessageBody: md5(e.MessageBody),
          })),
          Failed: failedIds.map((Id) => ({ Id, SenderFault: false, Code: 'InternalError' })),
        });
      },
    };
  }

  const sqs = (failures: number, failedIds: string[] = []) =>
    new SQSClient({
      region: 'eu-central-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      requestHandler: stubSqs(failures, failedIds),
    });
  const queueUrl = 'https://sqs.eu-central-1.amazonaws.com/123456789012/loyalty-email';
  const entries = (n: number, bytes = 100) =>
    Array.from({ length: n }, (_, i) => ({ Id: String(i), MessageBody: 'x'.repeat(bytes) }));

  it('counts batch entries, payload and billed 64 KB chunks per queue', async () => {
    const r = new RequestRecorder();
    const client = r.attach(sqs(0));
    await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(10) }));
    await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(10, 10_000) }));
    expect(r.get('SQS', 'SendMessageBatch', 'loyalty-email')).toMatchObject({
      requests: 2,
      attempts: 2,
      entries: 20,
      payloadBytes: 1_000 + 100_000,
      // 1 KB in one chunk; 100 KB in two.
      billedRequests: 3,
      failedEntries: 0,
    });
  });

  it('counts SDK retries as attempts and failed entries of a partly failed batch', async () => {
    const r = new RequestRecorder();
    const client = r.attach(sqs(1, ['3']));
    const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(4) }));
    expect(out.Failed).toHaveLength(1);
    expect(r.get('SQS', 'SendMessageBatch', 'loyalty-email')).toMatchObject({
      requests: 1,
      attempts: 2,
      entries: 4,
      failedEntries: 1,
    });
  });
});

describe('RequestRecorder bookkeeping', () => {
  it('gives zeros for an operation never called, and totals over all', async () => {
    const r = new RequestRecorder();
    const c = r.attach(local.client());
    expect(r.get('DynamoDB', 'PutItem', 'nothing')).toMatchObject({ requests: 0, writeUnits: 0 });
    await c.send(new PutItemCommand({ TableName: local.names.dispatch, Item: { pk: { S: 'rec' } } }));
    await c.send(new GetItemCommand({ TableName: local.names.dispatch, Key: { pk: { S: 'rec' } } }));
    expect(r.snapshot().totals).toEqual({
      requests: 2,
      attempts: 2,
      readUnits: 0.5,
      writeUnits: 1,
      errors: 0,
    });
    r.reset();
    expect(r.snapshot()).toEqual({
      operations: [],
      totals: { requests: 0, attempts: 0, readUnits: 0, writeUnits: 0, errors: 0 },
    });
  });
});
