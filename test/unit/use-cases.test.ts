/**
 * The use cases (functions/use-cases/customer-use-cases.ts) over the in-memory ports (local/memory-stores.ts):
 * conditional writes with retries, the item and its due entry (filed first, on a bucket change only),
 * exactly-once issuance under concurrency, a batch's customers read ahead (each read serving one step, a
 * stale one costing a conflict and a fresh read); and the in-memory store's own contract (versions,
 * change feed, buckets, entries left to expire, the due range in pages).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CustomerState, LedgerEntry } from '../../functions/domain/customer-state.ts';
import { customerKey, emptyState, LIMITS } from '../../functions/domain/customer-state.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import { nextDue } from '../../functions/domain/engine.ts';
import { eventFingerprint } from '../../functions/domain/event-fingerprint.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { holdoutBucket } from '../../functions/domain/guardrails.ts';
import type { Message } from '../../functions/domain/message.ts';
import { relay } from '../../functions/domain/relay.ts';
import type { CustomerRef, CustomerStore, StoredCustomer } from '../../functions/ports/customer-store.ts';
import { DueCursorError } from '../../functions/ports/customer-store.ts';
import type { Applied } from '../../functions/use-cases/customer-use-cases.ts';
import {
  ConcurrencyError,
  evaluateCustomer,
  ingestEvent,
  Prefetched,
} from '../../functions/use-cases/customer-use-cases.ts';
import { BUCKET_MS, bucketOf, MemoryCustomerStore } from '../../local/memory-stores.ts';
import { BATCH_READ_FAILURE, readSpy } from '../handlers/support.ts';
import {
  actionCompleted,
  DEFAULT_PACK,
  messageEngaged,
  orderPlaced,
  registered,
  updated,
} from './fixtures.ts';

const at = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();
const DAY_MS = 86_400_000;
const ctx: EngineContext = { pack: DEFAULT_PACK, model: null };

/** A customer outside the default pack's 5% global holdout, so bonuses and messages go out. */
const ID = (() => {
  for (let i = 0; ; i++) {
    const id = `cust-${i}`;
    if (holdoutBucket('default', id, 'global') >= DEFAULT_PACK.guardrails.globalHoldoutPercent) return id;
  }
})();
const REF: CustomerRef = { brand: 'default', customerId: ID };

/** Registered on March 1st; birthday March 17, i.e. 2026-03-17T00:00Z (10:00 in Vladivostok). */
const REGISTERED = registered('e-reg', '2026-03-01T00:00:00Z', {
  customerId: ID,
  firstName: 'Ann',
  birthday: '1990-03-17',
  timeZone: 'Asia/Vladivostok',
  contacts: { email: 'ann@example.com', pushToken: 'push-token-ann' },
  consents: { email: true, push: true },
});
const BIRTHDAY = at('2026-03-17T00:00:00Z');
const order = (id: string, time: string, orderId: string, total = 120): DomainEvent =>
  orderPlaced(id, time, orderId, [{ sku: 'TEA-100', unitPrice: total, quantity: 1 }], { customerId: ID });

/**
 * Whether the customer is filed under the bucket at `bucketMs`: its item stores a due instant in that
 * bucket, and the bucket has its entry (older entries may remain elsewhere: they expire).
 */
async function indexedAt(store: MemoryCustomerStore, ref: CustomerRef, bucketMs: number): Promise<boolean> {
  const dueMs = (await store.get(ref.brand, ref.customerId))?.dueMs ?? null;
  const listed = (await store.due(bucketMs - 1, bucketMs)).some(
    (r) => r.brand === ref.brand && r.customerId === ref.customerId,
  );
  return dueMs !== null && bucketOf(dueMs) === bucketMs && listed;
}

async function isIndexed(store: MemoryCustomerStore, ref: CustomerRef): Promise<boolean> {
  const all = await store.due(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  return all.some((r) => r.brand === ref.brand && r.customerId === ref.customerId);
}

/** The relay on the store's change feed, as the stream consumer runs it in AWS. */
function withRelay(store: MemoryCustomerStore, clock: () => number) {
  const out = { messages: [] as Message[], ledger: [] as LedgerEntry[] };
  store.onChange((oldImage, newImage) => {
    const r = relay(oldImage, newImage, DEFAULT_PACK, iso(clock()));
    out.messages.push(...r.messages);
    out.ledger.push(...r.ledger);
  });
  return out;
}

async function stored(store: CustomerStore, ref: CustomerRef = REF): Promise<CustomerState> {
  const item = await store.get(ref.brand, ref.customerId);
  if (item === null) throw new Error(`customer ${ref.customerId} not stored`);
  return item.state;
}

/** The due instant stored with the customer's item. */
async function storedDue(store: CustomerStore, ref: CustomerRef = REF): Promise<number | null> {
  return (await store.get(ref.brand, ref.customerId))?.dueMs ?? null;
}

/** A store whose first `put`s lose a race: before they run, `interleave` may write in between. */
class RacingStore extends MemoryCustomerStore {
  puts = 0;
  gets = 0;
  constructor(
    private readonly losses: number,
    private readonly interleave: (store: MemoryCustomerStore) => Promise<void> = async () => {},
  ) {
    super();
  }
  override async get(brand: string, customerId: string): Promise<StoredCustomer | null> {
    this.gets++;
    return super.get(brand, customerId);
  }
  override async put(
    state: CustomerState,
    expectedVersion: number,
    dueMs: number | null,
    storedDueMs: number | null,
  ): Promise<boolean> {
    this.puts++;
    if (this.puts <= this.losses) {
      await this.interleave(this);
      return false;
    }
    return super.put(state, expectedVersion, dueMs, storedDueMs);
  }
}

// ---------------------------------------------------------------------------------------------
// ingestEvent

describe('ingestEvent', () => {
  it('creates the customer and indexes its next due instant', async () => {
    // Prepare
    const store = new MemoryCustomerStore();
    const now = at('2026-03-01T00:01:00Z');
    // Act
    const outcome = await ingestEvent({ store }, ctx, REGISTERED, now);
    // Assess
    const state = await stored(store);
    expect(outcome.state).toBe(state);
    expect(state.version).toBe(1);
    expect(state.profile.timeZone).toBe('Asia/Vladivostok');
    expect(nextDue(state, ctx, now)).toBe(BIRTHDAY);
    expect(await indexedAt(store, REF, bucketOf(BIRTHDAY))).toBe(true);
    // One entry filed, then the item: no due move on its own.
    expect(store.counts).toMatchObject({ writes: 1, conflicts: 0, indexWrites: 1, dueMoves: 0 });
  });

  it('writes nothing for a delivery receipt, and writes an open (it teaches the best send hour)', async () => {
    // Prepare
    const store = new MemoryCustomerStore();
    await ingestEvent({ store }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    const first = await stored(store);
    const before = { ...store.counts };
    const receipt = { ...messageEngaged('e-dlv', '2026-03-02T09:00:00Z', 'delivered'), customerId: ID };
    const open = { ...messageEngaged('e-open', '2026-03-02T09:05:00Z', 'opened'), customerId: ID };
    // Act
    const delivered = await ingestEvent({ store }, ctx, receipt, at('2026-03-02T09:00:01Z'));
    const again = await ingestEvent({ store }, ctx, receipt, at('2026-03-02T09:00:02Z'));
    const opened = await ingestEvent({ store }, ctx, open, at('2026-03-02T09:05:01Z'));
    // Assess: the receipt (twice) read the item and wrote nothing; the open wrote it
    expect([delivered.changed, again.changed, opened.changed]).toEqual([false, false, true]);
    expect(delivered.decisions).toEqual([]);
    expect(store.counts.writes).toBe(before.writes + 1);
    const after = await stored(store);
    expect(after.version).toBe(first.version + 1);
    expect(after.recentEventIds).toEqual([...first.recentEventIds, eventFingerprint('e-open')]);
    expect(after.engagement.byLocalHour.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('writes nothing for a duplicate event, neither the item nor its index entry', async () => {
    const store = new MemoryCustomerStore();
    const feed: number[] = [];
    store.onChange((_, next) => feed.push(next.version));
    await ingestEvent({ store }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    const first = await stored(store);
    const before = { ...store.counts };
    // Act: the same event redelivered (same id), later
    const outcome = await ingestEvent({ store }, ctx, REGISTERED, at('2026-03-02T00:00:00Z'));
    // Assess
    expect(outcome.decisions).toEqual([]);
    expect(await stored(store)).toBe(first);
    expect(store.counts.writes).toBe(before.writes);
    expect(store.counts.indexWrites).toBe(before.indexWrites);
    expect(feed).toEqual([1]);
  });

  it('gives no reward twice for an order or an action redelivered after the fingerprint window', async () => {
    // Prepare: an order and a review, then more newer events than the item keeps fingerprints of
    const store = new MemoryCustomerStore();
    await ingestEvent({ store }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    const placed = order('e-o1', '2026-03-02T08:00:00Z', 'o-1');
    const review = { ...actionCompleted('e-act', '2026-03-02T09:00:00Z', 'review'), customerId: ID };
    await ingestEvent({ store }, ctx, placed, at('2026-03-02T08:00:01Z'));
    await ingestEvent({ store }, ctx, review, at('2026-03-02T09:00:01Z'));
    for (let i = 0; i < LIMITS.recentEventIds + 4; i++) {
      const time = iso(at('2026-03-03T10:00:00Z') + i * 60_000);
      await ingestEvent(
        { store },
        ctx,
        { ...messageEngaged(`e-open-${i}`, time, 'opened'), customerId: ID },
        at(time),
      );
    }
    const before = await stored(store);
    expect(before.recentEventIds).toHaveLength(LIMITS.recentEventIds);
    expect(before.recentEventIds).not.toContain(eventFingerprint('e-o1'));
    expect(before.recentEventIds).not.toContain(eventFingerprint('e-act'));

    // Act: both redelivered
    await ingestEvent({ store }, ctx, placed, at('2026-03-04T00:00:00Z'));
    await ingestEvent({ store }, ctx, review, at('2026-03-04T00:00:01Z'));

    // Assess: the order is known by its id, the review's reward by its occurrence key
    const after = await stored(store);
    expect(after.stats.orders).toBe(1);
    expect(after.points.balance).toBe(before.points.balance);
    expect(after.points.lifetimeEarned).toBe(before.points.lifetimeEarned);
    expect(after.ledger.filter((e) => e.points > 0)).toEqual(before.ledger.filter((e) => e.points > 0));
    expect(before.ledger.filter((e) => e.campaignId === 'review-reward')).toHaveLength(1);
    expect(after.ledger.filter((e) => e.campaignId === 'review-reward')).toHaveLength(1);
  });

  it('retries after losing a conditional write and applies the event once', async () => {
    const store = new RacingStore(1);
    const outcome = await ingestEvent({ store }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    expect(store.gets).toBe(2);
    expect(store.puts).toBe(2);
    const state = await stored(store);
    expect(outcome.state).toBe(state);
    expect(state.version).toBe(1);
    expect(state.recentEventIds).toEqual(['e-reg'].map(eventFingerprint));
  });

  it('retries on a real conflict: the event and the one written in between both apply once', async () => {
    // Prepare: while the first write of the order is in flight, the registration is written
    const store = new RacingStore(1, async (s) => {
      await ingestEvent({ store: s }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    });
    const placed = order('e-o1', '2026-03-02T08:00:00Z', 'o-1');
    // Act
    await ingestEvent({ store }, ctx, placed, at('2026-03-02T08:00:30Z'));
    // Assess
    const state = await stored(store);
    expect(state.recentEventIds.toSorted()).toEqual(['e-o1', 'e-reg'].map(eventFingerprint).toSorted());
    expect(state.stats.orders).toBe(1);
    // Two writes stored: the registration in between, then the order on top of it.
    expect(store.counts.writes).toBe(2);
    expect(state.ledger.filter((e) => e.entryId === 'order:o-1')).toHaveLength(1);
    expect(await indexedAt(store, REF, bucketOf(nextDue(state, ctx, at('2026-03-02T08:00:30Z')) ?? 0))).toBe(
      true,
    );
  });

  it('applies two different events ingested concurrently exactly once each', async () => {
    // Prepare
    const store = new MemoryCustomerStore();
    await ingestEvent({ store }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    const relayed = withRelay(store, () => at('2026-03-02T09:00:00Z'));
    const events = [
      order('e-o1', '2026-03-02T08:00:00Z', 'o-1'),
      order('e-o2', '2026-03-02T08:30:00Z', 'o-2'),
    ];
    // Act
    const outcomes = await Promise.all(
      events.map((e) => ingestEvent({ store }, ctx, e, at('2026-03-02T09:00:00Z'))),
    );
    // Assess: one of them lost the race and retried on the other's state
    expect(store.counts.conflicts).toBeGreaterThanOrEqual(1);
    const state = await stored(store);
    expect(store.counts.writes).toBe(3);
    expect(state.recentEventIds.toSorted()).toEqual(
      ['e-o1', 'e-o2', 'e-reg'].map(eventFingerprint).toSorted(),
    );
    expect(state.stats.orders).toBe(2);
    const ids = relayed.ledger.map((e) => e.entryId);
    expect(ids.filter((id) => id === 'order:o-1')).toHaveLength(1);
    expect(ids.filter((id) => id === 'order:o-2')).toHaveLength(1);
    // The first order's thank-you fired once, in whichever ingest saw the first order.
    const firstOrder = outcomes
      .flatMap((o) => o.decisions)
      .filter((d) => d.campaign.id === 'first-order-thank-you');
    expect(firstOrder).toHaveLength(1);
    expect(
      relayed.ledger.filter((e) => e.campaignId === 'first-order-thank-you' && e.reason === 'bonus'),
    ).toHaveLength(1);
    expect(relayed.messages.filter((m) => m.campaignId === 'first-order-thank-you')).toHaveLength(1);
  });

  it('throws ConcurrencyError when every write conflicts, writing nothing', async () => {
    const store = new RacingStore(Number.POSITIVE_INFINITY);
    const attempt = ingestEvent({ store }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(attempt).rejects.toMatchObject({ name: 'ConcurrencyError', customerId: ID });
    expect(store.gets).toBeGreaterThan(1);
    expect(store.gets).toBe(store.puts);
    expect(await store.get('default', ID)).toBeNull();
    // Each attempt lost before the store filed anything.
    expect(await isIndexed(store, REF)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// evaluateCustomer

describe('evaluateCustomer', () => {
  async function registeredStore(): Promise<MemoryCustomerStore> {
    const store = new MemoryCustomerStore();
    await ingestEvent({ store }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    return store;
  }

  it('files the customer again when nothing is due and the due bucket moves (the entry is spent)', async () => {
    // Prepare: a due instant of an older schedule, with its entry
    const store = await registeredStore();
    const state = await stored(store);
    await store.setDue('default', ID, state.version, at('2026-03-05T00:00:00Z'), await storedDue(store));
    const { writes, indexWrites, dueMoves } = store.counts;
    // Act
    const outcome = await evaluateCustomer({ store }, ctx, 'default', ID, at('2026-03-05T00:00:00Z'));
    // Assess: the birthday's entry, then the item's due; the state is untouched
    expect(outcome.decisions).toEqual([]);
    expect(outcome.changed).toBe(false);
    expect(await stored(store)).toBe(state);
    expect(store.counts).toMatchObject({ writes, indexWrites: indexWrites + 1, dueMoves: dueMoves + 1 });
    expect(await indexedAt(store, REF, bucketOf(BIRTHDAY))).toBe(true);
  });

  it('writes nothing when nothing is due and the due bucket stays (a stale entry brought the customer)', async () => {
    const store = await registeredStore();
    const before = { ...store.counts };
    const item = await store.get('default', ID);
    await evaluateCustomer({ store }, ctx, 'default', ID, at('2026-03-10T00:00:00Z'));
    expect(store.counts).toEqual({ ...before, reads: before.reads + 2 });
    expect(await store.get('default', ID)).toBe(item);
    expect(await indexedAt(store, REF, bucketOf(BIRTHDAY))).toBe(true);
  });

  it('writes the decision and the next due instant together, the new bucket filed first', async () => {
    const store = await registeredStore();
    const { indexWrites, dueMoves } = store.counts;
    const outcome = await evaluateCustomer({ store }, ctx, 'default', ID, BIRTHDAY);
    const state = await stored(store);
    expect(outcome.decisions.map((d) => d.key)).toEqual(['birthday-bonus#2026']);
    expect(outcome.state).toBe(state);
    expect(state.version).toBe(2);
    expect(store.counts).toMatchObject({ indexWrites: indexWrites + 1, dueMoves });
    const after = nextDue(state, ctx, BIRTHDAY);
    expect(after).not.toBeNull();
    expect(after ?? 0).toBeGreaterThan(BIRTHDAY);
    expect(await indexedAt(store, REF, bucketOf(after ?? 0))).toBe(true);
  });

  it('issues an occurrence once when two evaluations run concurrently: one bonus, one message set', async () => {
    // Prepare
    const store = await registeredStore();
    const relayed = withRelay(store, () => BIRTHDAY);
    // Act
    const outcomes = await Promise.all([
      evaluateCustomer({ store }, ctx, 'default', ID, BIRTHDAY),
      evaluateCustomer({ store }, ctx, 'default', ID, BIRTHDAY),
    ]);
    // Assess
    expect(store.counts.conflicts).toBeGreaterThanOrEqual(1);
    expect(outcomes.flatMap((o) => o.decisions).map((d) => d.key)).toEqual(['birthday-bonus#2026']);
    const key = `default#${ID}#birthday-bonus#2026`;
    expect(relayed.ledger.filter((e) => e.entryId === key)).toEqual([
      expect.objectContaining({ points: 500, reason: 'bonus', customerId: ID }),
    ]);
    expect(relayed.messages.map((m) => m.messageId)).toEqual([`${key}#push`]);
    const state = await stored(store);
    expect(state.points.balance).toBe(500);
    expect(state.version).toBe(2);
  });

  it('throws ConcurrencyError when the due instant can never be moved', async () => {
    const store = await registeredStore();
    // Every conditional index write finds another version.
    store.setDue = async () => false;
    await expect(evaluateCustomer({ store }, ctx, 'default', ID, at('2026-03-05T00:00:00Z'))).rejects.toThrow(
      ConcurrencyError,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The read-ahead of a batch (Prefetched)

describe('read-ahead of a batch (Prefetched)', () => {
  /** A second customer, not stored yet when the tests read ahead (its read is null). */
  const REF2: CustomerRef = { brand: 'default', customerId: 'c-second' };
  const KEY = customerKey(REF.brand, REF.customerId);
  const KEY2 = customerKey(REF2.brand, REF2.customerId);
  const REGISTERED2 = registered('e-reg-2', '2026-03-01T00:00:00Z', {
    customerId: REF2.customerId,
    birthday: '1985-11-02',
    timeZone: 'Europe/Berlin',
    contacts: { email: 'second@example.com' },
    consents: { email: true },
  });
  const ORDER_TIME = at('2026-03-02T09:00:00Z');
  const ORDER_1 = order('e-o1', '2026-03-02T08:00:00Z', 'o-1');
  const ORDER_2 = order('e-o2', '2026-03-02T08:30:00Z', 'o-2');

  /**
   * Both orders are in the item `last` wrote, on top of what `first` wrote, and each order's accrual
   * is in the ledger once.
   */
  async function expectBothOrders(
    store: CustomerStore,
    ledger: LedgerEntry[],
    first: Applied,
    last: Applied,
  ) {
    const state = await stored(store);
    expect(state).toBe(last.state);
    expect(state.version).toBeGreaterThan(first.state.version);
    expect(state.stats.orders).toBe(2);
    expect(state.recentEventIds.toSorted()).toEqual(
      ['e-o1', 'e-o2', 'e-reg'].map(eventFingerprint).toSorted(),
    );
    const ids = ledger.map((e) => e.entryId);
    expect(ids.filter((id) => id === 'order:o-1')).toHaveLength(1);
    expect(ids.filter((id) => id === 'order:o-2')).toHaveLength(1);
  }

  /** A store with the customer of REF registered (REF2 absent), spied on for its reads. */
  async function registeredSpy() {
    const memory = new MemoryCustomerStore();
    await ingestEvent({ store: memory }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    return { memory, ...readSpy(memory) };
  }

  /** Reads REF and REF2 ahead; the read must succeed. */
  async function readAheadBoth(store: CustomerStore): Promise<Prefetched> {
    const { prefetched, error } = await Prefetched.of(store, [REF, REF2]);
    expect(error).toBeUndefined();
    return prefetched;
  }

  it('serves each customer it read once: null for no item, then undefined', async () => {
    const { memory, store } = await registeredSpy();
    const prefetched = await readAheadBoth(store);
    expect(prefetched.take(REF.brand, REF.customerId)).toBe(await memory.get(REF.brand, REF.customerId));
    expect(prefetched.take(REF.brand, REF.customerId)).toBeUndefined();
    expect(prefetched.take(REF2.brand, REF2.customerId)).toBeNull();
    expect(prefetched.take(REF2.brand, REF2.customerId)).toBeUndefined();
    // A customer not in the batch was never read.
    expect(prefetched.take('default', 'c-unlisted')).toBeUndefined();
  });

  it('serves the first step of each customer without a get, leaving the same items as without it', async () => {
    // Prepare: the same customers in two stores; one is read ahead, the other one by one
    const events = [ORDER_1, REGISTERED2];
    const plain = new MemoryCustomerStore();
    await ingestEvent({ store: plain }, ctx, REGISTERED, at('2026-03-01T00:01:00Z'));
    const { memory, store, gets, batches } = await registeredSpy();
    // Act
    const prefetched = await readAheadBoth(store);
    const ahead = [];
    for (const e of events) ahead.push(await ingestEvent({ store }, ctx, e, ORDER_TIME, prefetched));
    const oneByOne = [];
    for (const e of events) oneByOne.push(await ingestEvent({ store: plain }, ctx, e, ORDER_TIME));
    // Assess: one batch read of both customers, no single read, no conflict
    expect(batches).toEqual([[KEY, KEY2]]);
    expect(gets).toEqual([]);
    expect(memory.counts.conflicts).toBe(0);
    expect(ahead).toEqual(oneByOne);
    expect(ahead.map((o) => o.changed)).toEqual([true, true]);
    for (const ref of [REF, REF2]) {
      expect(await memory.get(ref.brand, ref.customerId)).toEqual(await plain.get(ref.brand, ref.customerId));
    }
    const { reads: _r, ...writes } = memory.counts;
    const { reads: _p, ...plainWrites } = plain.counts;
    expect(writes).toEqual(plainWrites);
  });

  it('reads again for a second step of the same customer (the read ahead is spent) and applies both', async () => {
    // Prepare
    const { memory, store, gets } = await registeredSpy();
    const relayed = withRelay(memory, () => ORDER_TIME);
    const prefetched = await readAheadBoth(store);
    // Act
    const first = await ingestEvent({ store }, ctx, ORDER_1, ORDER_TIME, prefetched);
    expect(gets).toEqual([]);
    const second = await ingestEvent({ store }, ctx, ORDER_2, ORDER_TIME, prefetched);
    // Assess: the second event read the item the first one wrote; no conflict
    expect(gets).toEqual([KEY]);
    expect(memory.counts.conflicts).toBe(0);
    await expectBothOrders(memory, relayed.ledger, first, second);
  });

  it('after a stale read ahead, conflicts, reads again and keeps both changes: no loss, no second issuance', async () => {
    // Prepare: read ahead, then another worker applies the first order (a newer version)
    const { memory, store, gets } = await registeredSpy();
    const relayed = withRelay(memory, () => ORDER_TIME);
    const prefetched = await readAheadBoth(store);
    const first = await ingestEvent({ store: memory }, ctx, ORDER_1, ORDER_TIME);
    expect(first.decisions.map((d) => d.campaign.id)).toContain('first-order-thank-you');
    // Act: the second order starts from the read made before the first
    const second = await ingestEvent({ store }, ctx, ORDER_2, ORDER_TIME, prefetched);
    // Assess: its write on the stale version lost; one fresh read; applied on top of the first order
    expect(memory.counts.conflicts).toBe(1);
    expect(gets).toEqual([KEY]);
    expect(second.changed).toBe(true);
    // On the stale state the second order looked like the first: after the fresh read it is not.
    expect(second.decisions.map((d) => d.campaign.id)).not.toContain('first-order-thank-you');
    await expectBothOrders(memory, relayed.ledger, first, second);
    expect(relayed.messages.filter((m) => m.campaignId === 'first-order-thank-you')).toHaveLength(1);
    expect(
      relayed.ledger.filter((e) => e.campaignId === 'first-order-thank-you' && e.reason === 'bonus'),
    ).toHaveLength(1);
  });

  it('after reading no item ahead, a customer created meanwhile conflicts and is read again', async () => {
    // Prepare: REF2 absent when read ahead, registered by another worker after
    const { memory, store, gets } = await registeredSpy();
    const prefetched = await readAheadBoth(store);
    const created = await ingestEvent({ store: memory }, ctx, REGISTERED2, at('2026-03-01T00:01:00Z'));
    const placed = orderPlaced('e-o9', '2026-03-02T08:00:00Z', 'o-9', [{ sku: 'TEA-100', unitPrice: 40 }], {
      customerId: REF2.customerId,
    });
    // Act
    await ingestEvent({ store }, ctx, placed, ORDER_TIME, prefetched);
    // Assess: the write as a new item lost; the order applied on the registered customer
    expect(memory.counts.conflicts).toBe(1);
    expect(gets).toEqual([KEY2]);
    const state = await stored(memory, REF2);
    expect(state.version).toBeGreaterThan(created.state.version);
    expect(state.recentEventIds.toSorted()).toEqual(['e-o9', 'e-reg-2'].map(eventFingerprint).toSorted());
    expect(state.profile.timeZone).toBe('Europe/Berlin');
    expect(state.stats.orders).toBe(1);
  });

  it('issues a due occurrence once when the evaluation read ahead is overtaken by another', async () => {
    // Prepare: read ahead, then another worker evaluates the birthday
    const { memory, store, gets } = await registeredSpy();
    const relayed = withRelay(memory, () => BIRTHDAY);
    const prefetched = await readAheadBoth(store);
    const other = await evaluateCustomer({ store: memory }, ctx, 'default', ID, BIRTHDAY);
    expect(other.decisions.map((d) => d.key)).toEqual(['birthday-bonus#2026']);
    // Act: this evaluation starts from the read before the bonus
    const outcome = await evaluateCustomer({ store }, ctx, 'default', ID, BIRTHDAY, prefetched);
    // Assess: its issuance lost the condition; the fresh read finds nothing due
    expect(memory.counts.conflicts).toBe(1);
    expect(gets).toEqual([KEY]);
    expect(outcome.decisions).toEqual([]);
    expect(outcome.changed).toBe(false);
    const key = `default#${ID}#birthday-bonus#2026`;
    expect(relayed.ledger.filter((e) => e.entryId === key)).toHaveLength(1);
    expect(relayed.messages.map((m) => m.messageId)).toEqual([`${key}#push`]);
    const state = await stored(memory);
    expect(state.points.balance).toBe(500);
    expect(state.version).toBe(2);
  });

  it('returns the error of a failed batch read with nothing read: each step reads its own customer', async () => {
    const { memory, store, gets, batches } = await registeredSpy();
    const failing = readSpy(memory, 'fails');
    // Act
    const { prefetched, error } = await Prefetched.of(failing.store, [REF, REF2]);
    // Assess
    expect(error).toBe(BATCH_READ_FAILURE);
    expect(prefetched).toBe(Prefetched.none);
    expect(failing.batches).toEqual([[KEY, KEY2]]);
    await ingestEvent({ store }, ctx, ORDER_1, ORDER_TIME, prefetched);
    expect(gets).toEqual([KEY]);
    expect(batches).toEqual([]);
    expect((await stored(memory)).stats.orders).toBe(1);
  });

  it('reads nothing ahead for one customer, even listed twice, nor for none', async () => {
    const { store, batches } = await registeredSpy();
    for (const refs of [[REF, { ...REF }], [REF], []]) {
      const { prefetched, error } = await Prefetched.of(store, refs);
      expect(prefetched).toBe(Prefetched.none);
      expect(error).toBeUndefined();
    }
    expect(batches).toEqual([]);
  });

  it('reads even one customer ahead when the latest is not asked for, and passes that on', async () => {
    const { memory, store, batches, consistency, gets } = await registeredSpy();
    // Act
    const one = await Prefetched.of(store, [REF, { ...REF }], { consistent: false });
    const latest = await Prefetched.of(store, [REF, REF2]);
    // Assess: one key asked for, not the latest; the default asks for the latest
    expect(batches).toEqual([[KEY], [KEY, KEY2]]);
    expect(consistency).toEqual([false, true]);
    expect(one.prefetched).not.toBe(Prefetched.none);
    await ingestEvent({ store }, ctx, ORDER_1, ORDER_TIME, one.prefetched);
    expect(gets).toEqual([]);
    expect((await stored(memory)).stats.orders).toBe(1);
    expect(latest.error).toBeUndefined();
  });

  it('issues once from a stale read that was not the latest: the write is refused, the latest read', async () => {
    // Prepare: a read ahead that misses an order written after it (replication lag)
    const { memory, store, gets } = await registeredSpy();
    const { prefetched } = await Prefetched.of(store, [REF], { consistent: false });
    await ingestEvent(
      { store: memory },
      ctx,
      order('e-o9', '2026-03-16T00:00:00Z', 'o-9'),
      BIRTHDAY - DAY_MS,
    );
    const conflicts = memory.counts.conflicts;
    // Act: the birthday evaluated on the stale read
    await evaluateCustomer({ store }, ctx, REF.brand, REF.customerId, BIRTHDAY, prefetched);
    // Assess: the write based on it was refused, the retry read the latest; the bonus once, the order kept
    expect(memory.counts.conflicts).toBe(conflicts + 1);
    expect(gets).toEqual([KEY]);
    const state = await stored(memory);
    expect(state.stats.orders).toBe(1);
    expect(Object.values(state.occurrences).filter((o) => o.campaignId === 'birthday-bonus')).toHaveLength(1);
  });

  it('does not conclude "nothing due" from a read that was not the latest: it reads the latest first', async () => {
    // Prepare: a customer without a birthday, read ahead; the birthday arrives just after the read
    const memory = new MemoryCustomerStore();
    const { birthday: _, ...noBirthday } = (
      REGISTERED as Extract<DomainEvent, { type: 'CustomerRegistered' }>
    ).detail;
    await ingestEvent(
      { store: memory },
      ctx,
      registered('e-reg', '2026-03-01T00:00:00Z', noBirthday),
      BIRTHDAY - 20 * DAY_MS,
    );
    const { store, gets } = readSpy(memory);
    const { prefetched } = await Prefetched.of(store, [REF], { consistent: false });
    const birthday = updated('e-bday', '2026-03-16T00:00:00Z', { customerId: ID, birthday: '1990-03-17' });
    await ingestEvent({ store: memory }, ctx, birthday, BIRTHDAY - DAY_MS);
    // Act: the dispatcher's evaluation on the birthday, from the stale read (no birthday in it)
    const outcome = await evaluateCustomer({ store }, ctx, REF.brand, REF.customerId, BIRTHDAY, prefetched);
    // Assess: the stale read found nothing, so the latest was read, and the birthday issued
    expect(gets).toEqual([KEY]);
    expect(outcome.changed).toBe(true);
    const state = await stored(memory);
    expect(Object.values(state.occurrences).filter((o) => o.campaignId === 'birthday-bonus')).toHaveLength(1);
  });

  it('takes "nothing due" from a read ahead that was the latest: no second read', async () => {
    // Prepare
    const { memory, store, gets } = await registeredSpy();
    const before = await stored(memory);
    const { prefetched } = await Prefetched.of(store, [REF, REF2]);
    // Act: nothing is due on March 2nd
    const outcome = await evaluateCustomer(
      { store },
      ctx,
      REF.brand,
      REF.customerId,
      at('2026-03-02T00:00:00Z'),
      prefetched,
    );
    // Assess
    expect(outcome.changed).toBe(false);
    expect(gets).toEqual([]);
    expect((await stored(memory)).version).toBe(before.version);
  });

  it('reads nothing ahead from a store without getMany, and its steps read one by one', async () => {
    const { memory, store, gets } = await registeredSpy();
    const oneByOne = readSpy(memory, 'absent');
    expect(oneByOne.store.getMany).toBeUndefined();
    // Act
    const { prefetched, error } = await Prefetched.of(oneByOne.store, [REF, REF2]);
    // Assess
    expect(prefetched).toBe(Prefetched.none);
    expect(error).toBeUndefined();
    await ingestEvent({ store }, ctx, REGISTERED2, ORDER_TIME, prefetched);
    expect(gets).toEqual([KEY2]);
    expect((await stored(memory, REF2)).version).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The in-memory store

describe('MemoryCustomerStore', () => {
  const state = (version: number, customerId = 'c-1', brand = 'default'): CustomerState => ({
    ...emptyState(brand, customerId),
    version,
  });

  it('writes only on the version read, and only a newer version', async () => {
    const store = new MemoryCustomerStore();
    const v1 = state(1);
    expect(await store.get('default', 'c-1')).toBeNull();
    expect(await store.put(v1, 0, null, null)).toBe(true);
    expect((await store.get('default', 'c-1'))?.state).toBe(v1);
    // A writer that read nothing (version 0) lost the race.
    expect(await store.put(state(1), 0, null, null)).toBe(false);
    // The version must move forward.
    expect(await store.put(state(1), 1, null, null)).toBe(false);
    const v2 = state(2);
    expect(await store.put(v2, 1, null, null)).toBe(true);
    expect((await store.get('default', 'c-1'))?.state).toBe(v2);
    expect(store.counts).toMatchObject({ writes: 2, conflicts: 2 });
  });

  it('keeps brands apart: the same customer id in another brand is another item', async () => {
    const store = new MemoryCustomerStore();
    expect(await store.put(state(1, 'c-1', 'default'), 0, null, null)).toBe(true);
    expect(await store.put(state(1, 'c-1', 'other'), 0, null, null)).toBe(true);
    expect(store.size).toBe(2);
    expect((await store.get('other', 'c-1'))?.state.brand).toBe('other');
  });

  it('feeds every successful write to the listeners with the old and new images', async () => {
    const store = new MemoryCustomerStore();
    const feed: [number | null, number][] = [];
    store.onChange((oldImage, newImage) => feed.push([oldImage?.version ?? null, newImage.version]));
    await store.put(state(1), 0, null, null);
    await store.put(state(1), 0, null, null); // conflict: no record
    await store.put(state(2), 1, BUCKET_MS, null);
    await store.setDue('default', 'c-1', 2, 5 * BUCKET_MS, BUCKET_MS); // a due move: the item is unchanged
    expect(feed).toEqual([
      [null, 1],
      [1, 2],
    ]);
  });

  it('moves the due instant only on the current version', async () => {
    const store = new MemoryCustomerStore();
    const ref = { brand: 'default', customerId: 'c-1' };
    await store.put(state(1), 0, 10 * BUCKET_MS, null);
    // A caller that read no item, or another version, loses.
    expect(await store.setDue('default', 'c-1', 0, 20 * BUCKET_MS, null)).toBe(false);
    expect(await store.setDue('default', 'c-1', 2, 20 * BUCKET_MS, 10 * BUCKET_MS)).toBe(false);
    expect(await indexedAt(store, ref, 10 * BUCKET_MS)).toBe(true);
    expect(await store.setDue('default', 'c-1', 1, 30 * BUCKET_MS, 10 * BUCKET_MS)).toBe(true);
    expect(await indexedAt(store, ref, 30 * BUCKET_MS)).toBe(true);
    expect(store.counts).toMatchObject({ dueMoves: 1, conflicts: 1 });
  });

  it('writes nothing, and checks nothing, for a due instant in the stored bucket', async () => {
    const store = new MemoryCustomerStore();
    await store.put(state(1), 0, 10 * BUCKET_MS, null);
    const before = { ...store.counts };
    expect(await store.setDue('default', 'c-1', 1, 10 * BUCKET_MS - 1_000, 10 * BUCKET_MS)).toBe(true);
    // The version read does not matter: there is nothing to write.
    expect(await store.setDue('default', 'c-1', 7, 10 * BUCKET_MS, 10 * BUCKET_MS)).toBe(true);
    expect(await store.setDue('default', 'c-2', 0, null, null)).toBe(true);
    expect(store.counts).toEqual(before);
    expect((await store.get('default', 'c-1'))?.dueMs).toBe(10 * BUCKET_MS);
  });

  it('files the new bucket before the conditional write: a lost write leaves a stale entry', async () => {
    const store = new MemoryCustomerStore();
    await store.put(state(1), 0, 10 * BUCKET_MS, null);
    // Two writers read version 1; the first wins, the second's entry stays behind.
    expect(await store.put(state(2), 1, 20 * BUCKET_MS, 10 * BUCKET_MS)).toBe(true);
    expect(await store.put(state(2), 1, 30 * BUCKET_MS, 10 * BUCKET_MS)).toBe(false);
    expect(store.counts).toMatchObject({ writes: 2, conflicts: 1, indexWrites: 3 });
    expect((await store.get('default', 'c-1'))?.dueMs).toBe(20 * BUCKET_MS);
    expect(await store.due(25 * BUCKET_MS, 30 * BUCKET_MS)).toEqual([
      { brand: 'default', customerId: 'c-1' },
    ]);
  });
});

describe('the due index of MemoryCustomerStore', () => {
  const ref: CustomerRef = { brand: 'default', customerId: 'c-1' };
  const item = (version: number): CustomerState => ({ ...emptyState('default', 'c-1'), version });
  const T = at('2026-03-17T10:00:00Z');

  it.each([
    ['on a boundary: that bucket', '2026-03-17T10:00:00.000Z', '2026-03-17T10:00:00.000Z'],
    ['a millisecond after: the next boundary', '2026-03-17T10:00:00.001Z', '2026-03-17T10:15:00.000Z'],
    ['mid-bucket: the next boundary', '2026-03-17T10:07:30.000Z', '2026-03-17T10:15:00.000Z'],
    ['a millisecond before: that boundary', '2026-03-17T10:14:59.999Z', '2026-03-17T10:15:00.000Z'],
  ])('files a due instant %s', async (_name, due, bucket) => {
    const store = new MemoryCustomerStore();
    await store.put(item(1), 0, at(due), null);
    expect(iso(bucketOf(at(due)))).toBe(bucket);
    expect(await indexedAt(store, ref, at(bucket))).toBe(true);
  });

  it('never lists a customer before the due instant, and lists it within one bucket after (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 7 * 24 * 60 * 60 }),
        fc.integer({ min: -2 * 60 * 60, max: 2 * 60 * 60 }),
        async (dueSeconds, querySeconds) => {
          const store = new MemoryCustomerStore();
          const dueMs = T + dueSeconds * 1000 + (dueSeconds % 997);
          await store.put(item(1), 0, dueMs, null);
          const upto = dueMs + querySeconds * 1000;
          const listed = (await store.due(Number.NEGATIVE_INFINITY, upto)).length === 1;
          if (listed) expect(upto).toBeGreaterThanOrEqual(dueMs);
          if (upto >= dueMs + BUCKET_MS) expect(listed).toBe(true);
          expect(bucketOf(dueMs) % BUCKET_MS).toBe(0);
        },
      ),
      { numRuns: 300, seed: 15 },
    );
  });

  it('lists the buckets in (after, upto]: a dispatcher reading from its watermark sees each once', async () => {
    const store = new MemoryCustomerStore();
    const ids = ['a', 'b', 'c'];
    for (const [n, id] of ids.entries()) {
      await store.put({ ...emptyState('default', id), version: 1 }, 0, T + n * BUCKET_MS, null);
    }
    const names = async (after: number, upto: number) =>
      (await store.due(after, upto)).map((r) => r.customerId).toSorted();
    expect(await names(Number.NEGATIVE_INFINITY, T - 1)).toEqual([]);
    expect(await names(Number.NEGATIVE_INFINITY, T)).toEqual(['a']);
    expect(await names(T, T + BUCKET_MS)).toEqual(['b']);
    expect(await names(T - 1, T + 2 * BUCKET_MS)).toEqual(['a', 'b', 'c']);
    expect(await names(T + 2 * BUCKET_MS, Number.POSITIVE_INFINITY)).toEqual([]);
  });

  it('unfiles the item for a null due instant, by a write or a due move; its old entry stays to expire', async () => {
    const store = new MemoryCustomerStore();
    await store.put(item(1), 0, T, null);
    expect(store.indexed).toBe(1);
    expect(await store.setDue('default', 'c-1', 1, null, T)).toBe(true);
    expect(store.indexed).toBe(0);
    expect(await storedDue(store, ref)).toBeNull();
    // The entry at T stays: a dispatcher reading T brings the customer once, for nothing.
    expect(await store.due(T - 1, T)).toEqual([ref]);
    await store.setDue('default', 'c-1', 1, T + DAY_MS, null);
    await store.put(item(2), 1, null, T + DAY_MS);
    expect(store.indexed).toBe(0);
    expect(store.counts.indexWrites).toBe(2);
  });

  it('leaves the old entry when the due moves on; a range over both lists the customer once', async () => {
    const store = new MemoryCustomerStore();
    await store.put(item(1), 0, T, null);
    await store.put(item(2), 1, T + DAY_MS, T);
    expect(await store.due(Number.NEGATIVE_INFINITY, T + BUCKET_MS)).toEqual([ref]);
    expect(await indexedAt(store, ref, T + DAY_MS)).toBe(true);
    expect(await store.due(T - 1, T + DAY_MS)).toEqual([ref]);
    expect(store.indexed).toBe(1);
  });

  /** Customer ids of every page of (after, upto] at `limit` from `cursor`, until the cursor comes back null. */
  async function pagesOf(
    store: MemoryCustomerStore,
    after: number,
    upto: number,
    limit: number,
    cursor: string | null = null,
  ): Promise<string[][]> {
    const pages: string[][] = [];
    let from = cursor;
    do {
      const page = await store.duePage(after, upto, from, limit);
      pages.push(page.refs.map((r) => r.customerId));
      from = page.cursor;
    } while (from !== null && pages.length < 1_000);
    expect(from).toBeNull();
    return pages;
  }

  it('reads a range in pages of `limit`, oldest bucket first, customers in order, to what due() lists', async () => {
    // Prepare: 3 customers in each of 4 buckets
    const store = new MemoryCustomerStore();
    for (let n = 0; n < 12; n++) {
      const id = `c-${String(n).padStart(2, '0')}`;
      await store.put({ ...emptyState('default', id), version: 1 }, 0, T + (n % 4) * BUCKET_MS, null);
    }
    const listed = (await store.due(T - 1, T + 3 * BUCKET_MS)).map((r) => r.customerId);
    // Act
    const pages = await pagesOf(store, T - 1, T + 3 * BUCKET_MS, 5);
    // Assess
    expect(pages.map((page) => page.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual(listed);
    expect(listed.slice(0, 3)).toEqual(['c-00', 'c-04', 'c-08']);
    // A limit the range fits in is one page, the cursor null (no empty page after it).
    expect(await pagesOf(store, T - 1, T + 3 * BUCKET_MS, 12)).toEqual([listed]);
    expect(await pagesOf(store, T - 1, T + 3 * BUCKET_MS, 1_000)).toEqual([listed]);
    expect(await store.duePage(T + 3 * BUCKET_MS, T + 5 * BUCKET_MS, null, 5)).toEqual({
      refs: [],
      cursor: null,
    });
  });

  it('lists a customer with entries in two buckets of the range once a page, again only on a later page', async () => {
    // Prepare: c-1 filed at T, then moved on to T + 2 buckets (the entry at T stays); c-2 at T + 1 bucket
    const store = new MemoryCustomerStore();
    await store.put(item(1), 0, T, null);
    await store.put(item(2), 1, T + 2 * BUCKET_MS, T);
    await store.put({ ...emptyState('default', 'c-2'), version: 1 }, 0, T + BUCKET_MS, null);
    // Act
    const onePage = await store.duePage(T - 1, T + 2 * BUCKET_MS, null, 10);
    const pages = await pagesOf(store, T - 1, T + 2 * BUCKET_MS, 1);
    // Assess: in one page, once; a page at a time, at each of its entries
    expect(onePage).toEqual({ refs: [ref, { brand: 'default', customerId: 'c-2' }], cursor: null });
    expect(pages).toEqual([['c-1'], ['c-2'], ['c-1']]);
  });

  it('lists every customer of the range, in pages of at most `limit`, a customer twice only for two entries (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.option(fc.integer({ min: 0, max: 7 }))), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 7 }),
        async (customers, limit, firstBucket) => {
          // Prepare: each customer filed in one bucket, some moved on to a second one
          const store = new MemoryCustomerStore();
          const twice = new Set<string>();
          for (const [n, [bucket, movedTo]] of customers.entries()) {
            const id = `c-${n}`;
            await store.put({ ...emptyState('default', id), version: 1 }, 0, T + bucket * BUCKET_MS, null);
            if (movedTo !== null && movedTo !== bucket) {
              await store.setDue('default', id, 1, T + movedTo * BUCKET_MS, T + bucket * BUCKET_MS);
              twice.add(id);
            }
          }
          const [after, upto] = [T + (firstBucket - 1) * BUCKET_MS, T + 6 * BUCKET_MS];
          // Act
          const pages = await pagesOf(store, after, upto, limit);
          // Assess
          const expected = (await store.due(after, upto)).map((r) => r.customerId);
          const listed = pages.flat();
          expect([...new Set(listed)].toSorted()).toEqual(expected.toSorted());
          for (const page of pages) {
            expect(page.length).toBeLessThanOrEqual(limit);
            expect(new Set(page).size).toBe(page.length);
          }
          const again = listed.filter((id, i) => listed.indexOf(id) !== i);
          for (const id of again) expect(twice.has(id)).toBe(true);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('goes on from a cursor into the buckets a later upto adds', async () => {
    // Prepare: a and b due at T, c one bucket later, d three buckets later
    const store = new MemoryCustomerStore();
    const dues: [string, number][] = [
      ['a', T],
      ['b', T],
      ['c', T + BUCKET_MS],
      ['d', T + 3 * BUCKET_MS],
    ];
    for (const [id, due] of dues) await store.put({ ...emptyState('default', id), version: 1 }, 0, due, null);
    // Act: a run reads a page of (T - 1, T + 1 bucket] and stops; a later one goes on up to T + 3 buckets
    const first = await store.duePage(T - 1, T + BUCKET_MS, null, 2);
    const rest = await pagesOf(store, T - 1, T + 3 * BUCKET_MS, 2, first.cursor);
    // Assess: the first page was part of its range; the rest, the added buckets included, follows it
    expect(first.refs.map((r) => r.customerId)).toEqual(['a', 'b']);
    expect(first.cursor).not.toBeNull();
    expect(rest).toEqual([['c', 'd']]);
    // With the range it was taken with, the cursor goes on to that range's end only.
    expect(await pagesOf(store, T - 1, T + BUCKET_MS, 2, first.cursor)).toEqual([['c']]);
  });

  it('refuses a cursor it did not write, a limit under 1 and a partition it does not have', async () => {
    // Prepare
    const store = new MemoryCustomerStore();
    await store.put(item(1), 0, T, null);
    // Act / Assess
    for (const cursor of ['nope', '{}', 'null', '[1]', '["1", "default#c-1"]', '{"k":"x","o":{}}']) {
      await expect(store.duePage(T - 1, T, cursor, 10), cursor).rejects.toBeInstanceOf(DueCursorError);
    }
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await expect(store.duePage(T - 1, T, null, limit)).rejects.toThrow(RangeError);
    }
    await expect(store.duePage(T - 1, T, null, 10, 1)).rejects.toThrow(RangeError);
    // One partition, 0: the whole index.
    expect(store.duePartitions).toBe(1);
    expect(await store.duePage(T - 1, T, null, 10, 0)).toEqual({ refs: [ref], cursor: null });
  });

  it('forgets the entries TTL would have deleted once a read starts past them', async () => {
    const store = new MemoryCustomerStore();
    await store.put(item(1), 0, T, null);
    expect(await store.due(T + 14 * DAY_MS - BUCKET_MS, T + 14 * DAY_MS)).toEqual([]);
    expect(await store.due(Number.NEGATIVE_INFINITY, T)).toEqual([ref]);
    expect(await store.due(T + 15 * DAY_MS, T + 15 * DAY_MS + BUCKET_MS)).toEqual([]);
    expect(await store.due(Number.NEGATIVE_INFINITY, T)).toEqual([]);
  });
});
