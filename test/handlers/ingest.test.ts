import './quiet-env.ts';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { makeHandler } from '../../functions/handlers/ingest.ts';
import type { CustomerStore } from '../../functions/ports/customer-store.ts';
import { logger } from '../../functions/shared/powertools.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import {
  failingFor,
  fixture,
  MemoryDedupe,
  MemoryMessageQueue,
  NO_EARLY_TIMEOUT,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const NOW = '2025-03-10T10:05:00Z';
const id = (n: number) => `3f1c2a9e-6b1d-4a8e-9a51-0c3f5a1d7e0${n}`;

function setup(options: { store?: (s: MemoryCustomerStore) => CustomerStore; dedupe?: MemoryDedupe } = {}) {
  const memory = new MemoryCustomerStore();
  const queue = new MemoryMessageQueue();
  const handler = makeHandler({
    store: options.store ? options.store(memory) : memory,
    ctx: testContext(),
    rejected: queue,
    ...(options.dedupe ? { dedupe: options.dedupe } : {}),
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
    const anna = await memory.get('default', 'c-100');
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
      put: async (state: CustomerState, expected, due) => {
        await new Promise((resolve) => setImmediate(resolve));
        active.set(state.customerId, (active.get(state.customerId) ?? 1) - 1);
        if (state.customerId === 'c-100') versions.push(state.version);
        return s.put(state, expected, due);
      },
      setDue: (brand, customerId, version, due) => s.setDue(brand, customerId, version, due),
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
    expect((await memory.get('default', 'c-100'))?.recentEventIds).toEqual([
      '6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b01',
      '6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b02',
    ]);
  });

  it('skips events the dedupe store has seen and remembers the ones it applied', async () => {
    // Prepare
    const dedupe = new MemoryDedupe();
    await dedupe.remember(['default#6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b02'], 0);
    const { memory, handler } = setup({ dedupe });

    // Act
    const response = await handler(fixture<SQSEvent>('sqs-ingest-batch.json'), stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await memory.get('default', 'c-100'))?.stats.orders).toBe(0);
    expect([...dedupe.keys.keys()].sort()).toEqual([
      'default#6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b01',
      'default#6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b02',
      'default#6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b04',
      'outlet#6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b06',
    ]);
  });

  it('is a no-op on a redelivered batch', async () => {
    // Prepare
    const { memory, handler } = setup();
    const event = fixture<SQSEvent>('sqs-ingest-batch.json');
    await handler(event, stubContext());
    const before = await memory.get('default', 'c-100');

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await memory.get('default', 'c-100')).toBe(before);
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
