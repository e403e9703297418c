/**
 * Messages held until SQS can delay them the rest of the way (`sendAt` more than 15 minutes out): one
 * item per message, keyed by one of 16 write shards (a stable hash of the message id) and
 * `<sendAt>#<messageId>`, so holding again is idempotent and each shard reads in send order. The
 * dispatcher reads the earliest due across the shards with a lazy k-way merge, so a page of `limit`
 * messages reads about `limit` items, not 16 × `limit`. Reads are strongly consistent: a message
 * released a moment ago is never handed out again.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '../../domain/message.ts';
import type { HeldMessages } from '../../ports/held-messages.ts';
import type { RetryOptions } from './batch.ts';
import { batchWrite, CoalescingBatchWriter } from './batch.ts';
import { checkShards, DUE_SHARDS, shardOf } from './due-keys.ts';
import { HELD_ATTRS as A, keyNames, TABLES } from './tables.ts';

type Item = Record<string, AttributeValue>;

/** Digits of an epoch-millisecond send time in the sort key: enough until the year 2286. */
const SEND_AT_DIGITS = 13;

export function heldShardKey(shard: number): string {
  return `held#${String(shard).padStart(2, '0')}`;
}

/** The item's key: its shard, and its send time and id (both fixed for a message). */
export function heldKey(message: Pick<Message, 'messageId' | 'sendAt'>, shards: number = DUE_SHARDS): Item {
  return {
    [A.shard]: { S: heldShardKey(shardOf(message.messageId, shards)) },
    [A.key]: { S: `${sendAtPrefix(Date.parse(message.sendAt))}#${message.messageId}` },
  };
}

/** The sort-key bound below which every message sent at or before `uptoMs` lies. */
function keysSentBy(uptoMs: number): string {
  // '~' sorts after every digit: past the key's range, every held message is due.
  return uptoMs + 1 >= 10 ** SEND_AT_DIGITS ? '~' : sendAtPrefix(Math.max(0, Math.floor(uptoMs) + 1));
}

function sendAtPrefix(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || String(ms).length > SEND_AT_DIGITS) {
    throw new RangeError(`held message: send time ${ms} is outside the key's range`);
  }
  return String(ms).padStart(SEND_AT_DIGITS, '0');
}

export function encodeHeld(message: Message, shards: number = DUE_SHARDS): Item {
  return {
    ...heldKey(message, shards),
    [A.message]: { B: deflateRawSync(Buffer.from(JSON.stringify(message), 'utf8')) },
  };
}

export function decodeHeld(item: Item): Message {
  const bytes = item[A.message]?.B;
  if (bytes === undefined) throw new Error(`held item ${item[A.key]?.S}: no message attribute`);
  const message = JSON.parse(inflateRawSync(bytes).toString('utf8')) as Partial<Message>;
  if (typeof message.messageId !== 'string' || typeof message.sendAt !== 'string') {
    throw new Error(`held item ${item[A.key]?.S}: not a message`);
  }
  // Written by encodeHeld from a Message.
  return message as Message;
}

interface ShardCursor {
  shard: string;
  buffer: { key: string; message: Message }[];
  start: Item | undefined;
  done: boolean;
}

export class DynamoDbHeldMessages implements HeldMessages {
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
    this.holding = new CoalescingBatchWriter(client, tableName, keyNames(TABLES.held), retry);
  }

  /** The messages that concurrent calls hold in one turn share their BatchWriteItem calls. */
  async hold(messages: readonly Message[]): Promise<void> {
    await this.holding.write(messages.map((m) => ({ PutRequest: { Item: encodeHeld(m, this.shards) } })));
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
        // Send time, then message id: the sort key orders both.
        if (bestHead === undefined || head.key < bestHead.key) best = c;
      }
      const next = best?.buffer.shift();
      if (next === undefined) break;
      out.push(next.message);
    }
    return out;
  }

  async release(messages: readonly Message[]): Promise<void> {
    const unique = new Map(messages.map((m) => [m.messageId, m]));
    // Deleting a message that is not held is a no-op, as the port requires.
    const requests = [...unique.values()].map((m) => ({ DeleteRequest: { Key: heldKey(m, this.shards) } }));
    await batchWrite(this.client, this.tableName, requests, this.retry);
  }

  private async fill(cursor: ShardCursor, uptoMs: number, pageSize: number): Promise<void> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        // Every key sent at or before uptoMs sorts below the next millisecond's prefix.
        KeyConditionExpression: '#hs = :hs AND #k < :after',
        ExpressionAttributeNames: { '#hs': A.shard, '#k': A.key },
        ExpressionAttributeValues: { ':hs': { S: cursor.shard }, ':after': { S: keysSentBy(uptoMs) } },
        ConsistentRead: true,
        ScanIndexForward: true,
        Limit: pageSize,
        ExclusiveStartKey: cursor.start,
      }),
    );
    for (const item of page.Items ?? []) {
      cursor.buffer.push({ key: item[A.key]?.S ?? '', message: decodeHeld(item) });
    }
    cursor.start = page.LastEvaluatedKey;
    cursor.done = page.LastEvaluatedKey === undefined;
  }
}
