/**
 * No contact data in the logs, on the paths a simulation does not take: a batch with a valid event, an
 * invalid one and a customer whose store fails with an error quoting the contacts, through the ingest
 * handler at DEBUG with event logging requested through the environment; and a message SQS can never
 * take, reported by the routing. Every line written to stdout / stderr is captured (Powertools' Logger
 * writes through its own Console on them); none holds a contact. The full-run variant on the embedded
 * runtime is test/integration/pii-logs.test.ts.
 *
 * Powertools reads its level when its module is first evaluated: the environment is set here and the
 * modules that load it are imported dynamically after.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../functions/domain/message.ts';
import type { CustomerStore } from '../../functions/ports/customer-store.ts';

const ENV = {
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  POWERTOOLS_LOGGER_LOG_EVENT: 'true',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_DEV: undefined,
} as const;
const saved = new Map<string, string | undefined>();
for (const [name, value] of Object.entries(ENV)) {
  saved.set(name, process.env[name]);
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
afterAll(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const CONTACTS = {
  email: 'anna.petrova@example.org',
  phone: '+4915112345678',
  pushToken: 'fcm-token-7f3a9c2e5b1d',
};
const POISON = { email: 'poison.pill@example.net', phone: '+79991234567' };
const SECRETS = [...Object.values(CONTACTS), ...Object.values(POISON)];

const NOW = '2025-03-10T10:05:00Z';

function record(n: number, body: unknown): SQSRecord {
  return {
    messageId: `00000000-0000-4000-8000-00000000000${n}`,
    receiptHandle: `rh-${n}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1741600801000',
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1741600801120',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:loyalty-triggers-ingest',
    awsRegion: 'eu-central-1',
  };
}

function registration(id: string, customerId: string, contacts: Record<string, string>, extra = {}) {
  return {
    version: '0',
    id,
    'detail-type': 'CustomerRegistered',
    source: 'shop',
    time: '2025-03-10T10:00:00Z',
    detail: {
      customerId,
      firstName: 'Anna',
      timeZone: 'Europe/Berlin',
      contacts,
      consents: { email: true, sms: true, push: true },
      ...extra,
    },
  };
}

/** Runs `fn` with stdout and stderr captured; returns the non-empty lines written. */
async function captured(fn: () => Promise<unknown>): Promise<string[]> {
  const chunks: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (chunk: unknown, ...rest: unknown[]): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

const leaksIn = (lines: string[]) => lines.filter((l) => SECRETS.some((s) => l.includes(s)));

let ingestLines: string[] = [];
let routingLines: string[] = [];
let rejectedCount = 0;

beforeAll(async () => {
  const { makeHandler } = await import('../../functions/handlers/ingest.ts');
  const { routeMessages } = await import('../../functions/shared/message-routing.ts');
  const { MemoryCustomerStore } = await import('../../local/memory-stores.ts');
  const { ingestEvent } = await import('../../functions/use-cases/customer-use-cases.ts');
  const { parseEvent } = await import('../../functions/domain/events.ts');
  const support = await import('./support.ts');

  const memory = new MemoryCustomerStore();
  // A store failing for one customer with an error that quotes the item (as a careless adapter might).
  const store: CustomerStore = {
    get: (brand, id) =>
      id === 'c-poison'
        ? Promise.reject(
            Object.assign(new Error(`item rejected: contacts ${POISON.email}, ${POISON.phone}`), {
              name: 'ValidationException',
            }),
          )
        : memory.get(brand, id),
    put: (state, expected, due, stored) => memory.put(state, expected, due, stored),
    setDue: (brand, id, version, due, stored) => memory.setDue(brand, id, version, due, stored),
  };
  const queue = new support.MemoryMessageQueue();
  const handler = makeHandler({
    store,
    ctx: support.testContext(),
    rejected: queue,
    clock: new support.TestClock(Date.parse(NOW)).now,
    ...support.NO_EARLY_TIMEOUT,
  });
  const batch: SQSEvent = {
    Records: [
      record(1, registration('e-1', 'c-1', CONTACTS)),
      // Invalid (unknown time zone) and carrying contacts: rejected with its reason, never logged.
      record(2, registration('e-2', 'c-2', CONTACTS, { timeZone: 'Mars/Olympus' })),
      record(3, registration('e-3', 'c-poison', POISON)),
    ],
  };
  ingestLines = await captured(() => handler(batch, support.stubContext()));
  rejectedCount = queue.rejected.length;

  // A message SQS will never take: reported by reference, logged by id.
  const parsed = parseEvent(
    { ...registration('e-4', 'c-4', CONTACTS), 'detail-type': 'CustomerRegistered' },
    Date.parse(NOW),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  const order = parseEvent(
    {
      version: '0',
      id: 'e-5',
      'detail-type': 'OrderPlaced',
      source: 'shop',
      time: '2025-03-10T10:01:00Z',
      detail: {
        orderId: 'o-1',
        customerId: 'c-4',
        currency: 'EUR',
        total: 50,
        lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: 50 }],
      },
    },
    Date.parse(NOW),
  );
  if (!order.ok) throw new Error(order.reason);
  const ctx = support.testContext();
  const orders = new MemoryCustomerStore();
  await ingestEvent({ store: orders }, ctx, parsed.event, Date.parse(NOW));
  const outcome = await ingestEvent({ store: orders }, ctx, order.event, Date.parse(NOW));
  const messages: Message[] = outcome.messages;
  expect(messages.length).toBeGreaterThan(0);
  const tooLarge = {
    send: async (batchOf: readonly Message[]) => ({
      sent: [],
      failed: batchOf.map((m) => ({ messageId: m.messageId, reason: 'too-large' as const, bytes: 300_000 })),
    }),
    sendToRejected: async () => undefined,
  };
  routingLines = await captured(() =>
    routeMessages(messages, Date.parse(NOW), {
      queue: tooLarge,
      held: new support.MemoryHeld(),
      rejected: tooLarge,
    }),
  );
});

describe('logs on the failure paths', () => {
  it('ingest: logs the batch (failure and rejection by id, path and rule) with no contact', () => {
    expect(rejectedCount).toBe(1);
    const batchLine = ingestLines.find((l) => l.includes('"ingest batch"'));
    expect(batchLine).toBeDefined();
    expect(batchLine).toContain('ValidationException');
    expect(batchLine).toContain('[redacted]');
    expect(batchLine).toContain('detail.timeZone');
    expect(leaksIn(ingestLines)).toEqual([]);
    // The event was not logged although the environment asked for it.
    expect(ingestLines.some((l) => l.includes('Lambda invocation event'))).toBe(false);
  });

  it('routing: logs an undeliverable message by id, with no contact', () => {
    const line = routingLines.find((l) => l.includes('"message not queued"'));
    expect(line).toBeDefined();
    expect(line).toContain('too-large');
    expect(leaksIn(routingLines)).toEqual([]);
  });
});

describe('redactContacts', () => {
  it('replaces email- and phone-shaped parts and keeps the rest', async () => {
    const { errorFields, redactContacts } = await import('../../functions/shared/powertools.ts');
    expect(redactContacts('to a.b+c@mail.example.co.uk and +7 (999) 123-45-67, order o-5001')).toBe(
      'to [redacted] and [redacted], order o-5001',
    );
    expect(redactContacts('customer c-100 at 2025-03-10T10:00:00Z: 3 of 10')).toBe(
      'customer c-100 at 2025-03-10T10:00:00Z: 3 of 10',
    );
    expect(errorFields(new Error(`bad ${'x'.repeat(300)} anna@example.com`))).toEqual({
      error: 'Error',
      message: `bad ${'x'.repeat(196)}…`,
    });
  });
});
