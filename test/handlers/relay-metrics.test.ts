import './quiet-env.ts';
/**
 * The relay's per-campaign metrics: the metric sets of each batch, published for the records Lambda
 * will not deliver again only (the stats items are the stats λ's: test/handlers/stats.test.ts), and a
 * metrics sink that throws never fails the batch.
 */
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { makeHandler } from '../../functions/handlers/relay.ts';
import type { MetricSet } from '../../functions/shared/campaign-metrics.ts';
import { checkpointedRecords } from '../../functions/shared/stream-records.ts';
import {
  decodeTestImage,
  MemoryHeld,
  MemoryLedger,
  MemoryMessageQueue,
  milestoneOccurrence,
  NO_EARLY_TIMEOUT,
  occurrenceWrite,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const ctx = testContext();
const DAY = '2026-03-17';
const AT = `${DAY}T09:00:00.000Z`;
const NOW = Date.parse(`${DAY}T09:00:05.000Z`);

const occurrence = (over: Partial<OccurrenceRecord> = {}) => milestoneOccurrence(AT, over);

let seq = 100;
/** A MODIFY record of customer `id`: the occurrence `key` is new in this write. */
const record = (id: string, key: string, occ: OccurrenceRecord): DynamoDBRecord =>
  occurrenceWrite(id, key, occ, ++seq, NOW);

function event(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

class FakeCampaignMetrics {
  readonly sets: MetricSet[] = [];
  publish(sets: readonly MetricSet[]): void {
    this.sets.push(...sets);
  }
}

function setup() {
  const campaignMetrics = new FakeCampaignMetrics();
  const queue = new MemoryMessageQueue();
  const handler = makeHandler({
    pack: ctx.pack,
    decodeImage: decodeTestImage,
    ledger: new MemoryLedger(),
    queue,
    held: new MemoryHeld(),
    rejected: queue,
    campaignMetrics,
    clock: new TestClock(NOW).now,
    ...NO_EARLY_TIMEOUT,
  });
  return { campaignMetrics, queue, handler };
}

/** The `Fired` values of the per-campaign metric sets published so far, in order. */
const firedOf = (sets: readonly MetricSet[]) =>
  sets.flatMap((s) => s.values.filter(([name]) => name === 'Fired').map(([, n]) => n));

const issued = () => occurrence();
const heldOut = () =>
  occurrence({ status: 'suppressed', reason: 'holdout', points: 0, sendAt: null, channels: [] });

describe('relay: campaign metrics', () => {
  it('publishes the counts of a batch summed per campaign, and its suppressions by reason', async () => {
    // Prepare
    const { campaignMetrics, handler } = setup();
    const batch = event(
      record('c-1', 'first-order-thank-you#once', issued()),
      record('c-2', 'first-order-thank-you#once', issued()),
      record('c-3', 'first-order-thank-you#once', heldOut()),
    );

    // Act
    const response = await handler(batch, stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
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

  it('publishes only the records before the first failure: the rest come back and are published then', async () => {
    // Prepare: c-2's messages cannot be queued; c-3 succeeds but Lambda will deliver it again.
    const { campaignMetrics, queue, handler } = setup();
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
    const publishedFirst = firedOf(campaignMetrics.sets);
    // Lambda's retry starts at the checkpoint; this time SQS answers.
    down = false;
    const retry = await handler(event(...records.slice(1)), stubContext());

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    expect(publishedFirst).toEqual([1]);
    expect(retry.batchItemFailures).toEqual([]);
    // c-3's message was queued twice (delivery workers deduplicate on messageId); published once.
    expect(firedOf(campaignMetrics.sets)).toEqual([1, 2]);
  });

  it('settles the batch when the metrics sink throws', async () => {
    // Prepare
    const { queue, campaignMetrics, handler } = setup();
    let calls = 0;
    campaignMetrics.publish = () => {
      calls++;
      throw new RangeError('too many dimensions');
    };

    // Act
    const response = await handler(
      event(record('c-1', 'first-order-thank-you#once', issued())),
      stubContext(),
    );

    // Assess
    expect(calls).toBe(1);
    expect(response.batchItemFailures).toEqual([]);
    expect(queue.sent).toHaveLength(1);
  });

  it('publishes nothing for a batch that decided nothing', async () => {
    // Prepare
    const { campaignMetrics, handler } = setup();
    let calls = 0;
    const publish = campaignMetrics.publish.bind(campaignMetrics);
    campaignMetrics.publish = (sets) => {
      calls++;
      publish(sets);
    };
    const quiet: DynamoDBRecord = { ...record('c-1', 'x', issued()), eventName: 'REMOVE' };

    // Act
    const response = await handler(event(quiet), stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toBe(0);
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
});
