/**
 * maintenance λ: the sweep over every customer item — the backfill after a campaign change (every
 * customer's next-due entry recomputed with the new pack) and the safety net for the due index (any
 * customer with something due now is evaluated: points expiry, the weekly personal offers). Started by
 * a schedule or an admin with `{ action: 'start-sweep', segments? }`, it fans one task per parallel
 * Scan segment out over the maintenance queue; the same function consumes those tasks, page by page,
 * and queues a continuation (with the segment's cursor) when its time runs short.
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
import type { CustomerStore } from '../ports/customer-store.ts';
import type { WorkQueue } from '../ports/work-queue.ts';
import { ENV, intEnv } from '../shared/env.ts';
import { KeyedRunner, processBatchInOrder } from '../shared/ordered-batch.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { errorFields, logger, MetricUnit, metrics, withPowertools } from '../shared/powertools.ts';
import { sweepCustomer } from '../use-cases/customer-use-cases.ts';
import type { Services } from './wiring.ts';
import { awsServices, commonDeps, concurrencyOf, lazyHandler, maintenanceQueueOf } from './wiring.ts';

/** Starts a sweep: one task per Scan segment. */
export const StartSweep = z.strictObject({
  action: z.literal('start-sweep'),
  segments: z.int().min(1).max(1000).optional(),
});
export type StartSweep = z.infer<typeof StartSweep>;

/** One segment's share of a sweep, continued from `cursor` (null: the segment's start). */
export const ScanTask = z.strictObject({
  job: z.literal('sweep'),
  runId: z.string().min(1).max(64),
  segment: z.int().min(0),
  totalSegments: z.int().min(1).max(1000),
  cursor: z.string().max(4096).nullable(),
});
export type ScanTask = z.infer<typeof ScanTask>;

export interface MaintenanceDeps extends HandlerOptions {
  scanner: CustomerScanner;
  store: CustomerStore;
  ctx: EngineContext;
  tasks: WorkQueue<ScanTask>;
  clock?: () => number;
  /** Segments when a start command names none (default 16). */
  segments?: number;
  /** Items per Scan page (default 100). */
  pageSize?: number;
  /** Customers decided at once within a page (default 10). */
  concurrency?: number;
  /** Hand the rest of a segment over when less than this is left of the invocation (default 60 s). */
  reserveMs?: number;
  newRunId?: () => string;
}

interface SweepStats {
  scanned: number;
  evaluated: number;
  reindexed: number;
  conflicts: number;
  continued: number;
}

export interface StartResult {
  runId: string;
  segments: number;
}

export function makeHandler(deps: MaintenanceDeps) {
  const clock = deps.clock ?? Date.now;
  const pageSize = deps.pageSize ?? 100;
  const reserveMs = deps.reserveMs ?? 60_000;
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

  const runTask = async (task: ScanTask, context: Context, stats: SweepStats) => {
    let cursor = task.cursor;
    let pages = 0;
    do {
      if (pages > 0 && context.getRemainingTimeInMillis() < reserveMs) {
        // Out of time: the rest of the segment becomes a new task (progress is never redone).
        await deps.tasks.enqueue([{ ...task, cursor }]);
        stats.continued++;
        return;
      }
      const page = await deps.scanner.scan(task.segment, task.totalSegments, cursor, pageSize);
      const nowMs = clock();
      const runner = new KeyedRunner(deps.concurrency ?? 10);
      try {
        await Promise.all(
          page.customers.map((c) =>
            runner.run(customerKey(c.state.brand, c.state.customerId), () => sweepOne(c, nowMs, stats)),
          ),
        );
      } catch (error) {
        // Pages already done stay done: continue from this page in a new task. A first page that
        // fails fails the record, so a page that always fails ends in the queue's DLQ.
        if (pages === 0) throw error;
        await deps.tasks.enqueue([{ ...task, cursor }]);
        stats.continued++;
        return;
      }
      pages++;
      cursor = page.cursor;
    } while (cursor !== null);
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

      const stats: SweepStats = { scanned: 0, evaluated: 0, reindexed: 0, conflicts: 0, continued: 0 };
      const failures: { messageId: string; error: string; message: string }[] = [];
      const response = await processBatchInOrder(event.Records, 'sqs', {
        context,
        idOf: (r) => r.messageId,
        keyOf: (r) => r.messageId,
        limit: 1,
        work: async (record: SQSRecord) => {
          try {
            await runTask(ScanTask.parse(JSON.parse(record.body)), context, stats);
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
      const log = failures.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log('sweep batch', { ...stats, failures: failures.slice(0, 10) });
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
    segments: intEnv(ENV.sweepSegments, 16, s.env),
    concurrency: concurrencyOf(s),
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
