/**
 * scale.*: what finding the due customers costs at 100,000 customers with 1% due in one bucket — the
 * dispatcher's query of the due entries against a full parallel Scan, in read units per due customer.
 *
 * 100,000 customer items (small ones: a registered customer's state, deflated, with its key, version
 * and due instant — as `encodeCustomer` writes them) go into DynamoDB Local's Customers table, and
 * their 100,000 due entries (`dueEntryItem`) into the due table, both created from the deployed
 * definitions (without the Customers stream, which only slows the load down). They are written with
 * BatchWriteItem, 25 per call, 16 calls in flight. 1,000 customers are due in one 15-minute bucket;
 * every other customer is filed under another bucket of the next 30 days (in the index, not due). Then,
 * on a client with the request recorder:
 *
 *  - the dispatcher's read: `DynamoDbCustomerStore.due` for that bucket with the deployed 16 shards (16
 *    Query calls on the due table, paginated, eventually consistent);
 *  - the evaluation's read of each due customer (GetItem, strongly consistent): the index's total per
 *    due customer, read included;
 *  - the same bucket read as a wave (`wave`): a first page of the whole bucket, then each of the 16
 *    partitions from its cursor, page by page, as the dispatcher and its due tasks read one;
 *  - a full parallel Scan (16 segments, the sweep's scanner) of the table.
 *
 * Read units are DynamoDB Local's ConsumedCapacity, each call topped up to DynamoDB's 0.5 RRU minimum
 * where Local reports less. The Scan's units depend on item size: the figure is also given for the mean
 * stored item of the measured run (bench/units-bench.ts) by DynamoDB's rule.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { RequestRecorder } from '../functions/adapters/aws/recorder.ts';
import { batchWrite } from '../functions/adapters/dynamodb/batch.ts';
import { encodeCustomer, itemBytes } from '../functions/adapters/dynamodb/customer-codec.ts';
import { DynamoDbCustomerScanner } from '../functions/adapters/dynamodb/customer-scanner.ts';
import { DynamoDbCustomerStore } from '../functions/adapters/dynamodb/customer-store.ts';
import { dueEntryItem } from '../functions/adapters/dynamodb/due-entries.ts';
import { BUCKET_MS, DUE_SHARDS } from '../functions/adapters/dynamodb/due-keys.ts';
import { CUSTOMER_ATTRS, createTableInputs } from '../functions/adapters/dynamodb/tables.ts';
import type { CustomerState } from '../functions/domain/customer-state.ts';
import { customerKey, emptyState } from '../functions/domain/customer-state.ts';
import { startDynamoDbLocal } from '../local/aws/dynamodb-local.ts';

export interface ScaleBench {
  /** Read units of the due-entries query ÷ customers due. */
  dueQueryUnitsPerDueCustomer: number;
  /** The query plus a strongly consistent read of each due customer, ÷ customers due (goal: close to 1). */
  dueFindAndReadUnitsPerDueCustomer: number;
  /** A full Scan's read units ÷ customers due, with the bench's items. */
  scanUnitsPerDueCustomer: number;
  /** The same by DynamoDB's rule for items of the measured run's mean size. */
  scanUnitsPerDueCustomerAtMeanItem: number;
  meanItemBytesForRule: number;
  customers: number;
  due: number;
  benchItemBytes: number;
  dueQueryUnits: number;
  dueQueryCalls: number;
  /** The same bucket read as a wave: pages of {@link WAVE_PAGE_LIMIT}, the rest one reader per partition. */
  wave: WaveRead;
  scanUnits: number;
  scanCalls: number;
  itemsWrittenPerSec: number;
  seconds: { load: number; write: number; query: number; scan: number };
}

const BUCKET = Date.parse('2026-03-17T10:00:00.000Z');

/**
 * The page of the wave read: 1% of the deployed 10,000 (`DUE_PAGE_LIMIT`), as the bench's 1,000 due
 * customers are 1% of a 100,000-customer wave: the same number of pages per partition as such a wave.
 */
export const WAVE_PAGE_LIMIT = 100;

export interface WaveRead {
  pageLimit: number;
  /** Pages read: the dispatcher's first, then each partition's. */
  pages: number;
  partitions: number;
  queryCalls: number;
  queryUnits: number;
  /** Query read units ÷ customers due: against `dueQueryUnitsPerDueCustomer`, the cost of paging. */
  unitsPerDueCustomer: number;
  /** Customers listed ÷ customers due: above 1 only for customers listed twice (none here). */
  listedPerDueCustomer: number;
}

/**
 * Reads the due bucket as the dispatcher and its due tasks read a wave: the first page of the whole
 * bucket, then, from its cursor, each partition (shard) page by page, side by side. Checks that every
 * due customer was listed.
 */
async function readAsWave(
  client: DynamoDBClient,
  table: string,
  dueTable: string,
  due: number,
): Promise<WaveRead> {
  const recorder = new RequestRecorder();
  const store = new DynamoDbCustomerStore({
    client: recorder.attach(client),
    tableName: table,
    dueTableName: dueTable,
    dueShards: DUE_SHARDS,
  });
  const after = BUCKET - BUCKET_MS;
  const first = await store.duePage(after, BUCKET, null, WAVE_PAGE_LIMIT);
  const listed = first.refs.map((r) => customerKey(r.brand, r.customerId));
  let pages = 1;
  if (first.cursor !== null) {
    await Promise.all(
      Array.from({ length: store.duePartitions }, async (_, partition) => {
        let cursor: string | null = first.cursor;
        do {
          const page = await store.duePage(after, BUCKET, cursor, WAVE_PAGE_LIMIT, partition);
          for (const r of page.refs) listed.push(customerKey(r.brand, r.customerId));
          pages++;
          cursor = page.cursor;
        } while (cursor !== null);
      }),
    );
  }
  if (new Set(listed).size !== due) {
    throw new Error(`the wave read listed ${new Set(listed).size} of ${due} due customers`);
  }
  const query = recorder.get('DynamoDB', 'Query', dueTable);
  // Every Query page is billed at least 0.5 RRU (Local reports 0 for an empty one).
  const units = Math.max(query.readUnits, query.requests * 0.5);
  return {
    pageLimit: WAVE_PAGE_LIMIT,
    pages,
    partitions: store.duePartitions,
    queryCalls: query.requests,
    queryUnits: units,
    unitsPerDueCustomer: Math.round((units / due) * 10_000) / 10_000,
    listedPerDueCustomer: Math.round((listed.length / due) * 1000) / 1000,
  };
}

function customerState(i: number): CustomerState {
  const s = emptyState('default', `c${String(i).padStart(7, '0')}`);
  return {
    ...s,
    version: 1,
    profile: { ...s.profile, registeredAt: '2025-06-01T12:00:00.000Z', timeZone: 'Europe/Moscow' },
  };
}

/** The due instant of customer i: every 100th in BUCKET, the others in another bucket of the next 30 days. */
function dueOf(i: number): number {
  if (i % 100 === 0) return BUCKET;
  return BUCKET + BUCKET_MS * (1 + (i % (30 * 96 - 1)));
}

export async function runScaleBench(
  options: { customers?: number; meanItemBytes?: number; concurrency?: number } = {},
): Promise<ScaleBench> {
  const customers = options.customers ?? 100_000;
  const width = options.concurrency ?? 16;
  const t0 = performance.now();
  const ddb = await startDynamoDbLocal({ prefix: 'lt-scale', createTables: false });
  try {
    const client = ddb.client();
    const table = ddb.names.customers;
    const dueTable = ddb.names.due;
    const inputs = createTableInputs(ddb.names).tables;
    const input = inputs.find((t) => t.TableName === table);
    const dueInput = inputs.find((t) => t.TableName === dueTable);
    if (input === undefined || dueInput === undefined)
      throw new Error('no Customers or due table definition');
    const { StreamSpecification: _stream, ...withoutStream } = input;
    await client.send(new CreateTableCommand(withoutStream));
    await client.send(new CreateTableCommand(dueInput));
    const t1 = performance.now();

    // The load: 25 items per BatchWriteItem, `width` calls in flight; each customer's entry likewise.
    let next = 0;
    let bytes = 0;
    const calls = Math.ceil(customers / 25);
    const writer = async () => {
      for (let c = next++; c < calls; c = next++) {
        const requests = [];
        const entries = [];
        for (let i = c * 25; i < Math.min(customers, c * 25 + 25); i++) {
          const state = customerState(i);
          const item = encodeCustomer(state, dueOf(i));
          if (i < 1000) bytes += itemBytes(item);
          requests.push({ PutRequest: { Item: item } });
          const pk = customerKey(state.brand, state.customerId);
          entries.push({ PutRequest: { Item: dueEntryItem(pk, dueOf(i), DUE_SHARDS) } });
        }
        await batchWrite(client, table, requests);
        await batchWrite(client, dueTable, entries);
      }
    };
    await Promise.all(Array.from({ length: width }, writer));
    const t2 = performance.now();

    // The reads, on a recorded client; each call topped up to the 0.5 RRU minimum of a read.
    const recorder = new RequestRecorder();
    const reader = recorder.attach(ddb.client());
    const billed = (operation: string, on = table) => {
      const s = recorder.get('DynamoDB', operation, on);
      return { units: s.readUnits, calls: s.requests };
    };
    const store = new DynamoDbCustomerStore({
      client: reader,
      tableName: table,
      dueTableName: dueTable,
      dueShards: DUE_SHARDS,
    });
    const dueRefs = await store.due(BUCKET - BUCKET_MS, BUCKET);
    const query = billed('Query', dueTable);
    // Every Query page is billed at least 0.5 RRU (Local reports 0 for an empty one); none is empty here.
    const dueQueryUnits = Math.max(query.units, query.calls * 0.5);
    let read = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        for (let i = read++; i < dueRefs.length; i = read++) {
          const ref = dueRefs[i];
          if (ref === undefined) continue;
          await reader.send(
            new GetItemCommand({
              TableName: table,
              Key: { [CUSTOMER_ATTRS.pk]: { S: customerKey(ref.brand, ref.customerId) } },
              ConsistentRead: true,
            }),
          );
        }
      }),
    );
    const getUnits = billed('GetItem').units;
    const wave = await readAsWave(ddb.client(), table, dueTable, dueRefs.length);
    const t3 = performance.now();

    // The sweep's read: a parallel Scan, 16 segments, pages of 1,000 items.
    const scanner = new DynamoDbCustomerScanner(reader, table);
    let scanned = 0;
    await Promise.all(
      Array.from({ length: 16 }, async (_, segment) => {
        let cursor: string | null = null;
        do {
          const page = await scanner.scan(segment, 16, cursor, 1000);
          scanned += page.customers.length;
          cursor = page.cursor;
        } while (cursor !== null);
      }),
    );
    const scan = billed('Scan');
    const scanUnits = Math.max(scan.units, scan.calls * 0.5);
    const t4 = performance.now();
    if (scanned !== customers) throw new Error(`the scan read ${scanned} of ${customers} customers`);

    const due = dueRefs.length;
    const meanItem = options.meanItemBytes ?? 1781;
    // DynamoDB's rule for a Scan: 0.5 RRU per started 4 KB of each page's items (pages of 100 here, as
    // the sweep reads them).
    const ruleUnits = (customers / 100) * Math.ceil((100 * meanItem) / 4096) * 0.5;
    const r = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
    const s = (a: number, b: number) => Math.round((b - a) / 100) / 10;
    return {
      dueQueryUnitsPerDueCustomer: r(dueQueryUnits / due, 4),
      dueFindAndReadUnitsPerDueCustomer: r((dueQueryUnits + getUnits) / due),
      scanUnitsPerDueCustomer: r(scanUnits / due, 2),
      scanUnitsPerDueCustomerAtMeanItem: r(ruleUnits / due, 2),
      meanItemBytesForRule: meanItem,
      customers,
      due,
      benchItemBytes: Math.round(bytes / Math.min(customers, 1000)),
      dueQueryUnits,
      dueQueryCalls: query.calls,
      wave,
      scanUnits,
      scanCalls: scan.calls,
      itemsWrittenPerSec: Math.round(customers / ((t2 - t1) / 1000)),
      seconds: { load: s(t0, t1), write: s(t1, t2), query: s(t2, t3), scan: s(t3, t4) },
    };
  } finally {
    await ddb.stop();
  }
}
