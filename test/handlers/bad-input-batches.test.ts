import './quiet-env.ts';
/**
 * The bad-input corpus in the middle of real batches: each malformed SQS body, shop event and stream
 * record sits between valid records, alone and all together. The valid records are all processed; each
 * bad one goes where the design sends it — the ingest rejected queue with its reason (the record counts
 * as processed), a work-queue record failure (redriven to the work DLQ), a stream record failure
 * (retried, then the on-failure destination) — with a reason that names the problem; nothing else fails.
 */
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeCustomerImage } from '../../functions/adapters/dynamodb/customer-codec.ts';
import { CUSTOMER_ATTRS as A } from '../../functions/adapters/dynamodb/tables.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { customerKey } from '../../functions/domain/customer-state.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import { makeHandler as makeEvaluate } from '../../functions/handlers/evaluate.ts';
import { makeHandler as makeIngest } from '../../functions/handlers/ingest.ts';
import { makeHandler as makeRelay } from '../../functions/handlers/relay.ts';
import type { CustomerStore } from '../../functions/ports/customer-store.ts';
import { logger } from '../../functions/shared/powertools.ts';
import { ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import { EVENT_CASES, NOW } from '../corpus/events.ts';
import { SQS_BODY_CASES } from '../corpus/sqs-bodies.ts';
import type { StreamCase, ValidItem } from '../corpus/stream-records.ts';
import { lambdaImage, STREAM_CASES, STREAM_TOLERATED, streamRecord } from '../corpus/stream-records.ts';
import {
  MemoryHeld,
  MemoryLedger,
  MemoryMessageQueue,
  NO_EARLY_TIMEOUT,
  sqsRecord,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const ctx = testContext();

afterEach(() => {
  vi.restoreAllMocks();
});

/** The failures the handler logged with its batch line (the logger is silent; the spy still sees it). */
function loggedFailures(): {
  message?: string;
  error?: string;
  messageId?: string;
  sequenceNumber?: string;
}[] {
  const spy = vi.mocked(logger.warn);
  const [, fields] = spy.mock.calls.at(-1) ?? [];
  const failures = (fields as { failures?: unknown } | undefined)?.failures;
  return Array.isArray(failures) ? failures : [];
}

// ── ingest: shop events and SQS bodies ─────────────────────────────────────────────────────────────

function registration(customerId: string): string {
  return JSON.stringify({
    id: `reg-${customerId}`,
    source: 'shop.crm',
    'detail-type': 'CustomerRegistered',
    time: '2026-03-01T09:00:00Z',
    detail: { customerId, timeZone: 'Europe/Riga', consents: { email: true } },
  });
}

function ingestSetup() {
  const store = new MemoryCustomerStore();
  const queue = new MemoryMessageQueue();
  const handler = makeIngest({
    store,
    ctx,
    rejected: queue,
    clock: new TestClock(Date.parse(NOW)).now,
    ...NO_EARLY_TIMEOUT,
  });
  return { store, queue, handler };
}

const INGEST_CASES = [
  ...EVENT_CASES.map((c) => ({ id: c.id, body: c.line, ...c.expect })),
  ...SQS_BODY_CASES.map((c) => ({ id: c.id, body: c.body, ...c.expect.ingest, reason: undefined })),
];

describe('ingest with a malformed body between valid events', () => {
  it.each(INGEST_CASES.map((c) => [c.id, c] as const))('%s', async (id, c) => {
    // Prepare
    const { store, queue, handler } = ingestSetup();
    const event: SQSEvent = {
      Records: [
        sqsRecord('m-before', registration(`${id}-before`)),
        sqsRecord('m-bad', c.body),
        sqsRecord('m-after', registration(`${id}-after`)),
      ],
    };

    // Act
    const response = await handler(event, stubContext());

    // Assess: the bad body is rejected unchanged with its reason; both neighbours are ingested.
    expect(response.batchItemFailures).toEqual([]);
    expect(queue.rejected).toHaveLength(1);
    expect(queue.rejected[0]?.body).toBe(c.body);
    expect(queue.rejected[0]?.rejection).toMatchObject({ path: c.path, rule: c.rule });
    if (c.reason !== undefined) expect(queue.rejected[0]?.rejection.reason).toContain(c.reason);
    expect(await store.get('default', `${id}-before`)).not.toBeNull();
    expect(await store.get('default', `${id}-after`)).not.toBeNull();
  });

  it('rejects every bad body of one large batch and ingests every valid event in it', async () => {
    // Prepare: valid, bad, valid, bad, … valid.
    const { store, queue, handler } = ingestSetup();
    const records: SQSRecord[] = [sqsRecord('valid-0', registration('c-valid-0'))];
    INGEST_CASES.forEach((c, i) => {
      records.push(sqsRecord(`bad-${c.id}`, c.body));
      records.push(sqsRecord(`valid-${i + 1}`, registration(`c-valid-${i + 1}`)));
    });

    // Act
    const response = await handler({ Records: records }, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const rejectedBodies = queue.rejected.map((r) => r.body);
    expect(rejectedBodies.sort()).toEqual(INGEST_CASES.map((c) => c.body).sort());
    for (const c of INGEST_CASES) {
      const rejection = queue.rejected.find((r) => r.body === c.body)?.rejection;
      expect(rejection, c.id).toMatchObject({ path: c.path, rule: c.rule });
    }
    for (let n = 0; n <= INGEST_CASES.length; n++) {
      expect(await store.get('default', `c-valid-${n}`), `c-valid-${n}`).not.toBeNull();
    }
    expect(Reflect.get({}, 'polluted')).toBeUndefined();
  });
});

// ── evaluate: work-queue bodies ────────────────────────────────────────────────────────────────────

/** 10:00 in Berlin on the birthday: the birthday campaign's send hour. */
const BIRTHDAY_MORNING = '2025-07-14T08:00:05Z';

async function birthdayCustomer(store: MemoryCustomerStore, customerId: string): Promise<void> {
  const at = '2025-03-10T10:00:00Z';
  const parsed = parseEvent(
    {
      id: `reg-${customerId}`,
      source: 'shop.crm',
      'detail-type': 'CustomerRegistered',
      time: at,
      detail: {
        customerId,
        birthday: '1990-07-14',
        timeZone: 'Europe/Berlin',
        contacts: { email: `${customerId}@example.com` },
        consents: { email: true },
      },
    },
    Date.parse(at),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  await ingestEvent({ store }, ctx, parsed.event, Date.parse(at));
}

/** A store that notes which customers were read: every evaluation starts with one read. */
function readLog(store: MemoryCustomerStore): { store: CustomerStore; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    store: {
      get: (brand, id) => {
        reads.push(customerKey(brand, id));
        return store.get(brand, id);
      },
      put: (state, expected, due, stored) => store.put(state, expected, due, stored),
      setDue: (brand, id, version, due, stored) => store.setDue(brand, id, version, due, stored),
    },
  };
}

const birthdayIssued = (state: CustomerState | null) =>
  Object.entries(state?.occurrences ?? {}).some(([key]) => key.startsWith('birthday-bonus#'));

describe('evaluate with a malformed work item between valid ones', () => {
  it.each(SQS_BODY_CASES.map((c) => [c.id, c] as const))('%s', async (id, c) => {
    // Prepare
    const memory = new MemoryCustomerStore();
    await birthdayCustomer(memory, `${id}-before`);
    await birthdayCustomer(memory, `${id}-after`);
    const { store, reads } = readLog(memory);
    const handler = makeEvaluate({
      store,
      ctx,
      clock: new TestClock(Date.parse(BIRTHDAY_MORNING)).now,
      ...NO_EARLY_TIMEOUT,
    });
    vi.spyOn(logger, 'warn');
    const event: SQSEvent = {
      Records: [
        sqsRecord('w-before', JSON.stringify({ brand: 'default', customerId: `${id}-before` })),
        sqsRecord('w-bad', c.body),
        sqsRecord('w-after', JSON.stringify({ brand: 'default', customerId: `${id}-after` })),
      ],
    };

    // Act
    const response = await handler(event, stubContext());

    // Assess: exactly the bad record fails, with its reason; both neighbours are evaluated.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'w-bad' }]);
    expect(loggedFailures()).toEqual([
      {
        messageId: 'w-bad',
        error: 'InvalidWorkItemError',
        message: expect.stringContaining('record w-bad: not a work item ('),
      },
    ]);
    expect(loggedFailures()[0]?.message).toContain(c.expect.work);
    expect(reads).toEqual([`default#${id}-before`, `default#${id}-after`]);
    expect(birthdayIssued((await memory.get('default', `${id}-before`))?.state ?? null)).toBe(true);
    expect(birthdayIssued((await memory.get('default', `${id}-after`))?.state ?? null)).toBe(true);
  });

  it('fails exactly the bad records of one batch holding them all', async () => {
    // Prepare
    const memory = new MemoryCustomerStore();
    const records: SQSRecord[] = [];
    const valid: string[] = [];
    for (const [i, c] of SQS_BODY_CASES.entries()) {
      const customerId = `c-valid-${i}`;
      await birthdayCustomer(memory, customerId);
      valid.push(customerId);
      records.push(sqsRecord(`w-valid-${i}`, JSON.stringify({ brand: 'default', customerId })));
      records.push(sqsRecord(`w-${c.id}`, c.body));
    }
    const handler = makeEvaluate({
      store: memory,
      ctx,
      clock: new TestClock(Date.parse(BIRTHDAY_MORNING)).now,
      ...NO_EARLY_TIMEOUT,
    });

    // Act
    const response = await handler({ Records: records }, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual(SQS_BODY_CASES.map((c) => ({ itemIdentifier: `w-${c.id}` })));
    for (const customerId of valid) {
      expect(birthdayIssued((await memory.get('default', customerId))?.state ?? null), customerId).toBe(true);
    }
  });
});

// ── relay: stream records ──────────────────────────────────────────────────────────────────────────

const EVENT_TIME = '2026-03-01T10:00:00Z';

/** A customer item after registration and a first order: its first-order bonus is issued. */
async function validItem(customerId: string): Promise<ValidItem> {
  const store = new MemoryCustomerStore();
  const at = Date.parse(EVENT_TIME);
  const events = [
    {
      id: `reg-${customerId}`,
      source: 'shop.crm',
      'detail-type': 'CustomerRegistered',
      time: EVENT_TIME,
      detail: {
        customerId,
        timeZone: 'Europe/Riga',
        contacts: { email: `${customerId}@example.com` },
        consents: { email: true },
      },
    },
    {
      id: `order-${customerId}`,
      source: 'shop.orders',
      'detail-type': 'OrderPlaced',
      time: EVENT_TIME,
      detail: {
        orderId: `o-${customerId}`,
        customerId,
        currency: 'EUR',
        total: 40,
        lines: [{ sku: 'SKU-1', category: 'coffee', quantity: 1, unitPrice: 40 }],
      },
    },
  ];
  for (const raw of events) {
    const parsed = parseEvent(raw, at);
    if (!parsed.ok) throw new Error(parsed.reason);
    await ingestEvent({ store }, ctx, parsed.event, at);
  }
  const state = (await store.get('default', customerId))?.state ?? null;
  if (state === null) throw new Error(`no item for ${customerId}`);
  return { state, keys: { [A.pk]: { S: customerKey('default', customerId) } }, image: lambdaImage(state) };
}

function relaySetup() {
  const ledger = new MemoryLedger();
  const queue = new MemoryMessageQueue();
  const held = new MemoryHeld();
  const handler = makeRelay({
    pack: ctx.pack,
    decodeImage: decodeCustomerImage,
    ledger,
    queue,
    held,
    rejected: queue,
    clock: new TestClock(Date.parse(EVENT_TIME)).now,
    ...NO_EARLY_TIMEOUT,
  });
  /** Whether the customer's new entries and messages left the item. */
  const relayed = (customerId: string) => ({
    ledger: [...ledger.entries.values()].some((e) => e.customerId === customerId),
    messages: [...queue.sent.map((s) => s.message), ...held.messages.values()].some(
      (m) => m.customerId === customerId && m.campaignId === 'first-order-thank-you',
    ),
  });
  return { ledger, queue, held, handler, relayed };
}

const insert = (sequenceNumber: string, item: ValidItem): DynamoDBRecord =>
  streamRecord(sequenceNumber, { eventName: 'INSERT', keys: item.keys, newImage: item.image });

function expectOutcome(c: StreamCase, sequenceNumber: string, failures: { itemIdentifier: string }[]): void {
  if (c.expect.outcome === 'failed') {
    expect(failures).toEqual([{ itemIdentifier: sequenceNumber }]);
    const logged = loggedFailures().find((f) => f.sequenceNumber === sequenceNumber);
    expect(logged?.error).toBe(c.expect.error);
    expect(logged?.message).toContain(c.expect.message);
  } else {
    expect(failures).toEqual([]);
  }
}

describe('relay with a malformed stream record between valid ones', () => {
  it.each([...STREAM_CASES, ...STREAM_TOLERATED].map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    // Prepare
    const [before, bad, after] = await Promise.all([
      validItem('c-before'),
      validItem('c-bad'),
      validItem('c-after'),
    ]);
    const { handler, relayed } = relaySetup();
    vi.spyOn(logger, 'warn');
    const event: DynamoDBStreamEvent = {
      Records: [insert('100', before), streamRecord('200', c.build(bad)), insert('300', after)],
    };

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expectOutcome(c, '200', response.batchItemFailures);
    expect(relayed('c-before')).toEqual({ ledger: true, messages: true });
    expect(relayed('c-after')).toEqual({ ledger: true, messages: true });
    const badRelayed = relayed('c-bad');
    if (c.expect.outcome === 'relayed') expect(badRelayed).toEqual({ ledger: true, messages: true });
    else expect(badRelayed).toEqual({ ledger: false, messages: false });
  });

  it('fails exactly the bad records of one batch holding them all, and relays the rest', async () => {
    // Prepare: one valid customer between each two bad records.
    const bad = await validItem('c-bad');
    const { handler, relayed } = relaySetup();
    vi.spyOn(logger, 'warn');
    const records: DynamoDBRecord[] = [];
    const valid: string[] = [];
    for (const [i, c] of STREAM_CASES.entries()) {
      const customerId = `c-valid-${i}`;
      valid.push(customerId);
      records.push(insert(String(1000 + 2 * i), await validItem(customerId)));
      records.push(streamRecord(String(1001 + 2 * i), c.build(bad)));
    }

    // Act
    const response = await handler({ Records: records }, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual(
      STREAM_CASES.map((_c, i) => ({ itemIdentifier: String(1001 + 2 * i) })),
    );
    for (const customerId of valid)
      expect(relayed(customerId), customerId).toEqual({ ledger: true, messages: true });
    // The batch log line lists 10 of the failures, each with its reason.
    const logged = loggedFailures();
    expect(logged).toHaveLength(Math.min(10, STREAM_CASES.length));
    for (const failure of logged) {
      const c = STREAM_CASES[(Number(failure.sequenceNumber) - 1001) / 2];
      expect(c?.expect.outcome).toBe('failed');
      if (c?.expect.outcome === 'failed') expect(failure.message, c.id).toContain(c.expect.message);
    }
  });
});
