/**
 * dispatch λ: invoked by EventBridge Scheduler every 15 minutes. Reads the customers whose next-due
 * bucket falls in (watermark, now] from the due entries, evaluates the first of them itself (up to
 * `inline.limit` a run: a quiet tick costs no queue round trip) and fans the rest out to the work
 * queue (10 per SendMessageBatch) for the evaluate λ, advances the watermark, and releases the held
 * messages due within the next 15 minutes into the channel queues. A customer whose inline evaluation
 * fails goes to the work queue like the rest: the evaluate λ retries it, and its DLQ keeps it.
 *
 * The watermark makes an outage cost latency, not birthdays: the first run after it reads every bucket
 * missed since. A warm container remembers the mark it wrote and skips the read; when another run moved
 * it meanwhile, the conditional advance fails, the run stops, and the next one reads it again. The
 * range is walked in slices of an hour, the watermark advancing after each, so a run cut short
 * (timeout, crash) resumes where it stopped; a re-run over the same range dispatches nothing new
 * (evaluation is idempotent anyway: the occurrence keys are in the customer item). A slice holding
 * more than {@link DUE_PAGE_LIMIT} customers (a wave) is sent on side by side: this run sends the first
 * page, and hands the rest on to one maintenance task per partition of the index.
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { EngineContext } from '../domain/engine.ts';
import type { CustomerRef, CustomerStore, DueIndex } from '../ports/customer-store.ts';
import type { HeldMessages } from '../ports/held-messages.ts';
import type { MessageQueue, RejectedSink } from '../ports/message-queue.ts';
import { MAX_DELAY_SECONDS } from '../ports/message-queue.ts';
import type { Watermark } from '../ports/watermark.ts';
import type { WorkQueue } from '../ports/work-queue.ts';
import { ENV, intEnv } from '../shared/env.ts';
import type { DueTask } from '../shared/maintenance-tasks.ts';
import { DUE_PAGE_LIMIT } from '../shared/maintenance-tasks.ts';
import { routeMessages } from '../shared/message-routing.ts';
import { forEachLimit } from '../shared/pool.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { errorFields, logger, MetricUnit, metrics, withPowertools } from '../shared/powertools.ts';
import { readAhead } from '../shared/read-ahead.ts';
import { evaluateCustomer } from '../use-cases/customer-use-cases.ts';
import type { Services } from './wiring.ts';
import {
  awsServices,
  commonDeps,
  concurrencyOf,
  lazyHandler,
  maintenanceQueueOf,
  messageQueueOf,
  workQueueOf,
} from './wiring.ts';

export const WATERMARK = 'dispatch';
const MINUTE = 60_000;

export interface DispatchDeps extends HandlerOptions {
  due: DueIndex;
  watermark: Watermark;
  work: WorkQueue<CustomerRef>;
  /** The maintenance queue: where a wave's partitions are handed on. */
  tasks: WorkQueue<DueTask>;
  held: HeldMessages;
  queue: MessageQueue;
  rejected: RejectedSink;
  clock?: () => number;
  /** Range read per due query and watermark step (default 1 hour). */
  sliceMs?: number;
  /** Customers of a slice sent by the run itself before the rest is handed on (default {@link DUE_PAGE_LIMIT}). */
  pageLimit?: number;
  /** Where the very first run starts (default 1 day back): due entries older than that wait for the sweep. */
  initialLookbackMs?: number;
  /** Held messages read per page (default 100). */
  heldPageSize?: number;
  /** Stop walking the range when less than this is left of the invocation (default 60 s). */
  reserveMs?: number;
  /** Evaluate the first due customers here instead of queueing them (none without it). */
  inline?: InlineEvaluation;
}

export interface InlineEvaluation {
  store: CustomerStore;
  ctx: EngineContext;
  /** Customers evaluated here per run at most; the rest go to the work queue. */
  limit: number;
  /** Evaluated at once (default 10). */
  concurrency?: number;
}

/**
 * Customers a run evaluates itself. A shop of 100k customers has ~140 due a tick on average (3.95
 * scheduled evaluations per customer a month, docs/benchmarks.md): all evaluated here. At 1M (~1,400,
 * more at the 10:00 local wave) the rest fans out to the evaluate λ's concurrency.
 */
export const INLINE_EVALUATIONS = 200;

/**
 * `{ time? }` (a Scheduler target input) or an EventBridge scheduled event (other fields ignored);
 * anything else means "now".
 */
export const DispatchEvent = z.object({ time: z.iso.datetime({ offset: true }).optional() });
export type DispatchEvent = z.infer<typeof DispatchEvent>;

export interface DispatchResult {
  /** The range dispatched: (fromMs, toMs] as ISO instants. */
  from: string;
  to: string;
  dispatched: number;
  /** Of those, evaluated by this run itself (the rest went to the work queue). */
  evaluated: number;
  /** Due tasks handed on to the maintenance queue: the partitions of slices larger than a page. */
  handedOn: number;
  released: number;
  /** True when the run stopped before `now` (time left, or another run moved the watermark). */
  partial: boolean;
}

export function makeHandler(deps: DispatchDeps) {
  const clock = deps.clock ?? Date.now;
  const sliceMs = deps.sliceMs ?? 60 * MINUTE;
  const lookbackMs = deps.initialLookbackMs ?? 24 * 60 * MINUTE;
  const pageSize = deps.heldPageSize ?? 100;
  const reserveMs = deps.reserveMs ?? MINUTE;
  const pageLimit = deps.pageLimit ?? DUE_PAGE_LIMIT;
  /** The mark this container last wrote (undefined: read it from the table). */
  let remembered: { mark: number | null } | undefined;

  return withPowertools<DispatchEvent | null | undefined, DispatchResult>(async (event, context: Context) => {
    const nowMs = clock();
    const parsed = DispatchEvent.safeParse(event ?? {});
    // A scheduled time never moves the range past the clock: customers not yet due must not be
    // dispatched (they would evaluate to nothing, and the watermark would pass their entry's bucket).
    const requested = parsed.success && parsed.data.time !== undefined ? Date.parse(parsed.data.time) : nowMs;
    const uptoMs = Math.min(requested, nowMs);
    // The held messages do not depend on the range: release them while the range is walked (settled
    // here, so a failure of the walk never leaves this promise rejected and unobserved).
    const releasing = releaseHeld(deps, nowMs, pageSize).then(
      (n) => ({ ok: true as const, n }),
      (error: unknown) => ({ ok: false as const, error }),
    );

    const start = remembered === undefined ? await deps.watermark.read(WATERMARK) : remembered.mark;
    remembered = undefined;
    let mark = start;
    let cursor = start ?? uptoMs - lookbackMs;
    const fromMs = cursor;
    let dispatched = 0;
    let evaluated = 0;
    let handedOn = 0;
    let inlineLeft = deps.inline?.limit ?? 0;
    let partial = false;
    let overtaken = false;
    while (cursor < uptoMs) {
      if (context.getRemainingTimeInMillis() < reserveMs) {
        partial = true;
        break;
      }
      const to = Math.min(cursor + sliceMs, uptoMs);
      const page = await deps.due.duePage(cursor, to, null, pageLimit);
      const refs = page.refs;
      let queued = refs;
      if (deps.inline !== undefined && inlineLeft > 0 && refs.length > 0) {
        const here = refs.slice(0, inlineLeft);
        inlineLeft -= here.length;
        const failed = await evaluateHere(deps.inline, here, clock);
        evaluated += here.length - failed.length;
        queued = [...failed, ...refs.slice(here.length)];
      }
      await deps.work.enqueue(queued);
      dispatched += refs.length;
      if (page.cursor !== null) {
        // A wave: the rest of the slice goes on as one task per partition of the index, sent to the
        // work queue side by side by the maintenance λ; the slice is theirs, the mark moves on.
        const tasks = Array.from({ length: deps.due.duePartitions }, (_, partition) => ({
          job: 'dispatch' as const,
          afterMs: cursor,
          uptoMs: to,
          partition,
          cursor: page.cursor,
        }));
        await deps.tasks.enqueue(tasks);
        handedOn += tasks.length;
        logger.info('due wave handed on', { from: new Date(cursor).toISOString(), tasks: tasks.length });
      }
      if (!(await deps.watermark.advance(WATERMARK, mark, to))) {
        // Another run got here first and owns the range from here on.
        logger.warn('watermark moved by another run', { from: new Date(cursor).toISOString() });
        partial = true;
        overtaken = true;
        break;
      }
      mark = to;
      cursor = to;
    }
    if (!overtaken) remembered = { mark };

    // What was dispatched is counted even when the release failed (the run then fails, to be retried).
    metrics.addMetric('CustomersDispatched', MetricUnit.Count, dispatched);
    metrics.addMetric('CustomersEvaluatedInline', MetricUnit.Count, evaluated);
    metrics.addMetric('DueTasksHandedOn', MetricUnit.Count, handedOn);
    // How far behind the clock the due index stands read after this run: a bucket at most when the
    // dispatcher keeps up; more after an outage or while slices take longer than the interval (alarmed).
    if (!overtaken)
      metrics.addMetric('DueLagSeconds', MetricUnit.Seconds, Math.max(0, (uptoMs - cursor) / 1000));
    const release = await releasing;
    if (!release.ok) throw release.error;
    const released = release.n;
    metrics.addMetric('HeldMessagesReleased', MetricUnit.Count, released);
    const result: DispatchResult = {
      from: new Date(fromMs).toISOString(),
      to: new Date(cursor).toISOString(),
      dispatched,
      evaluated,
      handedOn,
      released,
      partial,
    };
    logger.info('dispatch run', { ...result, lagMs: nowMs - cursor });
    return result;
  }, deps);
}

/**
 * Evaluates the customers here, a few at a time (a customer at most once: the index has one entry
 * each); returns those whose evaluation failed, for the work queue.
 */
async function evaluateHere(
  inline: InlineEvaluation,
  refs: readonly CustomerRef[],
  clock: () => number,
): Promise<CustomerRef[]> {
  const failed: CustomerRef[] = [];
  const ports = { store: inline.store };
  // Due customers were written when their due was set, long before as a rule: half-price reads (a
  // stale one costs a refused write and a fresh read, never a wrong write).
  const ahead = await readAhead(inline.store, refs, { consistent: false });
  await forEachLimit(refs, inline.concurrency ?? 10, async (ref) => {
    try {
      await evaluateCustomer(ports, inline.ctx, ref.brand, ref.customerId, clock(), ahead);
    } catch (error) {
      logger.warn('inline evaluation failed: queued instead', {
        customerId: ref.customerId,
        ...errorFields(error),
      });
      failed.push(ref);
    }
  });
  return failed;
}

/**
 * Moves the held messages due before the next run into the channel queues (SQS delays them the rest
 * of the way), page by page, forgetting each page once queued. A crash between the two queues a
 * message again on the next run: delivery workers deduplicate on `messageId`.
 */
async function releaseHeld(deps: DispatchDeps, nowMs: number, pageSize: number): Promise<number> {
  let released = 0;
  for (;;) {
    const page = await deps.held.due(nowMs + MAX_DELAY_SECONDS * 1000, pageSize);
    if (page.length === 0) break;
    const { done } = await routeMessages(page, nowMs, deps);
    const finished = new Set(done);
    if (done.length > 0) await deps.held.release(page.filter((m) => finished.has(m.messageId)));
    released += done.length;
    // Nothing of a full page could be queued or reported: stop rather than read it again forever.
    if (done.length === 0 || page.length < pageSize) break;
  }
  return released;
}

export function compose(s: Services) {
  const queue = messageQueueOf(s);
  return makeHandler({
    due: s.data.customers,
    watermark: s.data.watermark,
    work: workQueueOf(s),
    tasks: maintenanceQueueOf(s),
    held: s.data.held,
    queue,
    rejected: queue,
    inline: { store: s.data.customers, ctx: s.ctx, limit: INLINE_EVALUATIONS, concurrency: concurrencyOf(s) },
    pageLimit: intEnv(ENV.duePageLimit, DUE_PAGE_LIMIT, s.env),
    ...commonDeps(s),
  });
}

/** The Lambda entry point: composed once per container, on the first invocation. */
export const handler = lazyHandler(() => compose(awsServices()));
