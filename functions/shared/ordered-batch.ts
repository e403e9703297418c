/**
 * Ordered, bounded concurrency for batch consumers: records of one key (a customer) run one after
 * another in batch order, records of different keys run side by side, at most `limit` at once.
 *
 * Same-customer records must not race: both would read version n, one write would lose the
 * conditional put and retry — correct, but a wasted read and write, and the events would be applied
 * in whichever order the race ends. Serialising per customer keeps the batch order and the cost minimal.
 */

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import type { Context, DynamoDBRecord, SQSRecord } from 'aws-lambda';

const noop = (): void => undefined;

export class KeyedRunner {
  private readonly tails = new Map<string, Promise<void>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be ≥ 1, got ${limit}`);
  }

  /** Runs `task` after every task submitted earlier under `key` has settled (succeeded or failed). */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(() => this.withSlot(task));
    // A failed record does not stop the customer's later records: the reducer is order-tolerant
    // (late and out-of-order events are part of the contract), and the failed one is retried alone.
    this.tails.set(key, result.then(noop, noop));
    return result;
  }

  private async withSlot<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    // The slot is handed over by the task that frees it (see release), so `active` stays exact.
    else await new Promise<void>((wake) => this.waiting.push(wake));
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.active--;
    else next();
  }
}

/**
 * Starts every record of a batch through a {@link KeyedRunner} and returns the record handler for
 * Powertools' `processPartialResponse`, which only awaits the record's own result. Submitting here,
 * in batch order, does not depend on the order in which the processor calls the handler.
 */
export function orderedRecordHandler<R>(
  records: readonly R[],
  options: {
    idOf: (record: R) => string;
    keyOf: (record: R) => string;
    limit: number;
    work: (record: R) => Promise<void>;
  },
): (record: R) => Promise<void> {
  const runner = new KeyedRunner(options.limit);
  const results = new Map<string, Promise<void>>();
  for (const record of records) {
    const result = runner.run(options.keyOf(record), () => options.work(record));
    // Awaited by the processor below; marked handled so a failure settling first is not "unhandled".
    result.catch(noop);
    results.set(options.idOf(record), result);
  }
  return (record) =>
    results.get(options.idOf(record)) ??
    Promise.reject(new Error(`record ${options.idOf(record)} is not in the batch`));
}

export interface OrderedBatchOptions<R> {
  context: Context;
  /** The record's id in the partial batch response (SQS messageId, stream SequenceNumber). */
  idOf: (record: R) => string;
  /** Records with one key run one after another, in batch order. */
  keyOf: (record: R) => string;
  /** Records in flight at once. */
  limit: number;
  work: (record: R) => Promise<void>;
}

/**
 * Processes a batch with Powertools' BatchProcessor and partial batch response, records of one key in
 * order, at most `limit` at once. A batch where every record failed is reported record by record too
 * (no thrown error: the same retries). Failures are listed in batch order, whatever order they failed in.
 * A processor per call: a handler invoked concurrently (the local runtime may) shares no batch state.
 */
export async function processBatchInOrder<R extends SQSRecord | DynamoDBRecord>(
  records: readonly R[],
  source: 'sqs' | 'dynamodb-stream',
  options: OrderedBatchOptions<R>,
): Promise<PartialItemFailureResponse> {
  const processor = new BatchProcessor(source === 'sqs' ? EventType.SQS : EventType.DynamoDBStreams);
  const recordHandler = orderedRecordHandler(records, options);
  const response = await processPartialResponse({ Records: [...records] }, recordHandler, processor, {
    context: options.context,
    throwOnFullBatchFailure: false,
  });
  const position = new Map(records.map((r, i) => [options.idOf(r), i] as const));
  const at = (id: string) => position.get(id) ?? Number.MAX_SAFE_INTEGER;
  return {
    batchItemFailures: [...response.batchItemFailures].sort(
      (a, b) => at(a.itemIdentifier) - at(b.itemIdentifier),
    ),
  };
}
