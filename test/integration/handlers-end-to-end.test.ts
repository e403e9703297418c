/**
 * The deployed handlers end to end on DynamoDB Local, with real event shapes: shop events in SQS
 * records → ingest → the Customers table → its stream, read through the Streams API and handed to the
 * relay as Lambda's event source mapping would → ledger entries in the Ledger table and messages on the
 * channel queue; then the dispatcher reads the due index from its watermark and the evaluate handler
 * issues the birthday, which reaches the queue the same way.
 */
import '../handlers/quiet-env.ts';
import type { DynamoDBStreamEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbDataLayer } from '../../functions/adapters/dynamodb/data-layer.ts';
import type { StreamRecord } from '../../functions/adapters/dynamodb/stream-reader.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import { makeHandler as makeDispatch } from '../../functions/handlers/dispatch.ts';
import { makeHandler as makeEvaluate } from '../../functions/handlers/evaluate.ts';
import { makeHandler as makeIngest } from '../../functions/handlers/ingest.ts';
import type { DueTask } from '../../functions/handlers/maintenance.ts';
import { makeHandler as makeRelay } from '../../functions/handlers/relay.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { toDynamoDBRecord } from '../../local/aws/stream-mapping.ts';
import {
  MemoryMessageQueue,
  MemoryTaskQueue,
  MemoryWorkQueue,
  NO_EARLY_TIMEOUT,
  stubContext,
} from '../handlers/support.ts';
import { DEFAULT_PACK } from '../unit/fixtures.ts';
import { drainStream } from './fixtures.ts';

let local: DynamoDbLocal;
let streamArn: string;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  streamArn = await local.customersStreamArn();
});

afterAll(async () => {
  await local?.stop();
});

const CUSTOMER = 'e2e-1';
const SECOND = 'e2e-2';
const REGISTERED = '2026-03-01T09:00:00Z';
const ORDERED = '2026-03-01T12:00:00Z';

/** An EventBridge event as the bus delivers it to the ingest queue. */
function envelope(id: string, type: string, time: string, detail: Record<string, unknown>) {
  return {
    version: '0',
    id,
    source: 'shop.web',
    'detail-type': type,
    time,
    account: '123456789012',
    region: 'eu-central-1',
    resources: [],
    detail,
  };
}

function sqsEvent(bodies: string[]): SQSEvent {
  const records: SQSRecord[] = bodies.map((body, i) => ({
    messageId: `m-${i}`,
    receiptHandle: `rh-${i}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:ingest',
    awsRegion: 'eu-central-1',
  }));
  return { Records: records };
}

/** Streams API records in the shape Lambda's event source mapping hands to a function. */
function streamEvent(records: StreamRecord[]): DynamoDBStreamEvent {
  return { Records: records.map((r) => toDynamoDBRecord(r, streamArn)) };
}

function setup(clockMs: { now: number }) {
  const layer = dynamoDbDataLayer({ client: local.client(), names: local.names });
  const ctx: EngineContext = { pack: DEFAULT_PACK, model: null };
  const queue = new MemoryMessageQueue();
  const work = new MemoryWorkQueue();
  const clock = () => clockMs.now;
  const common = { clock, ...NO_EARLY_TIMEOUT };
  return {
    layer,
    queue,
    work,
    ingest: makeIngest({ store: layer.customers, ctx, rejected: queue, ...common }),
    relay: makeRelay({
      pack: DEFAULT_PACK,
      decodeImage: layer.decodeImage,
      ledger: layer.ledger,
      queue,
      held: layer.held,
      rejected: queue,
      ...common,
    }),
    dispatch: makeDispatch({
      due: layer.customers,
      watermark: layer.watermark,
      work,
      tasks: new MemoryTaskQueue<DueTask>(),
      held: layer.held,
      queue,
      rejected: queue,
      ...common,
    }),
    evaluate: makeEvaluate({ store: layer.customers, ctx, ...common }),
  };
}

describe('handlers end to end on DynamoDB Local', () => {
  it('ingests shop events, relays the stream to ledger and queue, and dispatches the birthday', async () => {
    // Prepare
    const clock = { now: Date.parse('2026-03-01T12:00:05Z') };
    const h = setup(clock);
    const bodies = [
      envelope('e2e-reg', 'CustomerRegistered', REGISTERED, {
        customerId: CUSTOMER,
        firstName: 'Ann',
        birthday: '1990-03-03',
        timeZone: 'Europe/Moscow',
        locale: 'ru',
        contacts: { email: 'ann@example.com', pushToken: 'push-token-ann' },
        consents: { email: true, push: true },
      }),
      envelope('e2e-reg-2', 'CustomerRegistered', REGISTERED, {
        customerId: SECOND,
        firstName: 'Boris',
        birthday: '--03-03',
        timeZone: 'Europe/Moscow',
        locale: 'en-GB',
        contacts: { email: 'boris@example.com' },
        consents: { email: true },
      }),
      envelope('e2e-order', 'OrderPlaced', ORDERED, {
        orderId: 'o-e2e-1',
        customerId: CUSTOMER,
        currency: 'RUB',
        total: 2490,
        lines: [{ sku: 'SKU-COF-001', category: 'coffee', quantity: 2, unitPrice: 1245 }],
      }),
      envelope('e2e-bad', 'OrderPlaced', ORDERED, {
        orderId: 'o-bad',
        customerId: CUSTOMER,
        currency: 'RUB',
        total: -1,
        lines: [],
      }),
    ].map((e) => JSON.stringify(e));
    // The same order delivered twice (at-least-once delivery) must count once.
    bodies.push(bodies[2] as string);

    // Act: ingest, then the stream → relay
    const ingested = await h.ingest(sqsEvent(bodies), stubContext());
    const records = await drainStream(local.streams(), streamArn, (all) => all.length >= 3);
    const relayed = await h.relay(streamEvent(records), stubContext());

    // Assess
    expect(ingested.batchItemFailures).toEqual([]);
    expect(h.queue.rejected).toHaveLength(1);
    expect(h.queue.rejected[0]?.rejection.path).toMatch(/^detail\.(total|lines)/);
    expect(relayed.batchItemFailures).toEqual([]);
    const firstOrder = h.queue.sent.filter((s) => s.message.campaignId === 'first-order-thank-you');
    expect(firstOrder).toHaveLength(1);
    expect(firstOrder[0]?.message).toMatchObject({ channel: 'push', to: 'push-token-ann', locale: 'ru' });
    const state = (await h.layer.customers.get('default', CUSTOMER))?.state;
    expect(state?.stats.orders).toBe(1);

    // Act: the dispatcher runs every 15 minutes (the scheduler); what it finds due, evaluate runs.
    // The first runs issue the weekly personal offers, which are open already; the birthday is March 3rd
    // at 10:00 in Moscow (07:00 UTC).
    const tick = async (iso: string) => {
      clock.now = Date.parse(iso);
      const before = h.work.items.length;
      await h.dispatch({ time: iso } as never, stubContext());
      const refs = h.work.items.slice(before);
      const response = await h.evaluate(sqsEvent(refs.map((ref) => JSON.stringify(ref))), stubContext());
      expect(response.batchItemFailures).toEqual([]);
      return refs;
    };
    const offersRun = await tick('2026-03-01T12:15:30Z');
    const quiet = await tick('2026-03-02T12:00:30Z');
    const dispatched = await tick('2026-03-03T07:00:30Z');
    const birthdayOf = (customerId: string) => (r: StreamRecord) => {
      const image = r.dynamodb?.NewImage;
      const state = image === undefined ? null : h.layer.decodeImage(image as never);
      return state?.customerId === customerId && state.occurrences['birthday-bonus#2026'] !== undefined;
    };
    const all = await drainStream(
      local.streams(),
      streamArn,
      (rs) => rs.some(birthdayOf(CUSTOMER)) && rs.some(birthdayOf(SECOND)),
    );
    const seen = new Set(records.map((r) => r.dynamodb?.SequenceNumber));
    const fresh = all.filter((r) => !seen.has(r.dynamodb?.SequenceNumber));
    await h.relay(streamEvent(fresh), stubContext());

    // Assess
    expect(offersRun).toEqual([{ brand: 'default', customerId: CUSTOMER }]);
    expect(quiet).toEqual([]);
    expect(dispatched).toEqual(
      expect.arrayContaining([
        { brand: 'default', customerId: CUSTOMER },
        { brand: 'default', customerId: SECOND },
      ]),
    );
    // Ann's first-order message and personal offers already took the week's two slots of the
    // frequency cap and no slot frees up within the message's validity: the birthday bonus is credited
    // (points are not marketing) and the message is recorded as suppressed, not sent.
    const ann = (await h.layer.customers.get('default', CUSTOMER))?.state;
    const annBirthday = ann?.occurrences['birthday-bonus#2026'];
    expect(annBirthday).toMatchObject({ status: 'issued', reason: 'cap-expired', sendAt: null });
    expect(annBirthday?.points).toBeGreaterThan(0);
    expect(ann?.ledger.some((e) => e.entryId.endsWith('birthday-bonus#2026'))).toBe(true);
    // Boris has no other messages: his birthday message is queued at 10:00 local.
    const sent = h.queue.sent.filter((m) => m.message.campaignId === 'birthday-bonus');
    expect(sent.map((m) => m.message.customerId)).toEqual([SECOND]);
    expect(sent[0]?.message).toMatchObject({ channel: 'email', to: 'boris@example.com', locale: 'en' });
    expect(sent[0]?.message.bonus?.points).toBeGreaterThan(0);
  });
});
