import './quiet-env.ts';
import 'aws-sdk-client-mock-vitest/extend';
/**
 * The DynamoDB campaign stats adapter with a mocked client: one UpdateItem per item, ADD per non-zero
 * counter, the batch id in its slot under a condition (a repeated write is reported, not added), a
 * failure of one item not stopping the others; and the item decoding readers use.
 */
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BATCH_SLOTS,
  DynamoDbCampaignStats,
  decodeStatsItem,
  STATS_WRITE_CONCURRENCY,
  statsUpdateInput,
} from '../../functions/adapters/dynamodb/campaign-stats-store.ts';
import type { CampaignDayStats } from '../../functions/domain/campaign-stats.ts';
import { zeroCounters } from '../../functions/domain/campaign-stats.ts';

const ddbMock = mockClient(DynamoDBClient);
beforeEach(() => ddbMock.reset());

function stats(campaignId: string, over: Partial<CampaignDayStats['counters']> = {}): CampaignDayStats {
  return { brand: 'default', campaignId, day: '2026-03-17', counters: { ...zeroCounters(), ...over } };
}

const BIRTHDAY = stats('birthday-bonus', {
  fired: 2,
  points: 1000,
  messages: { email: 2, sms: 0, push: 1 },
  suppressed: { holdout: 1, 'message:no-consent': 1 },
});

describe('statsUpdateInput', () => {
  it('adds every non-zero counter to the (brand, campaign, day) item and stores the batch id in its slot', () => {
    // Act
    const input = statsUpdateInput('lt-stats', BIRTHDAY, 'batch-1');

    // Assess
    expect(input.Key).toEqual({ pk: { S: 'stats#default#birthday-bonus' }, day: { S: '2026-03-17' } });
    expect(input.ConditionExpression).toBe('attribute_not_exists(#slot) OR #slot <> :batch');
    expect(input.ExpressionAttributeNames['#slot']).toMatch(new RegExp(`^_b[0-${BATCH_SLOTS - 1}]$`));
    expect(input.ExpressionAttributeValues[':batch']).toEqual({ S: 'batch-1' });
    const added = Object.fromEntries(
      Object.entries(input.ExpressionAttributeNames)
        .filter(([k]) => k.startsWith('#c'))
        .map(([k, name]) => [name, input.ExpressionAttributeValues[`:${k.slice(1)}`]?.N]),
    );
    expect(added).toEqual({
      fired: '2',
      points: '1000',
      email: '2',
      push: '1',
      'suppressed:holdout': '1',
      'suppressed:message:no-consent': '1',
    });
    expect(input.UpdateExpression).toMatch(
      /^SET #brand = :brand, #campaign = :campaign, #slot = :batch ADD /,
    );
  });

  it('puts the same batch id in the same slot', () => {
    const a = statsUpdateInput('t', BIRTHDAY, 'batch-7');
    const b = statsUpdateInput('t', stats('other', { fired: 1 }), 'batch-7');
    expect(a.ExpressionAttributeNames['#slot']).toBe(b.ExpressionAttributeNames['#slot']);
  });
});

describe('DynamoDbCampaignStats.add', () => {
  it('writes each item once and reports repeated and failed items without throwing', async () => {
    // Prepare
    ddbMock
      .on(UpdateItemCommand, { Key: { pk: { S: 'stats#default#a' }, day: { S: '2026-03-17' } } })
      .resolves({})
      .on(UpdateItemCommand, { Key: { pk: { S: 'stats#default#b' }, day: { S: '2026-03-17' } } })
      .rejects(new ConditionalCheckFailedException({ message: 'repeated', $metadata: {} }))
      .on(UpdateItemCommand, { Key: { pk: { S: 'stats#default#c' }, day: { S: '2026-03-17' } } })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const store = new DynamoDbCampaignStats(new DynamoDBClient({}), 'lt-stats');
    const c = stats('c', { fired: 1 });

    // Act
    const report = await store.add([stats('a', { fired: 1 }), stats('b', { fired: 1 }), c], 'batch-1');

    // Assess
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 3);
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, { TableName: 'lt-stats' });
    expect(report.applied).toBe(1);
    expect(report.repeated).toBe(1);
    expect(report.failed).toEqual([
      { stats: c, error: expect.objectContaining({ name: 'ThrottlingException' }) },
    ]);
  });

  it(`writes a window's many items ${STATS_WRITE_CONCURRENCY} at a time, every one of them`, async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    ddbMock.on(UpdateItemCommand).callsFake(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return {};
    });
    const store = new DynamoDbCampaignStats(new DynamoDBClient({}), 'lt-stats');
    const items = Array.from({ length: 30 }, (_, i) => stats(`campaign-${i}`, { fired: 1 }));

    // Act
    const report = await store.add(items, 'window-1', { signal: AbortSignal.timeout(10_000) });

    // Assess
    expect(report).toEqual({ applied: 30, repeated: 0, failed: [] });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 30);
    expect(most).toBe(STATS_WRITE_CONCURRENCY);
  });
});

describe('decodeStatsItem', () => {
  it('reads the counters back, suppression reasons included, and ignores the batch slots', () => {
    const item = {
      pk: { S: 'stats#default#birthday-bonus' },
      day: { S: '2026-03-17' },
      brand: { S: 'default' },
      campaignId: { S: 'birthday-bonus' },
      fired: { N: '2' },
      points: { N: '1000' },
      email: { N: '2' },
      push: { N: '1' },
      'suppressed:holdout': { N: '1' },
      'suppressed:message:no-consent': { N: '1' },
      _b3: { S: 'batch-1' },
    };
    expect(decodeStatsItem(item)).toEqual(BIRTHDAY);
    expect(decodeStatsItem({ pk: { S: 'something-else' } })).toBeNull();
  });
});
