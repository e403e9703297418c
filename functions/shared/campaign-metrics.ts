/**
 * The per-campaign counters as CloudWatch metrics (Powertools EMF), published by the relay once per
 * batch. Two dimension sets, both bounded — campaigns, brands and reasons are few, and customers never
 * appear:
 *
 * - `{service, brand, campaign}`: `Fired`, `MessagesSent`, `Suppressed`, `Holdout`, `Deferred`,
 *   `Converted`, `ClawedBack`, `PointsIssued`;
 * - `{service, reason}`: `Suppressed`, by suppression reason across campaigns (the per-campaign split
 *   by reason, and by channel, is in the stats items: CloudWatch bills every metric stream).
 *
 * Only non-zero values are published: a campaign that did nothing in a batch creates no data point.
 * The names are plain data here (no Powertools import), so the CDK dashboard reads the same list.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { CampaignCounters, CampaignDayStats } from '../domain/campaign-stats.ts';
import { addCounters, HOLDOUT_REASONS, zeroCounters } from '../domain/campaign-stats.ts';
import { CHANNELS } from '../domain/customer-state.ts';

/** Metric names of the `{service, brand, campaign}` set, with what each counts. */
export const CAMPAIGN_METRICS = {
  Fired: 'occurrences issued',
  MessagesSent: 'messages built for the channel queues (all channels)',
  Suppressed: 'suppressions, every reason (holdouts and message-only ones included)',
  Holdout: 'holdout suppressions (campaign and global)',
  Deferred: 'issued occurrences the frequency cap deferred',
  Converted: 'offers converted by an order',
  ClawedBack: 'occurrences reversed by an order cancellation',
  PointsIssued: 'bonus and conversion points credited',
} as const;
export type CampaignMetricName = keyof typeof CAMPAIGN_METRICS;

/** The dimension names of the two sets (besides `service`). */
export const CAMPAIGN_DIMENSIONS = ['brand', 'campaign'] as const;
export const REASON_DIMENSION = 'reason';
/** The metric of the `{service, reason}` set. */
export const SUPPRESSED_BY_REASON_METRIC: CampaignMetricName = 'Suppressed';

/** One EMF blob: its extra dimensions and its (name, value) pairs. */
export interface MetricSet {
  dimensions: Record<string, string>;
  values: [name: string, value: number][];
}

function campaignValues(c: CampaignCounters): [CampaignMetricName, number][] {
  const suppressed = Object.values(c.suppressed).reduce((a, b) => a + b, 0);
  let holdout = 0;
  for (const [reason, n] of Object.entries(c.suppressed)) if (HOLDOUT_REASONS.has(reason)) holdout += n;
  const all: [CampaignMetricName, number][] = [
    ['Fired', c.fired],
    ['MessagesSent', CHANNELS.reduce((n, ch) => n + c.messages[ch], 0)],
    ['Suppressed', suppressed],
    ['Holdout', holdout],
    ['Deferred', c.deferred],
    ['Converted', c.converted],
    ['ClawedBack', c.clawedBack],
    ['PointsIssued', c.points],
  ];
  return all.filter(([, n]) => n !== 0);
}

/**
 * The metric sets of a batch's stats: days folded together (a metric's time is when it is published),
 * one set per (brand, campaign) and one per suppression reason, zeros left out, in a stable order.
 */
export function campaignMetricSets(stats: readonly CampaignDayStats[]): MetricSet[] {
  const byCampaign = new Map<string, { brand: string; campaign: string; counters: CampaignCounters }>();
  const byReason = new Map<string, number>();
  for (const s of stats) {
    const key = `${s.brand}#${s.campaignId}`;
    let entry = byCampaign.get(key);
    if (entry === undefined) {
      entry = { brand: s.brand, campaign: s.campaignId, counters: zeroCounters() };
      byCampaign.set(key, entry);
    }
    addCounters(entry.counters, s.counters);
    for (const [reason, n] of Object.entries(s.counters.suppressed))
      byReason.set(reason, (byReason.get(reason) ?? 0) + n);
  }
  const sets: MetricSet[] = [];
  for (const [, e] of [...byCampaign].sort(([a], [b]) => a.localeCompare(b))) {
    const values = campaignValues(e.counters);
    if (values.length > 0) sets.push({ dimensions: { brand: e.brand, campaign: e.campaign }, values });
  }
  for (const [reason, n] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
    if (n !== 0)
      sets.push({ dimensions: { [REASON_DIMENSION]: reason }, values: [[SUPPRESSED_BY_REASON_METRIC, n]] });
  }
  return sets;
}

/** Where the relay publishes the metric sets; tests pass a fake. */
export interface CampaignMetricsSink {
  publish(sets: readonly MetricSet[]): void;
}

/**
 * Publishes each set as one EMF blob through a Powertools Metrics instance carrying the set's
 * dimensions (one instance per dimension set, kept for the container's life: their number is bounded
 * by campaigns and reasons).
 */
export class EmfCampaignMetrics implements CampaignMetricsSink {
  private readonly instances = new Map<string, Metrics>();

  constructor(private readonly metricsFor: (dimensions: Record<string, string>) => Metrics) {}

  publish(sets: readonly MetricSet[]): void {
    for (const set of sets) {
      const key = JSON.stringify(set.dimensions);
      let m = this.instances.get(key);
      if (m === undefined) {
        m = this.metricsFor(set.dimensions);
        this.instances.set(key, m);
      }
      for (const [name, value] of set.values) m.addMetric(name, 'Count', value);
      m.publishStoredMetrics();
    }
  }
}
