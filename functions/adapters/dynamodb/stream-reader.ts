/**
 * Reads a DynamoDB stream through the Streams API the way Lambda's event source mapping does:
 * DescribeStream for the shards, a shard's children only after the shard itself is finished (so a
 * customer's records are never reordered across a shard split), GetShardIterator, then GetRecords
 * batches in per-shard order. The local runtime polls it; the tests use it to feed the relay.
 */
import type {
  _Record,
  DynamoDBStreamsClient,
  GetRecordsCommandOutput,
} from '@aws-sdk/client-dynamodb-streams';
import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';

export type StreamRecord = _Record;

export interface StreamBatch {
  shardId: string;
  records: StreamRecord[];
}

export interface StreamReaderOptions {
  /** Where a newly found shard is read from (default TRIM_HORIZON: everything still in the stream). */
  startAt?: 'TRIM_HORIZON' | 'LATEST';
  /** Records per GetRecords call (default 1000, the API's maximum; Lambda's default batch is 100). */
  limit?: number;
  /**
   * DescribeStream on every this many polls (default 1: every poll), and whenever a shard was read to
   * its end (its children appear then).
   */
  describeEveryPolls?: number;
}

interface ShardCursor {
  parent: string | undefined;
  /** undefined: not opened yet; null: the shard is closed and fully read. */
  iterator: string | null | undefined;
  lastSequence: string | undefined;
}

export class StreamReader {
  private readonly shards = new Map<string, ShardCursor>();
  private readonly startAt: 'TRIM_HORIZON' | 'LATEST';
  private readonly limit: number;
  private readonly describeEvery: number;
  private pollsSinceDescribe = Number.POSITIVE_INFINITY;

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly streamArn: string,
    options: StreamReaderOptions = {},
  ) {
    this.startAt = options.startAt ?? 'TRIM_HORIZON';
    this.limit = options.limit ?? 1000;
    this.describeEvery = Math.max(1, options.describeEveryPolls ?? 1);
  }

  /** One pass: finds new shards, then one GetRecords per readable shard. Empty shards give no batch. */
  async poll(): Promise<StreamBatch[]> {
    if (++this.pollsSinceDescribe >= this.describeEvery) {
      await this.refreshShards();
      this.pollsSinceDescribe = 0;
    }
    const batches: StreamBatch[] = [];
    for (const [shardId, cursor] of this.shards) {
      if (cursor.iterator === null || !this.parentDone(cursor)) continue;
      const records = await this.read(shardId, cursor);
      if (records.length > 0) batches.push({ shardId, records });
    }
    return batches;
  }

  private parentDone(cursor: ShardCursor): boolean {
    if (cursor.parent === undefined) return true;
    // A parent no longer described has been trimmed away: nothing of it is left to read first.
    const parent = this.shards.get(cursor.parent);
    return parent === undefined || parent.iterator === null;
  }

  private async refreshShards(): Promise<void> {
    let start: string | undefined;
    do {
      const out = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (shard.ShardId === undefined || this.shards.has(shard.ShardId)) continue;
        this.shards.set(shard.ShardId, {
          parent: shard.ParentShardId,
          iterator: undefined,
          lastSequence: undefined,
        });
      }
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
  }

  private async open(shardId: string, cursor: ShardCursor): Promise<string | undefined> {
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ...(cursor.lastSequence === undefined
          ? { ShardIteratorType: this.startAt }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.lastSequence }),
      }),
    );
    return out.ShardIterator;
  }

  private async read(shardId: string, cursor: ShardCursor): Promise<StreamRecord[]> {
    cursor.iterator ??= await this.open(shardId, cursor);
    if (cursor.iterator === undefined) return [];
    let out: GetRecordsCommandOutput;
    try {
      out = await this.getRecords(cursor.iterator);
    } catch (error) {
      // Iterators expire after 15 minutes; reopen after the last record read.
      if (!(error instanceof ExpiredIteratorException)) throw error;
      cursor.iterator = await this.open(shardId, cursor);
      if (cursor.iterator === undefined) return [];
      out = await this.getRecords(cursor.iterator);
    }
    const records = out.Records ?? [];
    const last = records[records.length - 1];
    if (last?.dynamodb?.SequenceNumber !== undefined) cursor.lastSequence = last.dynamodb.SequenceNumber;
    // No next iterator: the shard is closed and read to its end; its children are described next poll.
    cursor.iterator = out.NextShardIterator ?? null;
    if (cursor.iterator === null) this.pollsSinceDescribe = Number.POSITIVE_INFINITY;
    return records;
  }

  private getRecords(iterator: string): Promise<GetRecordsCommandOutput> {
    return this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.limit }));
  }
}
