/**
 * BatchWriteItem and BatchGetItem with DynamoDB's limits (25 writes, 100 keys per call) and a retry of
 * the unprocessed part with capped, jittered exponential backoff — the way AWS asks batch callers to
 * back off when a partition is throttled. The SDK retries whole failed calls; this retries the rest.
 */
import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { TurnBatcher } from '../../shared/turn-batcher.ts';

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

/**
 * Calls `send` with the pending part of one chunk until nothing is left unprocessed, backing off
 * before each retry; returns what is still pending after `maxAttempts` calls (empty: all done).
 */
async function untilProcessed<T>(
  chunk: T[],
  send: (pending: T[]) => Promise<T[]>,
  options: RetryOptions,
): Promise<{ pending: T[]; attempts: number }> {
  const maxAttempts = options.maxAttempts ?? 8;
  let pending = chunk;
  let attempt = 0;
  for (; pending.length > 0 && attempt < maxAttempts; attempt++) {
    if (attempt > 0) await (options.sleep ?? defaultSleep)(backoff(attempt - 1, options));
    pending = await send(pending);
  }
  return { pending, attempts: attempt };
}

/** Writes the requests of one table, 25 per call, retrying unprocessed items. */
export async function batchWrite(
  client: DynamoDBClient,
  table: string,
  requests: readonly WriteRequest[],
  options: RetryOptions = {},
): Promise<void> {
  for (const chunk of chunks(requests, MAX_BATCH_WRITE)) {
    const { pending, attempts } = await untilProcessed(
      chunk,
      async (items) => {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
        return out.UnprocessedItems?.[table] ?? [];
      },
      options,
    );
    if (pending.length > 0) throw new UnprocessedItemsError(table, pending.length, attempts);
  }
}

export const MAX_BATCH_GET = 100;

type Key = Record<string, AttributeValue>;

/**
 * Reads the items of one table's keys, 100 keys per BatchGetItem (the chunks in parallel), retrying
 * unprocessed keys. Keys still unprocessed after the attempts (a throttled partition, a response over
 * 16 MB) are returned, not thrown: the caller reads them one by one. Strongly consistent unless
 * `consistent` is false (0.5 read units per 4 KB instead of 1).
 */
export async function batchGet(
  client: DynamoDBClient,
  table: string,
  keys: readonly Key[],
  options: RetryOptions = {},
  consistent = true,
): Promise<{ items: Key[]; unprocessed: Key[] }> {
  const items: Key[] = [];
  const unprocessed: Key[] = [];
  await Promise.all(
    chunks(keys, MAX_BATCH_GET).map(async (chunk) => {
      const { pending } = await untilProcessed(
        chunk,
        async (Keys) => {
          const out = await client.send(
            new BatchGetItemCommand({ RequestItems: { [table]: { Keys, ConsistentRead: consistent } } }),
          );
          items.push(...(out.Responses?.[table] ?? []));
          return out.UnprocessedKeys?.[table]?.Keys ?? [];
        },
        options,
      );
      unprocessed.push(...pending);
    }),
  );
  return { items, unprocessed };
}

/**
 * Gathers the writes concurrent callers make to one table in one turn of the event loop into shared
 * BatchWriteItem calls (25 items each, see `TurnBatcher`): a batch consumer's records, worked side by
 * side, write in one request where each would have made its own. Each caller's promise settles with
 * the gathered write: it rejects when any part of it failed, and the caller's record is retried — for
 * idempotent writes only. A BatchWriteItem refuses to name one item twice: writes to the same item
 * (the table's key attributes, `keyNames`) in one turn are one, the later winning.
 */
export class CoalescingBatchWriter {
  private readonly turns: TurnBatcher<readonly WriteRequest[], void>;

  constructor(client: DynamoDBClient, table: string, keyNames: readonly string[], retry: RetryOptions = {}) {
    this.turns = new TurnBatcher<readonly WriteRequest[], void>(async (_table, callers) => {
      const byItem = new Map<string, WriteRequest>();
      for (const writes of callers) for (const w of writes) byItem.set(itemKeyOf(w, keyNames), w);
      await batchWrite(client, table, [...byItem.values()], retry);
      return callers.map(() => undefined);
    });
  }

  write(writes: readonly WriteRequest[]): Promise<void> {
    return writes.length === 0 ? Promise.resolve() : this.turns.submit('', writes);
  }
}

/** The item a put or delete names, as a string: its key attributes' values. */
function itemKeyOf(w: WriteRequest, keyNames: readonly string[]): string {
  const attributes = w.PutRequest?.Item ?? w.DeleteRequest?.Key ?? {};
  return keyNames.map((name) => JSON.stringify(attributes[name] ?? null)).join('\u0000');
}
