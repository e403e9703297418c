import './quiet-env.ts';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { customerKey } from '../../functions/domain/customer-state.ts';
import { eventFingerprint } from '../../functions/domain/event-fingerprint.ts';
import { makeHandler } from '../../functions/handlers/ingest.ts';
import type { CustomerStore } from '../../functions/ports/customer-store.ts';
import { logger } from '../../functions/shared/powertools.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import {
  BATCH_READ_FAILURE,
  failingFor,
  fixture,
  MemoryMessageQueue,
  NO_EARLY_TIMEOUT,
  readSpy,
  sqsRecord,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const NOW = '2025-03-10T10:05:00Z';
const id = (n: number) => `3f1c2a9e-6b1d-4a8e-9a51-0c3f5a1d7e0${n}`;

function setup(
  options: { store?: (s: MemoryCustomerStore) => CustomerStore; memory?: MemoryCustomerStore } = {},
) {
  const memory = options.memory ?? new MemoryCustomerStore();
  const queue = new MemoryMessageQueue();
  const handler = makeHandler({
    store: options.store ? options.store(memory) : memory,
    ctx: testContext(),
    rejected: queue,
    clock: new TestClock(Date.parse(NOW)).now,
    ...NO_EARLY_TIMEOUT,
  });
  return { memory, queue, handler };
}

describe('ingest handler', () => {
  it('fails exactly the poison record, rejects invalid events with their reason and applies the rest', async () => {
    // Prepare
    const { memory, queue, handler } = setup({ store: (s) => failingFor(s, 'c-poison') });
    const event = fixture<SQSEvent>('sqs-ingest-batch.json');

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: id(4) }] });
    expect(queue.rejected.map((r) => r.rejection)).toEqual([
      { reason: 'detail.customerId: is required', path: 'detail.customerId', rule: 'required' },
      { reason: 'event: is not valid JSON (at position 30)', path: '', rule: 'invalid-json' },
    ]);
    // The rejected body is the original, unchanged.
    expect(queue.rejected[0]?.body).toBe(event.Records[2]?.body);
    const anna = (await memory.get('default', 'c-100'))?.state;
    expect(anna?.stats.orders).toBe(1);
    expect(anna?.profile.firstName).toBe('Anna');
    expect(Object.keys(anna?.occurrences ?? {})).toContain('first-order-thank-you#once');
    expect(await memory.get('outlet', 'c-200')).not.toBeNull();
  });

  it("applies one customer's records in batch order, one at a time", async () => {
    // Prepare: a store that notes overlapping calls per customer and yields between steps.
    const active = new Map<string, number>();
    const overlaps: string[] = [];
    const versions: number[] = [];
    const probe = (s: MemoryCustomerStore): CustomerStore => ({
      get: async (brand, customerId) => {
        const n = (active.get(customerId) ?? 0) + 1;
        active.set(customerId, n);
        if (n > 1) overlaps.push(customerId);
        await new Promise((resolve) => setImmediate(resolve));
        return s.get(brand, customerId);
      },
      put: async (state: CustomerState, expected, due, stored) => {
        await new Promise((resolve) => setImmediate(resolve));
        active.set(state.customerId, (active.get(state.customerId) ?? 1) - 1);
        if (state.customerId === 'c-100') versions.push(state.version);
        return s.put(state, expected, due, stored);
      },
      setDue: (brand, customerId, version, due, stored) => s.setDue(brand, customerId, version, due, stored),
    });
    const { memory, handler } = setup({ store: probe });

    // Act
    const response = await handler(fixture<SQSEvent>('sqs-ingest-batch.json'), stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(overlaps).toEqual([]);
    // Registration first, then the order (which issues the first-order bonus in the same write).
    expect(versions).toHaveLength(2);
    expect(versions[0]).toBe(1);
    expect(versions[1]).toBeGreaterThan(1);
    expect((await memory.get('default', 'c-100'))?.state.recentEventIds).toEqual([
      eventFingerprint('6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b01'),
      eventFingerprint('6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b02'),
    ]);
  });

  it('takes a redelivered batch from the customer items: one read per event, no write, no decision', async () => {
    // Prepare
    const { memory, queue, handler } = setup();
    const event = fixture<SQSEvent>('sqs-ingest-batch.json');
    await handler(event, stubContext());
    const before = await memory.get('default', 'c-100');
    const counts = { ...memory.counts };
    const rejected = queue.rejected.length;
    const logged = logSpy();

    // Act
    const response = await logged.during(() => handler(event, stubContext()));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(memory.counts).toEqual({ ...counts, reads: counts.reads + 4 });
    expect(await memory.get('default', 'c-100')).toBe(before);
    expect(logged.fields()).toMatchObject({ ingested: 0, duplicates: 4, issued: 0, rejected: 2 });
    // Invalid events are rejected again: they never reached an item that could remember them.
    expect(queue.rejected).toHaveLength(rejected + 2);
  });

  it('takes an order id the item knows as a duplicate, whatever the event id', async () => {
    // Prepare
    const { memory, handler } = setup();
    const event = fixture<SQSEvent>('sqs-ingest-batch.json');
    await handler(event, stubContext());
    const before = await memory.get('default', 'c-100');
    const order = event.Records.find((r) => r.messageId === id(2));
    if (order === undefined) throw new Error('fixture without the order record');
    const resent = { ...order, body: order.body.replace('0d1e2f3a4b02', '0d1e2f3a4b99') };
    const logged = logSpy();

    // Act
    await logged.during(() => handler({ Records: [resent] }, stubContext()));

    // Assess
    expect(await memory.get('default', 'c-100')).toBe(before);
    expect(before?.state.stats.orders).toBe(1);
    expect(logged.fields()).toMatchObject({ ingested: 0, duplicates: 1 });
  });

  it('counts a delivery receipt apart from duplicates, and writes nothing for it', async () => {
    // Prepare: the customer exists; a receipt for one of its messages arrives
    const { memory, handler } = setup();
    await handler(fixture<SQSEvent>('sqs-ingest-batch.json'), stubContext());
    const before = await memory.get('default', 'c-100');
    const counts = { ...memory.counts };
    const receipt = {
      id: '6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4c01',
      source: 'esp.example',
      'detail-type': 'MessageEngaged',
      time: '2025-03-10T10:04:00Z',
      detail: { customerId: 'c-100', messageId: 'default#c-100#first-order#once#email', kind: 'delivered' },
    };
    const logged = logSpy();

    // Act
    const response = await logged.during(() =>
      handler({ Records: [sqsRecord('r-receipt', JSON.stringify(receipt))] }, stubContext()),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await memory.get('default', 'c-100')).toBe(before);
    expect(memory.counts.writes).toBe(counts.writes);
    expect(logged.fields()).toMatchObject({ ingested: 0, duplicates: 0, receipts: 1, rejected: 0 });
  });

  it('fails an invalid record whose rejection cannot be queued, so it is retried rather than lost', async () => {
    // Prepare
    const { handler, queue } = setup();
    queue.sendToRejected = () => Promise.reject(new Error('SQS down'));

    // Act
    const response = await handler(fixture<SQSEvent>('sqs-ingest-batch.json'), stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: id(3) }, { itemIdentifier: id(5) }]);
  });

  it('reports a batch where every record fails instead of throwing', async () => {
    // Prepare
    const { handler } = setup({ store: (s) => failingFor(s, 'c-poison') });
    const event = fixture<SQSEvent>('sqs-ingest-batch.json');
    event.Records = event.Records.filter((r) => r.messageId === id(4));

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: id(4) }] });
  });

  it('logs one structured line per batch, without contacts, names or event content', async () => {
    // Prepare
    const { handler } = setup({ store: (s) => failingFor(s, 'c-poison') });
    const calls: unknown[][] = [];
    const spies = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        calls.push(args);
      }),
    );

    // Act
    try {
      await handler(fixture<SQSEvent>('sqs-ingest-batch.json'), stubContext());
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    // Assess
    expect(calls).toHaveLength(1);
    const [message, fields] = calls[0] ?? [];
    expect(message).toBe('ingest batch');
    expect(fields).toMatchObject({ records: 6, ingested: 3, rejected: 2, failed: 1 });
    expect(fields).toHaveProperty('failures', [
      expect.objectContaining({ messageId: id(4), customerId: 'c-poison', error: 'ServiceUnavailable' }),
    ]);
    expect(JSON.stringify(calls)).not.toMatch(/example\.com|Anna|\+49151|SKU-COFFEE|o-5001/);
  });
});

describe('ingest handler reading its batch ahead', () => {
  const [REGISTRATION, ORDER] = fixture<SQSEvent>('sqs-ingest-batch.json').Records;
  /** Registered in an earlier batch: the read ahead finds their items. */
  const KNOWN = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'];
  /** Registered by the batch: the read ahead finds no item. */
  const NEW = ['c-6', 'c-7', 'c-8', 'c-9'];

  /** The fixture's record of c-100 (its registration or order), for another customer. */
  function recordOf(template: SQSRecord | undefined, customerId: string): SQSRecord {
    if (template === undefined) throw new Error('fixture without the record');
    const body = JSON.parse(template.body) as { id: string; detail: Record<string, unknown> };
    const eventId = `${body.id}-${customerId}`;
    return sqsRecord(
      eventId,
      JSON.stringify({ ...body, id: eventId, detail: { ...body.detail, customerId } }),
    );
  }

  /** An order of each known customer and a registration of each new one, read as `getMany` says. */
  async function run(getMany: 'works' | 'fails' | 'absent') {
    const memory = new MemoryCustomerStore();
    const earlier = setup({ memory }).handler;
    await earlier({ Records: KNOWN.map((c) => recordOf(REGISTRATION, c)) }, stubContext());
    const reads = readSpy(memory, getMany);
    const { handler } = setup({ memory, store: () => reads.store });
    const records = [...KNOWN.map((c) => recordOf(ORDER, c)), ...NEW.map((c) => recordOf(REGISTRATION, c))];
    const logged = logSpy();
    const response = await logged.during(() => handler({ Records: records }, stubContext()));
    const items = await Promise.all([...KNOWN, ...NEW].map((c) => memory.get('default', c)));
    return { ...reads, memory, response, fields: logged.fields(), items };
  }
  const keys = [...KNOWN, ...NEW].map((c) => customerKey('default', c));

  it('reads a batch of distinct customers in one getMany and no get, with the outcome of reading one by one', async () => {
    // Act
    const ahead = await run('works');
    const oneByOne = await run('absent');
    // Assess: one batch read and no single read; the response, log line and items of reading one by one
    const { batches, gets, response, fields, items } = ahead;
    expect({ batches, gets, response, fields, items }).toEqual({
      batches: [keys],
      gets: [],
      response: { batchItemFailures: [] },
      fields: oneByOne.fields,
      items: oneByOne.items,
    });
    expect(oneByOne.gets.toSorted()).toEqual(keys.toSorted());
    // Events come close together: their read ahead is the latest.
    expect(ahead.consistency).toEqual([true]);
    expect(fields).toMatchObject({ ingested: KNOWN.length + NEW.length, duplicates: 0, failed: 0 });
    expect(items.every((item) => item !== null)).toBe(true);
    expect(items[0]?.state.stats.orders).toBe(1);
    expect(ahead.memory.counts.conflicts).toBe(0);
  });

  it('processes the whole batch when getMany fails: one get per customer, no record failed, a warning', async () => {
    // Prepare
    const warnings: unknown[][] = [];
    const warn = vi.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    // Act
    let failed: Awaited<ReturnType<typeof run>>;
    try {
      failed = await run('fails');
    } finally {
      warn.mockRestore();
    }
    const oneByOne = await run('absent');
    // Assess: the batch read tried once, then one get per customer; nothing failed
    const { batches, response, fields, items } = failed;
    expect({ batches, response, fields, items }).toEqual({
      batches: [keys],
      response: { batchItemFailures: [] },
      fields: oneByOne.fields,
      items: oneByOne.items,
    });
    expect(failed.gets.toSorted()).toEqual(keys.toSorted());
    // The warning names the error, nothing of the batch's content.
    expect(warnings).toEqual([
      [
        'batch read failed: customers read one by one',
        { error: BATCH_READ_FAILURE.name, message: BATCH_READ_FAILURE.message },
      ],
    ]);
  });
});

/** Captures the handler's one log line per batch. */
function logSpy() {
  const calls: unknown[][] = [];
  return {
    async during<T>(act: () => Promise<T>): Promise<T> {
      const spy = vi.spyOn(logger, 'info').mockImplementation((...args: unknown[]) => {
        calls.push(args);
      });
      try {
        return await act();
      } finally {
        spy.mockRestore();
      }
    },
    fields: () => calls.find((c) => c[0] === 'ingest batch')?.[1],
  };
}
