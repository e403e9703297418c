/**
 * The rest of the data layer the handlers compose (functions/handlers/wiring.ts): held messages in
 * send-time order across shards, the parallel Scan of customers with resumable cursors, the sweep
 * repairing a missing due entry, the stream image port, and the composition from table names in the
 * environment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../functions/adapters/aws/recorder.ts';
import { decodeCustomerImage, encodeCustomer } from '../../functions/adapters/dynamodb/customer-codec.ts';
import {
  DynamoDbCustomerScanner,
  decodeCursor,
  ScanCursorError,
} from '../../functions/adapters/dynamodb/customer-scanner.ts';
import {
  dynamoDbDataLayer,
  MissingTableNameError,
  tableNamesFromEnv,
} from '../../functions/adapters/dynamodb/data-layer.ts';
import { bucketOf, shardOf } from '../../functions/adapters/dynamodb/due-keys.ts';
import { DynamoDbHeldMessages } from '../../functions/adapters/dynamodb/held-messages-store.ts';
import { TABLE_ENV } from '../../functions/adapters/dynamodb/tables.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import type { Message } from '../../functions/domain/message.ts';
import type { DataLayer } from '../../functions/handlers/wiring.ts';
import { ingestEvent, sweepCustomer } from '../../functions/use-cases/customer-use-cases.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { MemoryCustomerStore } from '../../local/memory-stores.ts';
import { activeCustomerId, at, BIRTHDAY, ctx, iso, REGISTERED_AT, registration } from './fixtures.ts';

let local: DynamoDbLocal;

beforeAll(async () => {
  local = await startDynamoDbLocal();
});

afterAll(async () => {
  await local?.stop();
});

function message(id: string, sendAtMs: number): Message {
  return {
    messageId: `default#c-${id}#birthday-bonus#2026#push`,
    occurrenceKey: `default#c-${id}#birthday-bonus#2026`,
    campaignId: 'birthday-bonus',
    trigger: 'birthday',
    customerId: `c-${id}`,
    brand: 'default',
    channel: 'push',
    to: 'push-token',
    locale: 'ru-RU',
    template: 'birthday-bonus/ru',
    variables: { firstName: 'Анна', points: 500 },
    content: { subject: 'С днём рождения!', body: 'С днём рождения, Анна! +500 баллов.' },
    bonus: { points: 500, expiresAt: '2026-04-16T00:00:00.000Z' },
    sendAt: iso(sendAtMs),
    createdAt: '2026-03-17T00:00:00.000Z',
  };
}

describe('DynamoDbHeldMessages', () => {
  const T = at('2026-03-17T06:00:00Z');

  it('hands out the earliest due messages across every shard, a page at a time', async () => {
    // Prepare: 60 messages over 10 hours, in every shard, held twice (a redelivered stream record)
    const recorder = new RequestRecorder();
    const held = new DynamoDbHeldMessages(recorder.attach(local.client()), local.names.held);
    const messages = Array.from({ length: 60 }, (_, i) => message(`h${i}`, T + ((i * 37) % 60) * 600_000));
    expect(new Set(messages.map((m) => shardOf(m.messageId))).size).toBe(16);
    await held.hold(messages);
    await held.hold(messages.slice(0, 10));
    const upto = T + 5 * 3_600_000;
    const expected = messages
      .filter((m) => Date.parse(m.sendAt) <= upto)
      .sort((a, b) => a.sendAt.localeCompare(b.sendAt) || a.messageId.localeCompare(b.messageId));
    // Act: the dispatcher's loop — a page, queue it, release it
    recorder.reset();
    const pages: Message[][] = [];
    for (let page = await held.due(upto, 8); page.length > 0; page = await held.due(upto, 8)) {
      pages.push(page);
      await held.release(page);
    }
    // Assess: every due message once, in send-time order, and nothing later
    expect(pages.flat()).toEqual(expected);
    expect(pages.slice(0, -1).every((p) => p.length === 8)).toBe(true);
    // Lazy merge: the items read stay close to the messages returned (not 16 × the page size each time).
    expect(recorder.get('DynamoDB', 'Query', local.names.held).requests).toBeLessThan(
      16 * (pages.length + 2) * 2,
    );
    const rest = await held.due(Number.MAX_SAFE_INTEGER, 100);
    expect(rest.map((m) => m.messageId).toSorted()).toEqual(
      messages
        .filter((m) => Date.parse(m.sendAt) > upto)
        .map((m) => m.messageId)
        .toSorted(),
    );
    await held.release([...rest, message('never-held', T)]);
    expect(await held.due(Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
  });

  it('hands out a message sent at the bound and not one a millisecond later; equal times by id', async () => {
    // Prepare: three messages at T (their ids in no particular order), one at T + 1 ms
    const held = new DynamoDbHeldMessages(local.client(), local.names.held);
    const atT = ['tie-c', 'tie-a', 'tie-b'].map((id) => message(id, T));
    const later = message('tie-later', T + 1);
    await held.hold([...atT, later]);

    // Act
    const due = await held.due(T, 10);

    // Assess
    expect(due.map((m) => m.customerId)).toEqual(['c-tie-a', 'c-tie-b', 'c-tie-c']);
    await held.release(due);
    expect(await held.due(T + 1, 10)).toEqual([later]);
    await held.release([later]);
  });

  it('keeps a message whole, non-Latin text included, and holds it again after release', async () => {
    const held = new DynamoDbHeldMessages(local.client(), local.names.held);
    const m = message('whole', T);
    await held.hold([m]);
    expect(await held.due(T, 10)).toEqual([m]);
    await held.release([m]);
    expect(await held.due(T, 10)).toEqual([]);
    await held.hold([m]);
    expect(await held.due(T, 10)).toEqual([m]);
    await held.release([m]);
  });
});

describe('DynamoDbCustomerScanner', () => {
  it('reads every customer once over parallel segments and resumed cursors', async () => {
    // Prepare
    const client = local.client();
    const store = dynamoDbDataLayer({ client, names: local.names }).customers;
    const ids = Array.from({ length: 45 }, (_, i) => `scan-${i}`);
    await Promise.all(
      ids.map((id, i) =>
        store.put(
          { ...emptyState('default', id), version: 1 },
          0,
          i % 2 ? null : at('2026-05-01T00:00:00Z'),
          null,
        ),
      ),
    );
    // Act: 3 segments, 4 items per page, each page resumed from its cursor alone (as another task would)
    const scanner = new DynamoDbCustomerScanner(client, local.names.customers);
    const seen: { id: string; due: number | null }[] = [];
    for (let segment = 0; segment < 3; segment++) {
      let cursor: string | null = null;
      do {
        const page = await scanner.scan(segment, 3, cursor, 4);
        seen.push(...page.customers.map((c) => ({ id: c.state.customerId, due: c.dueMs })));
        cursor = page.cursor;
      } while (cursor !== null);
    }
    // Assess
    expect(seen.map((s) => s.id).toSorted()).toEqual(ids.toSorted());
    expect(seen.find((s) => s.id === 'scan-0')?.due).toBe(at('2026-05-01T00:00:00Z'));
    expect(seen.find((s) => s.id === 'scan-1')?.due).toBeNull();
    expect(() => decodeCursor('not a cursor')).toThrow(ScanCursorError);
  });
});

describe('the sweep on DynamoDB', () => {
  it('repairs a missing entry: a customer scanned without its due is filed, entry then item', async () => {
    // Prepare: a registered customer whose item holds no due instant and has no entry (a campaign
    // added since schedules it, or its entry was lost)
    const client = local.client();
    const store = dynamoDbDataLayer({ client, names: local.names }).customers;
    const id = activeCustomerId('sweep');
    const memory = new MemoryCustomerStore();
    const { state } = await ingestEvent({ store: memory }, ctx, registration(id), REGISTERED_AT);
    expect(await store.put(state, 0, null, null)).toBe(true);
    const bucket = bucketOf(BIRTHDAY);
    expect(await store.due(bucket - 1, bucket)).not.toContainEqual({ brand: 'default', customerId: id });
    const scanner = new DynamoDbCustomerScanner(client, local.names.customers);
    const scanned = (await scanner.scan(0, 1, null, 1000)).customers.find((c) => c.state.customerId === id);
    if (scanned === undefined) throw new Error('the scan missed the customer');
    // Act
    const result = await sweepCustomer({ store }, ctx, scanned, REGISTERED_AT + 3_600_000);
    // Assess
    expect(result).toBe('reindexed');
    expect(await store.get('default', id)).toEqual({ state, dueMs: BIRTHDAY });
    expect(await store.due(bucket - 1, bucket)).toContainEqual({ brand: 'default', customerId: id });
    // The next sweep finds it filed: nothing to do
    const again = await sweepCustomer({ store }, ctx, { state, dueMs: BIRTHDAY }, REGISTERED_AT + 7_200_000);
    expect(again).toBe('unchanged');
  });
});

describe('the data layer', () => {
  it('decodes Lambda stream images for the relay, and ignores items that are not customers', () => {
    const state = { ...emptyState('default', 'c-img'), version: 4 };
    const item = encodeCustomer(state, null);
    const lambda = { ...item, z: { B: Buffer.from(item.z?.B ?? new Uint8Array()).toString('base64') } };
    expect(decodeCustomerImage(lambda)).toEqual(state);
    expect(decodeCustomerImage({ pk: { S: 'something#else' } })).toBeNull();
  });

  it('composes every port the handlers need from the table names in the environment', () => {
    const env = Object.fromEntries(
      Object.entries(TABLE_ENV).map(([id, variable]) => [variable, `prod-${id}`]),
    );
    const names = tableNamesFromEnv(env);
    expect(names).toEqual(Object.fromEntries(Object.keys(TABLE_ENV).map((id) => [id, `prod-${id}`])));
    // Compile-time check against the handlers' composition root; runtime check of the shape.
    const layer: DataLayer = dynamoDbDataLayer({ client: local.client(), names });
    expect(Object.keys(layer).toSorted()).toEqual(
      ['customers', 'decodeImage', 'held', 'ledger', 'scanner', 'stats', 'watermark'].toSorted(),
    );
    expect(() => tableNamesFromEnv({ ...env, HELD_TABLE: '' })).toThrow(MissingTableNameError);
  });
});
