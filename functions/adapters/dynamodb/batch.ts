/**
 * BatchWriteItem with DynamoDB's limit (25 writes per call) and a retry of the unprocessed part with
 * capped, jittered exponential backoff — the way AWS asks batch callers to back off when a partition is
 * throttled. The SDK retries whole failed calls; this retries the rest.
 */
import type { DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';

export const MAX_BATCH_WRITE = 25;

export interface RetryOptions {
  /** Calls per chunk, the first included (default 8). */
  maxAttempts?: number;
  /** First backoff ceiling in ms (default 50), doubled per attempt up to `maxDelayMs` (default 2000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class UnprocessedItemsError extends Error {
  constructor(
    readonly table: string,
    readonly remaining: number,
    attempts: number,
  ) {
    super(`${remaining} items of ${table} still unprocessed after ${attempts} batch calls`);
    this.name = 'UnprocessedItemsError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full jitter: a uniform delay in [0, min(max, base·2^attempt)). */
function backoff(attempt: number, options: RetryOptions): number {
  const base = options.baseDelayMs ?? 50;
  const ceiling = Math.min(options.maxDelayMs ?? 2000, base * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Writes the requests of one table, 25 per call, retrying unprocessed items. */
export async function batchWrite(
  client: DynamoDBClient,
  table: string,
  requests: readonly WriteRequest[],
  options: RetryOptions = {},
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 8;
  for (const chunk of chunks(requests, MAX_BATCH_WRITE)) {
    let pending: WriteRequest[] = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= maxAttempts) throw new UnprocessedItemsError(table, pending.length, attempt);
      if (attempt > 0) await (options.sleep ?? defaultSleep)(backoff(attempt - 1, options));
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  }
}
