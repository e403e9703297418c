/**
 * evaluate λ: the work queue the dispatcher fills. Each body names one customer (`{ brand, customerId }`)
 * with an entry in a due bucket that came up; the scheduled triggers due now run with the guardrails
 * and issue in one conditional write (evaluateCustomer), the next due bucket's entry filed first. An
 * entry the customer has moved on from (stale) costs the read: nothing is due, nothing is written.
 *
 * A body that is not a work item can never succeed: it fails its record, and the queue's redrive
 * policy moves it to the work DLQ after maxReceiveCount. The rest of the batch goes on.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { customerKey } from '../domain/customer-state.ts';
import type { EngineContext } from '../domain/engine.ts';
import type { CustomerStore } from '../ports/customer-store.ts';
import { WorkItem } from '../ports/work-queue.ts';
import { processBatchInOrder } from '../shared/ordered-batch.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { errorFields, logger, MetricUnit, metrics, withPowertools } from '../shared/powertools.ts';
import { readAhead } from '../shared/read-ahead.ts';
import { evaluateCustomer } from '../use-cases/customer-use-cases.ts';
import type { Services } from './wiring.ts';
import { awsServices, commonDeps, concurrencyOf, lazyHandler } from './wiring.ts';

export interface EvaluateDeps extends HandlerOptions {
  store: CustomerStore;
  ctx: EngineContext;
  clock?: () => number;
  /** Customers evaluated at once (default 10). */
  concurrency?: number;
}

export class InvalidWorkItemError extends Error {
  constructor(
    readonly messageId: string,
    problem: string,
  ) {
    super(`record ${messageId}: not a work item (${problem})`);
    this.name = 'InvalidWorkItemError';
  }
}

function parseWorkItem(record: SQSRecord): WorkItem {
  let raw: unknown;
  try {
    raw = JSON.parse(record.body);
  } catch {
    throw new InvalidWorkItemError(record.messageId, 'invalid JSON');
  }
  const parsed = WorkItem.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidWorkItemError(
      record.messageId,
      `${issue?.path.join('.') || 'body'}: ${issue?.code ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

export function makeHandler(deps: EvaluateDeps) {
  const clock = deps.clock ?? Date.now;
  const ports = { store: deps.store };

  return withPowertools<SQSEvent, SQSBatchResponse>(async (event: SQSEvent, context: Context) => {
    const stats = {
      records: event.Records.length,
      evaluated: 0,
      changed: 0,
      issued: 0,
      suppressed: 0,
      failed: 0,
    };
    const failures: { messageId: string; customerId?: string; error: string; message: string }[] = [];
    const items = new Map<string, WorkItem | Error>();
    for (const r of event.Records) {
      try {
        items.set(r.messageId, parseWorkItem(r));
      } catch (error) {
        items.set(r.messageId, error instanceof Error ? error : new Error(String(error)));
      }
    }

    // Due customers, written when their due was set: half-price reads, as the dispatcher's own.
    const ahead = await readAhead(
      deps.store,
      [...items.values()].flatMap((item) => (item instanceof Error ? [] : [item])),
      { consistent: false },
    );

    const response = await processBatchInOrder(event.Records, 'sqs', {
      context,
      idOf: (r) => r.messageId,
      // The same customer twice in a batch (a re-run dispatch) evaluates in turn: the second finds nothing.
      keyOf: (r) => {
        const item = items.get(r.messageId);
        return item === undefined || item instanceof Error
          ? `record:${r.messageId}`
          : customerKey(item.brand, item.customerId);
      },
      limit: deps.concurrency ?? 10,
      work: async (r) => {
        const item = items.get(r.messageId);
        try {
          if (item === undefined) throw new InvalidWorkItemError(r.messageId, 'not parsed');
          if (item instanceof Error) throw item;
          const outcome = await evaluateCustomer(
            ports,
            deps.ctx,
            item.brand,
            item.customerId,
            clock(),
            ahead,
          );
          stats.evaluated++;
          if (outcome.decisions.length > 0 || outcome.ledger.length > 0) stats.changed++;
          for (const d of outcome.decisions) {
            if (d.type === 'Issued') stats.issued++;
            else if (d.type === 'Suppressed') stats.suppressed++;
          }
        } catch (error) {
          stats.failed++;
          failures.push({
            messageId: r.messageId,
            ...(item === undefined || item instanceof Error ? {} : { customerId: item.customerId }),
            ...errorFields(error),
          });
          throw error;
        }
      },
    });

    metrics.addMetric('CustomersEvaluated', MetricUnit.Count, stats.evaluated);
    metrics.addMetric('OccurrencesIssued', MetricUnit.Count, stats.issued);
    metrics.addMetric('RecordsFailed', MetricUnit.Count, stats.failed);
    const log = stats.failed > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
    log('evaluate batch', { ...stats, failures: failures.slice(0, 10) });
    return response;
  }, deps);
}

/** The Lambda entry point: composed once per container, on the first invocation. */
export function compose(s: Services) {
  return makeHandler({
    store: s.data.customers,
    ctx: s.ctx,
    concurrency: concurrencyOf(s),
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
