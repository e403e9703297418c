/**
 * Ingest dedupe by event key (`<brand>#<event id>`): a batch asks which keys were seen (BatchGetItem, 100 per call) and
 * remembers the ones it applied (BatchWriteItem, 25 per call) for seven days, expired by TTL.
 *
 * The customer item also remembers its 64 most recent event ids and every order id, which makes
 * applying an event idempotent on its own; this table is the longer, cross-customer window (a replay of
 * a week of events after an incident) that skips the customer read and write entirely.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventDedupe } from '../../ports/event-dedupe.ts';
import type { RetryOptions } from './batch.ts';
import { batchGet, batchWrite } from './batch.ts';
import { DEDUPE_ATTRS, DEDUPE_TTL_DAYS } from './tables.ts';

const DAY_S = 86_400;

/** The item remembering one event id; `ttl` is in epoch seconds, as DynamoDB TTL requires. */
export function dedupeItem(eventId: string, nowMs: number): Record<string, AttributeValue> {
  return {
    [DEDUPE_ATTRS.eventId]: { S: eventId },
    [DEDUPE_ATTRS.ttl]: { N: String(Math.floor(nowMs / 1000) + DEDUPE_TTL_DAYS * DAY_S) },
  };
}

export class DynamoDbDedupeStore implements EventDedupe {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retry: RetryOptions = {},
  ) {}

  /**
   * The ids among `eventIds` already remembered. An item past its TTL but not yet deleted (deletion
   * lags by up to days) still counts: it is a duplicate all the same.
   */
  async seen(eventIds: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(eventIds)];
    if (unique.length === 0) return new Set();
    const items = await batchGet(
      this.client,
      this.tableName,
      unique.map((id) => ({ [DEDUPE_ATTRS.eventId]: { S: id } })),
      { ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': DEDUPE_ATTRS.eventId } },
      this.retry,
    );
    const out = new Set<string>();
    for (const item of items) {
      const id = item[DEDUPE_ATTRS.eventId]?.S;
      if (id !== undefined) out.add(id);
    }
    return out;
  }

  /** Remembers the ids for seven days from `nowMs`. */
  async remember(eventIds: readonly string[], nowMs: number): Promise<void> {
    const unique = [...new Set(eventIds)];
    const requests = unique.map((id) => ({ PutRequest: { Item: dedupeItem(id, nowMs) } }));
    await batchWrite(this.client, this.tableName, requests, this.retry);
  }
}
