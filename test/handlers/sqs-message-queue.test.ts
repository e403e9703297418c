import './quiet-env.ts';
import 'aws-sdk-client-mock-vitest/extend';
import type { SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { entryIdOf } from '../../functions/adapters/sqs/batch-sender.ts';
import { MessageTooLargeError, SqsMessageQueue } from '../../functions/adapters/sqs/message-queue.ts';
import {
  customerWorkQueue,
  FAN_OUT_CONCURRENCY,
  WorkQueueError,
} from '../../functions/adapters/sqs/work-queue.ts';
import type { Channel } from '../../functions/domain/customer-state.ts';
import { Message } from '../../functions/domain/message.ts';
import type { MetricsSink } from '../../functions/shared/powertools.ts';

const NOW = Date.parse('2025-03-10T10:00:00Z');
const URLS = {
  email: 'https://sqs.eu-central-1.amazonaws.com/123456789012/email',
  sms: 'https://sqs.eu-central-1.amazonaws.com/123456789012/sms',
  push: 'https://sqs.eu-central-1.amazonaws.com/123456789012/push',
};
const REJECTED = 'https://sqs.eu-central-1.amazonaws.com/123456789012/rejected';
const sqsMock = mockClient(SQSClient);

function message(n: number, overrides: Partial<Message> = {}): Message {
  const channel: Channel = overrides.channel ?? 'email';
  const key = `default#c-${n}#birthday-bonus#2025`;
  return Message.parse({
    messageId: `${key}#${channel}`,
    occurrenceKey: key,
    campaignId: 'birthday-bonus',
    trigger: 'birthday',
    customerId: `c-${n}`,
    brand: 'default',
    channel,
    to: `c-${n}@example.com`,
    locale: 'en',
    template: 'birthday-bonus/en',
    variables: { points: 500 },
    content: { subject: 'Happy birthday', body: '+500 points' },
    sendAt: new Date(NOW).toISOString(),
    createdAt: new Date(NOW).toISOString(),
    ...overrides,
  });
}

class FakeMetrics implements MetricsSink {
  readonly counts = new Map<string, number>();
  addMetric(name: string, _unit: 'Count', value: number): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }
}

function queue(metrics = new FakeMetrics()) {
  const q = new SqsMessageQueue({
    client: new SQSClient({ region: 'eu-central-1' }),
    queueUrls: URLS,
    rejectedQueueUrl: REJECTED,
    metrics,
    sleep: async () => undefined,
  });
  return { q, metrics };
}

/** Answers every entry as sent, except those `fail` picks. */
function answer(fail: (input: SendMessageBatchCommandInput, id: string) => { SenderFault: boolean } | null) {
  return (input: SendMessageBatchCommandInput) => {
    const entries = input.Entries ?? [];
    const failed = entries.flatMap((e) => {
      const f = e.Id === undefined ? null : fail(input, e.Id);
      return f === null
        ? []
        : [
            {
              Id: e.Id,
              SenderFault: f.SenderFault,
              Code: f.SenderFault ? 'InvalidParameterValue' : 'InternalError',
            },
          ];
    });
    const failedIds = new Set(failed.map((f) => f.Id));
    return {
      Successful: entries
        .filter((e) => !failedIds.has(e.Id))
        .map((e) => ({ Id: e.Id, MessageId: `sqs-${e.Id}`, MD5OfMessageBody: 'x' })),
      Failed: failed,
    };
  };
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).callsFake(answer(() => null));
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'rejected-1' });
});

describe('SqsMessageQueue', () => {
  it('sends 23 messages in 3 SendMessageBatch calls of 10, 10 and 3', async () => {
    // Prepare
    const { q } = queue();
    const messages = Array.from({ length: 23 }, (_, i) => message(i));

    // Act
    const report = await q.send(messages, NOW);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    const sizes = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes.sort()).toEqual([10, 10, 3].sort());
    expect(report.sent).toHaveLength(23);
    expect(report.failed).toEqual([]);
  });

  it('sends each message to its channel queue as the contract body, with channel and campaign attributes', async () => {
    // Prepare
    const { q } = queue();
    const sms = message(1, { channel: 'sms', to: '+4915100000001' });

    // Act
    await q.send([sms, message(2)], NOW);

    // Assess
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: URLS.sms,
      Entries: [
        {
          Id: entryIdOf(sms.messageId),
          MessageBody: JSON.stringify(sms),
          DelaySeconds: 0,
          MessageAttributes: {
            channel: { DataType: 'String', StringValue: 'sms' },
            campaignId: { DataType: 'String', StringValue: 'birthday-bonus' },
          },
        },
      ],
    });
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: URLS.email });
    // Entry ids are what SQS accepts: alphanumerics, - and _, at most 80 characters.
    for (const call of sqsMock.commandCalls(SendMessageBatchCommand)) {
      for (const entry of call.args[0].input.Entries ?? []) expect(entry.Id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    }
  });

  it('sets DelaySeconds from sendAt, rounded up, and refuses a sendAt beyond 15 minutes', async () => {
    // Prepare
    const { q } = queue();
    const inNinety = message(1, { sendAt: new Date(NOW + 90_200).toISOString() });
    const past = message(2, { sendAt: new Date(NOW - 3_600_000).toISOString() });
    const atLimit = message(3, { sendAt: new Date(NOW + 900_000).toISOString() });
    const tooFar = message(4, { sendAt: new Date(NOW + 900_001).toISOString() });

    // Act
    const report = await q.send([inNinety, past, atLimit, tooFar], NOW);

    // Assess
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      Entries: expect.arrayContaining([
        expect.objectContaining({ Id: entryIdOf(inNinety.messageId), DelaySeconds: 91 }),
        expect.objectContaining({ Id: entryIdOf(past.messageId), DelaySeconds: 0 }),
        expect.objectContaining({ Id: entryIdOf(atLimit.messageId), DelaySeconds: 900 }),
      ]),
    });
    expect(report.failed).toEqual([{ messageId: tooFar.messageId, reason: 'send-at-too-far' }]);
    expect(report.sent).not.toContain(tooFar.messageId);
  });

  it('retries the entries SQS failed on its side, and only those', async () => {
    // Prepare: the first call fails two entries with SenderFault false.
    const { q } = queue();
    const messages = Array.from({ length: 5 }, (_, i) => message(i));
    const flaky = new Set([entryIdOf(messages[1]?.messageId ?? ''), entryIdOf(messages[3]?.messageId ?? '')]);
    let calls = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      calls++;
      return answer((_, id) => (calls === 1 && flaky.has(id) ? { SenderFault: false } : null))(input);
    });

    // Act
    const report = await q.send(messages, NOW);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(sqsMock).toHaveReceivedNthCommandWith(SendMessageBatchCommand, 2, {
      Entries: [
        expect.objectContaining({ Id: [...flaky][0] }),
        expect.objectContaining({ Id: [...flaky][1] }),
      ],
    });
    expect(report.sent.sort()).toEqual(messages.map((m) => m.messageId).sort());
    expect(report.failed).toEqual([]);
  });

  it("reports entries refused as the sender's fault without retrying, and gives up on SQS failures after the last attempt", async () => {
    // Prepare
    const { q } = queue();
    const [refused, flaky, fine] = [message(1), message(2), message(3)];
    sqsMock.on(SendMessageBatchCommand).callsFake(
      answer((_, id) => {
        if (id === entryIdOf(refused.messageId)) return { SenderFault: true };
        if (id === entryIdOf(flaky.messageId)) return { SenderFault: false };
        return null;
      }),
    );

    // Act
    const report = await q.send([refused, flaky, fine], NOW);

    // Assess: four attempts for the flaky one, one for the refused one.
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 4);
    expect(report.sent).toEqual([fine.messageId]);
    expect(report.failed).toEqual([
      { messageId: refused.messageId, reason: 'rejected', code: 'InvalidParameterValue' },
      { messageId: flaky.messageId, reason: 'retries-exhausted', code: 'InternalError' },
    ]);
  });

  it('does not send a message over 256 KB: it is reported and counted, and the rest go out', async () => {
    // Prepare
    const { q, metrics } = queue();
    const huge = message(1, { variables: { blob: 'x'.repeat(260 * 1024) } });
    const normal = message(2);

    // Act
    const report = await q.send([huge, normal], NOW);

    // Assess
    expect(report.failed).toEqual([
      { messageId: huge.messageId, reason: 'too-large', bytes: expect.any(Number) as number },
    ]);
    expect(metrics.counts.get('MessageTooLarge')).toBe(1);
    expect(report.sent).toEqual([normal.messageId]);
    expect(sqsMock).not.toHaveReceivedCommandWith(SendMessageBatchCommand, {
      Entries: expect.arrayContaining([expect.objectContaining({ Id: entryIdOf(huge.messageId) })]),
    });
  });

  it('splits a batch whose total size would exceed the per-call limit', async () => {
    // Prepare: three messages of ~100 KB fit 10 to a call by count, but not by size.
    const { q } = queue();
    const messages = [1, 2, 3].map((n) => message(n, { variables: { blob: 'y'.repeat(100 * 1024) } }));

    // Act
    const report = await q.send(messages, NOW);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(report.sent).toHaveLength(3);
  });

  it('queues the same message once when given twice', async () => {
    // Prepare
    const { q } = queue();

    // Act
    const report = await q.send([message(1), message(1)], NOW);

    // Assess
    expect(report.sent).toEqual([message(1).messageId]);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      Entries: [expect.objectContaining({ Id: entryIdOf(message(1).messageId) })],
    });
  });

  it('sends a rejected input unchanged with its reason, path and rule as attributes', async () => {
    // Prepare
    const { q } = queue();
    const body = '{"detail-type":"OrderPlaced","detail":{}}';

    // Act
    await q.sendToRejected(body, {
      reason: 'detail.customerId: is required',
      path: 'detail.customerId',
      rule: 'required',
    });
    await q.sendToRejected('{oops', { reason: 'event: is not valid JSON', path: '', rule: 'invalid-json' });

    // Assess
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: REJECTED,
      MessageBody: body,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'detail.customerId: is required' },
        path: { DataType: 'String', StringValue: 'detail.customerId' },
        rule: { DataType: 'String', StringValue: 'required' },
      },
    });
    // SQS refuses empty attribute values: an empty path is left out.
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
      MessageBody: '{oops',
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'event: is not valid JSON' },
        rule: { DataType: 'String', StringValue: 'invalid-json' },
      },
    });
  });

  it('refuses to send a rejected input over the size limit', async () => {
    // Prepare
    const { q, metrics } = queue();

    // Act
    const sending = q.sendToRejected('z'.repeat(256 * 1024), { reason: 'too big' });

    // Assess
    await expect(sending).rejects.toBeInstanceOf(MessageTooLargeError);
    expect(metrics.counts.get('MessageTooLarge')).toBe(1);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
  });
});

describe('customerWorkQueue', () => {
  const work = () =>
    customerWorkQueue({
      client: new SQSClient({ region: 'eu-central-1' }),
      queueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/work',
      sleep: async () => undefined,
    });

  it('fans 23 customers out in 3 calls with { brand, customerId } bodies, duplicates once', async () => {
    // Prepare
    const refs = Array.from({ length: 23 }, (_, i) => ({ brand: 'default', customerId: `c-${i}` }));

    // Act
    await work().enqueue([...refs, { brand: 'default', customerId: 'c-0' }]);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      Entries: expect.arrayContaining([
        expect.objectContaining({ MessageBody: '{"brand":"default","customerId":"c-22"}' }),
      ]),
    });
  });

  it(`fans a large due bucket out with ${FAN_OUT_CONCURRENCY} calls in flight`, async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return {
        Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
      };
    });
    const refs = Array.from({ length: 400 }, (_, i) => ({ brand: 'default', customerId: `c-${i}` }));

    // Act
    await work().enqueue(refs);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 40);
    expect(most).toBe(FAN_OUT_CONCURRENCY);
  });

  it('sends every item of a delayed call with DelaySeconds, and none without', async () => {
    // Act
    await work().enqueue([{ brand: 'default', customerId: 'c-1' }], { delaySeconds: 60 });
    await work().enqueue([{ brand: 'default', customerId: 'c-2' }]);

    // Assess
    const [delayed, plain] = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries);
    expect(delayed).toEqual([expect.objectContaining({ DelaySeconds: 60 })]);
    expect(plain?.[0]).not.toHaveProperty('DelaySeconds');
  });

  it('throws when some customers could not be queued, so the dispatcher keeps its watermark', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(answer(() => ({ SenderFault: false })));

    // Act
    const enqueueing = work().enqueue([{ brand: 'default', customerId: 'c-1' }]);

    // Assess
    await expect(enqueueing).rejects.toBeInstanceOf(WorkQueueError);
  });
});

describe('SqsMessageQueue shared by concurrent senders (a relay batch)', () => {
  beforeEach(() => sqsMock.reset());

  const okAll = (input: SendMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map((e) => ({
      Id: e.Id,
      MessageId: `m-${e.Id}`,
      MD5OfMessageBody: '',
    })),
    Failed: [],
  });

  it('sends the messages of one turn in one call per queue, each caller told of its own', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(okAll);
    const { q } = queue();
    const [a, b, c] = await Promise.all([
      q.send([message(1)], NOW),
      q.send([message(2), message(2, { channel: 'push' })], NOW),
      q.send([message(3, { channel: 'push' })], NOW),
    ]);
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 2);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).map((x) => x.args[0].input);
    expect(calls.map((x) => [x.QueueUrl, x.Entries?.length]).toSorted()).toEqual([
      [URLS.email, 2],
      [URLS.push, 2],
    ]);
    expect(a?.sent).toEqual([message(1).messageId]);
    expect(b?.sent.toSorted()).toEqual(
      [message(2).messageId, message(2, { channel: 'push' }).messageId].toSorted(),
    );
    expect(c?.sent).toEqual([message(3, { channel: 'push' }).messageId]);
    // A later turn makes calls of its own.
    await q.send([message(4)], NOW);
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 3);
  });

  it('reports a refused entry to its own caller only', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const refused = entryIdOf(message(2).messageId);
      const ok = okAll({ ...input, Entries: (input.Entries ?? []).filter((e) => e.Id !== refused) });
      return { ...ok, Failed: [{ Id: refused, Code: 'InvalidParameterValue', SenderFault: true }] };
    });
    const { q } = queue();
    const [a, b] = await Promise.all([q.send([message(1)], NOW), q.send([message(2)], NOW)]);
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 1);
    expect(a).toEqual({ sent: [message(1).messageId], failed: [] });
    expect(b?.sent).toEqual([]);
    expect(b?.failed).toEqual([
      { messageId: message(2).messageId, reason: 'rejected', code: 'InvalidParameterValue' },
    ]);
  });

  it('rejects every caller of the turn when SQS cannot be reached', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('connect ECONNREFUSED'));
    const { q } = queue();
    const results = await Promise.allSettled([q.send([message(1)], NOW), q.send([message(2)], NOW)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 1);
  });
});
