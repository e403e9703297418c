/**
 * Every DynamoDB adapter on one client and one set of table names: what the Lambda composition root
 * (functions/handlers/wiring.ts) and the local runtime plug in as the data layer.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbCampaignStats } from './campaign-stats-store.ts';
import { decodeCustomerImage } from './customer-codec.ts';
import { DynamoDbCustomerScanner } from './customer-scanner.ts';
import type { DynamoDbCustomerStoreOptions } from './customer-store.ts';
import { DynamoDbCustomerStore } from './customer-store.ts';
import { DynamoDbHeldMessages } from './held-messages-store.ts';
import { DynamoDbLedgerStore } from './ledger-store.ts';
import type { TableId, TableNames } from './tables.ts';
import { TABLE_ENV, TABLE_IDS } from './tables.ts';
import { DynamoDbWatermarkStore } from './watermark-store.ts';

export interface DynamoDbDataLayerOptions {
  client: DynamoDBClient;
  names: TableNames;
  customers?: Omit<DynamoDbCustomerStoreOptions, 'client' | 'tableName' | 'dueTableName' | 'dueShards'>;
  /**
   * Write shards of the due entries and the held messages (default 16, what the stack deploys). A
   * property of the database: the embedded runtime creates its own and uses 1.
   */
  dueShards?: number;
}

export function dynamoDbDataLayer(options: DynamoDbDataLayerOptions) {
  const { client, names } = options;
  return {
    customers: new DynamoDbCustomerStore({
      client,
      tableName: names.customers,
      dueTableName: names.due,
      ...options.customers,
      ...(options.dueShards === undefined ? {} : { dueShards: options.dueShards }),
    }),
    ledger: new DynamoDbLedgerStore(client, names.ledger),
    watermark: new DynamoDbWatermarkStore(client, names.dispatch),
    held: new DynamoDbHeldMessages(client, names.held, {}, options.dueShards),
    decodeImage: decodeCustomerImage,
    scanner: new DynamoDbCustomerScanner(client, names.customers),
    stats: new DynamoDbCampaignStats(client, names.stats),
  };
}

export class MissingTableNameError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} (a table name) is not set`);
    this.name = 'MissingTableNameError';
  }
}

/** Table names from the variables the stack sets (TABLE_ENV); throws naming the first one missing. */
export function tableNamesFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): TableNames {
  const names = {} as Record<TableId, string>;
  for (const id of TABLE_IDS) {
    const value = env[TABLE_ENV[id]];
    if (value === undefined || value === '') throw new MissingTableNameError(TABLE_ENV[id]);
    names[id] = value;
  }
  return names;
}
