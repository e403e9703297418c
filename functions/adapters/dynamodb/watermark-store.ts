/**
 * Named watermarks in the dispatch table, e.g. the dispatcher's: the last due bucket whose customers
 * were fanned out. The next run reads (watermark, now], so buckets missed during an outage are read
 * late rather than lost. A watermark moves by compare-and-set from the value the run read, and only
 * forward: a slow run finishing after a newer one cannot rewind it or claim the newer run's range.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Watermark } from '../../ports/watermark.ts';
import { isConditionFailure } from './conditional.ts';
import { DISPATCH_ATTRS as A } from './tables.ts';

/** The item key of a watermark: the dispatcher's (`dispatch`) is `dispatch#watermark`. */
export function watermarkKey(name: string): string {
  return `${name}#watermark`;
}

export class DynamoDbWatermarkStore implements Watermark {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The watermark in epoch ms; null before the first advance. */
  async read(name: string): Promise<number | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [A.pk]: { S: watermarkKey(name) } },
        ConsistentRead: true,
      }),
    );
    const raw = out.Item?.[A.watermark]?.N;
    return raw === undefined ? null : Number(raw);
  }

  /**
   * Moves `name` from `fromMs` (null: never set) to a later `toMs`; false when another run moved it
   * first, or when `toMs` is not later.
   */
  async advance(name: string, fromMs: number | null, toMs: number): Promise<boolean> {
    if (fromMs !== null && toMs <= fromMs) return false;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [A.pk]: { S: watermarkKey(name) } },
          UpdateExpression: 'SET #wm = :to',
          ConditionExpression: fromMs === null ? 'attribute_not_exists(#wm)' : '#wm = :from',
          ExpressionAttributeNames: { '#wm': A.watermark },
          ExpressionAttributeValues: {
            ':to': { N: String(toMs) },
            ...(fromMs === null ? {} : { ':from': { N: String(fromMs) } }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
