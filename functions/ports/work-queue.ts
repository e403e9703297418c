import { z } from 'zod';

/**
 * A queue of work items fanned out to a worker Lambda (customers to evaluate, scan segments to sweep).
 * Delivery is at least once, so every item's work must be idempotent.
 */
export interface WorkQueue<T> {
  /**
   * Queues every item (duplicates within the call once); rejects when some could not be queued. With
   * `delaySeconds` (at most 900), the items become visible that much later.
   */
  enqueue(items: readonly T[], options?: { delaySeconds?: number }): Promise<void>;
}

/** The body of one work-queue message: the customer whose scheduled triggers are due. */
export const WorkItem = z.strictObject({
  brand: z.string().min(1).max(128),
  customerId: z.string().min(1).max(128),
});
export type WorkItem = z.infer<typeof WorkItem>;
