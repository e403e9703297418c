/**
 * The use cases (ingestEvent, evaluateCustomer) end to end on DynamoDB Local: the customer item in one
 * conditional write, its due entry filed first when the bucket moves, exactly-once issuance when two workers with separate
 * clients evaluate the same customer at once, and the Customers stream — read through the Streams API —
 * fed to the relay for the messages and ledger entries, matching the in-memory run step for step.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../functions/adapters/aws/recorder.ts';
import { decodeStreamRecord } from '../../functions/adapters/dynamodb/customer-codec.ts';
import type { DynamoDbCustomerStore } from '../../functions/adapters/dynamodb/customer-store.ts';
import { dynamoDbDataLayer } from '../../functions/adapters/dynamodb/data-layer.ts';
import { bucketOf } from '../../functions/adapters/dynamodb/due-keys.ts';
import { DynamoDbLedgerStore } from '../../functions/adapters/dynamodb/ledger-store.ts';
import type { StreamRecord } from '../../functions/adapters/dynamodb/stream-reader.ts';
import type { CustomerState, LedgerEntry } from '../../functions/domain/customer-state.ts';
import { customerKey } from '../../functions/domain/customer-state.ts';
import { nextDue } from '../../functions/domain/engine.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import type { Message } from '../../functions/domain/message.ts';
import { relay } from '../../functions/domain/relay.ts';
import type { CustomerStore } from '../../functions/ports/customer-store.ts';
import type { Ports } from '../../functions/use-cases/customer-use-cases.ts';
import { evaluateCustomer, ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import { DEFAULT_PACK, orderPlaced } from '../unit/fixtures.ts';
import { activeCustomerId, at, BIRTHDAY, ctx, drainStream, REGISTERED_AT, registration } from './fixtures.ts';

let local: DynamoDbLocal;
let streamArn: string;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  streamArn = await local.customersStreamArn();
});

afterAll(async () => {
  await local?.stop();
});

/** A worker: its own DynamoDB client and store, as two Lambda containers have. */
function worker(recorder: RequestRecorder = new RequestRecorder()): Ports & { store: DynamoDbCustomerStore } {
  const client = recorder.attach(local.client());
  return {
    store: dynamoDbDataLayer({ client, names: local.names }).customers,
  };
}

async function stored(store: CustomerStore, customerId: string): Promise<CustomerState> {
  const item = await store.get('default', customerId);
  if (item === null) throw new Error(`customer ${customerId} not stored`);
  return item.state;
}

const order = (customerId: string, id: string, time: string, orderId: string): DomainEvent =>
  orderPlaced(id, time, orderId, [{ sku: 'TEA-100', unitPrice: 120, quantity: 1 }], { customerId });

/** The customer's stream records up to (and including) the write of `version`. */
async function recordsOf(customerId: string, version: number): Promise<StreamRecord[]> {
  const pk = customerKey('default', customerId);
  const mine = (records: StreamRecord[]) => records.filter((r) => r.dynamodb?.Keys?.pk?.S === pk);
  const records = await drainStream(local.streams(), streamArn, (all) =>
    mine(all).some((r) => r.dynamodb?.NewImage?.v?.N === String(version)),
  );
  return mine(records);
}

/** The relay Lambda over stream records: messages and ledger entries of the new occurrences. */
function relayRecords(records: StreamRecord[], createdAt: string) {
  const out = { messages: [] as Message[], ledger: [] as LedgerEntry[] };
  for (const record of records) {
    const change = decodeStreamRecord(record);
    // An index move (same version) carries no new occurrence: skipped without inflating the state.
    if (change.indexMoveOnly || change.newImage === null) continue;
    const r = relay(change.oldImage?.state ?? null, change.newImage.state, DEFAULT_PACK, createdAt);
    out.messages.push(...r.messages);
    out.ledger.push(...r.ledger);
  }
  return out;
}

describe('ingestEvent on DynamoDB', () => {
  it('creates the customer in one conditional write, its due entry filed first', async () => {
    // Prepare
    const id = activeCustomerId('ingest');
    const recorder = new RequestRecorder();
    const ports = worker(recorder);
    // Act
    const outcome = await ingestEvent(ports, ctx, registration(id), REGISTERED_AT);
    // Assess
    const state = await stored(ports.store, id);
    expect(state).toEqual(outcome.state);
    expect(state.version).toBe(1);
    expect(nextDue(state, ctx, REGISTERED_AT)).toBe(BIRTHDAY);
    const listed = await ports.store.due(bucketOf(BIRTHDAY) - 1, bucketOf(BIRTHDAY));
    expect(listed).toContainEqual({ brand: 'default', customerId: id });
    expect(recorder.get('DynamoDB', 'PutItem', local.names.customers).requests).toBe(1);
    expect(recorder.get('DynamoDB', 'BatchWriteItem', local.names.due).requests).toBe(1);
    expect(recorder.get('DynamoDB', 'UpdateItem', local.names.customers).requests).toBe(0);
  });

  it('writes nothing for a redelivered event', async () => {
    const id = activeCustomerId('dup');
    const recorder = new RequestRecorder();
    const ports = worker(recorder);
    await ingestEvent(ports, ctx, registration(id), REGISTERED_AT);
    recorder.reset();
    const outcome = await ingestEvent(ports, ctx, registration(id), REGISTERED_AT + 60_000);
    expect(outcome.decisions).toEqual([]);
    expect((await stored(ports.store, id)).version).toBe(1);
    expect(recorder.snapshot().operations.map((o) => o.operation)).toEqual(['GetItem']);
  });
});

describe('evaluateCustomer on DynamoDB', () => {
  it('issues the birthday bonus in one write, filing the next due bucket first', async () => {
    const id = activeCustomerId('eval');
    const recorder = new RequestRecorder();
    const ports = worker(recorder);
    await ingestEvent(ports, ctx, registration(id), REGISTERED_AT);
    recorder.reset();
    const outcome = await evaluateCustomer(ports, ctx, 'default', id, BIRTHDAY);
    expect(outcome.decisions.map((d) => d.key)).toEqual(['birthday-bonus#2026']);
    // One read, the next bucket's entry, one conditional write: the decision, the ledger entry and the
    // next due instant together.
    expect(recorder.get('DynamoDB', 'GetItem', local.names.customers).requests).toBe(1);
    expect(recorder.get('DynamoDB', 'BatchWriteItem', local.names.due).requests).toBe(1);
    expect(recorder.get('DynamoDB', 'PutItem', local.names.customers).requests).toBe(1);
    expect(recorder.snapshot().totals.requests).toBe(3);
    const state = await stored(ports.store, id);
    expect(state.version).toBe(2);
    expect(state.points.balance).toBe(500);
    const after = nextDue(state, ctx, BIRTHDAY);
    expect(after ?? 0).toBeGreaterThan(BIRTHDAY);
    expect((await ports.store.get('default', id))?.dueMs).toBe(after);
    expect(await ports.store.due(bucketOf(after ?? 0) - 1, bucketOf(after ?? 0))).toContainEqual({
      brand: 'default',
      customerId: id,
    });
  });
});

/** Holds each worker's first write until every worker has read: both decide on the same version. */
class RaceGate {
  private arrived = 0;
  private open: () => void = () => {};
  readonly opened = new Promise<void>((resolve) => {
    this.open = resolve;
  });
  constructor(private readonly workers: number) {}
  arrive(): void {
    if (++this.arrived === this.workers) this.open();
  }
}

class GatedStore implements CustomerStore {
  private first = true;
  constructor(
    private readonly inner: CustomerStore,
    private readonly gate: RaceGate,
  ) {}
  async get(brand: string, customerId: string) {
    const state = await this.inner.get(brand, customerId);
    if (this.first) this.gate.arrive();
    return state;
  }
  async put(...args: Parameters<CustomerStore['put']>) {
    if (this.first) {
      this.first = false;
      await this.gate.opened;
    }
    return this.inner.put(...args);
  }
  setDue(...args: Parameters<CustomerStore['setDue']>) {
    return this.inner.setDue(...args);
  }
}

describe('concurrent issuance of one occurrence', () => {
  it('gives one bonus and one message set when two workers evaluate at once', async () => {
    // Prepare
    const id = activeCustomerId('twin');
    await ingestEvent(worker(), ctx, registration(id), REGISTERED_AT);
    // Act: two workers, two clients, the same customer due now
    const outcomes = await Promise.all([
      evaluateCustomer(worker(), ctx, 'default', id, BIRTHDAY),
      evaluateCustomer(worker(), ctx, 'default', id, BIRTHDAY),
    ]);
    // Assess
    expect(outcomes.flatMap((o) => o.decisions).map((d) => d.key)).toEqual(['birthday-bonus#2026']);
    const state = await stored(worker().store, id);
    const key = `default#${id}#birthday-bonus#2026`;
    expect(state.ledger.filter((e) => e.entryId === key)).toHaveLength(1);
    expect(state.points.balance).toBe(500);
    const relayed = relayRecords(await recordsOf(id, 2), new Date(BIRTHDAY).toISOString());
    expect(relayed.messages.map((m) => m.messageId)).toEqual([`${key}#push`]);
    expect(relayed.ledger.filter((e) => e.entryId === key)).toEqual([
      expect.objectContaining({ points: 500, reason: 'bonus', customerId: id }),
    ]);
  });

  it('lets the conditional write decide when both workers read the same version', async () => {
    // Prepare: both workers read version 1 before either writes
    const id = activeCustomerId('race');
    await ingestEvent(worker(), ctx, registration(id), REGISTERED_AT);
    const recorder = new RequestRecorder();
    const gate = new RaceGate(2);
    const [a, b] = [worker(recorder), worker(recorder)];
    // Act
    const outcomes = await Promise.all([
      evaluateCustomer({ store: new GatedStore(a.store, gate) }, ctx, 'default', id, BIRTHDAY),
      evaluateCustomer({ store: new GatedStore(b.store, gate) }, ctx, 'default', id, BIRTHDAY),
    ]);
    // Assess: one write won, the other was refused, re-read, found the occurrence and the winner's due
    // already filed: it wrote nothing more. (Both filed the same next bucket before their writes.)
    const puts = recorder.get('DynamoDB', 'PutItem', local.names.customers);
    expect(puts).toMatchObject({ requests: 2, errors: { ConditionalCheckFailedException: 1 } });
    expect(recorder.get('DynamoDB', 'UpdateItem', local.names.customers).requests).toBe(0);
    expect(recorder.get('DynamoDB', 'BatchWriteItem', local.names.due).requests).toBe(2);
    expect(outcomes.flatMap((o) => o.decisions).map((d) => d.key)).toEqual(['birthday-bonus#2026']);
    const key = `default#${id}#birthday-bonus#2026`;
    const records = await recordsOf(id, 2);
    const relayed = relayRecords(records, new Date(BIRTHDAY).toISOString());
    expect(relayed.messages.map((m) => m.messageId)).toEqual([`${key}#push`]);
    expect(relayed.ledger.filter((e) => e.reason === 'bonus')).toHaveLength(1);
    // The ledger table, written by the relay (and again on a redelivered batch), has the bonus once.
    const ledger = new DynamoDbLedgerStore(local.client(), local.names.ledger);
    await ledger.write(relayed.ledger);
    await ledger.write(relayed.ledger);
    const entries = await ledger.list('default', id);
    expect(entries.filter((e) => e.entryId === key)).toEqual([
      expect.objectContaining({ points: 500, reason: 'bonus', campaignId: 'birthday-bonus' }),
    ]);
  });
});

describe('the Customers stream through the relay', () => {
  it('gives the same messages, ledger and final state as the in-memory run', async () => {
    // Prepare: the same steps through both stores
    const id = activeCustomerId('same');
    const createdAt = '2026-04-01T00:00:00.000Z';
    const steps: ((ports: Ports) => Promise<unknown>)[] = [
      (p) => ingestEvent(p, ctx, registration(id), REGISTERED_AT),
      (p) =>
        ingestEvent(p, ctx, order(id, 'e-o1', '2026-03-02T08:00:00Z', 'o-1'), at('2026-03-02T08:00:30Z')),
      (p) => evaluateCustomer(p, ctx, 'default', id, at('2026-03-10T00:00:00Z')),
      (p) => evaluateCustomer(p, ctx, 'default', id, BIRTHDAY),
      (p) =>
        ingestEvent(p, ctx, order(id, 'e-o1', '2026-03-02T08:00:00Z', 'o-1'), at('2026-03-18T00:00:00Z')),
      (p) =>
        ingestEvent(p, ctx, order(id, 'e-o2', '2026-03-20T12:00:00Z', 'o-2'), at('2026-03-20T12:00:30Z')),
    ];
    const memory = new MemoryCustomerStore();
    const expected = { messages: [] as Message[], ledger: [] as LedgerEntry[] };
    memory.onChange((oldImage, newImage) => {
      const r = relay(oldImage, newImage, DEFAULT_PACK, createdAt);
      expected.messages.push(...r.messages);
      expected.ledger.push(...r.ledger);
    });
    const ports = worker();
    // Act
    for (const step of steps) {
      await step({ store: memory });
      await step(ports);
    }
    // Assess
    const final = await stored(ports.store, id);
    expect(final).toEqual(await stored(memory, id));
    const records = await recordsOf(id, final.version);
    // Per-shard order: one record per item write, versions rising in the order written. The evaluation
    // with nothing due left the due bucket as it was: it wrote nothing, so no record.
    const versions = records.map((r) => Number(r.dynamodb?.NewImage?.v?.N));
    expect(versions).toHaveLength(memory.counts.writes);
    expect(versions).toEqual(versions.toSorted((x, y) => x - y));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions.at(-1)).toBe(final.version);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', ...versions.slice(1).map(() => 'MODIFY')]);
    const relayed = relayRecords(records, createdAt);
    expect(relayed.messages).toEqual(expected.messages);
    expect(relayed.ledger).toEqual(expected.ledger);
    expect(relayed.messages.map((m) => m.campaignId)).toEqual(
      expect.arrayContaining(['first-order-thank-you', 'birthday-bonus']),
    );
  });
});
