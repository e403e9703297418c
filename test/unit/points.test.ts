import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Program } from '../../functions/domain/campaign.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { emptyState, LIMITS } from '../../functions/domain/customer-state.ts';
import {
  credit,
  debit,
  expirePoints,
  expiryDay,
  pointsEarnedInWindow,
  tierAt,
  tierRank,
  wholePoints,
} from '../../functions/domain/points.ts';
import { CUSTOMER_ID, SCHEMA_DEFAULTS } from './fixtures.ts';

const PROGRAM: Program = {
  ...SCHEMA_DEFAULTS.program,
  tierWindowMonths: 3,
  tiers: [
    { name: 'Silver', minPoints: 0 },
    { name: 'Gold', minPoints: 100 },
    { name: 'Platinum', minPoints: 500 },
  ],
};

function fresh(): CustomerState {
  return emptyState('default', CUSTOMER_ID);
}

function earn(state: CustomerState, entryId: string, points: number, at: string, expireDays = 365): void {
  credit(state, { entryId, campaignId: null, points, at, expireDays, reason: 'accrual' });
}

describe('credit', () => {
  it('puts points into a bucket expiring on the day expireDays after they were earned, with a ledger entry', () => {
    // Prepare
    const state = fresh();

    // Act
    credit(state, {
      entryId: 'k-1',
      campaignId: 'birthday-bonus',
      points: 500,
      at: '2025-03-10T22:30:00.000Z',
      expireDays: 30,
      reason: 'bonus',
    });

    // Assess
    expect(state.points).toEqual({
      balance: 500,
      lifetimeEarned: 500,
      buckets: [{ expiresOn: '2025-04-09', points: 500 }],
      earnedByMonth: { '2025-03': 500 },
    });
    expect(state.ledger).toEqual([
      {
        entryId: 'k-1',
        customerId: CUSTOMER_ID,
        brand: 'default',
        campaignId: 'birthday-bonus',
        points: 500,
        reason: 'bonus',
        at: '2025-03-10T22:30:00.000Z',
        expiresAt: '2025-04-09T00:00:00.000Z',
      },
    ]);
  });

  it('merges credits expiring on the same day and keeps buckets ordered by expiry', () => {
    // Prepare
    const state = fresh();

    // Act
    earn(state, 'a', 10, '2025-05-01T10:00:00.000Z');
    earn(state, 'b', 20, '2025-03-01T10:00:00.000Z');
    earn(state, 'c', 5, '2025-05-01T23:59:00.000Z');

    // Assess
    expect(state.points.buckets).toEqual([
      { expiresOn: '2026-03-01', points: 20 },
      { expiresOn: '2026-05-01', points: 15 },
    ]);
    expect(state.points.earnedByMonth).toEqual({ '2025-03': 20, '2025-05': 15 });
  });

  it.each([0, -5])('ignores a credit of %i points', (points) => {
    // Prepare
    const state = fresh();

    // Act
    earn(state, 'a', points, '2025-05-01T10:00:00.000Z');

    // Assess
    expect(state).toEqual(fresh());
  });

  it('credits an entry id once', () => {
    // Prepare
    const state = fresh();

    // Act
    earn(state, 'same', 10, '2025-05-01T10:00:00.000Z');
    earn(state, 'same', 10, '2025-05-02T10:00:00.000Z');

    // Assess
    expect(state.points.balance).toBe(10);
    expect(state.ledger).toHaveLength(1);
  });

  it('keeps the ledger and the monthly earnings bounded', () => {
    // Prepare
    const state = fresh();

    // Act
    for (let i = 0; i < 60; i++) {
      const at = new Date(Date.UTC(2020, i, 1)).toISOString();
      earn(state, `e-${i}`, 1, at);
    }

    // Assess
    expect(state.ledger).toHaveLength(LIMITS.ledger);
    expect(state.ledger[0]?.entryId).toBe('e-20');
    expect(Object.keys(state.points.earnedByMonth)).toHaveLength(LIMITS.earnedMonths);
    expect(state.points.lifetimeEarned).toBe(60);
  });
});

describe('debit', () => {
  function threeBuckets(): CustomerState {
    const state = fresh();
    earn(state, 'jan', 10, '2025-01-15T00:00:00.000Z');
    earn(state, 'feb', 20, '2025-02-15T00:00:00.000Z');
    earn(state, 'mar', 30, '2025-03-15T00:00:00.000Z');
    return state;
  }

  it('takes the oldest points first', () => {
    // Prepare
    const state = threeBuckets();

    // Act
    const taken = debit(state, {
      entryId: 'd',
      campaignId: null,
      points: 25,
      at: '2025-04-01T00:00:00.000Z',
      reason: 'expiry',
    });

    // Assess
    expect(taken).toBe(25);
    expect(state.points.balance).toBe(35);
    expect(state.points.buckets).toEqual([
      { expiresOn: '2026-02-15', points: 5 },
      { expiresOn: '2026-03-15', points: 30 },
    ]);
    expect(state.points.lifetimeEarned).toBe(60);
    expect(state.ledger.at(-1)).toMatchObject({ entryId: 'd', points: -25, expiresAt: null });
  });

  it('takes a claw-back from the bucket of the credit it reverses, and from the month it was earned in', () => {
    // Prepare
    const state = threeBuckets();

    // Act
    const taken = debit(state, {
      entryId: 'clawback:feb',
      campaignId: null,
      points: 20,
      at: '2025-04-01T00:00:00.000Z',
      reason: 'clawback',
      expiresOn: '2026-02-15',
      earnedAt: '2025-02-15T00:00:00.000Z',
    });

    // Assess
    expect(taken).toBe(20);
    expect(state.points.buckets).toEqual([
      { expiresOn: '2026-01-15', points: 10 },
      { expiresOn: '2026-03-15', points: 30 },
    ]);
    expect(state.points.earnedByMonth).toEqual({ '2025-01': 10, '2025-03': 30 });
    expect(state.points.lifetimeEarned).toBe(40);
  });

  it('takes the rest of a claw-back from the oldest points when its own bucket is short', () => {
    // Prepare
    const state = threeBuckets();

    // Act
    debit(state, {
      entryId: 'clawback:x',
      campaignId: null,
      points: 35,
      at: '2025-04-01T00:00:00.000Z',
      reason: 'clawback',
      expiresOn: '2026-03-15',
      earnedAt: '2025-03-15T00:00:00.000Z',
    });

    // Assess
    expect(state.points.buckets).toEqual([
      { expiresOn: '2026-01-15', points: 5 },
      { expiresOn: '2026-02-15', points: 20 },
    ]);
    expect(state.points.balance).toBe(25);
  });

  it('never takes the balance below zero and returns what it took', () => {
    // Prepare
    const state = threeBuckets();

    // Act
    const taken = debit(state, {
      entryId: 'c',
      campaignId: null,
      points: 1000,
      at: '2025-04-01T00:00:00.000Z',
      reason: 'clawback',
    });

    // Assess
    expect(taken).toBe(60);
    expect(state.points.balance).toBe(0);
    expect(state.points.buckets).toEqual([]);
    expect(state.ledger.at(-1)?.points).toBe(-60);
  });

  it('does not invent negative earnings for a month it has no record of', () => {
    // Prepare
    const state = threeBuckets();

    // Act
    debit(state, {
      entryId: 'c',
      campaignId: null,
      points: 10,
      at: '2025-04-01T00:00:00.000Z',
      reason: 'clawback',
      earnedAt: '2022-01-01T00:00:00.000Z',
    });

    // Assess
    expect(state.points.earnedByMonth).toEqual({ '2025-01': 10, '2025-02': 20, '2025-03': 30 });
    expect(state.points.balance).toBe(50);
  });

  it('debits an entry id once', () => {
    // Prepare
    const state = threeBuckets();
    const input = {
      entryId: 'once',
      campaignId: null,
      points: 5,
      at: '2025-04-01T00:00:00.000Z',
      reason: 'clawback' as const,
    };

    // Act
    const first = debit(state, input);
    const second = debit(state, input);

    // Assess
    expect([first, second]).toEqual([5, 0]);
    expect(state.points.balance).toBe(55);
  });

  it('keeps the balance equal to the sum of positive, ordered buckets and never negative (property)', () => {
    const op = fc.record({
      kind: fc.constantFrom('credit', 'debit', 'clawback'),
      points: fc.integer({ min: -5, max: 500 }),
      day: fc.integer({ min: 0, max: 900 }),
      expireDays: fc.integer({ min: 1, max: 400 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        // Prepare
        const state = fresh();

        // Act
        for (const [i, o] of ops.entries()) {
          const at = new Date(Date.UTC(2024, 0, 1) + o.day * 86_400_000).toISOString();
          if (o.kind === 'credit') earn(state, `c-${i}`, o.points, at, o.expireDays);
          else {
            const reason = o.kind === 'clawback' ? 'clawback' : 'expiry';
            debit(state, {
              entryId: `d-${i}`,
              campaignId: null,
              points: o.points,
              at,
              reason,
              expiresOn: expiryDay(at, o.expireDays),
            });
          }
        }

        // Assess
        const { balance, buckets, lifetimeEarned } = state.points;
        expect(balance).toBeGreaterThanOrEqual(0);
        expect(buckets.reduce((s, b) => s + b.points, 0)).toBe(balance);
        expect(buckets.every((b) => b.points > 0)).toBe(true);
        expect(buckets.map((b) => b.expiresOn)).toEqual([...new Set(buckets.map((b) => b.expiresOn))].sort());
        expect(lifetimeEarned).toBeGreaterThanOrEqual(balance);
      }),
      { numRuns: 300 },
    );
  });
});

describe('expirePoints', () => {
  function buckets(): CustomerState {
    const state = fresh();
    earn(state, 'a', 10, '2025-01-01T09:00:00.000Z', 30);
    earn(state, 'b', 5, '2025-01-01T18:00:00.000Z', 30);
    earn(state, 'c', 20, '2025-01-02T09:00:00.000Z', 30);
    earn(state, 'd', 40, '2025-03-01T09:00:00.000Z', 30);
    return state;
  }

  it('removes the buckets due by now with one ledger entry per expiry day', () => {
    // Prepare
    const state = buckets();

    // Act: the start of 2025-02-01 (UTC) is when the Jan 2 bucket expires
    const expired = expirePoints(state, Date.parse('2025-02-01T00:00:00.000Z'));

    // Assess
    expect(expired).toBe(35);
    expect(state.points.balance).toBe(40);
    expect(state.points.buckets).toEqual([{ expiresOn: '2025-03-31', points: 40 }]);
    expect(state.points.lifetimeEarned).toBe(75);
    expect(state.ledger.filter((e) => e.reason === 'expiry')).toEqual([
      expect.objectContaining({ entryId: 'expiry:2025-01-31', points: -15, at: '2025-01-31T00:00:00.000Z' }),
      expect.objectContaining({ entryId: 'expiry:2025-02-01', points: -20, at: '2025-02-01T00:00:00.000Z' }),
    ]);
  });

  it('expires nothing before the day starts', () => {
    // Prepare
    const state = buckets();

    // Act
    const expired = expirePoints(state, Date.parse('2025-01-30T23:59:59.999Z'));

    // Assess
    expect(expired).toBe(0);
    expect(state.points.balance).toBe(75);
  });

  it('is a no-op when run again at the same time', () => {
    // Prepare
    const state = buckets();
    const now = Date.parse('2025-02-01T00:00:00.000Z');
    expirePoints(state, now);
    const snapshot = structuredClone(state);

    // Act
    const expired = expirePoints(state, now);

    // Assess
    expect(expired).toBe(0);
    expect(state).toEqual(snapshot);
  });

  it('gives a second expiry of the same day its own entry id', () => {
    // Prepare: a late credit lands in a day that has already expired
    const state = buckets();
    const now = Date.parse('2025-02-10T00:00:00.000Z');
    expirePoints(state, now);
    earn(state, 'late', 7, '2025-01-01T12:00:00.000Z', 30);

    // Act
    expirePoints(state, now);

    // Assess
    const ids = state.ledger.filter((e) => e.reason === 'expiry').map((e) => e.entryId);
    expect(ids).toEqual(['expiry:2025-01-31', 'expiry:2025-02-01', 'expiry:2025-01-31#2']);
    expect(state.points.balance).toBe(40);
  });
});

describe('tierAt', () => {
  function earnedIn(months: Record<string, number>): CustomerState {
    const state = fresh();
    for (const [month, points] of Object.entries(months))
      earn(state, month, points, `${month}-15T00:00:00.000Z`);
    return state;
  }

  it.each<[string, Record<string, number>, string, string | null]>([
    ['nothing earned', {}, '2025-06-01', 'Silver'],
    ['enough in the window', { '2025-04': 60, '2025-06': 40 }, '2025-06-30', 'Gold'],
    [
      'the window is calendar months ending with this one',
      { '2025-04': 60, '2025-06': 40 },
      '2025-07-01',
      'Silver',
    ],
    ['the top tier', { '2025-05': 500 }, '2025-07-31', 'Platinum'],
    ['just short of a threshold', { '2025-05': 99 }, '2025-05-31', 'Silver'],
    ['earnings after the instant do not count', { '2025-08': 500 }, '2025-07-31', 'Silver'],
  ])('with %s', (_what, months, at, expected) => {
    // Prepare
    const state = earnedIn(months);

    // Act
    const tier = tierAt(state, PROGRAM, Date.parse(`${at}T12:00:00Z`));

    // Assess
    expect(tier).toBe(expected);
  });

  it('returns no tier when the lowest threshold is not reached', () => {
    // Prepare
    const program: Program = { ...PROGRAM, tiers: [{ name: 'Member', minPoints: 10 }] };

    // Act
    const tier = tierAt(fresh(), program, Date.parse('2025-01-01T00:00:00Z'));

    // Assess
    expect(tier).toBeNull();
  });

  it('picks the highest threshold reached even when tiers are listed out of order', () => {
    // Prepare
    const program: Program = { ...PROGRAM, tiers: [...PROGRAM.tiers].reverse() };

    // Act
    const tier = tierAt(earnedIn({ '2025-05': 150 }), program, Date.parse('2025-05-31T00:00:00Z'));

    // Assess
    expect(tier).toBe('Gold');
  });

  it('counts the rolling window of earnings', () => {
    // Prepare
    const state = earnedIn({ '2025-01': 1, '2025-02': 10, '2025-03': 100, '2025-04': 1000 });

    // Act
    const earned = pointsEarnedInWindow(state, Date.parse('2025-04-30T23:59:59Z'), 3);

    // Assess
    expect(earned).toBe(1110);
  });
});

describe('tierRank', () => {
  it.each<[string | null, number]>([
    [null, -1],
    ['Silver', 0],
    ['Gold', 1],
    ['Platinum', 2],
    ['Diamond', -1],
  ])('ranks %s as %i', (tier, rank) => {
    // Act
    const result = tierRank(PROGRAM, tier);

    // Assess
    expect(result).toBe(rank);
  });
});

describe('wholePoints and expiryDay', () => {
  it.each<[number, number, number]>([
    [0.29, 100, 29],
    [0.57, 100, 57],
    [1.15, 100, 115],
    [1234.56, 0.01, 12],
    [99.99, 1, 99],
    [10, 0, 0],
    [0, 5, 0],
  ])('gives %d at %d points per unit %i whole points', (amount, rate, expected) => {
    // Act
    const points = wholePoints(amount, rate);

    // Assess
    expect(points).toBe(expected);
  });

  it.each<[string, number, string]>([
    ['2025-01-31T23:59:59.999Z', 1, '2025-02-01'],
    ['2024-02-28T12:00:00.000Z', 365, '2025-02-27'],
    ['2025-03-01T00:00:00.000Z', 30, '2025-03-31'],
  ])('expires points earned at %s after %i days on %s', (at, days, expected) => {
    // Act
    const day = expiryDay(at, days);

    // Assess
    expect(day).toBe(expected);
  });
});
