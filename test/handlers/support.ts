/**
 * Test support for the handler tests: a stub Lambda context, fixture loading, the default campaign
 * pack without the global holdout (so the fixture customers are never in the control group), SQS
 * records, wrappers of the customer store (failing for one customer, noting its reads), and in-memory
 * fakes of the ports the handlers add.
 */
import { readFileSync } from 'node:fs';
import type { Context, DynamoDBRecord, SQSRecord } from 'aws-lambda';
import type { CustomerState, LedgerEntry, OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { customerKey, emptyState } from '../../functions/domain/customer-state.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import type { Message } from '../../functions/domain/message.ts';
import type { StreamImage } from '../../functions/ports/customer-image.ts';
import type { CustomerRef, CustomerStore, DueIndex } from '../../functions/ports/customer-store.ts';
import type { HeldMessages } from '../../functions/ports/held-messages.ts';
import type { LedgerWriter } from '../../functions/ports/ledger-writer.ts';
import type {
  MessageQueue,
  RejectedSink,
  Rejection,
  SendReport,
} from '../../functions/ports/message-queue.ts';
import { delaySecondsFor, MAX_DELAY_SECONDS } from '../../functions/ports/message-queue.ts';
import type { Watermark } from '../../functions/ports/watermark.ts';
import type { WorkQueue } from '../../functions/ports/work-queue.ts';
import { loadEngineContext } from '../../functions/shared/engine-context.ts';
import type { MemoryCustomerStore } from '../../local/memory-stores.ts';
import { occurrenceRecord } from '../unit/occurrence-record.ts';

/** A Lambda context with a fixed remaining time (no real deadline in tests). */
export function stubContext(remainingMs = 300_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'loyalty-triggers-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:loyalty-triggers-test',
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/loyalty-triggers-test',
    logStreamName: '2025/03/10/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Middy's early timeout off: a stub context has no deadline to beat. */
export const NO_EARLY_TIMEOUT = { timeoutEarlyInMillis: 0 };

/** An SQS record with the given id and body (the other fields as SQS sets them). */
export function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1772359200000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1772359200000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:queue',
    awsRegion: 'eu-central-1',
  };
}

/** A fixture from test/events, parsed anew on every call (tests may change their copy). */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../events/${name}`, import.meta.url), 'utf8')) as T;
}

/** The default campaign pack with the global holdout off. */
export function testContext(): EngineContext {
  const { pack, model } = loadEngineContext({});
  return { pack: { ...pack, guardrails: { ...pack.guardrails, globalHoldoutPercent: 0 } }, model };
}

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

/** Wraps a store so that every call for one customer fails (an infrastructure failure). */
export function failingFor(store: CustomerStore, customerId: string): CustomerStore {
  const fail = () =>
    Promise.reject(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' }));
  return {
    get: (brand, id) => (id === customerId ? fail() : store.get(brand, id)),
    put: (state, expected, due, stored) =>
      state.customerId === customerId ? fail() : store.put(state, expected, due, stored),
    setDue: (brand, id, version, due, stored) =>
      id === customerId ? fail() : store.setDue(brand, id, version, due, stored),
  };
}

/**
 * Wraps an in-memory store, noting its reads: the customers read one by one (`gets`, customer keys in
 * call order) and the customers of each batch read (`batches`). The batch read works (the in-memory
 * one, whose reads do not show up in `gets`), fails (a throttled or unavailable table), or is absent
 * (a store that reads one by one, as before the read-ahead).
 */
export function readSpy(store: MemoryCustomerStore, getMany: 'works' | 'fails' | 'absent' = 'works') {
  const gets: string[] = [];
  const batches: string[][] = [];
  /** Whether each batch read asked for the latest (`consistent`, default true). */
  const consistency: boolean[] = [];
  const spied: CustomerStore & DueIndex = {
    get: (brand, customerId) => {
      gets.push(customerKey(brand, customerId));
      return store.get(brand, customerId);
    },
    put: (state, expected, due, stored) => store.put(state, expected, due, stored),
    setDue: (brand, customerId, version, due, stored) =>
      store.setDue(brand, customerId, version, due, stored),
    due: (afterMs, uptoMs) => store.due(afterMs, uptoMs),
    duePage: (afterMs, uptoMs, cursor, limit, partition) =>
      store.duePage(afterMs, uptoMs, cursor, limit, partition),
    duePartitions: store.duePartitions,
  };
  if (getMany !== 'absent') {
    spied.getMany = async (refs, options) => {
      batches.push(refs.map((r) => customerKey(r.brand, r.customerId)));
      consistency.push(options?.consistent ?? true);
      if (getMany === 'fails') throw BATCH_READ_FAILURE;
      return store.getMany(refs);
    };
  }
  return { store: spied, gets, batches, consistency };
}

/** What a failing `getMany` of {@link readSpy} throws. */
export const BATCH_READ_FAILURE = Object.assign(new Error('Throughput exceeds the current capacity'), {
  name: 'ProvisionedThroughputExceededException',
});

// ---------------------------------------------------------------------------------------------
// In-memory fakes of the new ports (the DynamoDB adapters implement the same contracts)

export class MemoryLedger implements LedgerWriter {
  readonly entries = new Map<string, LedgerEntry>();
  writes = 0;
  async write(entries: readonly LedgerEntry[]): Promise<void> {
    this.writes++;
    for (const e of entries) this.entries.set(e.entryId, e);
  }
}

export class MemoryWatermark implements Watermark {
  readonly marks = new Map<string, number>();
  advances = 0;
  async read(name: string): Promise<number | null> {
    return this.marks.get(name) ?? null;
  }
  async advance(name: string, fromMs: number | null, toMs: number): Promise<boolean> {
    if ((this.marks.get(name) ?? null) !== fromMs) return false;
    this.advances++;
    this.marks.set(name, toMs);
    return true;
  }
}

export class MemoryHeld implements HeldMessages {
  readonly messages = new Map<string, Message>();
  async hold(messages: readonly Message[]): Promise<void> {
    for (const m of messages) this.messages.set(m.messageId, m);
  }
  async due(uptoMs: number, limit: number): Promise<Message[]> {
    return [...this.messages.values()]
      .filter((m) => Date.parse(m.sendAt) <= uptoMs)
      .sort((a, b) => a.sendAt.localeCompare(b.sendAt))
      .slice(0, limit);
  }
  async release(messages: readonly Message[]): Promise<void> {
    for (const m of messages) this.messages.delete(m.messageId);
  }
}

/** The channel queues: what was sent, with the delay the SQS adapter would set. */
export class MemoryMessageQueue implements MessageQueue, RejectedSink {
  readonly sent: { message: Message; delaySeconds: number }[] = [];
  readonly rejected: { body: string; rejection: Rejection }[] = [];
  async send(messages: readonly Message[], nowMs: number): Promise<SendReport> {
    const report: SendReport = { sent: [], failed: [] };
    for (const message of messages) {
      const delaySeconds = delaySecondsFor(message.sendAt, nowMs);
      if (delaySeconds > MAX_DELAY_SECONDS) {
        report.failed.push({ messageId: message.messageId, reason: 'send-at-too-far' });
        continue;
      }
      this.sent.push({ message, delaySeconds });
      report.sent.push(message.messageId);
    }
    return report;
  }
  async sendToRejected(body: string, rejection: Rejection): Promise<void> {
    this.rejected.push({ body, rejection });
  }
}

/** A queue of tasks, kept in the order sent, each with the delay it was sent with (0: none). */
export class MemoryTaskQueue<T> implements WorkQueue<T> {
  readonly tasks: T[] = [];
  readonly delays: number[] = [];
  async enqueue(items: readonly T[], options: { delaySeconds?: number } = {}): Promise<void> {
    this.tasks.push(...items);
    this.delays.push(...items.map(() => options.delaySeconds ?? 0));
  }
}

export class MemoryWorkQueue implements WorkQueue<CustomerRef> {
  readonly batches: CustomerRef[][] = [];
  async enqueue(items: readonly CustomerRef[]): Promise<void> {
    for (let i = 0; i < items.length; i += 10) this.batches.push(items.slice(i, i + 10));
  }
  get items(): CustomerRef[] {
    return this.batches.flat();
  }
}

/** The test codec: the state as JSON in a `state` string attribute. */
export function decodeTestImage(image: StreamImage): CustomerState | null {
  const text = image.state?.S;
  return text === undefined ? null : (JSON.parse(text) as CustomerState);
}

/** An issued `first-order-thank-you` milestone with an email message, decided at `at`. */
export function milestoneOccurrence(at: string, over: Partial<OccurrenceRecord> = {}): OccurrenceRecord {
  return occurrenceRecord({
    campaignId: 'first-order-thank-you',
    trigger: 'milestone',
    at,
    points: 100,
    onceEver: true,
    ...over,
  });
}

/** A customer with an email address at example.com and these occurrences. */
export function customerWith(
  id: string,
  occurrences: Record<string, OccurrenceRecord>,
  version: number,
): CustomerState {
  const s = emptyState('default', id);
  return { ...s, version, contacts: { ...s.contacts, email: `${id}@example.com` }, occurrences };
}

/**
 * A MODIFY record of the customers stream (test codec) whose write adds occurrence `key` to customer
 * `id`, with sequence number `sequence` and creation time `createdMs`.
 */
export function occurrenceWrite(
  id: string,
  key: string,
  occ: OccurrenceRecord,
  sequence: number,
  createdMs: number,
): DynamoDBRecord {
  return {
    eventID: `evt-${sequence}`,
    eventName: 'MODIFY',
    dynamodb: {
      Keys: { pk: { S: `default#${id}` } },
      SequenceNumber: String(sequence).padStart(21, '0'),
      ApproximateCreationDateTime: createdMs / 1000,
      OldImage: { state: { S: JSON.stringify(customerWith(id, {}, 1)) } },
      NewImage: { state: { S: JSON.stringify(customerWith(id, { [key]: occ }, 2)) } },
    },
  };
}
