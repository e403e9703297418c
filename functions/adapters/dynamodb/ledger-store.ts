/**
 * The points ledger table, written by the relay from the Customers stream. Entry ids are deterministic
 * (the occurrence key, `order:<id>` …), so a redelivered stream record writes the same items again: an
 * idempotent put per entry, 25 per BatchWriteItem, no condition needed (and batches allow none).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { LedgerEntry } from '../../domain/customer-state.ts';
import { customerKey } from '../../domain/customer-state.ts';
import type { LedgerWriter } from '../../ports/ledger-writer.ts';
import type { RetryOptions } from './batch.ts';
import { CoalescingBatchWriter } from './batch.ts';
import { keyNames, LEDGER_ATTRS, TABLES } from './tables.ts';

type Item = Record<string, AttributeValue>;

const REASONS: ReadonlySet<string> = new Set(['accrual', 'bonus', 'clawback', 'expiry', 'conversion']);

/** One entry as an item; null fields are left out (fewer bytes, and absent reads back as null). */
export function encodeLedgerEntry(entry: LedgerEntry): Item {
  const item: Item = {
    [LEDGER_ATTRS.pk]: { S: customerKey(entry.brand, entry.customerId) },
    [LEDGER_ATTRS.entryId]: { S: entry.entryId },
    customerId: { S: entry.customerId },
    brand: { S: entry.brand },
    points: { N: String(entry.points) },
    reason: { S: entry.reason },
    at: { S: entry.at },
  };
  if (entry.campaignId !== null) item.campaignId = { S: entry.campaignId };
  if (entry.expiresAt !== null) item.expiresAt = { S: entry.expiresAt };
  return item;
}

export function decodeLedgerEntry(item: Item): LedgerEntry {
  const reason = item.reason?.S ?? '';
  if (!REASONS.has(reason)) throw new Error(`ledger item ${item.entryId?.S}: unknown reason "${reason}"`);
  return {
    entryId: item[LEDGER_ATTRS.entryId]?.S ?? '',
    customerId: item.customerId?.S ?? '',
    brand: item.brand?.S ?? '',
    campaignId: item.campaignId?.S ?? null,
    points: Number(item.points?.N ?? '0'),
    reason: reason as LedgerEntry['reason'],
    at: item.at?.S ?? '',
    expiresAt: item.expiresAt?.S ?? null,
  };
}

export class DynamoDbLedgerStore implements LedgerWriter {
  private readonly writer: CoalescingBatchWriter;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    retry: RetryOptions = {},
  ) {
    this.writer = new CoalescingBatchWriter(client, tableName, keyNames(TABLES.ledger), retry);
  }

  /**
   * Puts every entry (the same entry twice is one item). The entries that concurrent calls write in
   * one turn share their BatchWriteItem calls: a relay batch's records write their entries together.
   */
  write(entries: readonly LedgerEntry[]): Promise<void> {
    return this.writer.write(entries.map((e) => ({ PutRequest: { Item: encodeLedgerEntry(e) } })));
  }

  /** A customer's entries, by entry id (reports and tests; the customer item keeps the recent ones). */
  async list(brand: string, customerId: string): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': LEDGER_ATTRS.pk },
          ExpressionAttributeValues: { ':pk': { S: customerKey(brand, customerId) } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(decodeLedgerEntry(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}
