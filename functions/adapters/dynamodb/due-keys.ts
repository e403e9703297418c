/**
 * Keys of the write-sharded "next due" index (the due table, due-entries.ts): a customer due at instant
 * t is filed under the first 15-minute boundary at or after t (never evaluated before it is due), in
 * one of 16 shards chosen by a stable hash of its key. A dispatcher reads a bucket as 16 small queries,
 * one per shard.
 *
 * The shard count is a property of a database, fixed when it is created: the deployed stack uses 16;
 * the embedded runtime (a fresh DynamoDB Local per run, a few thousand customers) uses 1, so a
 * dispatcher tick is one query there. Writers and readers of one table must agree on it.
 */

import { BUCKET_MS, bucketOf } from '../../ports/customer-store.ts';

export { BUCKET_MS, bucketOf } from '../../ports/customer-store.ts';

/** Shards per bucket: spreads one bucket's entry writes and reads over 16 partition keys. */
export const DUE_SHARDS = 16;

export class ShardCountError extends RangeError {
  constructor(shards: number) {
    super(`the due-entry shard count must be an integer from 1 to 100, got ${shards}`);
    this.name = 'ShardCountError';
  }
}

/** Checks a shard count (1..100, two digits in the key) and returns it. */
export function checkShards(shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > 100) throw new ShardCountError(shards);
  return shards;
}

/**
 * FNV-1a (32 bit) of the key's UTF-8 bytes, modulo the shard count: stable across processes, Node
 * versions and languages, so a backfill written elsewhere files a customer in the same shard.
 */
export function shardOf(pk: string, shards: number = DUE_SHARDS): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(pk, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** `<bucket ISO minute>Z#<shard 00..15>`, e.g. `2026-03-17T00:15Z#07`. */
export function dueKeyOf(bucketMs: number, shard: number): string {
  return `${new Date(bucketMs).toISOString().slice(0, 16)}Z#${String(shard).padStart(2, '0')}`;
}

/** The index key of a customer item due at `dueMs`. */
export function dueKeyFor(pk: string, dueMs: number, shards: number = DUE_SHARDS): string {
  return dueKeyOf(bucketOf(dueMs), shardOf(pk, shards));
}

/** Bucket boundaries in (afterMs, uptoMs], oldest first; both bounds must be finite. */
export function bucketsIn(afterMs: number, uptoMs: number): number[] {
  if (!Number.isFinite(afterMs) || !Number.isFinite(uptoMs)) {
    throw new RangeError(`due buckets need finite bounds, got (${afterMs}, ${uptoMs}]`);
  }
  const out: number[] = [];
  for (let b = Math.floor(afterMs / BUCKET_MS) * BUCKET_MS + BUCKET_MS; b <= uptoMs; b += BUCKET_MS) {
    out.push(b);
  }
  return out;
}

/** How many buckets (afterMs, uptoMs] holds, without listing them. */
export function bucketCount(afterMs: number, uptoMs: number): number {
  if (!Number.isFinite(afterMs) || !Number.isFinite(uptoMs)) return Number.POSITIVE_INFINITY;
  const first = Math.floor(afterMs / BUCKET_MS) + 1;
  const last = Math.floor(uptoMs / BUCKET_MS);
  return Math.max(0, last - first + 1);
}
