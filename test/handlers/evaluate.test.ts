import './quiet-env.ts';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../functions/domain/events.ts';
import { makeHandler } from '../../functions/handlers/evaluate.ts';
import { ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import { failingFor, fixture, NO_EARLY_TIMEOUT, stubContext, TestClock, testContext } from './support.ts';

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
});
