/**
 * maintenance λ: the tasks of the maintenance queue. Due tasks: a due wave's partitions, handed on by
 * the dispatcher when a slice holds more customers than a page (see dispatch.ts), each sent to the
 * work queue page by page, side by side. And the sweep over every customer item — the backfill after
 * a campaign change (every customer's next-due entry recomputed with the new pack) and the safety net
 * for the due index (any customer with something due now is evaluated: points expiry, the weekly
 * personal offers). Started by a schedule or an admin with `{ action: 'start-sweep', segments? }`, it
 * fans one task per parallel Scan segment out over the maintenance queue. The same function consumes
 * both kinds of task, page by page, and queues a continuation (with the task's cursor) when its time
 * runs short.
 *
 * Why the scan, when the due index already brings customers up on time: a sweep reads each item once
 * and decides in memory, and writes only the customers whose state or due bucket changed — 10M
 * customers cost 10M eventually consistent reads (~0.5 RRU per item up to 4 KB) and no SQS message per
 * customer, where fanning 10M due customers through the work queue costs 1M SendMessageBatch calls
 * and 10M extra reads. That is what makes "5 personal offers per customer at 10M customers" cheap.
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { customerKey } from '../domain/customer-state.ts';
import type { EngineContext } from '../domain/engine.ts';
import type { CustomerScanner, ScannedCustomer } from '../ports/customer-scanner.ts';
import type { CustomerRef, CustomerStore, DueIndex } from '../ports/customer-store.ts';
import type { WorkQueue } from '../ports/work-queue.ts';
import { ENV, intEnv } from '../shared/env.ts';
import type { DueTask, ScanTask } from '../shared/maintenance-tasks.ts';
import {
  DUE_PAGE_LIMIT,
  FIRST_PAGE_RETRIES,
  FIRST_PAGE_RETRY_DELAY_SECONDS,
  MaintenanceTask,
} from '../shared/maintenance-tasks.ts';
import { KeyedRunner, processBatchInOrder } from '../shared/ordered-batch.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { errorFields, logger, MetricUnit, metrics, withPowertools } from '../shared/powertools.ts';
import { sweepCustomer } from '../use-cases/customer-use-cases.ts';
import type { Services } from './wiring.ts';
import {
  awsServices,
  commonDeps,
  concurrencyOf,
  lazyHandler,
  maintenanceQueueOf,
  workQueueOf,
} from './wiring.ts';

/** Starts a sweep: one task per Scan segment. */
export const StartSweep = z.strictObject({
  action: z.literal('start-sweep'),
  segments: z.int().min(1).max(1000).optional(),
});
export type StartSweep = z.infer<typeof StartSweep>;

export { DueTask, MaintenanceTask, ScanTask } from '../shared/maintenance-tasks.ts';

export interface MaintenanceDeps extends HandlerOptions {
  scanner: CustomerScanner;
  store: CustomerStore;
  ctx: EngineContext;
  tasks: WorkQueue<MaintenanceTask>;
  /** The due index and the work queue, for the due tasks. */
  due: DueIndex;
  work: WorkQueue<CustomerRef>;
  clock?: () => number;
  /** Segments when a start command names none (default 16). */
  segments?: number;
  /** Items per Scan page (default 100). */
  pageSize?: number;
  /** Customers per page of a due task (default {@link DUE_PAGE_LIMIT}). */
  duePageLimit?: number;
  /** Customers decided at once within a page (default 10). */
  concurrency?: number;
  /** Hand the rest of a segment over when less than this is left of the invocation (default 30 s). */
  reserveMs?: number;
  newRunId?: () => string;
}

interface SweepStats {
  scanned: number;
  evaluated: number;
  reindexed: number;
  conflicts: number;
  continued: number;
  /** Tasks sent again with a delay after their first page failed. */
  retried: number;
  /** Customers a due task sent to the work queue. */
  dispatched: number;
}

export interface StartResult {
  runId: string;
  segments: number;
}

export function makeHandler(deps: MaintenanceDeps) {
  const clock = deps.clock ?? Date.now;
  const pageSize = deps.pageSize ?? 100;
  const duePageLimit = deps.duePageLimit ?? DUE_PAGE_LIMIT;
  const reserveMs = deps.reserveMs ?? 30_000;
  const ports = { store: deps.store };

  /**
   * Decides one scanned customer with the state the scan read: evaluates what is due now and moves the
   * due entry when it changed (a new pack or model), in one conditional write at the scanned version.
   * A conflict means the customer changed meanwhile: that write recomputed the entry; anything still
   * due is evaluated from a fresh read.
   */
  const sweepOne = async (scanned: ScannedCustomer, nowMs: number, stats: SweepStats) => {
    stats.scanned++;
    const result = await sweepCustomer(ports, deps.ctx, scanned, nowMs);
    if (result === 'evaluated' || result === 'conflict-evaluated') stats.evaluated++;
    if (result === 'reindexed' || result === 'conflict') stats.reindexed++;
    if (result === 'conflict-evaluated' || result === 'conflict') stats.conflicts++;
  };

  /**
   * Works through a task page by page from its cursor: `page` does one and returns the next cursor
   * (null: the task is done). When time runs short, or a page after the first fails, the rest becomes a
   * new task from the cursor reached (pages done are not done again). A first page that fails is tried
   * again as the same task sent with a delay (30, 60, 120 s: a throttled read waits that long, not the
   * queue's 6-minute visibility timeout); after the last retry it fails the record, so a page that
   * always fails ends in the queue's DLQ.
   */
  const runPages = async (
    task: MaintenanceTask,
    context: Context,
    stats: SweepStats,
    page: (cursor: string | null) => Promise<string | null>,
  ) => {
    // A continuation starts with no retries counted: its task's first page succeeded.
    const { retry, ...base } = task;
    let cursor = task.cursor;
    let pages = 0;
    do {
      if (pages > 0 && context.getRemainingTimeInMillis() < reserveMs) {
        await deps.tasks.enqueue([{ ...base, cursor }]);
        stats.continued++;
        return;
      }
      let next: string | null;
      try {
        next = await page(cursor);
      } catch (error) {
        if (pages === 0) {
          const attempt = (retry ?? 0) + 1;
          if (attempt > FIRST_PAGE_RETRIES) throw error;
          const delaySeconds = FIRST_PAGE_RETRY_DELAY_SECONDS * 2 ** (attempt - 1);
          logger.warn('task page failed, sent again with a delay', {
            job: task.job,
            retry: attempt,
            delaySeconds,
            ...errorFields(error),
          });
          await deps.tasks.enqueue([{ ...base, cursor, retry: attempt }], { delaySeconds });
          stats.retried++;
          return;
        }
        await deps.tasks.enqueue([{ ...base, cursor }]);
        stats.continued++;
        return;
      }
      pages++;
      cursor = next;
    } while (cursor !== null);
  };

  /** One page of a sweep segment: each customer decided with the state the scan read. */
  const sweepPage = (task: ScanTask, stats: SweepStats) => async (cursor: string | null) => {
    const page = await deps.scanner.scan(task.segment, task.totalSegments, cursor, pageSize);
    const nowMs = clock();
    const runner = new KeyedRunner(deps.concurrency ?? 10);
    await Promise.all(
      page.customers.map((c) =>
        runner.run(customerKey(c.state.brand, c.state.customerId), () => sweepOne(c, nowMs, stats)),
      ),
    );
    return page.cursor;
  };

  /**
   * One page of a due wave's partition, sent to the work queue (a page sent again after a failure
   * dispatches its customers twice: evaluation is idempotent).
   */
  const duePage = (task: DueTask, stats: SweepStats) => async (cursor: string | null) => {
    const page = await deps.due.duePage(task.afterMs, task.uptoMs, cursor, duePageLimit, task.partition);
    await deps.work.enqueue(page.refs);
    stats.dispatched += page.refs.length;
    return page.cursor;
  };

  return withPowertools<SQSEvent | StartSweep, SQSBatchResponse | StartResult>(
    async (event, context: Context) => {
      if (!('Records' in event)) {
        const start = StartSweep.parse(event);
        const segments = start.segments ?? deps.segments ?? 16;
        const runId = (deps.newRunId ?? randomUUID)();
        const tasks = Array.from({ length: segments }, (_, segment) => ({
          job: 'sweep' as const,
          runId,
          segment,
          totalSegments: segments,
          cursor: null,
        }));
        await deps.tasks.enqueue(tasks);
        metrics.addMetric('SweepSegmentsStarted', MetricUnit.Count, segments);
        logger.info('sweep started', { runId, segments });
        return { runId, segments };
      }

      const stats: SweepStats = {
        scanned: 0,
        evaluated: 0,
        reindexed: 0,
        conflicts: 0,
        continued: 0,
        retried: 0,
        dispatched: 0,
      };
      const failures: { messageId: string; error: string; message: string }[] = [];
      const response = await processBatchInOrder(event.Records, 'sqs', {
        context,
        idOf: (r) => r.messageId,
        keyOf: (r) => r.messageId,
        limit: 1,
        work: async (record: SQSRecord) => {
          try {
            const task = MaintenanceTask.parse(JSON.parse(record.body));
            const page = task.job === 'sweep' ? sweepPage(task, stats) : duePage(task, stats);
            await runPages(task, context, stats, page);
          } catch (error) {
            failures.push({
              messageId: record.messageId,
              ...errorFields(error),
            });
            throw error;
          }
        },
      });
      metrics.addMetric('CustomersScanned', MetricUnit.Count, stats.scanned);
      metrics.addMetric('CustomersReindexed', MetricUnit.Count, stats.reindexed);
      metrics.addMetric('CustomersEvaluated', MetricUnit.Count, stats.evaluated);
      metrics.addMetric('CustomersDispatched', MetricUnit.Count, stats.dispatched);
      const log = failures.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log('maintenance batch', { ...stats, failures: failures.slice(0, 10) });
      return response;
    },
    deps,
  );
}

/** The Lambda entry point: composed once per container, on the first invocation. */
export function compose(s: Services) {
  return makeHandler({
    scanner: s.data.scanner,
    store: s.data.customers,
    ctx: s.ctx,
    tasks: maintenanceQueueOf(s),
    due: s.data.customers,
    work: workQueueOf(s),
    segments: intEnv(ENV.sweepSegments, 16, s.env),
    duePageLimit: intEnv(ENV.duePageLimit, DUE_PAGE_LIMIT, s.env),
    concurrency: concurrencyOf(s),
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
