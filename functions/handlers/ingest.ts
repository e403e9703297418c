/**
 * ingest λ: the SQS queue behind the EventBridge rule. Each body is one shop event (the EventBridge
 * envelope); it is validated, then applied to the customer item with the event-driven triggers in the
 * same conditional write (ingestEvent). An invalid event goes to the rejected queue with its reason and
 * counts as processed; an infrastructure failure fails only its own record (partial batch response).
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { customerKey } from '../domain/customer-state.ts';
import type { EngineContext } from '../domain/engine.ts';
import type { DomainEvent } from '../domain/events.ts';
import { parseEventLine } from '../domain/events.ts';
import { isDeliveryReceipt } from '../domain/reducer.ts';
import type { CustomerStore } from '../ports/customer-store.ts';
import type { RejectedSink, Rejection } from '../ports/message-queue.ts';
import { processBatchInOrder } from '../shared/ordered-batch.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { errorFields, logger, MetricUnit, metrics, withPowertools } from '../shared/powertools.ts';
import { readAhead } from '../shared/read-ahead.ts';
import { ingestEvent } from '../use-cases/customer-use-cases.ts';
import type { Services } from './wiring.ts';
import { awsServices, commonDeps, concurrencyOf, lazyHandler, rejectedQueueOf } from './wiring.ts';

export interface IngestDeps extends HandlerOptions {
  store: CustomerStore;
  ctx: EngineContext;
  rejected: RejectedSink;
  clock?: () => number;
  /** Customers processed at once (default 10). */
  concurrency?: number;
}

type Parsed = { ok: true; event: DomainEvent } | { ok: false; rejection: Rejection };

interface BatchStats {
  records: number;
  ingested: number;
  duplicates: number;
  /** Delivery receipts: applied, nothing to write (see `isDeliveryReceipt`). */
  receipts: number;
  rejected: number;
  failed: number;
  issued: number;
  suppressed: number;
  converted: number;
}

/** Logged once per batch: ids, paths, rules and error names only — never contacts, names or events. */
interface Failure {
  messageId: string;
  customerId?: string;
  error: string;
  message: string;
}

function parseRecord(record: SQSRecord, nowMs: number): Parsed {
  const parsed = parseEventLine(record.body, nowMs);
  if (!parsed.ok)
    return { ok: false, rejection: { reason: parsed.reason, path: parsed.path, rule: parsed.rule } };
  return { ok: true, event: parsed.event };
}

export function makeHandler(deps: IngestDeps) {
  const clock = deps.clock ?? Date.now;
  const ports = { store: deps.store };

  return withPowertools<SQSEvent, SQSBatchResponse>(async (event: SQSEvent, context: Context) => {
    const records = event.Records;
    const startMs = clock();
    const parsed = new Map<string, Parsed>(records.map((r) => [r.messageId, parseRecord(r, startMs)]));
    const stats: BatchStats = {
      records: records.length,
      ingested: 0,
      duplicates: 0,
      receipts: 0,
      rejected: 0,
      failed: 0,
      issued: 0,
      suppressed: 0,
      converted: 0,
    };
    const rejections: { messageId: string; path?: string; rule?: string }[] = [];
    const failures: Failure[] = [];
    const ahead = await readAhead(
      deps.store,
      [...parsed.values()].flatMap((p) => (p.ok ? [p.event] : [])),
    );

    const work = async (record: SQSRecord): Promise<void> => {
      const p = parsed.get(record.messageId);
      if (p === undefined) throw new Error(`record ${record.messageId} was not parsed`);
      if (!p.ok) {
        // Bad input is not retried: it goes to the rejected queue unchanged, with the reason.
        await deps.rejected.sendToRejected(record.body, p.rejection);
        stats.rejected++;
        rejections.push({ messageId: record.messageId, path: p.rejection.path, rule: p.rejection.rule });
        return;
      }
      const outcome = await ingestEvent(ports, deps.ctx, p.event, clock(), ahead);
      // The customer item knows its last 16 events (fingerprints) and every order id: a redelivered
      // event is one read and no write. So is a delivery receipt, which changes nothing.
      if (!outcome.changed) {
        if (isDeliveryReceipt(p.event)) stats.receipts++;
        else stats.duplicates++;
        return;
      }
      stats.ingested++;
      for (const d of outcome.decisions) {
        if (d.type === 'Issued') stats.issued++;
        else if (d.type === 'Suppressed') stats.suppressed++;
        else stats.converted++;
      }
    };

    const response = await processBatchInOrder(records, 'sqs', {
      context,
      idOf: (r) => r.messageId,
      // One customer's events in batch order; an invalid record is its own key.
      keyOf: (r) => {
        const p = parsed.get(r.messageId);
        return p?.ok ? customerKey(p.event.brand, p.event.customerId) : `record:${r.messageId}`;
      },
      limit: deps.concurrency ?? 10,
      work: async (r) => {
        try {
          await work(r);
        } catch (error) {
          stats.failed++;
          const p = parsed.get(r.messageId);
          failures.push({
            messageId: r.messageId,
            ...(p?.ok ? { customerId: p.event.customerId } : {}),
            ...errorFields(error),
          });
          throw error;
        }
      },
    });

    metrics.addMetric('EventsIngested', MetricUnit.Count, stats.ingested);
    metrics.addMetric('EventsRejected', MetricUnit.Count, stats.rejected);
    metrics.addMetric('EventsDuplicate', MetricUnit.Count, stats.duplicates);
    metrics.addMetric('DeliveryReceipts', MetricUnit.Count, stats.receipts);
    metrics.addMetric('RecordsFailed', MetricUnit.Count, stats.failed);
    metrics.addMetric('OccurrencesIssued', MetricUnit.Count, stats.issued);
    const log = stats.failed > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
    log('ingest batch', { ...stats, rejections: rejections.slice(0, 10), failures: failures.slice(0, 10) });
    return response;
  }, deps);
}

/** The Lambda entry point: composed once per container, on the first invocation. */
export function compose(s: Services) {
  return makeHandler({
    store: s.data.customers,
    ctx: s.ctx,
    rejected: rejectedQueueOf(s),
    concurrency: concurrencyOf(s),
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
