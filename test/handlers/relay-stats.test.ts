import './quiet-env.ts';
/**
 * The relay's per-campaign stats: one write per (brand, campaign, day) per batch, only for the records
 * Lambda will not deliver again, never twice for a repeated batch, never a batch failure; and the
 * per-campaign metric sets published for the same counts.
 */
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CampaignDayStats } from '../../functions/domain/campaign-stats.ts';
import type { CustomerState, OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import { batchIdOf, checkpointedRecords, makeHandler } from '../../functions/handlers/relay.ts';
import type { CampaignStatsWriter } from '../../functions/ports/campaign-stats.ts';
import type { LedgerWriter } from '../../functions/ports/ledger-writer.ts';
import type { MetricSet } from '../../functions/shared/campaign-metrics.ts';
import { MemoryCampaignStats } from '../../local/memory-stores.ts';
import {
  decodeTestImage,
  MemoryHeld,
  MemoryLedger,
  MemoryMessageQueue,
  NO_EARLY_TIMEOUT,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const ctx = testContext();
const DAY = '2026-03-17';
const AT = `${DAY}T09:00:00.000Z`;
const NOW = Date.parse(`${DAY}T09:00:05.000Z`);

function occurrence(over: Partial<OccurrenceRecord> = {}): OccurrenceRecord {
  return {
    campaignId: 'first-order-thank-you',
    trigger: 'milestone',
    status: 'issued',
    at: AT,
    sendAt: AT,
    channels: ['email'],
    points: 100,
    reason: null,
    orderId: null,
    capped: true,
    deferred: false,
    offer: null,
    offers: [],
    variables: {},
    onceEver: true,
    ...over,
  };
}

function customer(id: string, occurrences: Record<string, OccurrenceRecord>, version: number): CustomerState {
  const s = emptyState('default', id);
  return {
    ...s,
    version,
    contacts: { ...s.contacts, email: `${id}@example.com` },
    occurrences,
  };
}

let seq = 100;
/** A MODIFY record of customer `id`: the occurrence `key` is new in this write. */
function record(id: string, key: string, occ: OccurrenceRecord): DynamoDBRecord {
  seq++;
  const before = customer(id, {}, 1);
  const after = customer(id, { [key]: occ }, 2);
  return {
    eventID: `evt-${seq}`,
    eventName: 'MODIFY',
    dynamodb: {
      Keys: { pk: { S: `default#${id}` } },
      SequenceNumber: String(seq).padStart(21, '0'),
      ApproximateCreationDateTime: NOW / 1000,
      OldImage: { state: { S: JSON.stringify(before) } },
      NewImage: { state: { S: JSON.stringify(after) } },
    },
  };
}

function event(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

class FakeCampaignMetrics {
  readonly sets: MetricSet[] = [];
  publish(sets: readonly MetricSet[]): void {
    this.sets.push(...sets);
  }
}

function setup(over: { stats?: CampaignStatsWriter; ledger?: LedgerWriter } = {}) {
  const stats = new MemoryCampaignStats();
  const campaignMetrics = new FakeCampaignMetrics();
  const queue = new MemoryMessageQueue();
  const handler = makeHandler({
    pack: ctx.pack,
    decodeImage: decodeTestImage,
    ledger: over.ledger ?? new MemoryLedger(),
    queue,
    held: new MemoryHeld(),
    rejected: queue,
    stats: over.stats ?? stats,
    campaignMetrics,
    clock: new TestClock(NOW).now,
    ...NO_EARLY_TIMEOUT,
  });
  return { stats, campaignMetrics, queue, handler };
}

const issued = () => occurrence();
const heldOut = () =>
  occurrence({ status: 'suppressed', reason: 'holdout', points: 0, sendAt: null, channels: [] });

describe('relay: campaign stats', () => {
  it('adds a batch to one item per (brand, campaign, day) and publishes the same counts', async () => {
    // Prepare
    const { stats, campaignMetrics, handler } = setup();
    const batch = event(
      record('c-1', 'first-order-thank-you#once', issued()),
      record('c-2', 'first-order-thank-you#once', issued()),
      record('c-3', 'first-order-thank-you#once', heldOut()),
    );

    // Act
    const response = await handler(batch, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await stats.all()).toEqual([
      {
        brand: 'default',
        campaignId: 'first-order-thank-you',
        day: DAY,
        counters: {
          fired: 2,
          messages: { email: 2, sms: 0, push: 0 },
          points: 200,
          deferred: 0,
          converted: 0,
          clawedBack: 0,
          suppressed: { holdout: 1 },
        },
      },
    ]);
    expect(campaignMetrics.sets).toEqual([
      {
        dimensions: { brand: 'default', campaign: 'first-order-thank-you' },
        values: [
          ['Fired', 2],
          ['MessagesSent', 2],
          ['Suppressed', 1],
          ['Holdout', 1],
          ['PointsIssued', 200],
        ],
      },
      { dimensions: { reason: 'holdout' }, values: [['Suppressed', 1]] },
    ]);
  });

  it('counts only the records before the first failure: the rest come back and are counted then', async () => {
    // Prepare: c-2's messages cannot be queued; c-3 succeeds but Lambda will deliver it again.
    const { stats, queue, handler } = setup();
    const send = queue.send.bind(queue);
    let down = true;
    queue.send = async (messages, nowMs) => {
      if (down && messages.some((m) => m.customerId === 'c-2')) throw new Error('Service unavailable');
      return send(messages, nowMs);
    };
    const records = [
      record('c-1', 'first-order-thank-you#once', issued()),
      record('c-2', 'first-order-thank-you#once', issued()),
      record('c-3', 'first-order-thank-you#once', issued()),
    ];

    // Act
    const first = await handler(event(...records), stubContext());
    const counted = (await stats.all())[0]?.counters.fired;
    // Lambda's retry starts at the checkpoint; this time SQS answers.
    down = false;
    const retry = await handler(event(...records.slice(1)), stubContext());

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    expect(counted).toBe(1);
    expect(retry.batchItemFailures).toEqual([]);
    const [item] = await stats.all();
    expect(item?.counters.fired).toBe(3);
    // c-3's message was queued twice (delivery workers deduplicate on messageId); counted once.
    expect(item?.counters.messages.email).toBe(3);
  });

  it('adds a repeated batch once (the same records give the same batch id)', async () => {
    // Prepare
    const { stats, handler } = setup();
    const batch = event(record('c-1', 'first-order-thank-you#once', issued()));

    // Act
    await handler(batch, stubContext());
    await handler(structuredClone(batch), stubContext());

    // Assess
    const [item] = await stats.all();
    expect(item?.counters.fired).toBe(1);
  });

  it('logs a failed stats write and still settles the batch (messages are not sent again for a counter)', async () => {
    // Prepare
    const calls: CampaignDayStats[][] = [];
    const failing: CampaignStatsWriter = {
      add: async (deltas) => {
        calls.push([...deltas]);
        return {
          applied: 0,
          repeated: 0,
          failed: deltas.map((stats) => ({ stats, error: new Error('throttled') })),
        };
      },
    };
    const { queue, campaignMetrics, handler } = setup({ stats: failing });

    // Act
    const response = await handler(
      event(record('c-1', 'first-order-thank-you#once', issued())),
      stubContext(),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(queue.sent).toHaveLength(1);
    expect(campaignMetrics.sets.length).toBeGreaterThan(0);
  });

  it('settles the batch when the stats writer or the metrics sink throws anyway', async () => {
    // Prepare
    const throwing: CampaignStatsWriter = {
      add: () => Promise.reject(new Error('bug')),
    };
    const { queue, campaignMetrics, handler } = setup({ stats: throwing });
    campaignMetrics.publish = () => {
      throw new RangeError('too many dimensions');
    };

    // Act
    const response = await handler(
      event(record('c-1', 'first-order-thank-you#once', issued())),
      stubContext(),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(queue.sent).toHaveLength(1);
  });

  it('does not start a stats write too close to the deadline', async () => {
    // Prepare
    let called = false;
    const writer: CampaignStatsWriter = {
      add: async () => {
        called = true;
        return { applied: 1, repeated: 0, failed: [] };
      },
    };
    const { handler } = setup({ stats: writer });

    // Act
    const response = await handler(
      event(record('c-1', 'first-order-thank-you#once', issued())),
      stubContext(1500),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(called).toBe(false);
  });

  it('writes and publishes nothing for a batch that decided nothing', async () => {
    // Prepare
    let called = false;
    const writer: CampaignStatsWriter = {
      add: async () => {
        called = true;
        return { applied: 0, repeated: 0, failed: [] };
      },
    };
    const { campaignMetrics, handler } = setup({ stats: writer });
    const quiet: DynamoDBRecord = { ...record('c-1', 'x', issued()), eventName: 'REMOVE' };

    // Act
    await handler(event(quiet), stubContext());

    // Assess
    expect(called).toBe(false);
    expect(campaignMetrics.sets).toEqual([]);
  });
});

describe('checkpointedRecords', () => {
  const records = [record('a', 'k', issued()), record('b', 'k', issued()), record('c', 'k', issued())];
  const id = (i: number) => records[i]?.dynamodb?.SequenceNumber ?? '';

  it.each([
    { name: 'all records when none failed', failed: [] as string[], expected: 3 },
    { name: 'the records before the first failure', failed: [id(2), id(1)], expected: 1 },
    { name: 'none when the first record failed', failed: [id(0)], expected: 0 },
    { name: 'none when a failure names no record of the batch', failed: ['unknown'], expected: 0 },
  ])('gives $name', ({ failed, expected }) => {
    const response = { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    expect(checkpointedRecords(records, response)).toEqual(records.slice(0, expected));
  });

  it('names a batch by its records: the same records, the same id', () => {
    expect(batchIdOf(records)).toBe(batchIdOf(structuredClone(records)));
    expect(batchIdOf(records)).not.toBe(batchIdOf(records.slice(1)));
  });
});
