import './quiet-env.ts';
/**
 * The per-campaign metrics: a batch's stats → EMF metric sets with bounded dimensions (brand and
 * campaign; reason), zeros left out; and the EMF blob Powertools builds for a set.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import type { CampaignDayStats } from '../../functions/domain/campaign-stats.ts';
import { zeroCounters } from '../../functions/domain/campaign-stats.ts';
import type { MetricSet } from '../../functions/shared/campaign-metrics.ts';
import { campaignMetricSets, EmfCampaignMetrics } from '../../functions/shared/campaign-metrics.ts';

function stats(
  campaignId: string,
  day: string,
  over: Partial<CampaignDayStats['counters']>,
): CampaignDayStats {
  return { brand: 'default', campaignId, day, counters: { ...zeroCounters(), ...over } };
}

describe('campaignMetricSets', () => {
  it.each<{ name: string; stats: CampaignDayStats[]; expected: MetricSet[] }>([
    { name: 'publishes nothing for nothing', stats: [], expected: [] },
    {
      name: 'folds the days of a campaign together and leaves zeros out',
      stats: [
        stats('birthday-bonus', '2026-03-16', {
          fired: 1,
          points: 500,
          messages: { email: 1, sms: 0, push: 1 },
        }),
        stats('birthday-bonus', '2026-03-17', { fired: 1, points: 500, deferred: 1 }),
      ],
      expected: [
        {
          dimensions: { brand: 'default', campaign: 'birthday-bonus' },
          values: [
            ['Fired', 2],
            ['MessagesSent', 2],
            ['Deferred', 1],
            ['PointsIssued', 1000],
          ],
        },
      ],
    },
    {
      name: 'counts every suppression, holdouts apart, and adds one set per reason across campaigns',
      stats: [
        stats('win-back-90-days', '2026-03-17', {
          converted: 1,
          clawedBack: 1,
          suppressed: { holdout: 2, 'holdout-global': 1, 'cap-expired': 1 },
        }),
        stats('anniversary-yearly', '2026-03-17', { suppressed: { 'cap-expired': 2 } }),
      ],
      expected: [
        {
          dimensions: { brand: 'default', campaign: 'anniversary-yearly' },
          values: [['Suppressed', 2]],
        },
        {
          dimensions: { brand: 'default', campaign: 'win-back-90-days' },
          values: [
            ['Suppressed', 4],
            ['Holdout', 3],
            ['Converted', 1],
            ['ClawedBack', 1],
          ],
        },
        { dimensions: { reason: 'cap-expired' }, values: [['Suppressed', 3]] },
        { dimensions: { reason: 'holdout' }, values: [['Suppressed', 2]] },
        { dimensions: { reason: 'holdout-global' }, values: [['Suppressed', 1]] },
      ],
    },
  ])('$name', ({ stats, expected }) => {
    expect(campaignMetricSets(stats)).toEqual(expected);
  });
});

describe('EmfCampaignMetrics', () => {
  it('publishes each set as one EMF blob with its dimensions next to service, reusing one instance per set', () => {
    // Prepare: instances that keep their last blob instead of printing it.
    const blobs: unknown[] = [];
    const made: string[] = [];
    const metricsFor = (dimensions: Record<string, string>) => {
      made.push(JSON.stringify(dimensions));
      const m = new Metrics({
        namespace: 'LoyaltyTriggers',
        serviceName: 'loyalty-triggers',
        defaultDimensions: dimensions,
      });
      m.publishStoredMetrics = function (this: Metrics) {
        blobs.push(this.serializeMetrics());
        this.clearMetrics();
        return this;
      };
      return m;
    };
    const sink = new EmfCampaignMetrics(metricsFor);
    const set: MetricSet = {
      dimensions: { brand: 'default', campaign: 'birthday-bonus' },
      values: [
        ['Fired', 2],
        ['PointsIssued', 1000],
      ],
    };

    // Act
    sink.publish([set]);
    sink.publish([set]);

    // Assess
    expect(made).toHaveLength(1);
    expect(blobs).toHaveLength(2);
    expect(blobs[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'LoyaltyTriggers',
            Dimensions: [['service', 'brand', 'campaign']],
            Metrics: [
              { Name: 'Fired', Unit: 'Count' },
              { Name: 'PointsIssued', Unit: 'Count' },
            ],
          },
        ],
      },
      service: 'loyalty-triggers',
      brand: 'default',
      campaign: 'birthday-bonus',
      Fired: 2,
      PointsIssued: 1000,
    });
    // Ids and counts only: no customer, no contact.
    expect(JSON.stringify(blobs)).not.toMatch(/customer|@/i);
  });
});
