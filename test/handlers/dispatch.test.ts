import './quiet-env.ts';
import type { ScheduledEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { customerKey, emptyState } from '../../functions/domain/customer-state.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import type { Message } from '../../functions/domain/message.ts';
import type { DispatchDeps } from '../../functions/handlers/dispatch.ts';
import { makeHandler, WATERMARK } from '../../functions/handlers/dispatch.ts';
import type { DueTask } from '../../functions/handlers/maintenance.ts';
import type { CustomerStore, DueIndex } from '../../functions/ports/customer-store.ts';
import { metrics } from '../../functions/shared/powertools.ts';
import { ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import {
  failingFor,
  fixture,
  MemoryHeld,
  MemoryMessageQueue,
  MemoryTaskQueue,
  MemoryWatermark,
  MemoryWorkQueue,
  NO_EARLY_TIMEOUT,
  readSpy,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const MIN = 60_000;
const T0 = Date.parse('2025-07-14T08:00:00Z');

/** A due index with one customer per due instant (minutes from T0). */
async function indexWith(dueMinutes: Record<string, number>): Promise<MemoryCustomerStore> {
  const store = new MemoryCustomerStore();
  for (const [customerId, minutes] of Object.entries(dueMinutes)) {
    await store.put({ ...emptyState('default', customerId), version: 1 }, 0, T0 + minutes * MIN, null);
  }
  return store;
}

function heldMessage(id: string, sendAtMs: number): Message {
  return {
    messageId: id,
    occurrenceKey: id,
    campaignId: 'birthday-bonus',
    trigger: 'birthday',
    customerId: 'c-1',
    brand: 'default',
    channel: 'sms',
    to: '+4915100000000',
    locale: 'en',
    template: 'birthday-bonus/en',
    variables: {},
    content: { body: 'Happy birthday' },
    sendAt: new Date(sendAtMs).toISOString(),
    createdAt: new Date(T0 - 60 * MIN).toISOString(),
  };
}

function setup(store: MemoryCustomerStore, options: Partial<DispatchDeps> = {}) {
  const clock = new TestClock(T0);
  const watermark = new MemoryWatermark();
  const work = new MemoryWorkQueue();
  const tasks = new MemoryTaskQueue<DueTask>();
  const held = new MemoryHeld();
  const queue = new MemoryMessageQueue();
  const handler = makeHandler({
    due: store,
    watermark,
    work,
    tasks,
    held,
    queue,
    rejected: queue,
    clock: clock.now,
    ...NO_EARLY_TIMEOUT,
    ...options,
  });
  const ids = () => work.items.map((r) => r.customerId).sort();
  return { clock, watermark, work, tasks, held, queue, handler, ids };
}

describe('dispatch handler', () => {
  it('dispatches the due range up to now and advances the watermark', async () => {
    // Prepare
    const store = await indexWith({ 'c-past': -20, 'c-now': 0, 'c-later': 20 });
    const { watermark, handler, ids } = setup(store);
    await watermark.advance(WATERMARK, null, T0 - 30 * MIN);

    // Act
    const result = await handler(fixture<ScheduledEvent>('scheduled-event.json'), stubContext());

    // Assess
    expect(ids()).toEqual(['c-now', 'c-past']);
    expect(await watermark.read(WATERMARK)).toBe(T0);
    expect(result).toMatchObject({ dispatched: 2, partial: false, to: '2025-07-14T08:00:00.000Z' });
  });

  it('dispatches the buckets missed during an outage late instead of losing them', async () => {
    // Prepare: the last run was at T0; the scheduler did not run for three hours.
    const store = await indexWith({ 'c-birthday': 15, 'c-anniversary': 95, 'c-offer': 180, 'c-next': 195 });
    const { clock, watermark, handler, ids } = setup(store);
    await watermark.advance(WATERMARK, null, T0);
    clock.ms = T0 + 180 * MIN;
    const addMetric = vi.spyOn(metrics, 'addMetric');

    // Act
    const result = await handler({}, stubContext());

    // Assess: caught up, so no lag is reported
    expect(ids()).toEqual(['c-anniversary', 'c-birthday', 'c-offer']);
    expect(await watermark.read(WATERMARK)).toBe(T0 + 180 * MIN);
    expect(result.from).toBe('2025-07-14T08:00:00.000Z');
    expect(addMetric).toHaveBeenCalledWith('DueLagSeconds', 'Seconds', 0);
    addMetric.mockRestore();
  });

  it('dispatches nothing twice when re-run over the same range', async () => {
    // Prepare
    const store = await indexWith({ 'c-1': -10, 'c-2': -5 });
    const { watermark, work, handler } = setup(store);
    await handler(fixture('scheduler-input.json'), stubContext());
    const advances = watermark.advances;

    // Act
    const again = await handler(fixture('scheduler-input.json'), stubContext());

    // Assess
    expect(again.dispatched).toBe(0);
    expect(work.items).toHaveLength(2);
    expect(watermark.advances).toBe(advances);
  });

  it('never dispatches past the clock, whatever time the event names', async () => {
    // Prepare
    const store = await indexWith({ 'c-now': 0, 'c-tomorrow': 24 * 60 });
    const { handler, ids, watermark } = setup(store);

    // Act
    await handler({ time: '2025-07-15T12:00:00Z' }, stubContext());

    // Assess
    expect(ids()).toEqual(['c-now']);
    expect(await watermark.read(WATERMARK)).toBe(T0);
  });

  it('stops early when the invocation runs out of time, keeping the watermark where it got to', async () => {
    // Prepare
    const store = await indexWith({ 'c-1': -10 });
    const { watermark, work, handler } = setup(store);
    await watermark.advance(WATERMARK, null, T0 - 60 * MIN);
    const addMetric = vi.spyOn(metrics, 'addMetric');

    // Act
    const result = await handler({}, stubContext(5_000));

    // Assess: the hour not read is the lag the DispatchBehind alarm watches
    expect(result.partial).toBe(true);
    expect(work.items).toEqual([]);
    expect(await watermark.read(WATERMARK)).toBe(T0 - 60 * MIN);
    expect(addMetric).toHaveBeenCalledWith('DueLagSeconds', 'Seconds', 3600);
    addMetric.mockRestore();
  });

  it('sends the first page of a wave itself and hands the rest on, one task per partition', async () => {
    // Prepare: 8 customers due in one bucket; a page holds 3
    const wave = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`c-${i}`, -10]));
    const store = await indexWith(wave);
    const { watermark, work, tasks, handler, ids } = setup(store, { pageLimit: 3 });
    await watermark.advance(WATERMARK, null, T0 - 60 * MIN);

    // Act
    const result = await handler({}, stubContext());

    // Assess: 3 sent here, the slice handed on from where the page stopped, the mark moved on
    expect(result).toMatchObject({ dispatched: 3, handedOn: 1, partial: false });
    expect(tasks.tasks).toEqual([
      { job: 'dispatch', afterMs: T0 - 60 * MIN, uptoMs: T0, partition: 0, cursor: expect.any(String) },
    ]);
    expect(await watermark.read(WATERMARK)).toBe(T0);
    const task = tasks.tasks[0];
    const rest = task && (await store.duePage(task.afterMs, task.uptoMs, task.cursor, 100, task.partition));
    expect(rest?.cursor).toBeNull();
    expect([...ids(), ...(rest?.refs ?? []).map((r) => r.customerId)].sort()).toEqual(
      Object.keys(wave).sort(),
    );
    expect(work.items).toHaveLength(3);
  });

  it('hands nothing on for a slice that fits in a page', async () => {
    // Prepare
    const { watermark, tasks, handler } = setup(await indexWith({ 'c-1': -10, 'c-2': -5, 'c-3': -1 }), {
      pageLimit: 3,
    });
    await watermark.advance(WATERMARK, null, T0 - 60 * MIN);

    // Act
    const result = await handler({}, stubContext());

    // Assess
    expect(result).toMatchObject({ dispatched: 3, handedOn: 0 });
    expect(tasks.tasks).toEqual([]);
  });

  it('stops when another run moved the watermark first', async () => {
    // Prepare
    const store = await indexWith({ 'c-1': -10 });
    const { watermark, handler } = setup(store);
    await watermark.advance(WATERMARK, null, T0 - 60 * MIN);
    const read = watermark.read.bind(watermark);
    // Another dispatcher advances between this run's read and its write.
    watermark.read = async (name) => {
      const value = await read(name);
      watermark.marks.set(name, T0);
      return value;
    };

    // Act
    const result = await handler({}, stubContext());

    // Assess
    expect(result.partial).toBe(true);
    expect(await read(WATERMARK)).toBe(T0);
  });

  it('a warm container reads the watermark once, and again after another run moved it', async () => {
    // Prepare
    const store = await indexWith({ 'c-1': 10, 'c-2': 40 });
    const { clock, watermark, handler, ids } = setup(store);
    await watermark.advance(WATERMARK, null, T0);
    let reads = 0;
    const read = watermark.read.bind(watermark);
    watermark.read = async (name) => {
      reads++;
      return read(name);
    };

    // Act: two runs 15 minutes apart, then another dispatcher moves the mark, then two more runs
    clock.ms = T0 + 15 * MIN;
    await handler({}, stubContext());
    clock.ms = T0 + 30 * MIN;
    await handler({}, stubContext());
    await watermark.advance(WATERMARK, T0 + 30 * MIN, T0 + 45 * MIN);
    clock.ms = T0 + 45 * MIN;
    const overtaken = await handler({}, stubContext());
    clock.ms = T0 + 60 * MIN;
    const after = await handler({}, stubContext());

    // Assess: one read for the first run, one after the failed advance
    expect(reads).toBe(2);
    expect(overtaken.partial).toBe(true);
    expect(after).toMatchObject({ from: new Date(T0 + 45 * MIN).toISOString(), partial: false });
    expect(await read(WATERMARK)).toBe(T0 + 60 * MIN);
    expect(ids().sort()).toEqual(['c-1', 'c-2']);
  });

  it('releases held messages due before the next run, with their remaining delay', async () => {
    // Prepare
    const { held, queue, handler } = setup(await indexWith({}));
    await held.hold([
      heldMessage('m-overdue', T0 - 5 * MIN),
      heldMessage('m-soon', T0 + 10 * MIN),
      heldMessage('m-tomorrow', T0 + 24 * 60 * MIN),
    ]);

    // Act
    const result = await handler({}, stubContext());

    // Assess
    expect(result.released).toBe(2);
    expect(queue.sent.map((s) => [s.message.messageId, s.delaySeconds])).toEqual([
      ['m-overdue', 0],
      ['m-soon', 600],
    ]);
    expect([...held.messages.keys()]).toEqual(['m-tomorrow']);
  });

  it('fails the run when the held messages cannot be read, having dispatched and counted the due', async () => {
    // Prepare
    const { held, watermark, ids, handler } = setup(await indexWith({ 'c-due': -10 }));
    held.due = () => Promise.reject(new Error('throttled'));
    const addMetric = vi.spyOn(metrics, 'addMetric');

    // Act
    const run = handler({}, stubContext());

    // Assess
    await expect(run).rejects.toThrow('throttled');
    expect(ids()).toEqual(['c-due']);
    expect(await watermark.read(WATERMARK)).toBe(T0);
    expect(addMetric).toHaveBeenCalledWith('CustomersDispatched', 'Count', 1);
    addMetric.mockRestore();
  });
});

describe('dispatch handler evaluating inline', () => {
  const ctx = testContext();
  const registered = '2025-03-10T10:00:00Z';
  /** 10:00 in Berlin on the birthday (CEST): the birthday campaign's send hour. */
  const birthdayMorning = Date.parse('2025-07-14T08:01:00Z');

  async function birthdays(ids: readonly string[]): Promise<MemoryCustomerStore> {
    const store = new MemoryCustomerStore();
    for (const customerId of ids) {
      const parsed = parseEvent(
        {
          id: `reg-${customerId}`,
          source: 'shop.crm',
          'detail-type': 'CustomerRegistered',
          time: registered,
          detail: {
            customerId,
            birthday: '1990-07-14',
            timeZone: 'Europe/Berlin',
            contacts: { email: `${customerId}@example.com` },
            consents: { email: true },
          },
        },
        Date.parse(registered),
      );
      if (!parsed.ok) throw new Error(parsed.reason);
      await ingestEvent({ store }, ctx, parsed.event, Date.parse(registered));
    }
    return store;
  }

  function inlineSetup(store: CustomerStore & DueIndex, limit: number) {
    const watermark = new MemoryWatermark();
    const work = new MemoryWorkQueue();
    const queue = new MemoryMessageQueue();
    const handler = makeHandler({
      due: store,
      watermark,
      work,
      tasks: new MemoryTaskQueue<DueTask>(),
      held: new MemoryHeld(),
      queue,
      rejected: queue,
      clock: () => birthdayMorning,
      inline: { store, ctx, limit, concurrency: 3 },
      ...NO_EARLY_TIMEOUT,
    });
    return { watermark, work, handler };
  }

  const issued = async (store: CustomerStore, id: string) => {
    const state = (await store.get('default', id))?.state;
    return Object.entries(state?.occurrences ?? {}).filter(
      ([k, o]) => k.startsWith('birthday-bonus#') && o.status === 'issued',
    ).length;
  };

  it('evaluates up to its limit itself and queues the rest', async () => {
    // Prepare
    const ids = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'];
    const store = await birthdays(ids);
    const { watermark, work, handler } = inlineSetup(store, 3);
    await watermark.advance(WATERMARK, null, birthdayMorning - 30 * MIN);

    // Act
    const result = await handler({}, stubContext());

    // Assess: three birthdays issued here, two customers left for the evaluate λ.
    expect(result).toMatchObject({ dispatched: 5, evaluated: 3, partial: false });
    const here: string[] = [];
    for (const id of ids) if ((await issued(store, id)) === 1) here.push(id);
    expect(here).toHaveLength(3);
    expect(work.items.map((r) => r.customerId).sort()).toEqual(ids.filter((id) => !here.includes(id)).sort());
    // The evaluated customers are filed under next year's birthday; their spent entries stay until TTL.
    // A run over the same range (a new container) lists all five again: the three evaluated already
    // find nothing due and write nothing; only the two queued ones are issued and written.
    const { writes, dueMoves } = store.counts;
    const rerun = inlineSetup(store, 5);
    await rerun.watermark.advance(WATERMARK, null, birthdayMorning - 30 * MIN);
    const again = await rerun.handler({}, stubContext());
    expect(again).toMatchObject({ dispatched: 5, evaluated: 5 });
    for (const id of ids) expect(await issued(store, id)).toBe(1);
    expect(store.counts).toMatchObject({ writes: writes + 2, dueMoves });
  });

  it('queues a customer whose inline evaluation fails, and goes on with the others', async () => {
    // Prepare
    const store = await birthdays(['c-ok', 'c-poison']);
    const failing = failingFor(store, 'c-poison');
    const { watermark, work, handler } = inlineSetup(
      Object.assign(failing, {
        due: store.due.bind(store),
        duePage: store.duePage.bind(store),
        duePartitions: 1,
      }) as CustomerStore & DueIndex,
      10,
    );
    await watermark.advance(WATERMARK, null, birthdayMorning - 30 * MIN);

    // Act
    const result = await handler({}, stubContext());

    // Assess
    expect(result).toMatchObject({ dispatched: 2, evaluated: 1 });
    expect(await issued(store, 'c-ok')).toBe(1);
    expect(work.items.map((r) => r.customerId)).toEqual(['c-poison']);
    expect(await watermark.read(WATERMARK)).toBe(birthdayMorning);
  });

  describe('reading the customers ahead', () => {
    const ids = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'];
    const keys = ids.map((c) => customerKey('default', c));

    /** A run evaluating the five birthdays inline, its customers read as `getMany` says. */
    async function run(getMany: 'works' | 'fails' | 'absent', limit = ids.length) {
      const memory = await birthdays(ids);
      const reads = readSpy(memory, getMany);
      const { watermark, work, handler } = inlineSetup(reads.store, limit);
      await watermark.advance(WATERMARK, null, birthdayMorning - 30 * MIN);
      const result = await handler({}, stubContext());
      const items = await Promise.all(ids.map((c) => memory.get('default', c)));
      return { ...reads, memory, result, queued: work.items, items };
    }

    it('reads the customers it evaluates in one getMany and no get, with the outcome of reading one by one', async () => {
      // Act
      const ahead = await run('works');
      const oneByOne = await run('absent');
      // Assess: one batch read and no single read; the result and items of reading one by one
      const { gets, result, queued, items } = ahead;
      expect({ batches: ahead.batches.map((b) => b.toSorted()), gets, result, queued, items }).toEqual({
        batches: [keys],
        gets: [],
        result: oneByOne.result,
        queued: [],
        items: oneByOne.items,
      });
      expect(oneByOne.gets.toSorted()).toEqual(keys);
      // Due customers were written long before: the read ahead need not be the latest (half the units).
      expect(ahead.consistency).toEqual([false]);
      expect(result).toMatchObject({ dispatched: 5, evaluated: 5, partial: false });
      for (const id of ids) expect(await issued(ahead.memory, id)).toBe(1);
      expect(ahead.memory.counts.conflicts).toBe(0);
    });

    it('reads ahead only the customers it evaluates itself, not those it queues', async () => {
      const { batches, gets, queued, result } = await run('works', 3);
      expect(result).toMatchObject({ dispatched: 5, evaluated: 3 });
      expect(queued).toHaveLength(2);
      expect(batches).toHaveLength(1);
      const queuedKeys = queued.map((r) => customerKey(r.brand, r.customerId));
      expect([...(batches[0] ?? []), ...queuedKeys].toSorted()).toEqual(keys);
      expect(gets).toEqual([]);
    });

    it('evaluates every customer inline when getMany fails: one get each, nothing queued', async () => {
      // Act
      const failed = await run('fails');
      const oneByOne = await run('absent');
      // Assess: the batch read tried once, then one get per customer; none queued
      const { result, queued, items } = failed;
      expect({ result, queued, items }).toEqual({
        result: oneByOne.result,
        queued: [],
        items: oneByOne.items,
      });
      expect(failed.batches).toHaveLength(1);
      expect(failed.gets.toSorted()).toEqual(keys);
      for (const id of ids) expect(await issued(failed.memory, id)).toBe(1);
    });
  });
});
