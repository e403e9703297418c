import './quiet-env.ts';
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { processEvent } from '../../functions/domain/engine.ts';
import { parseEventLine } from '../../functions/domain/events.ts';
import { Message } from '../../functions/domain/message.ts';
import { makeHandler } from '../../functions/handlers/relay.ts';
import type { SendReport } from '../../functions/ports/message-queue.ts';
import { ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import {
  decodeTestImage,
  fixture,
  MemoryHeld,
  MemoryLedger,
  MemoryMessageQueue,
  NO_EARLY_TIMEOUT,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const NOW = Date.parse('2025-03-10T10:05:00Z');
const ctx = testContext();

/** Customer c-100's item after registration and after the first order, through the real engine. */
async function customerImages(): Promise<Record<string, CustomerState>> {
  const store = new MemoryCustomerStore();
  const images: CustomerState[] = [];
  store.onChange((_old, next) => images.push(next));
  const batch = fixture<SQSEvent>('sqs-ingest-batch.json');
  for (const record of batch.Records.slice(0, 2)) {
    const parsed = parseEventLine(record.body, NOW);
    if (!parsed.ok) throw new Error(parsed.reason);
    await ingestEvent({ store }, ctx, parsed.event, NOW);
  }
  const [registered, firstOrder] = images;
  if (registered === undefined || firstOrder === undefined) throw new Error('no images');
  return { $registered: registered, '$first-order': firstOrder };
}

/** The stream fixture with its state placeholders replaced by real customer items. */
async function streamEvent(): Promise<DynamoDBStreamEvent> {
  const images = await customerImages();
  const event = fixture<DynamoDBStreamEvent>('dynamodb-stream-customers.json');
  for (const record of event.Records) {
    for (const image of [record.dynamodb?.NewImage, record.dynamodb?.OldImage]) {
      const state = image?.state;
      const placeholder = state?.S;
      if (state === undefined || placeholder === undefined) continue;
      const value = images[placeholder];
      if (value === undefined) throw new Error(`no image for ${placeholder}`);
      state.S = JSON.stringify(value);
    }
  }
  return event;
}

function recordsOf(event: DynamoDBStreamEvent, ...names: string[]): DynamoDBStreamEvent {
  return { Records: event.Records.filter((r) => names.includes(r.eventName ?? '')) };
}

function setup(clockMs = NOW) {
  const ledger = new MemoryLedger();
  const queue = new MemoryMessageQueue();
  const held = new MemoryHeld();
  const clock = new TestClock(clockMs);
  const handler = makeHandler({
    pack: ctx.pack,
    decodeImage: decodeTestImage,
    ledger,
    queue,
    held,
    rejected: queue,
    clock: clock.now,
    ...NO_EARLY_TIMEOUT,
  });
  return { ledger, queue, held, clock, handler };
}

describe('relay handler', () => {
  it('turns a newly issued occurrence into its messages and ledger entries', async () => {
    // Prepare
    const { ledger, queue, held, handler } = setup();
    const event = await streamEvent();

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    // The cross-sell offer waits days after the order: further than SQS can delay, so it is held.
    const crossSell = held.messages.get('default#c-100#cross-sell-after-purchase#o-5001#email');
    expect(Date.parse(crossSell?.sendAt ?? '')).toBeGreaterThan(NOW + 15 * 60_000);
    expect(held.messages.size).toBe(1);
    const reasons = [...ledger.entries.values()].map((e) => [e.reason, e.campaignId, e.points]);
    expect(reasons).toContainEqual(['bonus', 'first-order-thank-you', 100]);
    expect(reasons).toContainEqual(['accrual', null, 1]);
    expect(queue.sent).toHaveLength(1);
    const sent = queue.sent[0];
    expect(sent?.delaySeconds).toBe(0);
    const message = Message.parse(sent?.message);
    expect(message).toMatchObject({
      messageId: 'default#c-100#first-order-thank-you#once#email',
      campaignId: 'first-order-thank-you',
      channel: 'email',
      to: 'anna@example.com',
      // The stream record's creation time, not the relay's clock: redeliveries build the same body.
      createdAt: '2025-03-10T10:01:00.000Z',
      bonus: { points: 100 },
    });
  });

  it('deletes the held messages of a channel that lost its consent before their send time', async () => {
    // Prepare: the first order's cross-sell offer is held for days.
    const { held, handler } = setup();
    await handler(await streamEvent(), stubContext());
    const crossSell = 'default#c-100#cross-sell-after-purchase#o-5001#email';
    expect(held.messages.has(crossSell)).toBe(true);
    // The customer withdraws email consent: the engine takes email off the held occurrence.
    const { '$first-order': before } = await customerImages();
    if (before === undefined) throw new Error('no image');
    const line = JSON.stringify({
      id: 'evt-consent',
      source: 'shop',
      'detail-type': 'ConsentChanged',
      time: '2025-03-10T10:03:00Z',
      detail: { customerId: 'c-100', channel: 'email', granted: false },
    });
    const parsed = parseEventLine(line, NOW);
    if (!parsed.ok) throw new Error(parsed.reason);
    const after = processEvent(before, parsed.event, ctx, NOW).state;
    const modify = (await streamEvent()).Records.find((r) => r.eventName === 'MODIFY');
    if (modify?.dynamodb === undefined) throw new Error('no MODIFY record');
    const record: DynamoDBRecord = {
      ...modify,
      dynamodb: {
        ...modify.dynamodb,
        SequenceNumber: '900',
        OldImage: { ...modify.dynamodb.OldImage, state: { S: JSON.stringify(before) } },
        NewImage: { ...modify.dynamodb.NewImage, state: { S: JSON.stringify(after) } },
      },
    };

    // Act
    const response = await handler({ Records: [record] }, stubContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(held.messages.has(crossSell)).toBe(false);
  });

  it('ignores REMOVE records (deletes and TTL expiry)', async () => {
    // Prepare
    const { ledger, queue, held, handler } = setup();
    const event = recordsOf(await streamEvent(), 'REMOVE');

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(ledger.writes).toBe(0);
    expect(queue.sent).toEqual([]);
    expect(held.messages.size).toBe(0);
  });

  it('builds the same messages with the same ids from a duplicate stream record', async () => {
    // Prepare
    const { queue, handler } = setup();
    const event = recordsOf(await streamEvent(), 'MODIFY');

    // Act
    await handler(event, stubContext());
    await handler(structuredClone(event), stubContext());

    // Assess
    expect(queue.sent).toHaveLength(2);
    expect(queue.sent[1]?.message).toEqual(queue.sent[0]?.message);
  });

  it('holds a message whose sendAt is more than 15 minutes away and delays one within 15 minutes', async () => {
    // Prepare: the relay runs well before the message's sendAt (e.g. quiet hours end in an hour).
    const early = setup(NOW - 60 * 60_000);
    const soon = setup(NOW - 100_000);
    const event = recordsOf(await streamEvent(), 'MODIFY');

    // Act
    await early.handler(event, stubContext());
    await soon.handler(structuredClone(event), stubContext());

    // Assess
    expect(early.queue.sent).toEqual([]);
    expect([...early.held.messages.keys()]).toContain('default#c-100#first-order-thank-you#once#email');
    expect(soon.queue.sent.map((s) => [s.message.campaignId, s.delaySeconds])).toEqual([
      ['first-order-thank-you', 100],
    ]);
    expect(soon.held.messages.has('default#c-100#first-order-thank-you#once#email')).toBe(false);
  });

  it('fails exactly the poison record and relays the rest', async () => {
    // Prepare
    const { ledger, queue, handler } = setup();
    const event = await streamEvent();
    const poison = structuredClone(event.Records[1]) as DynamoDBRecord;
    if (poison.dynamodb?.NewImage?.state === undefined) throw new Error('fixture changed');
    poison.dynamodb.NewImage.state.S = '{"truncated';
    poison.dynamodb.SequenceNumber = '100000000000000000009';
    poison.dynamodb.Keys = { pk: { S: 'C#default#c-999' }, sk: { S: 'PROFILE' } };
    event.Records.push(poison);

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '100000000000000000009' }] });
    expect(queue.sent).toHaveLength(1);
    expect(ledger.entries.size).toBeGreaterThan(0);
  });

  it('reports a message SQS can never take to the rejected queue and fails on transient send failures', async () => {
    // Prepare
    const event = recordsOf(await streamEvent(), 'MODIFY');
    const tooLarge = setup();
    tooLarge.queue.send = async (messages): Promise<SendReport> => ({
      sent: [],
      failed: messages.map((m) => ({ messageId: m.messageId, reason: 'too-large', bytes: 300_000 })),
    });
    const flaky = setup();
    flaky.queue.send = async (messages): Promise<SendReport> => ({
      sent: [],
      failed: messages.map((m) => ({
        messageId: m.messageId,
        reason: 'retries-exhausted',
        code: 'InternalError',
      })),
    });

    // Act
    const rejectedResponse = await tooLarge.handler(event, stubContext());
    const flakyResponse = await flaky.handler(structuredClone(event), stubContext());

    // Assess
    expect(rejectedResponse.batchItemFailures).toEqual([]);
    expect(tooLarge.queue.rejected).toHaveLength(1);
    const reference = JSON.parse(tooLarge.queue.rejected[0]?.body ?? '{}');
    expect(reference).toMatchObject({
      type: 'UndeliverableMessage',
      messageId: 'default#c-100#first-order-thank-you#once#email',
      reason: 'too-large',
      bytes: 300_000,
    });
    // A reference, not the message: no address, no text.
    expect(reference).not.toHaveProperty('to');
    expect(reference).not.toHaveProperty('content');
    expect(flakyResponse.batchItemFailures).toEqual([{ itemIdentifier: '100000000000000000002' }]);
  });
});
