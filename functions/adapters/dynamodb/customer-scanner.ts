/**
 * Parallel Scan of the Customers table for the maintenance sweep (re-index after a campaign change,
 * points expiry, personal offers): one segment per task, page by page, with an opaque cursor so a
 * segment can continue in another invocation. Eventually consistent: a customer written during the
 * sweep is re-read with a strong read by the use case before anything is written.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { CustomerScanner, ScanPage } from '../../ports/customer-scanner.ts';
import { decodeCustomer } from './customer-codec.ts';
import { CUSTOMER_ATTRS as A } from './tables.ts';

export class ScanCursorError extends Error {
  constructor(cursor: string, options?: { cause?: unknown }) {
    super(`not a scan cursor: ${cursor.slice(0, 40)}`, options);
    this.name = 'ScanCursorError';
  }
}

/** LastEvaluatedKey → cursor: the base64url JSON of the customer key. */
export function encodeCursor(key: Record<string, AttributeValue>): string {
  const pk = key[A.pk]?.S;
  if (pk === undefined) throw new Error('scan key without pk');
  return Buffer.from(JSON.stringify({ pk }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Record<string, AttributeValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new ScanCursorError(cursor, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { pk?: unknown }).pk !== 'string') {
    throw new ScanCursorError(cursor);
  }
  return { [A.pk]: { S: (parsed as { pk: string }).pk } };
}

export class DynamoDbCustomerScanner implements CustomerScanner {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async scan(
    segment: number,
    totalSegments: number,
    cursor: string | null,
    limit: number,
  ): Promise<ScanPage> {
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        Segment: segment,
        TotalSegments: totalSegments,
        Limit: limit,
        ...(cursor === null ? {} : { ExclusiveStartKey: decodeCursor(cursor) }),
      }),
    );
    return {
      customers: (out.Items ?? []).map((item) => {
        const { state, dueMs } = decodeCustomer(item);
        return { state, dueMs };
      }),
      cursor: out.LastEvaluatedKey === undefined ? null : encodeCursor(out.LastEvaluatedKey),
    };
  }
}
