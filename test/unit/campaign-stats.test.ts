/**
 * campaignStatsOf / mergeCampaignStats: the per-campaign, per-day counter deltas of one customer write
 * (what the relay adds to the stats items and publishes as metrics), and their sum over a batch.
 */
import { describe, expect, it } from 'vitest';
import type {
  CampaignCounters,
  CampaignDayStats,
  CountedMessage,
} from '../../functions/domain/campaign-stats.ts';
import {
  addCounters,
  campaignStatsOf,
  isZero,
  mergeCampaignStats,
  sortCampaignStats,
  zeroCounters,
} from '../../functions/domain/campaign-stats.ts';
import type { CustomerState, OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import { occurrenceRecord } from './occurrence-record.ts';

const DAY = '2026-03-17';
const AT = `${DAY}T09:00:00.000Z`;

function occurrence(over: Partial<OccurrenceRecord> = {}): OccurrenceRecord {
  return occurrenceRecord({
    campaignId: 'birthday',
    trigger: 'birthday',
    at: AT,
    sendAt: `${DAY}T10:00:00.000Z`,
    points: 500,
    ...over,
  });
}

function state(occurrences: Record<string, OccurrenceRecord>, brand = 'default'): CustomerState {
  return { ...emptyState(brand, 'c-1'), occurrences };
}

function message(key: string, channel: CountedMessage['channel'], campaignId = 'birthday'): CountedMessage {
  return { occurrenceKey: `default#c-1#${key}`, campaignId, channel, createdAt: `${DAY}T09:00:01.000Z` };
}

function counters(over: Partial<CampaignCounters> = {}): CampaignCounters {
  return { ...zeroCounters(), ...over };
}

function stats(over: Partial<CampaignCounters>, campaignId = 'birthday', day = DAY): CampaignDayStats {
  return { brand: 'default', campaignId, day, counters: counters(over) };
}

const issued = occurrence();
const suppressed = occurrence({
  status: 'suppressed',
  reason: 'holdout',
  points: 0,
  sendAt: null,
  channels: [],
});

describe('campaignStatsOf', () => {
  it.each<{
    name: string;
    previous: CustomerState | null;
    next: CustomerState;
    messages?: CountedMessage[];
    expected: CampaignDayStats[];
  }>([
    {
      name: 'counts an issued occurrence: fired, points and its messages by channel',
      previous: null,
      next: state({ 'birthday#2026': occurrence({ channels: ['email', 'push'] }) }),
      messages: [message('birthday#2026', 'email'), message('birthday#2026', 'push')],
      expected: [stats({ fired: 1, points: 500, messages: { email: 1, sms: 0, push: 1 } })],
    },
    {
      name: 'counts a suppression by its reason (a holdout is one)',
      previous: state({}),
      next: state({ 'birthday#2026': suppressed }),
      expected: [stats({ suppressed: { holdout: 1 } })],
    },
    {
      name: 'counts a deferred occurrence, and a message suppressed under message:<reason>',
      previous: null,
      next: state({ 'birthday#2026': occurrence({ deferred: true, reason: 'no-consent', channels: [] }) }),
      expected: [stats({ fired: 1, points: 500, deferred: 1, suppressed: { 'message:no-consent': 1 } })],
    },
    {
      name: 'counts a conversion and its points on the day the offer was decided (a cohort)',
      previous: state({ 'dormancy#1': occurrence({ campaignId: 'win-back', points: 0 }) }),
      next: state({ 'dormancy#1': occurrence({ campaignId: 'win-back', status: 'converted', points: 300 }) }),
      expected: [stats({ converted: 1, points: 300 }, 'win-back')],
    },
    {
      name: 'counts a claw-back',
      previous: state({ 'first-order#once': issued }),
      next: state({ 'first-order#once': { ...issued, status: 'clawed-back' } }),
      expected: [stats({ clawedBack: 1 })],
    },
    {
      name: 'counts nothing for records kept as they were or only pruned',
      previous: state({ a: issued, pruned: suppressed }),
      next: state({ a: { ...issued } }),
      expected: [],
    },
    {
      name: 'counts a suppression decided again on a later day under that day',
      previous: state({ s: { ...suppressed, reason: 'cap-expired' } }),
      next: state({ s: { ...suppressed, reason: 'cap-expired', at: '2026-03-18T00:00:00.000Z' } }),
      expected: [stats({ suppressed: { 'cap-expired': 1 } }, 'birthday', '2026-03-18')],
    },
    {
      name: 'keeps campaigns and days apart, in first-seen order',
      previous: null,
      next: state({
        a: issued,
        b: occurrence({ campaignId: 'anniversary', points: 100 }),
        c: occurrence({
          at: '2026-03-16T23:59:59.999Z',
          points: 0,
          status: 'suppressed',
          reason: 'cooldown',
        }),
      }),
      expected: [
        stats({ fired: 1, points: 500 }),
        stats({ fired: 1, points: 100 }, 'anniversary'),
        stats({ suppressed: { cooldown: 1 } }, 'birthday', '2026-03-16'),
      ],
    },
  ])('$name', ({ previous, next, messages, expected }) => {
    // Act
    const deltas = campaignStatsOf(previous, next, messages);
    // Assess
    expect(deltas).toEqual(expected);
  });

  it('takes the brand from the item', () => {
    const deltas = campaignStatsOf(null, state({ a: issued }, 'outlet'));
    expect(deltas.map((d) => d.brand)).toEqual(['outlet']);
  });

  it('gives the same deltas for a redelivered record (pure in its images)', () => {
    const previous = state({ a: issued });
    const next = state({ a: issued, b: suppressed });
    expect(campaignStatsOf(previous, next)).toEqual(campaignStatsOf(previous, next));
  });
});

describe('mergeCampaignStats', () => {
  it.each<{ name: string; deltas: CampaignDayStats[]; expected: CampaignDayStats[] }>([
    { name: 'gives nothing for nothing', deltas: [], expected: [] },
    {
      name: 'adds every counter of the same (brand, campaign, day)',
      deltas: [
        stats({ fired: 1, points: 500, messages: { email: 1, sms: 0, push: 0 }, suppressed: { holdout: 1 } }),
        stats({ fired: 2, points: 50, deferred: 1, messages: { email: 0, sms: 2, push: 0 } }),
        stats({ converted: 1, clawedBack: 1, suppressed: { holdout: 2, 'no-consent': 1 } }),
      ],
      expected: [
        stats({
          fired: 3,
          points: 550,
          deferred: 1,
          converted: 1,
          clawedBack: 1,
          messages: { email: 1, sms: 2, push: 0 },
          suppressed: { holdout: 3, 'no-consent': 1 },
        }),
      ],
    },
    {
      name: 'keeps brands, campaigns and days apart',
      deltas: [
        stats({ fired: 1 }),
        { ...stats({ fired: 1 }), brand: 'outlet' },
        stats({ fired: 1 }, 'anniversary'),
        stats({ fired: 1 }, 'birthday', '2026-03-18'),
        stats({ fired: 1 }),
      ],
      expected: [
        stats({ fired: 2 }),
        { ...stats({ fired: 1 }), brand: 'outlet' },
        stats({ fired: 1 }, 'anniversary'),
        stats({ fired: 1 }, 'birthday', '2026-03-18'),
      ],
    },
  ])('$name', ({ deltas, expected }) => {
    expect(mergeCampaignStats(deltas)).toEqual(expected);
  });

  it('leaves its inputs unchanged', () => {
    const a = stats({ fired: 1, suppressed: { holdout: 1 } });
    const b = stats({ fired: 1, suppressed: { holdout: 1 } });
    mergeCampaignStats([a, b]);
    expect(a).toEqual(stats({ fired: 1, suppressed: { holdout: 1 } }));
  });

  it('sums a batch to what its writes add up to one by one', () => {
    const writes = [
      campaignStatsOf(null, state({ a: issued, b: suppressed }), [message('a', 'email')]),
      campaignStatsOf(state({ a: issued }), state({ a: { ...issued, status: 'clawed-back' } })),
    ];
    const total = writes.flat().reduce((c, s) => addCounters(c, s.counters), zeroCounters());
    expect(mergeCampaignStats(writes.flat()).map((s) => s.counters)).toEqual([total]);
  });
});

describe('counters', () => {
  it('knows an all-zero delta', () => {
    expect(isZero(zeroCounters())).toBe(true);
    expect(isZero(counters({ suppressed: { holdout: 0 } }))).toBe(true);
    expect(isZero(counters({ messages: { email: 0, sms: 1, push: 0 } }))).toBe(false);
  });

  it('sorts stats by brand, campaign and day', () => {
    const sorted = sortCampaignStats([
      stats({}, 'b', '2026-01-02'),
      stats({}, 'b', '2026-01-01'),
      { ...stats({}, 'a'), brand: 'z' },
      stats({}, 'a'),
    ]);
    expect(sorted.map((s) => `${s.brand}/${s.campaignId}/${s.day}`)).toEqual([
      'default/a/2026-03-17',
      'default/b/2026-01-01',
      'default/b/2026-01-02',
      'z/a/2026-03-17',
    ]);
  });
});
