/**
 * The campaign stats items on DynamoDB Local: the first ADD creates the item, later batches add to it,
 * a repeated batch id changes nothing, reasons with `:` in them round-trip, and the readers find the
 * items by campaign and day range, and all of them — the same answers as the in-memory store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCampaignStats } from '../../functions/adapters/dynamodb/campaign-stats-store.ts';
import type { CampaignDayStats } from '../../functions/domain/campaign-stats.ts';
import { zeroCounters } from '../../functions/domain/campaign-stats.ts';
import type { DynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { startDynamoDbLocal } from '../../local/aws/dynamodb-local.ts';
import { MemoryCampaignStats } from '../../local/memory-stores.ts';

let local: DynamoDbLocal;

beforeAll(async () => {
  local = await startDynamoDbLocal();
});

afterAll(async () => {
  await local?.stop();
});

function stats(
  campaignId: string,
  day: string,
  over: Partial<CampaignDayStats['counters']>,
): CampaignDayStats {
  return { brand: 'default', campaignId, day, counters: { ...zeroCounters(), ...over } };
}

const BATCHES: [string, CampaignDayStats[]][] = [
  [
    'batch-1',
    [
      stats('birthday-bonus', '2026-03-16', {
        fired: 1,
        points: 500,
        messages: { email: 1, sms: 0, push: 0 },
      }),
      stats('birthday-bonus', '2026-03-17', { suppressed: { holdout: 1 } }),
    ],
  ],
  [
    'batch-2',
    [
      stats('birthday-bonus', '2026-03-17', {
        fired: 2,
        points: 1000,
        deferred: 1,
        messages: { email: 1, sms: 1, push: 0 },
        suppressed: { holdout: 1, 'message:no-consent': 1 },
      }),
      stats('win-back-90-days', '2026-03-17', { converted: 1, clawedBack: 1, points: 300 }),
    ],
  ],
  // A repeat of batch-2 (an SDK retry, a duplicate invocation): reported, not added.
  ['batch-2', [stats('birthday-bonus', '2026-03-17', { fired: 2 })]],
];

describe('DynamoDbCampaignStats on DynamoDB Local', () => {
  it('adds each batch once and reads back what the in-memory store holds', async () => {
    // Prepare
    const store = new DynamoDbCampaignStats(local.client(), local.names.stats);
    const memory = new MemoryCampaignStats();

    // Act
    const reports = [];
    for (const [batchId, deltas] of BATCHES) {
      reports.push(await store.add(deltas, batchId));
      await memory.add(deltas, batchId);
    }

    // Assess
    expect(reports.map((r) => [r.applied, r.repeated, r.failed.length])).toEqual([
      [2, 0, 0],
      [2, 0, 0],
      [0, 1, 0],
    ]);
    const all = await store.all();
    expect(all).toEqual(await memory.all());
    expect(all.find((s) => s.campaignId === 'birthday-bonus' && s.day === '2026-03-17')?.counters).toEqual({
      ...zeroCounters(),
      fired: 2,
      points: 1000,
      deferred: 1,
      messages: { email: 1, sms: 1, push: 0 },
      suppressed: { holdout: 2, 'message:no-consent': 1 },
    });
    const range = await store.campaign('default', 'birthday-bonus', '2026-03-17', '2026-03-31');
    expect(range.map((s) => s.day)).toEqual(['2026-03-17']);
    expect(range).toEqual(await memory.campaign('default', 'birthday-bonus', '2026-03-17', '2026-03-31'));
  });
});
