/**
 * The tasks of the maintenance queue, consumed by the maintenance λ: a sweep's share of a parallel Scan
 * (`sweep`), and a due wave's share of a range of the due index (`dispatch`): the customers of one
 * partition of a dispatcher's slice that did not fit in a page, handed on so that the partitions are
 * fanned out to the work queue side by side.
 */
import { z } from 'zod';

/**
 * Customers per page of the due index (`DUE_PAGE_LIMIT` overrides it). A dispatcher slice holding more
 * (a campaign's start, a personal-offer batch, a one-time-zone shop's 10:00) is a wave: the dispatcher
 * sends its first page and hands the rest on as one due task per partition of the index, which the
 * maintenance λ sends to the work queue side by side, page by page, in bounded memory (the references of
 * a page: about 1.5 MB). One invocation sends about 10,700 customers a second, 2.5M in a run: a 10M
 * wave sent by the dispatcher alone never completed (docs/scale.md, section 5).
 */
export const DUE_PAGE_LIMIT = 10_000;

/**
 * A task whose first page fails (a throttled Query or Scan, most likely) is sent again after 30, 60 and
 * 120 seconds, then fails its record: the queue's visibility timeout (6 minutes) and its DLQ take over.
 * `retry` counts the sends so far; a page that succeeds clears it.
 */
export const FIRST_PAGE_RETRIES = 3;
export const FIRST_PAGE_RETRY_DELAY_SECONDS = 30;
const Retry = z.int().min(1).max(FIRST_PAGE_RETRIES).optional();

/** One segment's share of a sweep, continued from `cursor` (null: the segment's start). */
export const ScanTask = z.strictObject({
  job: z.literal('sweep'),
  runId: z.string().min(1).max(64),
  segment: z.int().min(0),
  totalSegments: z.int().min(1).max(1000),
  cursor: z.string().max(4096).nullable(),
  retry: Retry,
});
export type ScanTask = z.infer<typeof ScanTask>;

/**
 * One partition's share of the due range (afterMs, uptoMs], continued from `cursor` (a due-page
 * cursor of the range, or of that partition of it; null: the partition's start).
 */
export const DueTask = z.strictObject({
  job: z.literal('dispatch'),
  afterMs: z.int(),
  uptoMs: z.int(),
  partition: z.int().min(0).max(99),
  cursor: z.string().max(16_384).nullable(),
  retry: Retry,
});
export type DueTask = z.infer<typeof DueTask>;

export const MaintenanceTask = z.discriminatedUnion('job', [ScanTask, DueTask]);
export type MaintenanceTask = z.infer<typeof MaintenanceTask>;

/** A task's identity in a send batch: two sends of the same task are one entry. */
export function taskKey(task: MaintenanceTask): string {
  return task.job === 'sweep'
    ? `${task.runId}#${task.segment}#${task.cursor ?? ''}`
    : `due#${task.afterMs}#${task.uptoMs}#${task.partition}#${task.cursor ?? ''}`;
}
