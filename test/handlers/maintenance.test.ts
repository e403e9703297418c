import './quiet-env.ts';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../functions/domain/customer-state.ts';
import { nextDue } from '../../functions/domain/engine.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import type { DueTask, MaintenanceTask, ScanTask } from '../../functions/handlers/maintenance.ts';
import { makeHandler } from '../../functions/handlers/maintenance.ts';
import type { CustomerScanner, ScanPage } from '../../functions/ports/customer-scanner.ts';
import type { CustomerStore } from '../../functions/ports/customer-store.ts';
import { ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import { bucketOf, MemoryCustomerStore } from '../../local/memory-stores.ts';
import {
  MemoryTaskQueue,
  MemoryWorkQueue,
  NO_EARLY_TIMEOUT,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const ctx = testContext();
const REGISTERED = '2025-03-10T10:00:00Z';
const BIRTHDAY_MORNING = Date.parse('2025-07-14T08:00:05Z');

/** The memory store plus what a Scan returns: each item with its stored due instant. */
class ScannableStore implements CustomerStore, CustomerScanner {
  readonly memory = new MemoryCustomerStore();
  scans = 0;

  get(brand: string, customerId: string) {
    return this.memory.get(brand, customerId);
  }
  put(...args: Parameters<CustomerStore['put']>) {
    return this.memory.put(...args);
  }
  setDue(...args: Parameters<CustomerStore['setDue']>) {
    return this.memory.setDue(...args);
  }
  /** Segment = position modulo the segment count; the cursor is the next position. */
  async scan(segment: number, total: number, cursor: string | null, limit: number): Promise<ScanPage> {
    this.scans++;
    const mine = this.memory
      .scan()
      .sort((a, b) => a.state.customerId.localeCompare(b.state.customerId))
      .filter((_, i) => i % total === segment);
    const from = cursor === null ? 0 : Number(cursor);
    const customers = mine.slice(from, from + limit);
    return { customers, cursor: from + limit < mine.length ? String(from + limit) : null };
  }
}

class TaskQueue extends MemoryTaskQueue<MaintenanceTask> {
  /** The sweep tasks sent. */
  get sweeps(): ScanTask[] {
    return this.tasks.filter((t): t is ScanTask => t.job === 'sweep');
  }
}

/** A sweep task of run `run-1`: segment 0 of 1 from the start, unless `over` says otherwise. */
function sweepTask(over: Partial<ScanTask> = {}): ScanTask {
  return { job: 'sweep', runId: 'run-1', segment: 0, totalSegments: 1, cursor: null, ...over };
}

async function register(store: CustomerStore, customerId: string, birthday?: string) {
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

function sqsEvent(tasks: MaintenanceTask[]): SQSEvent {
  return {
    Records: tasks.map((task, i) => ({
      messageId: `task-${i}`,
      receiptHandle: `rh-${i}`,
      body: JSON.stringify(task),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1752480000000',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1752480000100',
      },
      messageAttributes: {},
      md5OfBody: 'x',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:loyalty-triggers-maintenance',
      awsRegion: 'eu-central-1',
    })),
  };
}

function setup(store: ScannableStore, options: { pageSize?: number; duePageLimit?: number } = {}) {
  const tasks = new TaskQueue();
  const work = new MemoryWorkQueue();
  const handler = makeHandler({
    scanner: store,
    store,
    ctx,
    tasks,
    due: store.memory,
    work,
    ...(options.duePageLimit === undefined ? {} : { duePageLimit: options.duePageLimit }),
    clock: new TestClock(BIRTHDAY_MORNING).now,
    segments: 3,
    pageSize: options.pageSize ?? 100,
    newRunId: () => 'run-1',
    ...NO_EARLY_TIMEOUT,
  });
  return { tasks, work, handler };
}

describe('maintenance handler', () => {
  it('starts a sweep with one task per Scan segment', async () => {
    // Prepare
    const { tasks, handler } = setup(new ScannableStore());

    // Act
    const result = await handler({ action: 'start-sweep', segments: 4 }, stubContext());

    // Assess
    expect(result).toEqual({ runId: 'run-1', segments: 4 });
    expect(tasks.sweeps.map((t) => [t.segment, t.totalSegments, t.cursor])).toEqual([
      [0, 4, null],
      [1, 4, null],
      [2, 4, null],
      [3, 4, null],
    ]);
  });

  it('evaluates the customers due now and re-files those whose due instant changed', async () => {
    // Prepare: a birthday today, and a wrong due instant (as after a campaign change).
    const store = new ScannableStore();
    await register(store, 'c-birthday', '1990-07-14');
    await register(store, 'c-stale', '1985-12-01');
    const stale = await store.get('default', 'c-stale');
    if (stale === null) throw new Error('not registered');
    const wrong = BIRTHDAY_MORNING + 999_999_999;
    await store.setDue('default', 'c-stale', stale.state.version, wrong, stale.dueMs);
    const { tasks, handler } = setup(store);
    const task = sweepTask();

    // Act
    const response = await handler(sqsEvent([task]), stubContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const birthday = (await store.get('default', 'c-birthday'))?.state;
    expect(Object.keys(birthday?.occurrences ?? {}).some((k) => k.startsWith('birthday-bonus#'))).toBe(true);
    const right = nextDue(stale.state, ctx, BIRTHDAY_MORNING);
    expect(right).not.toBeNull();
    expect((await store.get('default', 'c-stale'))?.dueMs).toBe(right);
    // Its entry is filed under the right bucket (the wrong one stays, to expire).
    const bucket = bucketOf(right ?? 0);
    expect(await store.memory.due(bucket - 1, bucket)).toContainEqual({
      brand: 'default',
      customerId: 'c-stale',
    });
    expect(tasks.tasks).toEqual([]);
  });

  it('hands the rest of a segment to a new task when time runs short', async () => {
    // Prepare
    const store = new ScannableStore();
    for (const id of ['c-1', 'c-2', 'c-3']) await register(store, id);
    const { tasks, handler } = setup(store, { pageSize: 2 });
    const task = sweepTask();

    // Act: one page fits before the reserve is reached.
    const response = await handler(sqsEvent([task]), stubContext(20_000));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(store.scans).toBe(1);
    expect(tasks.tasks).toEqual([{ ...task, cursor: '2' }]);
  });

  it('sends a task whose first page fails again with a growing delay, and fails a malformed task', async () => {
    // Prepare
    const store = new ScannableStore();
    await register(store, 'c-1');
    const scan = store.scan.bind(store);
    store.scan = (segment, total, cursor, limit) =>
      segment === 1
        ? Promise.reject(new Error('ProvisionedThroughputExceeded'))
        : scan(segment, total, cursor, limit);
    const { tasks, handler } = setup(store);
    const task = (segment: number) => sweepTask({ segment, totalSegments: 2 });
    const event = sqsEvent([task(0), task(1), task(0)]);
    const malformed = event.Records[2];
    if (malformed) malformed.body = '{"job":"sweep"}';

    // Act: the batch, then the retried task as it comes back twice more
    const response = await handler(event, stubContext());
    await handler(sqsEvent([tasks.tasks[0] as MaintenanceTask]), stubContext());
    await handler(sqsEvent([tasks.tasks[1] as MaintenanceTask]), stubContext());

    // Assess: only the malformed record failed; the failing segment went on as the same task
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'task-2' }] });
    expect(tasks.tasks).toEqual([
      { ...task(1), retry: 1 },
      { ...task(1), retry: 2 },
      { ...task(1), retry: 3 },
    ]);
    expect(tasks.delays).toEqual([30, 60, 120]);
  });

  it('fails the record of a task whose first page still fails after the last retry', async () => {
    // Prepare
    const store = new ScannableStore();
    store.scan = () => Promise.reject(new Error('ProvisionedThroughputExceeded'));
    const { tasks, handler } = setup(store);
    const task = sweepTask({ retry: 3 });

    // Act
    const response = await handler(sqsEvent([task]), stubContext());

    // Assess: the queue's visibility timeout and DLQ take over
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'task-0' }] });
    expect(tasks.tasks).toEqual([]);
  });

  it('clears the retry count once a page succeeds: a continuation starts afresh', async () => {
    // Prepare
    const store = new ScannableStore();
    for (const id of ['c-1', 'c-2', 'c-3']) await register(store, id);
    const { tasks, handler } = setup(store, { pageSize: 2 });
    const task = sweepTask({ retry: 2 });

    // Act: one page fits before the reserve is reached
    await handler(sqsEvent([task]), stubContext(20_000));

    // Assess
    expect(tasks.tasks).toEqual([
      { job: 'sweep', runId: 'run-1', segment: 0, totalSegments: 1, cursor: '2' },
    ]);
    expect(tasks.delays).toEqual([0]);
  });

  describe('due tasks (a dispatcher wave handed on)', () => {
    const BUCKET = bucketOf(BIRTHDAY_MORNING);
    /** 7 customers due in one bucket, filed in the memory index. */
    async function wave(): Promise<{ store: ScannableStore; ids: string[] }> {
      const store = new ScannableStore();
      const ids = Array.from({ length: 7 }, (_, i) => `w-${i}`);
      for (const id of ids) {
        await store.put({ ...emptyState('default', id), version: 1 }, 0, BUCKET - 60_000, null);
      }
      return { store, ids };
    }
    const dueTask = (cursor: string | null): DueTask => ({
      job: 'dispatch',
      afterMs: BUCKET - 60 * 60_000,
      uptoMs: BUCKET,
      partition: 0,
      cursor,
    });

    it("sends the task's partition to the work queue page by page, each customer once", async () => {
      // Prepare
      const { store, ids } = await wave();
      const { tasks, work, handler } = setup(store, { duePageLimit: 3 });

      // Act
      const response = await handler(sqsEvent([dueTask(null)]), stubContext());

      // Assess: three pages (3 + 3 + 1), nothing handed on, no sweep work done
      expect(response).toEqual({ batchItemFailures: [] });
      expect(work.items.map((r) => r.customerId).sort()).toEqual(ids);
      expect(work.items).toHaveLength(7);
      expect(tasks.tasks).toEqual([]);
      expect(store.scans).toBe(0);
    });

    it('goes on from a cursor of the whole range, and hands the rest on when time runs short', async () => {
      // Prepare: the dispatcher sent the first 2; this run has time for one page of 3
      const { store, ids } = await wave();
      const first = await store.memory.duePage(BUCKET - 60 * 60_000, BUCKET, null, 2);
      const { tasks, work, handler } = setup(store, { duePageLimit: 3 });

      // Act
      await handler(sqsEvent([dueTask(first.cursor)]), stubContext(20_000));
      const next = setup(store, { duePageLimit: 3 });
      await next.handler(sqsEvent(tasks.tasks), stubContext());

      // Assess: 2 + 3 + 2, none twice; the continuation is the same task with the page's cursor
      expect(work.items).toHaveLength(3);
      expect(tasks.tasks).toEqual([{ ...dueTask(null), cursor: expect.any(String) }]);
      const all = [...first.refs, ...work.items, ...next.work.items].map((r) => r.customerId);
      expect(all.toSorted()).toEqual(ids);
      expect(next.tasks.tasks).toEqual([]);
    });

    it('sends a due task whose first page cannot be sent again after 30 s, then fails it for the queue', async () => {
      // Prepare
      const { store } = await wave();
      const { tasks, work, handler } = setup(store);
      work.enqueue = () => Promise.reject(new Error('SQS unavailable'));

      // Act
      const first = await handler(sqsEvent([dueTask(null)]), stubContext());
      const last = await handler(sqsEvent([{ ...dueTask(null), retry: 3 }]), stubContext());

      // Assess
      expect(first).toEqual({ batchItemFailures: [] });
      expect(tasks.tasks).toEqual([{ ...dueTask(null), retry: 1 }]);
      expect(tasks.delays).toEqual([30]);
      expect(last).toEqual({ batchItemFailures: [{ itemIdentifier: 'task-0' }] });
    });
  });
});
