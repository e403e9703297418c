import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, QUEUES } from '../../lib/wiring.ts';
import { SimulatedClock } from '../../local/aws/clock.ts';
import {
  createWiredQueues,
  LocalQueue,
  MAX_MESSAGE_BYTES,
  pollToHandler,
  SqsError,
  wiredPollOptions,
} from '../../local/aws/sqs.ts';

const T0 = Date.UTC(2024, 0, 1);

function setup(options: { visibility?: number; maxReceiveCount?: number } = {}) {
  const clock = new SimulatedClock(T0);
  const dlq = new LocalQueue(clock, { name: 'q-dlq' });
  const queue = new LocalQueue(clock, {
    name: 'q',
    visibilityTimeoutSeconds: options.visibility ?? 30,
    redrive: { deadLetterQueue: dlq, maxReceiveCount: options.maxReceiveCount ?? 3 },
  });
  return { clock, queue, dlq };
}

const bodies = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

describe('LocalQueue', () => {
  it('sendBatch takes at most 10 entries; receive returns at most 10, in send order', () => {
    const { queue } = setup();
    expect(() => queue.sendBatch(bodies(11).map((body, i) => ({ id: `e${i}`, body })))).toThrow(
      expect.objectContaining({ name: 'TooManyEntriesInBatchRequest' }),
    );
    for (let k = 0; k < 3; k++) {
      const r = queue.sendBatch(bodies(10).map((b, i) => ({ id: `e${i}`, body: `${k}-${b}` })));
      expect(r.Successful).toHaveLength(10);
    }
    expect(() => queue.receive(11)).toThrow(SqsError);
    const got = queue.receive(10);
    expect(got.map((m) => m.body)).toEqual(bodies(10).map((b) => `0-${b}`));
    expect(queue.receive(10).map((m) => m.body)[0]).toBe('1-m0');
    expect(queue.approximateDepth()).toBe(30);
    expect(queue.stats()).toEqual({ visible: 10, inFlight: 20, delayed: 0 });
  });

  it('enforces the 256 KiB limit per message and per batch', () => {
    const { queue } = setup();
    const max = 'x'.repeat(MAX_MESSAGE_BYTES);
    expect(queue.send(max).MessageId).toBeTruthy();
    expect(() => queue.send(`${max}x`)).toThrow(expect.objectContaining({ name: 'InvalidParameterValue' }));
    // Attributes count towards the size.
    expect(() =>
      queue.send(max.slice(10), { attributes: { reason: { DataType: 'String', StringValue: 'too-large' } } }),
    ).toThrow(/shorter than 262144/);
    const half = 'y'.repeat(MAX_MESSAGE_BYTES / 2);
    expect(() =>
      queue.sendBatch([
        { id: 'a', body: half },
        { id: 'b', body: `${half}y` },
      ]),
    ).toThrow(expect.objectContaining({ name: 'BatchRequestTooLong' }));
    // An invalid entry fails alone.
    const r = queue.sendBatch([
      { id: 'ok', body: 'fine' },
      { id: 'bad', body: 'late', delaySeconds: 901 },
    ]);
    expect(r.Successful.map((s) => s.Id)).toEqual(['ok']);
    expect(r.Failed).toMatchObject([{ Id: 'bad', Code: 'InvalidParameterValue', SenderFault: true }]);
  });

  it('DelaySeconds keeps a message invisible until its delay passes', async () => {
    const { clock, queue } = setup();
    queue.send('later', { delaySeconds: 120 });
    queue.send('now');
    const [now] = queue.receive(10);
    expect(now?.body).toBe('now');
    queue.delete(now?.receiptHandle ?? '');
    expect(queue.stats().delayed).toBe(1);
    await clock.advanceBy(119_999);
    expect(queue.receive(10)).toEqual([]);
    await clock.advanceBy(1);
    expect(queue.receive(10).map((m) => m.body)).toEqual(['later']);
  });

  it('redelivers after the visibility timeout with an incremented receive count; delete removes', async () => {
    const { clock, queue } = setup({ visibility: 60 });
    queue.send('a', { attributes: { kind: { DataType: 'String', StringValue: 'x' } } });
    const [first] = queue.receive(1);
    expect(first?.attributes.ApproximateReceiveCount).toBe('1');
    await clock.advanceBy(59_000);
    expect(queue.receive(1)).toEqual([]);
    await clock.advanceBy(1_000);
    const [second] = queue.receive(1);
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    expect(second?.messageAttributes.kind?.StringValue).toBe('x');
    // Only the latest receipt handle deletes.
    expect(queue.delete(first?.receiptHandle ?? '')).toBe(false);
    expect(queue.delete(second?.receiptHandle ?? '')).toBe(true);
    await clock.advanceBy(3_600_000);
    expect(queue.receive(1)).toEqual([]);
    expect(queue.approximateDepth()).toBe(0);
  });

  it('changeVisibility: 0 makes it visible now, a longer timeout hides it longer', async () => {
    const { clock, queue } = setup({ visibility: 30 });
    queue.send('a');
    const [m] = queue.receive(1);
    queue.changeVisibility(m?.receiptHandle ?? '', 0);
    const [again] = queue.receive(1);
    expect(again?.body).toBe('a');
    queue.changeVisibility(again?.receiptHandle ?? '', 300);
    await clock.advanceBy(299_000);
    expect(queue.receive(1)).toEqual([]);
    await clock.advanceBy(1_000);
    expect(queue.receive(1)).toHaveLength(1);
    expect(() => queue.changeVisibility('nope', 0)).toThrow(
      expect.objectContaining({ name: 'ReceiptHandleIsInvalid' }),
    );
  });

  it('a message received maxReceiveCount times goes to the DLQ instead of a further delivery', async () => {
    const { clock, queue, dlq } = setup({ visibility: 30, maxReceiveCount: 3 });
    queue.send('poison');
    for (let i = 1; i <= 3; i++) {
      const [m] = queue.receive(1);
      expect(m?.attributes.ApproximateReceiveCount).toBe(String(i));
      await clock.advanceBy(30_000);
    }
    expect(queue.receive(1)).toEqual([]);
    expect(queue.approximateDepth()).toBe(0);
    const [dead] = dlq.receive(1);
    expect(dead?.body).toBe('poison');
    expect(dead?.attributes.DeadLetterQueueSourceArn).toBe(queue.arn);
  });

  it('drops messages past the retention period', async () => {
    const clock = new SimulatedClock(T0);
    const queue = new LocalQueue(clock, { name: 'short', retentionSeconds: 60 });
    queue.send('old');
    await clock.advanceBy(60_000);
    expect(queue.receive(1)).toEqual([]);
    expect(queue.expiredCount()).toBe(1);
  });

  it('createWiredQueues maps lib/wiring.ts 1:1 (maxReceiveCount, retention, visibility = 6× timeout)', () => {
    const { queues, deadLetterQueues } = createWiredQueues(new SimulatedClock(T0));
    expect(queues.ingest.redrive?.maxReceiveCount).toBe(QUEUES.ingest.maxReceiveCount);
    expect(queues.maintenance.redrive?.maxReceiveCount).toBe(3);
    expect(queues.ingest.visibilityTimeoutSeconds).toBe(180);
    expect(queues.maintenance.visibilityTimeoutSeconds).toBe(360);
    expect(queues.email.visibilityTimeoutSeconds).toBe(60);
    expect(queues.rejected.redrive).toBeUndefined();
    expect(queues.rejected.retentionSeconds).toBe(14 * 86400);
    expect(deadLetterQueues.work?.name).toBe('loyalty-triggers-work-dlq');
    expect(queues.relayFailures.name).toBe('loyalty-triggers-relay-failures');
    const trigger = FUNCTIONS.ingest.triggers[0];
    if (trigger?.kind !== 'sqs') throw new Error('ingest has an SQS trigger');
    expect(wiredPollOptions(FUNCTIONS.ingest, trigger)).toMatchObject({
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      timeoutSeconds: 30,
    });
  });
});

describe('pollToHandler', () => {
  it('builds a real SQSEvent and a Lambda-like context; deletes the batch on success', async () => {
    const { clock, queue } = setup();
    queue.sendBatch(
      bodies(10).map((body, i) => ({
        id: `e${i}`,
        body,
        attributes: { n: { DataType: 'Number', StringValue: String(i) } },
      })),
    );
    queue.send('eleventh');
    const events: SQSEvent[] = [];
    let remaining = 0;
    const result = await pollToHandler(
      queue,
      async (event, context) => {
        events.push(event);
        remaining = context.getRemainingTimeInMillis();
        expect(context.functionName).toBe('ingest');
        expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
        return { batchItemFailures: [] };
      },
      { batchSize: 10, functionName: 'ingest', timeoutSeconds: 30 },
    );
    expect(result).toEqual({ invoked: true, received: 10, deleted: 10, failed: 0 });
    expect(remaining).toBe(30_000);
    const record = events[0]?.Records[3];
    expect(record).toMatchObject({
      body: 'm3',
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(T0) },
      messageAttributes: {
        n: { dataType: 'Number', stringValue: '3', stringListValues: [], binaryListValues: [] },
      },
    });
    expect(record?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(queue.approximateDepth()).toBe(1);
    expect(clock.now()).toBe(T0);
  });

  it('batchSize above 10 gathers several receives', async () => {
    const { queue } = setup();
    for (let k = 0; k < 5; k++) queue.sendBatch(bodies(10).map((body, i) => ({ id: `e${i}`, body })));
    let size = 0;
    await pollToHandler(
      queue,
      (e) => {
        size = e.Records.length;
      },
      { batchSize: 25 },
    );
    expect(size).toBe(25);
    expect(queue.approximateDepth()).toBe(25);
  });

  it('partial batch response: only the poison record comes back, then lands in the DLQ after maxReceiveCount', async () => {
    const { clock, queue, dlq } = setup({ visibility: 30, maxReceiveCount: 3 });
    queue.sendBatch(['ok1', 'poison', 'ok2'].map((body, i) => ({ id: `e${i}`, body })));
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
        itemIdentifier: r.messageId,
      })),
    });
    const first = await pollToHandler(queue, handler, { batchSize: 10 });
    expect(first).toMatchObject({ received: 3, deleted: 2, failed: 1 });
    expect(queue.approximateDepth()).toBe(1);
    expect((await pollToHandler(queue, handler, { batchSize: 10 })).invoked).toBe(false);

    const counts: string[] = [];
    const spy = async (event: SQSEvent) => {
      counts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
      return handler(event);
    };
    for (let i = 0; i < 3; i++) {
      await clock.advanceBy(30_000);
      await pollToHandler(queue, spy, { batchSize: 10 });
    }
    expect(counts).toEqual(['2', '3']);
    expect(queue.approximateDepth()).toBe(0);
    expect(dlq.peekAll().map((m) => m.body)).toEqual(['poison']);
  });

  it('a thrown handler error fails the whole batch; an unknown failure id does too', async () => {
    const { clock, queue } = setup({ visibility: 30 });
    queue.sendBatch(['a', 'b'].map((body, i) => ({ id: `e${i}`, body })));
    const thrown = await pollToHandler(
      queue,
      () => {
        throw new Error('down');
      },
      { batchSize: 10 },
    );
    expect(thrown).toMatchObject({ received: 2, deleted: 0, failed: 2 });
    expect(String(thrown.error)).toContain('down');
    await clock.advanceBy(30_000);
    const unknown = await pollToHandler(
      queue,
      () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }),
      {
        batchSize: 10,
      },
    );
    expect(unknown).toMatchObject({ received: 2, deleted: 0, failed: 2 });
    await clock.advanceBy(30_000);
    const fine = await pollToHandler(queue, () => undefined, { batchSize: 10 });
    expect(fine).toMatchObject({ received: 2, deleted: 2 });
  });
});
