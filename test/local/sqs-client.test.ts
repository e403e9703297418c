import '../handlers/quiet-env.ts';
import { createHash } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  MessageTooLargeError,
  SqsMessageQueue,
  SqsRejectedQueue,
} from '../../functions/adapters/sqs/message-queue.ts';
import { customerWorkQueue, SqsWorkQueue, WorkQueueError } from '../../functions/adapters/sqs/work-queue.ts';
import type { Channel } from '../../functions/domain/customer-state.ts';
import { Message } from '../../functions/domain/message.ts';
import type { MetricsSink } from '../../functions/shared/powertools.ts';
import { SimulatedClock } from '../../local/aws/clock.ts';
import type { LocalQueue } from '../../local/aws/sqs.ts';
import { createWiredQueues, MAX_MESSAGE_BYTES } from '../../local/aws/sqs.ts';
import type { AcceptedMessage } from '../../local/aws/sqs-client.ts';
import {
  asSqsClient,
  LocalSqsClient,
  md5OfMessageAttributes,
  UnsupportedSqsCommandError,
} from '../../local/aws/sqs-client.ts';

const T0 = Date.parse('2025-03-10T10:00:00Z');

class FakeMetrics implements MetricsSink {
  readonly counts = new Map<string, number>();
  addMetric(name: string, _unit: 'Count', value: number): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
}

function message(n: number, channel: Channel, sendAtMs = T0): Message {
  const key = `default#c-${n}#birthday-bonus#2025`;
  return Message.parse({
    messageId: `${key}#${channel}`,
    occurrenceKey: key,
    campaignId: 'birthday-bonus',
    trigger: 'birthday',
    customerId: `c-${n}`,
    brand: 'default',
    channel,
    to: channel === 'email' ? `c-${n}@example.com` : '+4915100000000',
    locale: 'en',
    template: 'birthday-bonus/en',
    variables: { points: 500 },
    content: { subject: 'Happy birthday', body: '+500 points' },
    sendAt: new Date(sendAtMs).toISOString(),
    createdAt: new Date(T0).toISOString(),
  });
}

interface Sent {
  queue: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  info: AcceptedMessage;
}

function setup() {
  const clock = new SimulatedClock(T0);
  const { queues, deadLetterQueues } = createWiredQueues(clock);
  const sent: Sent[] = [];
  const local = new LocalSqsClient({
    queues: [...Object.values(queues), ...Object.values(deadLetterQueues)],
    onSend: (queue, body, attributes, info) => sent.push({ queue: queue.name, body, attributes, info }),
  });
  const client = asSqsClient(local);
  const noSleep = { sleep: async () => undefined };
  return { clock, queues, local, client, sent, noSleep };
}

const all = (queue: LocalQueue) => queue.peekAll();

describe('LocalSqsClient under the real adapters', () => {
  it('SqsMessageQueue: one batch call per channel and 10 messages, delays and attributes kept', async () => {
    const { clock, queues, local, client, sent, noSleep } = setup();
    const metrics = new FakeMetrics();
    const adapter = new SqsMessageQueue({
      client,
      queueUrls: { email: queues.email.url, sms: queues.sms.url, push: queues.push.url },
      metrics,
      ...noSleep,
    });
    const emails = Array.from({ length: 12 }, (_, i) => message(i, 'email'));
    const later = message(99, 'sms', T0 + 120_000);
    const report = await adapter.send([...emails, later], T0);

    expect(report.failed).toEqual([]);
    expect(report.sent).toHaveLength(13);
    // 12 emails: 10 + 2; 1 SMS.
    expect(local.calls()).toEqual({ SendMessageBatch: 3 });
    expect(queues.email.calls.sendMessageBatch).toBe(2);

    const received = queues.email.receive(10);
    expect(received.map((m) => (JSON.parse(m.body) as Message).messageId)).toEqual(
      emails.slice(0, 10).map((m) => m.messageId),
    );
    expect(received[0]?.messageAttributes).toEqual({
      channel: { DataType: 'String', StringValue: 'email' },
      campaignId: { DataType: 'String', StringValue: 'birthday-bonus' },
    });
    // The SMS went out with DelaySeconds 120.
    expect(queues.sms.stats()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    await clock.advanceBy(120_000);
    expect(queues.sms.receive(1).map((m) => m.body)).toEqual([JSON.stringify(later)]);

    // onSend saw every accepted body, with its queue and delay.
    expect(sent).toHaveLength(13);
    expect(sent.filter((s) => s.queue === queues.email.name)).toHaveLength(12);
    const sms = sent.find((s) => s.queue === queues.sms.name);
    expect(sms?.body).toBe(JSON.stringify(later));
    expect(sms?.info).toMatchObject({ delaySeconds: 120, operation: 'SendMessageBatch' });
    expect(sms?.attributes.channel?.StringValue).toBe('sms');
  });

  it('customerWorkQueue: 10 per call, duplicates once, the WorkItem bodies', async () => {
    const { queues, local, client, noSleep } = setup();
    const work = customerWorkQueue({ client, queueUrl: queues.work.url, ...noSleep });
    const refs = Array.from({ length: 23 }, (_, i) => ({ brand: 'default', customerId: `c-${i}` }));
    await work.enqueue([...refs, refs[0] ?? { brand: 'x', customerId: 'x' }]);
    expect(local.calls()).toEqual({ SendMessageBatch: 3 });
    expect(all(queues.work).map((m) => JSON.parse(m.body))).toEqual(refs);
  });

  it('a partial batch failure: the invalid entry fails alone, the others are queued', async () => {
    const { queues, local, client, sent, noSleep } = setup();
    // An empty body is not a valid message: SQS fails that entry (InvalidParameterValue, sender's fault).
    const work = new SqsWorkQueue<string>({
      client,
      queueUrl: queues.maintenance.url,
      keyOf: (s) => s,
      bodyOf: (s) => (s === 'empty' ? '' : JSON.stringify({ segment: s })),
      ...noSleep,
    });
    const error = await work.enqueue(['a', 'empty', 'b']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkQueueError);
    expect((error as WorkQueueError).failures).toEqual([
      { key: 'empty', reason: 'rejected', code: 'InvalidParameterValue' },
    ]);
    // One call, no retry of a sender fault; the valid entries are on the queue.
    expect(local.calls()).toEqual({ SendMessageBatch: 1 });
    expect(all(queues.maintenance).map((m) => m.body)).toEqual([
      JSON.stringify({ segment: 'a' }),
      JSON.stringify({ segment: 'b' }),
    ]);
    expect(sent.map((s) => s.body)).toHaveLength(2);

    // The answer itself, as SendMessageBatch gives it.
    const out = await local.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.maintenance.url,
        Entries: [
          { Id: 'ok', MessageBody: 'fine' },
          { Id: 'late', MessageBody: 'x', DelaySeconds: 901 },
          { Id: 'bad id!', MessageBody: 'x' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['ok']);
    expect(out.Successful?.[0]?.MD5OfMessageBody).toBe(createHash('md5').update('fine').digest('hex'));
    expect(out.Failed).toMatchObject([
      { Id: 'late', SenderFault: true, Code: 'InvalidParameterValue' },
      { Id: 'bad id!', SenderFault: true, Code: 'InvalidBatchEntryId' },
    ]);
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it('the rejected queue: SendMessage with reason attributes; an invalid body rejects the call', async () => {
    const { queues, local, client } = setup();
    const rejected = new SqsRejectedQueue({
      client,
      queueUrl: queues.rejected.url,
      metrics: new FakeMetrics(),
    });
    await rejected.sendToRejected('{"not":"an event"}', { reason: 'invalid', path: 'detail.total' });
    const [m] = all(queues.rejected);
    expect(m?.body).toBe('{"not":"an event"}');
    expect(m?.messageAttributes).toEqual({
      reason: { DataType: 'String', StringValue: 'invalid' },
      path: { DataType: 'String', StringValue: 'detail.total' },
    });
    await expect(rejected.sendToRejected('', { reason: 'empty' })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      Code: 'InvalidParameterValue',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    // Too large for the adapter: never sent.
    await expect(
      rejected.sendToRejected('x'.repeat(MAX_MESSAGE_BYTES), { reason: 'too-large' }),
    ).rejects.toBeInstanceOf(MessageTooLargeError);
    expect(local.calls()).toEqual({ SendMessage: 2 });
  });

  it('an unknown QueueUrl fails the call as QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue)', async () => {
    const { queues, client, noSleep } = setup();
    const adapter = new SqsMessageQueue({
      client,
      queueUrls: { email: `${queues.email.url}-gone`, sms: queues.sms.url, push: queues.push.url },
      ...noSleep,
    });
    const error = await adapter.send([message(1, 'email')], T0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error).toMatchObject({
      name: 'QueueDoesNotExist',
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
      Type: 'Sender',
      Error: { Code: 'AWS.SimpleQueueService.NonExistentQueue' },
    });
  });

  it('size limits: a message over 256 KiB fails SendMessage; a batch over it fails the whole call', async () => {
    const { queues, local, client, noSleep } = setup();
    await expect(
      local.send(
        new SendMessageCommand({ QueueUrl: queues.work.url, MessageBody: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    // An adapter configured for bigger messages than the queue takes: SQS refuses the batch call.
    const work = new SqsWorkQueue<string>({
      client,
      queueUrl: queues.work.url,
      keyOf: (s) => s,
      bodyOf: (s) => s,
      maxMessageBytes: 2 * MAX_MESSAGE_BYTES,
      ...noSleep,
    });
    await expect(work.enqueue(['y'.repeat(MAX_MESSAGE_BYTES + 10)])).rejects.toMatchObject({
      name: 'BatchRequestTooLong',
      Code: 'AWS.SimpleQueueService.BatchRequestTooLong',
    });
    await expect(
      local.send(
        new SendMessageBatchCommand({
          QueueUrl: queues.work.url,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'b' })),
        }),
      ),
    ).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    await expect(
      local.send(new SendMessageBatchCommand({ QueueUrl: queues.work.url, Entries: [] })),
    ).rejects.toMatchObject({ name: 'EmptyBatchRequest' });
    expect(queues.work.approximateDepth()).toBe(0);
  });
});

describe('LocalSqsClient: receive, delete, visibility, attributes', () => {
  it('round trip with attribute filters, MD5s, DeleteMessage(Batch) and ChangeMessageVisibility', async () => {
    const { clock, queues, local } = setup();
    const url = queues.work.url;
    const attributes = {
      reason: { DataType: 'String', StringValue: 'x' },
      'meta.a': { DataType: 'Number', StringValue: '1' },
      'meta.b': { DataType: 'Binary', BinaryValue: Uint8Array.from([1, 2, 3]) },
    };
    const sentOut = await local.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageAttributes: attributes }),
    );
    expect(sentOut.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(attributes));
    await local.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'two' }));
    await local.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'three', DelaySeconds: 60 }));

    const got = await local.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        MessageAttributeNames: ['meta.*'],
        WaitTimeSeconds: 20,
      }),
    );
    expect(got.Messages?.map((m) => m.Body)).toEqual(['one', 'two']);
    const [one, two] = got.Messages ?? [];
    expect(one?.MessageId).toBe(sentOut.MessageId);
    expect(one?.Attributes).toEqual({ ApproximateReceiveCount: '1' });
    expect(Object.keys(one?.MessageAttributes ?? {})).toEqual(['meta.a', 'meta.b']);
    const { reason: _, ...meta } = attributes;
    expect(one?.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(meta));
    expect(two?.MessageAttributes).toBeUndefined();

    // Nothing visible: no Messages member, and no waiting.
    expect((await local.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();

    await local.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: two?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = await local.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    const [twoAgain] = again.Messages ?? [];
    expect(twoAgain?.Body).toBe('two');
    expect(twoAgain?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(twoAgain?.Attributes?.SentTimestamp).toBe(String(T0));

    await local.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: one?.ReceiptHandle }));
    const batch = await local.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'two', ReceiptHandle: twoAgain?.ReceiptHandle },
          { Id: 'bad id', ReceiptHandle: 'h' },
        ],
      }),
    );
    expect(batch.Successful).toEqual([{ Id: 'two' }]);
    expect(batch.Failed).toMatchObject([{ Id: 'bad id', Code: 'InvalidBatchEntryId', SenderFault: true }]);

    const attrs = await local.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
          'RedrivePolicy',
        ],
      }),
    );
    expect(attrs.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '1',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: queues.work.redrive?.deadLetterQueue.arn,
        maxReceiveCount: 5,
      }),
    });
    await clock.advanceBy(60_000);
    const everything = await local.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    expect(everything.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '1',
      QueueArn: queues.work.arn,
      VisibilityTimeout: '360',
    });
    await expect(
      local.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Nope' as 'All'] })),
    ).rejects.toMatchObject({ name: 'InvalidAttributeName' });

    expect(local.calls()).toEqual({
      SendMessage: 3,
      ReceiveMessage: 3,
      ChangeMessageVisibility: 1,
      DeleteMessage: 1,
      DeleteMessageBatch: 1,
      GetQueueAttributes: 3,
    });
  });

  it('errors: stale handles, invalid visibility, GetQueueUrl, unsupported commands', async () => {
    const { queues, local, client } = setup();
    await expect(
      local.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queues.work.url,
          ReceiptHandle: 'nope',
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid', $metadata: { httpStatusCode: 404 } });
    // A stale receipt handle deletes nothing and still succeeds.
    await expect(
      local.send(new DeleteMessageCommand({ QueueUrl: queues.work.url, ReceiptHandle: 'stale' })),
    ).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    await expect(
      local.send(new ReceiveMessageCommand({ QueueUrl: queues.work.url, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(local.send(new ReceiveMessageCommand({ QueueUrl: undefined }))).rejects.toMatchObject({
      name: 'MissingParameter',
    });

    expect((await local.send(new GetQueueUrlCommand({ QueueName: queues.push.name }))).QueueUrl).toBe(
      queues.push.url,
    );
    await expect(local.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );

    await expect(client.send(new PurgeQueueCommand({ QueueUrl: queues.work.url }))).rejects.toThrow(
      UnsupportedSqsCommandError,
    );
    await expect(client.send(new PurgeQueueCommand({ QueueUrl: queues.work.url }))).rejects.toThrow(
      /PurgeQueueCommand/,
    );
    expect(local.calls()).not.toHaveProperty('PurgeQueue');
  });

  it('routes only registered queues; a second queue at the same URL is refused', () => {
    const { queues } = setup();
    const local = new LocalSqsClient().register(queues.email);
    expect(local.queue(queues.email.url)).toBe(queues.email);
    expect(local.queue(queues.sms.url)).toBeUndefined();
    expect(() => local.register(queues.email)).not.toThrow();
    const other = createWiredQueues(new SimulatedClock(T0)).queues.email;
    expect(() => local.register(other)).toThrow(/another queue/);
  });

  it('MD5OfMessageAttributes follows the documented encoding and ignores attribute order', () => {
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    // One string attribute, encoded by hand: name, type, transport byte 1, value.
    const expected = createHash('md5')
      .update(
        Buffer.concat([
          u32(4),
          Buffer.from('kind'),
          u32(6),
          Buffer.from('String'),
          Buffer.from([1]),
          u32(3),
          Buffer.from('abc'),
        ]),
      )
      .digest('hex');
    expect(md5OfMessageAttributes({ kind: { DataType: 'String', StringValue: 'abc' } })).toBe(expected);
    const a = { DataType: 'String', StringValue: '1' };
    const b = { DataType: 'Binary', BinaryValue: Uint8Array.from([0, 255]) };
    expect(md5OfMessageAttributes({ a, b })).toBe(md5OfMessageAttributes({ b, a }));
    expect(md5OfMessageAttributes({ a, b })).not.toBe(md5OfMessageAttributes({ a }));
  });
});
