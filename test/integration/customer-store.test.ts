/**
 * DynamoDbCustomerStore against DynamoDB Local: the codec on engine-made states, conditional writes,
 * due moves, batch reads (getMany, over 100 keys), the due entries (filed before the item, on a bucket change only, with their TTL; stale
 * ones lead to no write), and the sharded due index — checked against the in-memory store's answers
 * over the same writes, across shards, buckets, pages and a dispatcher outage; and the range read in
 * pages from a cursor (duePage): every customer once, a page under twice its limit, resumed mid-shard,
 * per partition, and into a later upto.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../functions/adapters/aws/recorder.ts';
import { batchWrite } from '../../functions/adapters/dynamodb/batch.ts';
import {
  decodeImage,
  decodeStreamRecord,
  encodeCustomer,
  itemBytes,
} from '../../functions/adapters/dynamodb/customer-codec.ts';
import { DynamoDbCustomerStore } from '../../functions/adapters/dynamodb/customer-store.ts';
import { dynamoDbDataLayer } from '../../functions/adapters/dynamodb/data-layer.ts';
import { DueRangeError, dueEntryItem } from '../../functions/adapters/dynamodb/due-entries.ts';
import {
  BUCKET_MS,
  bucketOf,
  DUE_SHARDS,
  dueKeyFor,
  shardOf,
} from '../../functions/adapters/dynamodb/due-keys.ts';
import { DynamoDbWatermarkStore } from '../../functions/adapters/dynamodb/watermark-store.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { customerKey, emptyState } from '../../functions/domain/customer-state.ts';
import { nextDue } from '../../functions/domain/engine.ts';
import type { CustomerRef, DueIndex } from '../../functions/ports/customer-store.ts';
import { customerRefOf, DueCursorError } from '../../functions/ports/customer-store.ts';
import { evaluateCustomer, ingestEvent } from '../../functions/use-cases/customer-use-cases.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import {
  activeCustomerId,
  at,
  BIRTHDAY,
  ctx,
  drainStream,
  REGISTERED_AT,
  registration,
  simulatedStates,
} from './fixtures.ts';

let local: DynamoDbLocal;

beforeAll(async () => {
  local = await startDynamoDbLocal();
});

afterAll(async () => {
  await local?.stop();
});

/** A store on its own client (and its own brand, so tests do not see each other's customers). */
function store(options: { queryPageSize?: number; maxBucketsPerCall?: number; dueShards?: number } = {}) {
  const recorder = new RequestRecorder();
  const client = recorder.attach(local.client());
  return {
    recorder,
    client,
    store: new DynamoDbCustomerStore({
      client,
      tableName: local.names.customers,
      dueTableName: local.names.due,
      ...options,
    }),
  };
}

/** The requests a client sends, in order: `<Operation> <table id>`. */
function commandLog(client: DynamoDBClient): string[] {
  const ids = new Map(Object.entries(local.names).map(([id, name]) => [name, id]));
  const log: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
      const table = input.TableName ?? Object.keys(input.RequestItems ?? {}).join(',');
      log.push(`${String(context.commandName).replace(/Command$/, '')} ${ids.get(table) ?? table}`);
      return next(args);
    },
    { step: 'initialize', name: 'commandLog' },
  );
  return log;
}

const stateOf = (brand: string, customerId: string, version: number): CustomerState => ({
  ...emptyState(brand, customerId),
  version,
});
const DAY_MS = 86_400_000;
const sortRefs = (refs: CustomerRef[]) => refs.map((r) => `${r.brand}#${r.customerId}`).toSorted();

describe('customer codec on states the engine made', () => {
  it('round-trips every state of a simulated shop through PutItem, GetItem and the stream', async () => {
    // Prepare
    const states = (await simulatedStates()).map((s) => ({ ...s, brand: 'codec' }));
    const { store: s } = store();
    const end = at('2026-05-31T00:00:00Z');
    // Act
    for (const state of states) expect(await s.put(state, 0, nextDue(state, ctx, end), null)).toBe(true);
    // Assess: GetItem gives the state back, with its due instant
    for (const state of states) {
      expect(await s.get(state.brand, state.customerId)).toEqual({ state, dueMs: nextDue(state, ctx, end) });
    }
    // … and so does every INSERT record of the stream, with its due instant
    const records = await drainStream(
      local.streams(),
      await local.customersStreamArn(),
      (r) => r.filter((x) => x.dynamodb?.Keys?.pk?.S?.startsWith('codec#')).length >= states.length,
    );
    const byPk = new Map(states.map((st) => [customerKey(st.brand, st.customerId), st]));
    for (const record of records.filter((x) => x.dynamodb?.Keys?.pk?.S?.startsWith('codec#'))) {
      const change = decodeStreamRecord(record);
      const expected = byPk.get(change.pk);
      expect(change.eventName).toBe('INSERT');
      expect(change.oldImage).toBeNull();
      expect(change.newImage?.state).toEqual(expected);
      expect(change.newImage?.dueMs).toBe(expected ? nextDue(expected, ctx, end) : undefined);
    }
  });

  it('reads all three image shapes: SDK raw, Lambda event (base64) and unmarshalled', async () => {
    const [state] = await simulatedStates();
    if (state === undefined) throw new Error('no simulated state');
    const item = encodeCustomer(state, at('2026-06-01T10:07:00Z'));
    const lambdaImage = Object.fromEntries(
      Object.entries(item).map(([k, v]) => [k, v.B ? { B: Buffer.from(v.B).toString('base64') } : v]),
    );
    for (const image of [item, lambdaImage, unmarshall(item)]) {
      expect(decodeImage(image)).toEqual({ state, dueMs: at('2026-06-01T10:07:00Z') });
    }
    expect(decodeImage(undefined)).toBeNull();
    expect(decodeImage({})).toBeNull();
  });

  it('stores a realistic state in a fraction of its JSON size', async () => {
    const states = await simulatedStates();
    const json = states.reduce((sum, s) => sum + Buffer.byteLength(JSON.stringify(s)), 0);
    const stored = states.reduce((sum, s) => sum + itemBytes(encodeCustomer(s, 0)), 0);
    // Measured ≈ 4–5× on the synthetic shop (docs/data-model.md); assert a conservative bound.
    expect(json / stored).toBeGreaterThan(3);
  });

  it('skips due moves in the stream without inflating the state', () => {
    const state = stateOf('default', 'c-1', 3);
    const before = encodeCustomer(state, at('2026-03-17T00:00:00Z'));
    const after = encodeCustomer(state, at('2026-03-18T00:00:00Z'));
    const change = decodeStreamRecord({
      eventName: 'MODIFY',
      dynamodb: { Keys: { pk: { S: 'default#c-1' } }, OldImage: before, NewImage: after },
    });
    expect(change).toMatchObject({ indexMoveOnly: true, oldImage: null, newImage: null, pk: 'default#c-1' });
  });
});

describe('DynamoDbCustomerStore writes', () => {
  it('writes only on the version read, and only a newer version', async () => {
    const { store: s, recorder } = store();
    expect(await s.get('cond', 'c-1')).toBeNull();
    expect(await s.put(stateOf('cond', 'c-1', 1), 0, null, null)).toBe(true);
    // A writer that read nothing lost the race; a stale version loses; the version must move forward.
    expect(await s.put(stateOf('cond', 'c-1', 1), 0, null, null)).toBe(false);
    expect(await s.put(stateOf('cond', 'c-1', 3), 2, null, null)).toBe(false);
    expect(await s.put(stateOf('cond', 'c-1', 1), 1, null, null)).toBe(false);
    expect(await s.put(stateOf('cond', 'c-1', 2), 1, null, null)).toBe(true);
    expect((await s.get('cond', 'c-1'))?.state.version).toBe(2);
    // The no-progress write never left the process; the two conflicts were refused by DynamoDB.
    expect(recorder.get('DynamoDB', 'PutItem', local.names.customers)).toMatchObject({
      requests: 4,
      errors: { ConditionalCheckFailedException: 2 },
    });
  });

  it('moves the due instant on the current version only, and never creates an item', async () => {
    const { store: s, client } = store();
    const t = at('2026-03-17T10:00:00Z');
    const dueOf = async () => (await s.get('move', 'c-1'))?.dueMs;
    await s.put(stateOf('move', 'c-1', 1), 0, t, null);
    // Another version: refused. The entry it filed first stays behind, stale (it expires by TTL).
    expect(await s.setDue('move', 'c-1', 2, t + BUCKET_MS, t)).toBe(false);
    expect(await dueOf()).toBe(t);
    expect(sortRefs(await s.due(t - 1, t + BUCKET_MS))).toEqual(['move#c-1']);
    expect(await s.setDue('move', 'c-1', 1, t + 2 * BUCKET_MS, t)).toBe(true);
    expect(await dueOf()).toBe(t + 2 * BUCKET_MS);
    expect(sortRefs(await s.due(t + BUCKET_MS, t + 2 * BUCKET_MS))).toEqual(['move#c-1']);
    expect(await s.setDue('move', 'c-1', 1, null, t + 2 * BUCKET_MS)).toBe(true);
    expect(await dueOf()).toBeNull();
    // A customer that does not exist: version 0 is right (nothing to file), any other is stale.
    expect(await s.setDue('move', 'ghost', 0, t, null)).toBe(true);
    expect(await s.setDue('move', 'ghost', 4, t, null)).toBe(false);
    const ghost = await client.send(
      new GetItemCommand({ TableName: local.names.customers, Key: { pk: { S: 'move#ghost' } } }),
    );
    expect(ghost.Item).toBeUndefined();
    // Version 0 against an existing item: the caller's read is stale.
    expect(await s.setDue('move', 'c-1', 0, t, null)).toBe(false);
    // The state itself was never touched by the due moves.
    expect((await s.get('move', 'c-1'))?.state).toEqual(stateOf('move', 'c-1', 1));
  });
});

describe('DynamoDbCustomerStore.getMany', () => {
  it('reads 150 customers in two BatchGetItem calls: the stored state and due, null for the missing', async () => {
    // Prepare: 150 customers (60 of them realistic states), one in five with a due instant, written
    // as the store encodes them, 25 a call
    const simulated = (await simulatedStates()).map((st) => ({ ...st, brand: 'many' }));
    const states = Array.from(
      { length: 150 },
      (_, i) => simulated[i] ?? stateOf('many', `c-${i}`, 1 + (i % 3)),
    );
    const dueOf = (i: number) => (i % 5 === 0 ? at('2026-06-01T10:00:00Z') + i * 60_000 : null);
    const client = local.client();
    await batchWrite(
      client,
      local.names.customers,
      states.map((st, i) => ({ PutRequest: { Item: encodeCustomer(st, dueOf(i)) } })),
    );
    const recorder = new RequestRecorder();
    const s = dynamoDbDataLayer({ client: recorder.attach(client), names: local.names }).customers;
    const missing = ['ghost-1', 'ghost-2', 'ghost-3'].map((customerId) => ({ brand: 'many', customerId }));
    const refs = [...states.map((st) => ({ brand: st.brand, customerId: st.customerId })), ...missing];
    // Act: every customer, the missing ones, and a customer listed twice
    const read = await s.getMany([...refs, ...refs.slice(0, 1)]);
    // Assess
    expect(read.size).toBe(153);
    for (const [i, st] of states.entries()) {
      expect(read.get(customerKey(st.brand, st.customerId))).toEqual({ state: st, dueMs: dueOf(i) });
    }
    for (const ref of missing) expect(read.get(customerKey(ref.brand, ref.customerId))).toBeNull();
    expect(recorder.get('DynamoDB', 'BatchGetItem', local.names.customers)).toMatchObject({
      requests: 2,
      entries: 153,
    });
    expect(recorder.snapshot().operations.map((o) => o.operation)).toEqual(['BatchGetItem']);
    // The same as GetItem reads it.
    const [first] = states;
    if (first === undefined) throw new Error('no state');
    expect(read.get(customerKey(first.brand, first.customerId))).toEqual(
      await s.get(first.brand, first.customerId),
    );
  });
});

describe('the due entries', () => {
  const T = at('2026-05-10T10:00:00Z');

  it('files an entry before the item, and only when the due bucket changes', async () => {
    // Prepare
    const { store: s, client, recorder } = store();
    const log = commandLog(client);
    const step = async (act: () => Promise<boolean>) => {
      log.length = 0;
      expect(await act()).toBe(true);
      return [...log];
    };
    // Act / Assess: a new customer — its entry, then the item
    expect(await step(() => s.put(stateOf('file', 'c-1', 1), 0, T, null))).toEqual([
      'BatchWriteItem due',
      'PutItem customers',
    ]);
    // Another instant in the same bucket: the item alone
    expect(await step(() => s.put(stateOf('file', 'c-1', 2), 1, T - 60_000, T))).toEqual([
      'PutItem customers',
    ]);
    // Another bucket: the new entry first
    expect(await step(() => s.put(stateOf('file', 'c-1', 3), 2, T + DAY_MS, T - 60_000))).toEqual([
      'BatchWriteItem due',
      'PutItem customers',
    ]);
    // A due move within the bucket writes nothing at all; to another bucket, the entry then the item
    expect(await step(() => s.setDue('file', 'c-1', 3, T + DAY_MS - 1, T + DAY_MS))).toEqual([]);
    expect(await step(() => s.setDue('file', 'c-1', 3, T + 2 * DAY_MS, T + DAY_MS))).toEqual([
      'BatchWriteItem due',
      'UpdateItem customers',
    ]);
    // Nothing scheduled any more: the item loses its due; no entry to file
    expect(await step(() => s.setDue('file', 'c-1', 3, null, T + 2 * DAY_MS))).toEqual([
      'UpdateItem customers',
    ]);
    // An entry is a small item: one write unit.
    expect(recorder.get('DynamoDB', 'BatchWriteItem', local.names.due)).toMatchObject({
      requests: 3,
      writeUnits: 3,
    });
  });

  it('files the entries of customers written side by side in one BatchWriteItem, each before its item', async () => {
    // Prepare
    const { store: s, client, recorder } = store();
    const log = commandLog(client);
    // Act: ten new customers written at once, as a batch consumer's records are
    const ids = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    const written = await Promise.all(
      ids.map((id, i) => s.put(stateOf('side', id, 1), 0, T + i * 15 * 60_000, null)),
    );
    // Assess: one request filed all ten entries, before any item was written
    expect(written).toEqual(ids.map(() => true));
    expect(log).toEqual(['BatchWriteItem due', ...ids.map(() => 'PutItem customers')]);
    expect(recorder.get('DynamoDB', 'BatchWriteItem', local.names.due)).toMatchObject({
      requests: 1,
      entries: 10,
      writeUnits: 10,
    });
    const found = await s.due(T - 15 * 60_000, T + 10 * 15 * 60_000);
    expect(sortRefs(found.filter((r) => r.brand === 'side'))).toEqual(
      ids.map((id) => `side#${id}`).toSorted(),
    );
  });

  it('keys an entry by bucket and shard, then customer, and expires it 14 days after its bucket', async () => {
    const { store: s, client } = store();
    const due = T + 7 * 60_000;
    await s.put(stateOf('ttl', 'c-1', 1), 0, due, null);
    const key = { dueKey: { S: dueKeyFor('ttl#c-1', due) }, pk: { S: 'ttl#c-1' } };
    const got = await client.send(new GetItemCommand({ TableName: local.names.due, Key: key }));
    expect(got.Item).toEqual(dueEntryItem('ttl#c-1', due));
    expect(got.Item).toEqual({ ...key, ttl: { N: String(bucketOf(due) / 1000 + 14 * 86_400) } });
    // The item keeps its due instant and no index attribute.
    const item = await client.send(
      new GetItemCommand({ TableName: local.names.customers, Key: { pk: { S: 'ttl#c-1' } } }),
    );
    expect(Object.keys(item.Item ?? {}).toSorted()).toEqual(['due', 'pk', 'v', 'y']);
  });

  it('leads a stale entry to one read and no write: the evaluation finds nothing due', async () => {
    // Prepare: a registered customer (filed under the birthday), and an entry it no longer has — as a
    // write that lost its condition, or a due that moved on, leaves behind.
    const id = activeCustomerId('stale');
    const { store: s, recorder } = store();
    await ingestEvent({ store: s }, ctx, registration(id), REGISTERED_AT);
    const staleBucket = bucketOf(at('2026-03-05T00:00:00Z'));
    await s.entries.put(`default#${id}`, staleBucket);
    const before = await s.get('default', id);
    // Act: the dispatcher reads the stale bucket and evaluates whom it lists
    const refs = await s.due(staleBucket - 1, staleBucket);
    expect(refs).toContainEqual({ brand: 'default', customerId: id });
    recorder.reset();
    const outcome = await evaluateCustomer({ store: s }, ctx, 'default', id, staleBucket + 60_000);
    // Assess
    expect(outcome.decisions).toEqual([]);
    expect(recorder.snapshot().operations.map((o) => `${o.operation} ${o.requests}`)).toEqual(['GetItem 1']);
    expect(await s.get('default', id)).toEqual(before);
    expect(before?.dueMs).toBe(BIRTHDAY);
  });
});

describe('the due index', () => {
  // The index spans every brand of the table: each test works in its own day.
  const DAY = 86_400_000;
  const T0 = at('2026-04-01T06:00:00Z');

  /** 200 customers of one brand, due at uneven instants over 12 buckets from T, also written to memory. */
  async function populate(brand: string, T: number, dueShards?: number) {
    const { store: s, recorder } = store(dueShards === undefined ? {} : { dueShards });
    const memory = new MemoryCustomerStore();
    const writes = Array.from({ length: 200 }, (_, i) => ({
      state: stateOf(brand, `c-${i}`, 1),
      due: i % 10 === 9 ? null : T + ((i * 7919) % (12 * BUCKET_MS)),
    }));
    for (const { state, due } of writes) await memory.put(state, 0, due, null);
    await Promise.all(writes.map(({ state, due }) => s.put(state, 0, due, null)));
    return { s, memory, recorder, writes };
  }

  /**
   * Every page of (after, upto] (of one partition of it, with `partition`) at `limit`, from `cursor`
   * until it comes back null: customer keys.
   */
  async function allPages(
    index: DueIndex,
    after: number,
    upto: number,
    limit: number,
    cursor: string | null = null,
    partition?: number,
  ): Promise<string[][]> {
    const pages: string[][] = [];
    let from = cursor;
    do {
      const page = await index.duePage(after, upto, from, limit, partition);
      pages.push(page.refs.map((r) => customerKey(r.brand, r.customerId)));
      from = page.cursor;
      if (pages.length > 1_000) throw new Error('the cursor never came back null');
    } while (from !== null);
    return pages;
  }

  it('answers every range like the in-memory index, over all 16 shards', async () => {
    const T = T0;
    const { s, memory } = await populate('shards', T);
    const shards = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`shards#c-${i}`)));
    expect(shards.size).toBe(DUE_SHARDS);
    const ranges: [number, number][] = [
      [T - BUCKET_MS, T],
      [T, T + BUCKET_MS],
      [T + 3 * BUCKET_MS - 1, T + 5 * BUCKET_MS + 1],
      [T - 1, T + 12 * BUCKET_MS],
      [T + 12 * BUCKET_MS, T + 20 * BUCKET_MS],
    ];
    for (const [after, upto] of ranges) {
      const expected = sortRefs(await memory.due(after, upto));
      expect(sortRefs(await s.due(after, upto))).toEqual(expected);
    }
    // The customers without a due instant have no entry at all: the index holds what is scheduled.
    expect((await s.due(T - 1, T + 12 * BUCKET_MS)).length).toBe(180);
  });

  it('with one shard (the embedded runtime), reads a bucket in one query and answers the same', async () => {
    const T = T0 + 5 * DAY;
    const { s, memory, recorder } = await populate('one-shard', T, 1);
    recorder.reset();
    const expected = sortRefs(await memory.due(T - 1, T + 12 * BUCKET_MS));
    expect(sortRefs(await s.due(T - 1, T + 12 * BUCKET_MS))).toEqual(expected);
    expect(expected.length).toBe(180);
    // (T - 1, T + 12 buckets] holds 13 bucket boundaries: one query each, not 13 × 16.
    expect(recorder.get('DynamoDB', 'Query', local.names.due).requests).toBe(13);
    expect(() => store({ dueShards: 0 })).toThrow(/shard count must be an integer from 1 to 100/);
  });

  it('reads every page of a crowded shard', async () => {
    // Prepare: 7 customers in one shard and bucket, read 2 per page
    const T = T0 + DAY;
    const { store: s, recorder } = store({ queryPageSize: 2 });
    const ids: string[] = [];
    for (let i = 0; ids.length < 7; i++) if (shardOf(`page#c-${i}`) === 3) ids.push(`c-${i}`);
    for (const id of ids) await s.put(stateOf('page', id, 1), 0, T, null);
    recorder.reset();
    // Act
    const refs = await s.due(T - 1, T);
    // Assess: 15 empty shards in one query each, the crowded one in 4 pages
    expect(sortRefs(refs)).toEqual(ids.map((id) => `page#${id}`).toSorted());
    expect(recorder.get('DynamoDB', 'Query', local.names.due).requests).toBe(15 + 4);
  });

  it('recovers a missed range after a dispatcher outage, from the stored watermark', async () => {
    // Prepare: the dispatcher last ran at T; it is down for three hours
    const T = T0 + 2 * DAY;
    const { s, memory } = await populate('outage', T);
    const watermark = new DynamoDbWatermarkStore(local.client(), local.names.dispatch);
    const NAME = 'outage-test';
    expect(await watermark.read(NAME)).toBeNull();
    expect(await watermark.advance(NAME, null, T)).toBe(true);
    const now = T + 3 * BUCKET_MS * 4 + 42_000;
    // Act: the first run after the outage reads from the watermark in slices of 5 buckets
    const seen: string[] = [];
    const slices: boolean[] = [];
    for (;;) {
      const from = (await watermark.read(NAME)) ?? now;
      const slice = await s.dueSlice(from, now, 5);
      seen.push(...sortRefs(slice.refs));
      expect(await watermark.advance(NAME, from, slice.throughMs)).toBe(true);
      slices.push(slice.complete);
      if (slice.complete) break;
    }
    // Assess: every bucket of the outage read once, none twice, in 3 slices (5 + 5 + 2 buckets)
    expect(seen.toSorted()).toEqual(sortRefs(await memory.due(T, now)));
    expect(new Set(seen).size).toBe(seen.length);
    expect(slices).toEqual([false, false, true]);
    expect(await watermark.read(NAME)).toBe(now);
    // A slow run that read the watermark before the outage cannot move it any more.
    expect(await watermark.advance(NAME, T, T + BUCKET_MS)).toBe(false);
    expect(await watermark.read(NAME)).toBe(now);
  });

  it('refuses a range over its cap or open-ended, instead of answering part of it', async () => {
    const T = T0 + 3 * DAY;
    const { store: s } = store({ maxBucketsPerCall: 4 });
    await expect(s.due(T, T + 5 * BUCKET_MS)).rejects.toBeInstanceOf(DueRangeError);
    await expect(s.due(Number.NEGATIVE_INFINITY, T)).rejects.toBeInstanceOf(DueRangeError);
    await expect(s.due(T, T + 4 * BUCKET_MS)).resolves.toEqual([]);
    expect(await s.dueSlice(T, T + 10)).toEqual({ refs: [], throughMs: T + 10, complete: true });
  });

  it('reads a range page by page, at any limit, to the customers due() lists', async () => {
    // Prepare: 180 customers with an entry, 20 of them moved on to a later bucket of the range (the first
    // entry stays behind, stale: two entries in the range)
    const T = T0 + 6 * DAY;
    const { s, memory, writes } = await populate('paged', T);
    const moved = writes.filter((_, i) => i % 10 === 0);
    for (const { state, due } of moved) {
      expect(await s.setDue(state.brand, state.customerId, 1, T + 10 * BUCKET_MS, due)).toBe(true);
      expect(await memory.setDue(state.brand, state.customerId, 1, T + 10 * BUCKET_MS, due)).toBe(true);
    }
    const twoEntries = new Set(moved.map(({ state }) => customerKey(state.brand, state.customerId)));
    const [after, upto] = [T - 1, T + 12 * BUCKET_MS];
    const expected = sortRefs(await s.due(after, upto));
    expect(expected).toEqual(sortRefs(await memory.due(after, upto)));
    expect(expected).toHaveLength(180);
    for (const limit of [1, 7, 50, 1_000]) {
      // Act
      const pages = await allPages(s, after, upto, limit);
      // Assess: the pages together list every customer of the range, and no one else
      const listed = pages.flat();
      expect([...new Set(listed)].toSorted(), `limit ${limit}`).toEqual(expected);
      // … in pages of at most twice the limit, each customer once a page
      for (const page of pages) {
        expect(page.length, `limit ${limit}`).toBeLessThanOrEqual(2 * limit);
        expect(new Set(page).size).toBe(page.length);
      }
      expect(pages.length, `limit ${limit}`).toBeGreaterThanOrEqual(Math.ceil(180 / (2 * limit)));
      // … and only a customer with two entries in the range may come in two pages.
      const again = listed.filter((key, i) => listed.indexOf(key) !== i);
      expect(
        again.filter((key) => !twoEntries.has(key)),
        `limit ${limit}`,
      ).toEqual([]);
      expect(listed.length - again.length).toBe(180);
    }
  });

  it('resumes a crowded shard mid-shard from the cursor, on another store, losing and repeating no one', async () => {
    // Prepare: 40 customers in one shard and bucket, 3 in other shards of it
    const T = T0 + 7 * DAY;
    const crowd: string[] = [];
    const others: string[] = [];
    for (let i = 0; crowd.length < 40 || others.length < 3; i++) {
      const key = `crowd#c-${i}`;
      const shardFull = shardOf(key) === 5 ? crowd.length >= 40 : others.length >= 3;
      if (!shardFull) (shardOf(key) === 5 ? crowd : others).push(key);
    }
    const { store: writer } = store();
    for (const key of [...crowd, ...others]) {
      const { brand, customerId } = customerRefOf(key);
      expect(await writer.put(stateOf(brand, customerId, 1), 0, T - 60_000, null)).toBe(true);
    }
    const cases: [string, { queryPageSize?: number }, number][] = [
      ['queries of 2', { queryPageSize: 2 }, 7],
      ['default queries', {}, 10],
      ['one at a time', {}, 1],
    ];
    for (const [name, options, limit] of cases) {
      // Act: every page read by a new store (a dispatcher run that stopped), from the stored cursor
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const { store: reader } = store(options);
        const page = await reader.duePage(T - 1, T, cursor, limit);
        pages.push(page.refs.map((r) => customerKey(r.brand, r.customerId)));
        cursor = page.cursor;
      } while (cursor !== null && pages.length <= 100);
      // Assess: every customer once, in pages of at most twice the limit
      expect(cursor, name).toBeNull();
      expect(pages.flat().toSorted(), name).toEqual([...crowd, ...others].toSorted());
      for (const page of pages) expect(page.length, name).toBeLessThanOrEqual(2 * limit);
      // The crowded shard spans pages: its query was resumed from the cursor, mid-shard.
      expect(pages.filter((page) => page.some((key) => crowd.includes(key))).length, name).toBeGreaterThan(1);
    }
  });

  it('keeps the keys a cursor left unfinished when the next page, at a lower limit, does not get to them', async () => {
    // Prepare: 10 customers in each of the 16 shards of one bucket
    const T = T0 + 11 * DAY;
    const { store: s } = store();
    const perShard = new Map<number, string[]>();
    for (
      let i = 0;
      perShard.size < DUE_SHARDS || [...perShard.values()].some((ids) => ids.length < 10);
      i++
    ) {
      const key = `unfinished#c-${i}`;
      const ids = perShard.get(shardOf(key)) ?? [];
      if (ids.length < 10) perShard.set(shardOf(key), [...ids, key]);
    }
    const all = [...perShard.values()].flat();
    for (const key of all) {
      const { brand, customerId } = customerRefOf(key);
      expect(await s.put(stateOf(brand, customerId, 1), 0, T, null)).toBe(true);
    }
    // Act: a page of 32 leaves every shard part-read; the rest is read a customer at a time
    const first = await s.duePage(T - 1, T, null, 32);
    const rest = await allPages(s, T - 1, T, 1, first.cursor);
    // Assess: no customer lost, none repeated
    expect(first.cursor).not.toBeNull();
    const listed = [...sortRefs(first.refs), ...rest.flat()];
    expect(listed.toSorted()).toEqual(all.toSorted());
    for (const page of rest) expect(page.length).toBeLessThanOrEqual(2);
  });

  it('splits the rest of a range begun as a whole into one reader per partition, none listed twice', async () => {
    // Prepare: 180 customers over the first 3 buckets of an hour, the first page read as a whole
    const T = T0 + 12 * DAY;
    const { s, memory } = await populate('split', T);
    const [after, upto] = [T - 1, T + 3 * BUCKET_MS];
    const first = await s.duePage(after, upto, null, 20);
    expect(first.cursor).not.toBeNull();
    expect(s.duePartitions).toBe(DUE_SHARDS);
    // Act: each partition goes on from the whole range's cursor, in pages of 5
    const byPartition = await Promise.all(
      Array.from({ length: DUE_SHARDS }, (_, p) => allPages(s, after, upto, 5, first.cursor, p)),
    );
    // Assess: each partition lists its own shard's customers, in pages of at most 10…
    for (const [p, pages] of byPartition.entries()) {
      for (const page of pages) {
        expect(page.length).toBeLessThanOrEqual(10);
        for (const key of page) expect(shardOf(key), key).toBe(p);
      }
    }
    // … and with the first page, every customer of the range once.
    const listed = [...sortRefs(first.refs), ...byPartition.flat(2)];
    expect(listed.toSorted()).toEqual(sortRefs(await memory.due(after, upto)));
    expect(listed).toHaveLength(180);
    // A partition the index does not have is refused.
    for (const partition of [-1, DUE_SHARDS, 1.5]) {
      await expect(s.duePage(after, upto, null, 5, partition)).rejects.toThrow(RangeError);
    }
  });

  it('goes on from a cursor into the buckets a later upto adds', async () => {
    // Prepare: 180 customers over the first 3 buckets from T, and 5 more 5 buckets later
    const T = T0 + 8 * DAY;
    const { s, memory } = await populate('grow', T);
    const late = Array.from({ length: 5 }, (_, i) => stateOf('grow', `late-${i}`, 1));
    for (const state of late) {
      expect(await s.put(state, 0, T + 5 * BUCKET_MS, null)).toBe(true);
      expect(await memory.put(state, 0, T + 5 * BUCKET_MS, null)).toBe(true);
    }
    // Act: a run reads one page of (T - 1, T + 1 bucket] and stops; a later run goes on from its
    // cursor up to T + 6 buckets
    const first = await s.duePage(T - 1, T + BUCKET_MS, null, 20);
    const rest = await allPages(s, T - 1, T + 6 * BUCKET_MS, 20, first.cursor);
    // Assess: the first page was part of the range only
    expect(first.cursor).not.toBeNull();
    expect(first.refs.length).toBeLessThanOrEqual(40);
    // Together the two runs list every customer of the longer range once, the added bucket's included
    const listed = [...sortRefs(first.refs), ...rest.flat()];
    expect(listed.toSorted()).toEqual(sortRefs(await memory.due(T - 1, T + 6 * BUCKET_MS)));
    expect(listed).toHaveLength(185);
    expect(rest.flat()).toEqual(
      expect.arrayContaining(late.map((st) => customerKey(st.brand, st.customerId))),
    );
  });

  it('reads a small range in one page with a null cursor, in the queries due() sends', async () => {
    // Prepare
    const T = T0 + 9 * DAY;
    const { s, recorder } = await populate('one-page', T);
    const [after, upto] = [T - 1, T + 2 * BUCKET_MS];
    recorder.reset();
    const listed = await s.due(after, upto);
    const dueQueries = recorder.get('DynamoDB', 'Query', local.names.due).requests;
    recorder.reset();
    // Act
    const page = await s.duePage(after, upto, null, 1_000);
    // Assess: the same customers, all at once; 3 buckets × 16 shards, one query each, as due() sent
    expect(page.cursor).toBeNull();
    expect(sortRefs(page.refs)).toEqual(sortRefs(listed));
    expect(listed).toHaveLength(180);
    expect(recorder.get('DynamoDB', 'Query', local.names.due).requests).toBe(dueQueries);
    expect(dueQueries).toBe(3 * DUE_SHARDS);
  });

  it('refuses a cursor it did not write, a limit under 1 and a range over its cap, before any query', async () => {
    // Prepare
    const T = T0 + 10 * DAY;
    const { store: s, recorder } = store({ maxBucketsPerCall: 4 });
    // Act / Assess
    for (const cursor of ['nope', '{}', 'null', '[1,"x"]', '{"k":"x","o":{"a":1}}']) {
      await expect(s.duePage(T, T + BUCKET_MS, cursor, 10), cursor).rejects.toBeInstanceOf(DueCursorError);
    }
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await expect(s.duePage(T, T + BUCKET_MS, null, limit)).rejects.toThrow(RangeError);
      await expect(s.duePage(T, T + BUCKET_MS, null, limit)).rejects.toThrow(/limit of 1 or more/);
    }
    await expect(s.duePage(T, T + 5 * BUCKET_MS, null, 10)).rejects.toBeInstanceOf(DueRangeError);
    await expect(s.duePage(Number.NEGATIVE_INFINITY, T, null, 10)).rejects.toBeInstanceOf(DueRangeError);
    expect(recorder.get('DynamoDB', 'Query', local.names.due).requests).toBe(0);
    // Within the cap, an empty range is read through at once.
    await expect(s.duePage(T, T + 4 * BUCKET_MS, null, 10)).resolves.toEqual({ refs: [], cursor: null });
    await expect(s.duePage(T, T, null, 10)).resolves.toEqual({ refs: [], cursor: null });
  });
});
