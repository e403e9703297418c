/**
 * The DynamoDB tables as plain data: one description read by the adapters, the integration tests, the
 * local runtime (DynamoDB Local) and the CDK stacks, so key names, indexes, streams and TTL cannot drift
 * between them. docs/data-model.md explains every choice.
 */
import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from '@aws-sdk/client-dynamodb';

export type TableId = 'customers' | 'due' | 'ledger' | 'dispatch' | 'held' | 'stats';

/** Physical table names per stage (the stack and the local runtime choose them). */
export type TableNames = Readonly<Record<TableId, string>>;

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/**
 * One table: keys, stream and TTL. Every table is on-demand, and none has a secondary index: each
 * access pattern reads a table's own keys (an index write is billed on top of every table write).
 */
export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly stream: 'NEW_AND_OLD_IMAGES' | null;
  readonly timeToLiveAttribute: string | null;
  /** What the table holds (documentation for the stack and the README). */
  readonly description: string;
}

/** Attribute names of a customer item. Short names: every byte of a name is billed on every write. */
export const CUSTOMER_ATTRS = {
  /** `<brand>#<customerId>` */
  pk: 'pk',
  /** Version (N): the optimistic-concurrency condition of every write. */
  version: 'v',
  /**
   * The CustomerState JSON (B): a dictionary version byte, then deflate-raw with that preset dictionary
   * (state-dictionary.ts).
   */
  state: 'y',
  /** The state as items before the dictionaries had it: deflate-raw without one (B). Read, never written. */
  legacyState: 'z',
  /**
   * Next due instant in epoch ms (N); absent when nothing is scheduled. Its bucket always has an entry
   * in the due table (the entry is written before the item).
   */
  due: 'due',
} as const;

/** Attribute names of a due entry: one customer filed under one due bucket and shard. */
export const DUE_ATTRS = {
  /** `<bucket ISO minute>Z#<shard>` (S), see due-keys.ts: the partition key. */
  dueKey: 'dueKey',
  /** The customer key `<brand>#<customerId>` (S): the sort key. */
  pk: 'pk',
  /** Epoch seconds (N): the bucket plus {@link DUE_ENTRY_TTL_DAYS}; TTL deletes the entry after it. */
  ttl: 'ttl',
} as const;

/**
 * How long a due entry outlives its bucket. Old entries are never deleted by the engine (TTL deletions
 * are free); two weeks leave a stopped dispatcher time to catch up on its watermark.
 */
export const DUE_ENTRY_TTL_DAYS = 14;

export const LEDGER_ATTRS = { pk: 'pk', entryId: 'entryId' } as const;
export const DISPATCH_ATTRS = { pk: 'pk', watermark: 'wm' } as const;
export const HELD_ATTRS = {
  /** `held#<shard 00..15>` (S): the partition key, the shard a stable hash of the message id. */
  shard: 'hs',
  /** `<sendAt epoch ms, 13 digits>#<messageId>` (S): the sort key, so a shard reads in send order. */
  key: 'k',
  /** The Message JSON, deflate-raw compressed (B). */
  message: 'm',
} as const;
/**
 * A campaign's stats item: `pk` = `stats#<brand>#<campaignId>`, `day` = `YYYY-MM-DD` (UTC); the
 * counters are number attributes next to them (see campaign-stats-store.ts).
 */
export const STATS_ATTRS = { pk: 'pk', day: 'day' } as const;

export const TABLES: Readonly<Record<TableId, TableDefinition>> = {
  customers: {
    partitionKey: { name: CUSTOMER_ATTRS.pk, type: 'S' },
    // No GSI: a due-index GSI paid a delete and a put (2 WRU) every time the due bucket moved; the due
    // table below takes one 1-WRU put instead (see docs/data-model.md).
    stream: 'NEW_AND_OLD_IMAGES',
    timeToLiveAttribute: null,
    description: 'One item per (brand, customer): compressed state, version, next due instant',
  },
  due: {
    partitionKey: { name: DUE_ATTRS.dueKey, type: 'S' },
    sortKey: { name: DUE_ATTRS.pk, type: 'S' },
    stream: null,
    timeToLiveAttribute: DUE_ATTRS.ttl,
    description: `Next-due entries: customers by due bucket and shard, expiring ${DUE_ENTRY_TTL_DAYS} days after the bucket`,
  },
  ledger: {
    partitionKey: { name: LEDGER_ATTRS.pk, type: 'S' },
    sortKey: { name: LEDGER_ATTRS.entryId, type: 'S' },
    // No campaign/day GSI: see docs/data-model.md (cost on every entry, hot key on a campaign's big day).
    stream: null,
    timeToLiveAttribute: null,
    description: 'Points ledger: one item per entry, keyed by customer and deterministic entry id',
  },
  dispatch: {
    partitionKey: { name: DISPATCH_ATTRS.pk, type: 'S' },
    stream: null,
    timeToLiveAttribute: null,
    description: 'Dispatcher state: the last due bucket dispatched (the watermark)',
  },
  held: {
    // Keyed by shard and send time, not by message id with a by-time GSI: the GSI doubled every hold
    // and every release (a put and a delete in the index too) for a lookup by id nobody makes.
    partitionKey: { name: HELD_ATTRS.shard, type: 'S' },
    sortKey: { name: HELD_ATTRS.key, type: 'S' },
    stream: null,
    timeToLiveAttribute: null,
    description: 'Messages whose sendAt is beyond SQS delay (15 min), until the dispatcher releases them',
  },
  stats: {
    partitionKey: { name: STATS_ATTRS.pk, type: 'S' },
    sortKey: { name: STATS_ATTRS.day, type: 'S' },
    stream: null,
    timeToLiveAttribute: null,
    description: 'Per-campaign counters per UTC day (fired, messages, suppressed by reason, points …)',
  },
};

export const TABLE_IDS = Object.keys(TABLES) as TableId[];

/** The names of a table's key attributes: its partition key, then its sort key if it has one. */
export function keyNames(table: TableDefinition): readonly string[] {
  return table.sortKey === undefined
    ? [table.partitionKey.name]
    : [table.partitionKey.name, table.sortKey.name];
}

/** The environment variable carrying each table's name to the functions (the stack sets them). */
export const TABLE_ENV: Readonly<Record<TableId, string>> = {
  customers: 'CUSTOMERS_TABLE',
  due: 'DUE_TABLE',
  ledger: 'LEDGER_TABLE',
  dispatch: 'DISPATCH_TABLE',
  held: 'HELD_TABLE',
  stats: 'STATS_TABLE',
};

/** Names for a stage or a test run: `<prefix>-customers`, `<prefix>-ledger` … */
export function tableNames(prefix: string): TableNames {
  return {
    customers: `${prefix}-customers`,
    due: `${prefix}-due`,
    ledger: `${prefix}-ledger`,
    dispatch: `${prefix}-dispatch`,
    // Not `-held`: that table was keyed by message id. A key change needs a new table, and CloudFormation
    // replaces a named table only under a new name (docs/data-model.md, "Held messages").
    held: `${prefix}-held-messages`,
    stats: `${prefix}-stats`,
  };
}

/** The CreateTable input of one table (on-demand, stream and GSIs from the description). */
export function createTableInput(name: string, table: TableDefinition): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  const keySchema = (pk: KeyAttribute, sk: KeyAttribute | undefined) => {
    attributes.set(pk.name, pk);
    if (sk !== undefined) attributes.set(sk.name, sk);
    return [
      { AttributeName: pk.name, KeyType: 'HASH' as const },
      ...(sk === undefined ? [] : [{ AttributeName: sk.name, KeyType: 'RANGE' as const }]),
    ];
  };
  const input: CreateTableCommandInput = {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    AttributeDefinitions: [],
  };
  if (table.stream !== null) {
    input.StreamSpecification = { StreamEnabled: true, StreamViewType: table.stream };
  }
  input.AttributeDefinitions = [...attributes.values()].map((a) => ({
    AttributeName: a.name,
    AttributeType: a.type,
  }));
  return input;
}

export interface TableInputs {
  tables: CreateTableCommandInput[];
  /** UpdateTimeToLive inputs, sent once the tables are active. */
  timeToLive: UpdateTimeToLiveCommandInput[];
}

/** Every table's CreateTable input and the TTL settings, for the given physical names. */
export function createTableInputs(names: TableNames): TableInputs {
  const tables: CreateTableCommandInput[] = [];
  const timeToLive: UpdateTimeToLiveCommandInput[] = [];
  for (const id of TABLE_IDS) {
    const table = TABLES[id];
    tables.push(createTableInput(names[id], table));
    if (table.timeToLiveAttribute !== null) {
      timeToLive.push({
        TableName: names[id],
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      });
    }
  }
  return { tables, timeToLive };
}
