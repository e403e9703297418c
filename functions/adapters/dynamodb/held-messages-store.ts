/**
 * Messages held until SQS can delay them the rest of the way (`sendAt` more than 15 minutes out): one
 * item per message id (holding again is idempotent), indexed by send time in 16 write shards. The
 * dispatcher reads the earliest due across the shards with a lazy k-way merge, so a page of `limit`
 * messages reads about `limit` items, not 16 × `limit`.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '../../domain/message.ts';
import type { HeldMessages } from '../../ports/held-messages.ts';
import type { RetryOptions } from './batch.ts';
import { batchWrite, CoalescingBatchWriter } from './batch.ts';
import { checkShards, DUE_SHARDS, shardOf } from './due-keys.ts';
import { HELD_ATTRS as A, HELD_INDEX } from './tables.ts';

type Item = Record<string, AttributeValue>;

/** Ids released by this instance, remembered so the index's propagation lag cannot hand them out again. */
const RECENTLY_RELEASED = 10_000;

export function heldShardKey(shard: number): string {
  return `held#${String(shard).padStart(2, '0')}`;
}

export function encodeHeld(message: Message, shards: number = DUE_SHARDS): Item {
  return {
    [A.messageId]: { S: message.messageId },
    [A.shard]: { S: heldShardKey(shardOf(message.messageId, shards)) },
    [A.sendAt]: { N: String(Date.parse(message.sendAt)) },
    [A.message]: { B: deflateRawSync(Buffer.from(JSON.stringify(message), 'utf8')) },
  };
}

export function decodeHeld(item: Item): Message {
  const bytes = item[A.message]?.B;
  if (bytes === undefined) throw new Error(`held item ${item[A.messageId]?.S}: no message attribute`);
  const message = JSON.parse(inflateRawSync(bytes).toString('utf8')) as Partial<Message>;
  if (typeof message.messageId !== 'string' || typeof message.sendAt !== 'string') {
    throw new Error(`held item ${item[A.messageId]?.S}: not a message`);
  }
  // Written by encodeHeld from a Message.
  return message as Message;
}

interface ShardCursor {
  shard: string;
  buffer: { sendAt: number; message: Message }[];
  start: Item | undefined;
  done: boolean;
}

export class DynamoDbHeldMessages implements HeldMessages {
  private readonly released = new Set<string>();
  private readonly shards: number;
  private readonly holding: CoalescingBatchWriter;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retry: RetryOptions = {},
    /** Write shards of this table (default 16, as the due index). */
    shards: number = DUE_SHARDS,
  ) {
    this.shards = checkShards(shards);
    this.holding = new CoalescingBatchWriter(client, tableName, retry);
  }

  /** The messages that concurrent calls hold in one turn share their BatchWriteItem calls. */
  async hold(messages: readonly Message[]): Promise<void> {
    for (const m of messages) this.released.delete(m.messageId);
    await this.holding.write(
      messages.map((m) => ({
        key: m.messageId,
        request: { PutRequest: { Item: encodeHeld(m, this.shards) } },
      })),
    );
  }

  async due(uptoMs: number, limit: number): Promise<Message[]> {
    if (limit <= 0) return [];
    const pageSize = Math.min(limit, Math.max(4, Math.ceil(limit / 8)));
    const cursors: ShardCursor[] = Array.from({ length: this.shards }, (_, s) => ({
      shard: heldShardKey(s),
      buffer: [],
      start: undefined,
      done: false,
    }));
    const out: Message[] = [];
    while (out.length < limit) {
      // Every shard that may still hold an earlier message must show its next one before a pick.
      await Promise.all(
        cursors.filter((c) => c.buffer.length === 0 && !c.done).map((c) => this.fill(c, uptoMs, pageSize)),
      );
      let best: ShardCursor | undefined;
      for (const c of cursors) {
        const head = c.buffer[0];
        const bestHead = best?.buffer[0];
        if (head === undefined) continue;
        if (
          bestHead === undefined ||
          head.sendAt < bestHead.sendAt ||
          (head.sendAt === bestHead.sendAt && head.message.messageId < bestHead.message.messageId)
        ) {
          best = c;
        }
      }
      const next = best?.buffer.shift();
      if (next === undefined) break;
      if (!this.released.has(next.message.messageId)) out.push(next.message);
    }
    return out;
  }

  async release(messageIds: readonly string[]): Promise<void> {
    const unique = [...new Set(messageIds)];
    for (const id of unique) {
      this.released.add(id);
      if (this.released.size > RECENTLY_RELEASED) {
        const oldest = this.released.values().next().value;
        if (oldest !== undefined) this.released.delete(oldest);
      }
    }
    // Deleting an id that is not held is a no-op, as the port requires.
    const requests = unique.map((id) => ({ DeleteRequest: { Key: { [A.messageId]: { S: id } } } }));
    await batchWrite(this.client, this.tableName, requests, this.retry);
  }

  private async fill(cursor: ShardCursor, uptoMs: number, pageSize: number): Promise<void> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: HELD_INDEX,
        KeyConditionExpression: '#hs = :hs AND #sendAt <= :upto',
        ExpressionAttributeNames: { '#hs': A.shard, '#sendAt': A.sendAt },
        ExpressionAttributeValues: { ':hs': { S: cursor.shard }, ':upto': { N: String(uptoMs) } },
        ScanIndexForward: true,
        Limit: pageSize,
        ExclusiveStartKey: cursor.start,
      }),
    );
    for (const item of page.Items ?? []) {
      cursor.buffer.push({ sendAt: Number(item[A.sendAt]?.N), message: decodeHeld(item) });
    }
    cursor.start = page.LastEvaluatedKey;
    cursor.done = page.LastEvaluatedKey === undefined;
  }
}
