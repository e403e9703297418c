/**
 * A work queue on SQS: items as JSON bodies, SendMessageBatch with 10 per call, retried entries; used
 * to fan customers out to the evaluate Lambda and scan segments out to the maintenance workers.
 */
import type { CustomerRef } from '../../ports/customer-store.ts';
import type { WorkQueue } from '../../ports/work-queue.ts';
import type { BatchSenderOptions, EntryFailure } from './batch-sender.ts';
import { sendInBatches } from './batch-sender.ts';

export class WorkQueueError extends Error {
  constructor(
    readonly queueUrl: string,
    readonly failures: readonly EntryFailure[],
  ) {
    const first = failures[0];
    super(
      `${failures.length} work item(s) not queued` +
        (first === undefined
          ? ''
          : ` (first: ${first.reason}${first.code === undefined ? '' : ` ${first.code}`})`),
    );
    this.name = 'WorkQueueError';
  }
}

export interface SqsWorkQueueOptions<T> extends BatchSenderOptions {
  queueUrl: string;
  /** Identity of an item: duplicates within one call are queued once. */
  keyOf: (item: T) => string;
  /** The message body of an item (default: its JSON). */
  bodyOf?: (item: T) => string;
}

export class SqsWorkQueue<T> implements WorkQueue<T> {
  constructor(private readonly options: SqsWorkQueueOptions<T>) {}

  async enqueue(items: readonly T[], options: { delaySeconds?: number } = {}): Promise<void> {
    if (items.length === 0) return;
    const bodyOf = this.options.bodyOf ?? ((item: T) => JSON.stringify(item));
    const delay = options.delaySeconds === undefined ? {} : { delaySeconds: options.delaySeconds };
    const entries = items.map((item) => ({ key: this.options.keyOf(item), body: bodyOf(item), ...delay }));
    const result = await sendInBatches(this.options.queueUrl, entries, this.options);
    if (result.failed.length > 0) throw new WorkQueueError(this.options.queueUrl, result.failed);
  }
}

/**
 * SendMessageBatch calls in flight when the dispatcher fans customers out: 16 × 10 customers per call
 * is about 10,700 a second at 15 ms a call (docs/scale.md, section 5), four times the batch sender's
 * default.
 */
export const FAN_OUT_CONCURRENCY = 16;

/** The work queue of customers to evaluate: bodies `{ brand, customerId }`. */
export function customerWorkQueue(
  options: Omit<SqsWorkQueueOptions<CustomerRef>, 'keyOf'>,
): SqsWorkQueue<CustomerRef> {
  return new SqsWorkQueue<CustomerRef>({
    concurrency: FAN_OUT_CONCURRENCY,
    ...options,
    keyOf: (ref) => `${ref.brand}#${ref.customerId}`,
    // Exactly the WorkItem contract, whatever else the index returned with the reference.
    bodyOf: (ref) => JSON.stringify({ brand: ref.brand, customerId: ref.customerId }),
  });
}
