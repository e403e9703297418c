import './quiet-env.ts';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { customerKey } from '../../functions/domain/customer-state.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import { makeHandler } from '../../functions/handlers/evaluate.ts';
import { ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import {
  failingFor,
  fixture,
  NO_EARLY_TIMEOUT,
  readSpy,
  sqsRecord,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const ctx = testContext();
const REGISTERED = '2025-03-10T10:00:00Z';
/** 10:00 in Berlin on the birthday (CEST): the birthday campaign's send hour. */
const BIRTHDAY_MORNING = '2025-07-14T08:00:05Z';
const id = (n: number) => `8b2d4c6e-0000-4000-8000-00000000000${n}`;

async function register(store: MemoryCustomerStore, customerId: string, birthday?: string): Promise<void> {
  const parsed = parseEvent(
    {
      id: `reg-${customerId}`,
      source: 'shop.crm',
      'detail-type': 'CustomerRegistered',
      time: REGISTERED,
      detail: {
        customerId,
        ...(birthday === undefined ? {} : { birthday }),
        timeZone: 'Europe/Berlin',
        contacts: { email: `${customerId}@example.com` },
        consents: { email: true },
      },
    },
    Date.parse(REGISTERED),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  await ingestEvent({ store }, ctx, parsed.event, Date.parse(REGISTERED));
}

describe('evaluate handler', () => {
  it('runs the scheduled triggers due now and fails exactly the poison records', async () => {
    // Prepare
    const store = new MemoryCustomerStore();
    await register(store, 'c-birthday', '1990-07-14');
    await register(store, 'c-nothing-due');
    const quiet = await store.get('default', 'c-nothing-due');
    const handler = makeHandler({
      store: failingFor(store, 'c-poison'),
      ctx,
      clock: new TestClock(Date.parse(BIRTHDAY_MORNING)).now,
      ...NO_EARLY_TIMEOUT,
    });

    // Act
    const response = await handler(fixture<SQSEvent>('sqs-work-batch.json'), stubContext());

    // Assess: the store failure and the malformed body; the others are done.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: id(2) }, { itemIdentifier: id(3) }] });
    const state = (await store.get('default', 'c-birthday'))?.state;
    const birthday = Object.entries(state?.occurrences ?? {}).find(([key]) =>
      key.startsWith('birthday-bonus#'),
    );
    expect(birthday?.[1].status).toBe('issued');
    expect(state?.points.balance).toBe(500);
    // Nothing due, and its due bucket unchanged: not even the due instant is written.
    expect(await store.get('default', 'c-nothing-due')).toBe(quiet);
  });

  it('issues nothing twice when a customer is evaluated again', async () => {
    // Prepare
    const store = new MemoryCustomerStore();
    await register(store, 'c-birthday', '1990-07-14');
    const handler = makeHandler({
      store,
      ctx,
      clock: new TestClock(Date.parse(BIRTHDAY_MORNING)).now,
      ...NO_EARLY_TIMEOUT,
    });
    const event = fixture<SQSEvent>('sqs-work-batch.json');
    event.Records = event.Records.slice(0, 1);
    await handler(event, stubContext());
    const after = await store.get('default', 'c-birthday');

    // Act
    const response = await handler(event, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await store.get('default', 'c-birthday'))?.state.points.balance).toBe(
      after?.state.points.balance,
    );
    expect((await store.get('default', 'c-birthday'))?.state.version).toBe(after?.state.version);
  });

  describe('reading its batch ahead', () => {
    const BIRTHDAYS = ['c-b1', 'c-b2', 'c-b3', 'c-b4'];
    const QUIET = ['c-q1', 'c-q2'];
    /** Listed in the work queue without an item (the read ahead finds none): nothing to do. */
    const UNKNOWN = 'c-unknown';
    const ids = [...BIRTHDAYS, ...QUIET, UNKNOWN];
    const keys = ids.map((c) => customerKey('default', c));

    /** A work batch of the customers, evaluated on the birthday morning, read as `getMany` says. */
    async function run(getMany: 'works' | 'fails' | 'absent') {
      const memory = new MemoryCustomerStore();
      for (const c of BIRTHDAYS) await register(memory, c, '1990-07-14');
      for (const c of QUIET) await register(memory, c);
      const reads = readSpy(memory, getMany);
      const handler = makeHandler({
        store: reads.store,
        ctx,
        clock: new TestClock(Date.parse(BIRTHDAY_MORNING)).now,
        ...NO_EARLY_TIMEOUT,
      });
      const records = ids.map((c) =>
        sqsRecord(`w-${c}`, JSON.stringify({ brand: 'default', customerId: c })),
      );
      const response = await handler({ Records: records }, stubContext());
      const items = await Promise.all(ids.map((c) => memory.get('default', c)));
      return { ...reads, memory, response, items };
    }

    it('reads the customers in one getMany, then only those it found nothing for, with the outcome of reading one by one', async () => {
      // Act
      const ahead = await run('works');
      const oneByOne = await run('absent');
      // Assess: one batch read, not the latest (due customers were written long before); "nothing to
      // do" is only concluded from the latest, so the quiet and unknown customers are read again; the
      // items and writes of reading one by one
      const { batches, consistency, gets, response, items } = ahead;
      expect({ batches, consistency, gets: gets.toSorted(), response, items }).toEqual({
        batches: [keys],
        consistency: [false],
        gets: [...QUIET, UNKNOWN].map((c) => customerKey('default', c)).toSorted(),
        response: { batchItemFailures: [] },
        items: oneByOne.items,
      });
      expect(oneByOne.gets.toSorted()).toEqual(keys.toSorted());
      expect(ahead.memory.counts).toEqual({ ...oneByOne.memory.counts, reads: ahead.memory.counts.reads });
      expect(ahead.memory.counts.conflicts).toBe(0);
      // The birthdays were issued; the unknown customer stays unknown.
      for (const item of items.slice(0, BIRTHDAYS.length)) expect(item?.state.points.balance).toBe(500);
      expect(items.at(-1)).toBeNull();
    });

    it('evaluates the whole batch when getMany fails: one get per customer, no record failed', async () => {
      // Act
      const failed = await run('fails');
      const oneByOne = await run('absent');
      // Assess: the batch read tried once, then one get per customer; nothing failed
      const { batches, response, items } = failed;
      expect({ batches, response, items }).toEqual({
        batches: [keys],
        response: { batchItemFailures: [] },
        items: oneByOne.items,
      });
      expect(failed.gets.toSorted()).toEqual(keys.toSorted());
    });
  });
});
