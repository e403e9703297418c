import { describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../functions/domain/campaign.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { copyState, emptyState } from '../../functions/domain/customer-state.ts';
import type { EngineContext, Outcome } from '../../functions/domain/engine.ts';
import { evaluateScheduled, nextDue, processEvent } from '../../functions/domain/engine.ts';
import type { Purchase, ReplenishmentModel } from '../../functions/domain/replenishment.ts';
import { fitReplenishmentModel } from '../../functions/domain/replenishment.ts';
import type { ScheduledTrigger, Window } from '../../functions/domain/scheduled-triggers.ts';
import {
  birthdayIn,
  DORMANCY_WINDOW_DAYS,
  isScheduled,
  windows,
} from '../../functions/domain/scheduled-triggers.ts';
import { localDateOf } from '../../functions/domain/time.ts';
import type { CampaignInput, CustomerInput } from './engine-fixtures.ts';
import { campaign, ctxOf, customer, DAY, event, orderEvent, pack } from './engine-fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The windows of one scheduled campaign for a customer at `now`, as ISO strings. */
function windowsAt(
  input: CampaignInput,
  who: CustomerInput,
  now: string,
  model: ReplenishmentModel | null = null,
) {
  const c = campaign(input);
  const trigger = c.trigger;
  if (!isScheduled(trigger)) throw new Error('not a scheduled trigger');
  const state = customer(who);
  const zone = state.profile.timeZone ?? 'Europe/Moscow';
  const nowMs = Date.parse(now);
  return windows(state, c, trigger as ScheduledTrigger, {
    zone,
    nowMs,
    today: localDateOf(nowMs, zone),
    model,
  }).map((w: Window) => ({ occurrence: w.occurrence, from: iso(w.fromMs), until: iso(w.untilMs) }));
}

function evaluate(state: CustomerState, ctx: EngineContext, at: string): Outcome {
  return evaluateScheduled(state, ctx, Date.parse(at));
}

function keys(outcome: Outcome): string[] {
  return outcome.decisions.map((d) => `${d.type}:${d.key}${d.type === 'Suppressed' ? `:${d.reason}` : ''}`);
}

describe('birthdayIn', () => {
  it.each([
    [2027, 2, 29, 'feb28', { year: 2027, month: 2, day: 28 }],
    [2027, 2, 29, 'mar1', { year: 2027, month: 3, day: 1 }],
    [2028, 2, 29, 'feb28', { year: 2028, month: 2, day: 29 }],
    [2100, 2, 29, 'mar1', { year: 2100, month: 3, day: 1 }],
    [2027, 12, 31, 'feb28', { year: 2027, month: 12, day: 31 }],
  ] as const)('%i-%i-%i with %s', (year, month, day, leapDay, expected) => {
    expect(birthdayIn(year, month, day, leapDay)).toEqual(expected);
  });
});

describe('birthday windows', () => {
  const birthday = (
    trigger: Record<string, unknown> = {},
    extra: Partial<CampaignInput> = {},
  ): CampaignInput => ({
    id: 'bday',
    trigger: { type: 'birthday', ...trigger },
    reward: { points: 500 },
    ...extra,
  });
  it.each<
    [string, CampaignInput, CustomerInput, string, { occurrence: string; from: string; until: string } | null]
  >([
    [
      '10:00 local on the day, Moscow',
      birthday(),
      { birthday: '1990-05-15', timeZone: 'Europe/Moscow' },
      '2026-05-01T00:00:00Z',
      { occurrence: '2026', from: '2026-05-15T07:00:00.000Z', until: '2026-05-15T21:00:00.000Z' },
    ],
    [
      'the campaign sendHour',
      birthday({}, { sendHour: 8 }),
      { birthday: '--05-15', timeZone: 'America/New_York' },
      '2026-05-01T00:00:00Z',
      { occurrence: '2026', from: '2026-05-15T12:00:00.000Z', until: '2026-05-16T04:00:00.000Z' },
    ],
    [
      'Kiritimati (UTC+14) celebrates on the previous UTC day',
      birthday(),
      { birthday: '2000-01-01', timeZone: 'Pacific/Kiritimati' },
      '2025-12-01T00:00:00Z',
      { occurrence: '2026', from: '2025-12-31T20:00:00.000Z', until: '2026-01-01T10:00:00.000Z' },
    ],
    [
      'Chatham in summer time (UTC+13:45)',
      birthday(),
      { birthday: '2000-01-10', timeZone: 'Pacific/Chatham' },
      '2026-01-01T00:00:00Z',
      { occurrence: '2026', from: '2026-01-09T20:15:00.000Z', until: '2026-01-10T10:15:00.000Z' },
    ],
    [
      'Feb 29 on Feb 28 in a non-leap year (feb28)',
      birthday({ leapDay: 'feb28' }),
      { birthday: '2000-02-29', timeZone: 'Europe/Moscow' },
      '2027-02-01T00:00:00Z',
      { occurrence: '2027', from: '2027-02-28T07:00:00.000Z', until: '2027-02-28T21:00:00.000Z' },
    ],
    [
      'Feb 29 on Mar 1 in a non-leap year (mar1)',
      birthday({ leapDay: 'mar1' }),
      { birthday: '2000-02-29', timeZone: 'Europe/Moscow' },
      '2027-02-01T00:00:00Z',
      { occurrence: '2027', from: '2027-03-01T07:00:00.000Z', until: '2027-03-01T21:00:00.000Z' },
    ],
    [
      'Feb 29 on Feb 29 in a leap year',
      birthday({ leapDay: 'mar1' }),
      { birthday: '2000-02-29', timeZone: 'Europe/Moscow' },
      '2028-02-01T00:00:00Z',
      { occurrence: '2028', from: '2028-02-29T07:00:00.000Z', until: '2028-02-29T21:00:00.000Z' },
    ],
    [
      'a window of daysBefore..daysAfter',
      birthday({ daysBefore: 2, daysAfter: 3 }),
      { birthday: '1990-05-15', timeZone: 'Europe/Moscow' },
      '2026-05-01T00:00:00Z',
      { occurrence: '2026', from: '2026-05-13T07:00:00.000Z', until: '2026-05-18T21:00:00.000Z' },
    ],
    [
      'next year once this year is over',
      birthday(),
      { birthday: '1990-05-15', timeZone: 'Europe/Moscow' },
      '2026-05-16T00:00:00Z',
      { occurrence: '2027', from: '2027-05-15T07:00:00.000Z', until: '2027-05-15T21:00:00.000Z' },
    ],
    ['nothing without a birthday', birthday(), { timeZone: 'Europe/Moscow' }, '2026-05-01T00:00:00Z', null],
  ])('%s', (_, input, who, now, expected) => {
    expect(windowsAt(input, who, now)[0] ?? null).toEqual(expected);
  });
});

describe('birthday through the engine', () => {
  const p = pack({
    campaigns: [
      {
        id: 'bday',
        trigger: { type: 'birthday', daysAfter: 3 },
        // Bonus points that outlive the test: nextDue would otherwise name their expiry first.
        reward: { points: 500, pointsExpireDays: 3650 },
        channels: ['email'],
      },
    ],
  });
  const ctx = ctxOf(p);
  const who = customer({ birthday: '1990-05-15', timeZone: 'Asia/Kathmandu' }, p);

  it.each<[string, string, string[]]>([
    ['nothing at 09:59 local', '2026-05-15T04:14:00Z', []],
    ['fires at 10:00 local (UTC+5:45)', '2026-05-15T04:15:00Z', ['Issued:bday#2026']],
    ['catches up within daysAfter', '2026-05-18T12:00:00Z', ['Issued:bday#2026']],
    ['not after the window', '2026-05-19T00:00:00Z', []],
  ])('%s', (_, at, expected) => {
    expect(keys(evaluate(who, ctx, at))).toEqual(expected);
  });

  it('fires once a year: a second evaluation decides nothing, next year fires again', () => {
    const first = evaluate(who, ctx, '2026-05-15T05:00:00Z');
    expect(first.ledger).toMatchObject([{ entryId: 'default#c-1#bday#2026', points: 500, reason: 'bonus' }]);
    expect(keys(evaluate(first.state, ctx, '2026-05-16T05:00:00Z'))).toEqual([]);
    expect(nextDue(first.state, ctx, Date.parse('2026-05-15T05:00:00Z'))).toBe(
      Date.parse('2027-05-15T04:15:00Z'),
    );
    expect(keys(evaluate(first.state, ctx, '2027-05-15T04:15:00Z'))).toEqual(['Issued:bday#2027']);
  });

  it('a birthday moved later in the year gives no second bonus that year', () => {
    // Prepare: the bonus for May 15, then the birthday edited to Aug 1.
    const fired = evaluate(who, ctx, '2026-05-15T05:00:00Z').state;
    const edited = processEvent(
      fired,
      event('CustomerUpdated', '2026-06-01T00:00:00Z', { customerId: 'c-1', birthday: '1990-08-01' }),
      ctx,
      Date.parse('2026-06-01T00:00:00Z'),
    ).state;
    expect(edited.profile.birthday).toMatchObject({ month: 8, day: 1 });
    // Act & Assess
    expect(keys(evaluate(edited, ctx, '2026-08-01T05:00:00Z'))).toEqual([]);
    expect(nextDue(edited, ctx, Date.parse('2026-08-01T05:00:00Z'))).toBe(Date.parse('2027-08-01T04:15:00Z'));
  });
});

describe('anniversary windows', () => {
  const anniversary = (trigger: Record<string, unknown>): CampaignInput => ({
    id: 'anniv',
    trigger: { type: 'anniversary', daysAfter: 0, ...trigger },
    sendHour: 11,
  });
  const jan31 = { registeredAt: '2025-01-31T12:00:00Z', timeZone: 'Europe/Moscow' };
  it.each<[string, Record<string, unknown>, CustomerInput, string, string[]]>([
    [
      'monthly from Jan 31: Feb 28',
      { everyMonths: 1 },
      jan31,
      '2025-02-01T00:00:00Z',
      ['1@2025-02-28', '2@2025-03-31'],
    ],
    [
      'monthly from Jan 31: Mar 31 (not Mar 28)',
      { everyMonths: 1 },
      jan31,
      '2025-03-01T00:00:00Z',
      ['2@2025-03-31', '3@2025-04-30'],
    ],
    [
      'monthly from Jan 31: Feb 29 in a leap year',
      { everyMonths: 1 },
      jan31,
      '2028-02-01T00:00:00Z',
      ['37@2028-02-29', '38@2028-03-31'],
    ],
    ['yearly', { everyMonths: 12 }, jan31, '2025-06-01T00:00:00Z', ['1@2026-01-31', '2@2027-01-31']],
    [
      'six-monthly, at most once',
      { everyMonths: 6, maxTimes: 1 },
      jan31,
      '2025-06-01T00:00:00Z',
      ['1@2025-07-31'],
    ],
    ['nothing after maxTimes', { everyMonths: 6, maxTimes: 1 }, jan31, '2025-08-01T00:00:00Z', []],
    [
      'registration read in local time (Moscow: Jan 31 23:30 UTC is Feb 1)',
      { everyMonths: 1 },
      { registeredAt: '2025-01-31T23:30:00Z', timeZone: 'Europe/Moscow' },
      '2025-02-02T00:00:00Z',
      ['1@2025-03-01', '2@2025-04-01'],
    ],
  ])('%s', (_, trigger, who, now, expected) => {
    const found = windowsAt(anniversary(trigger), who, now).map((w) => {
      const local = localDateOf(Date.parse(w.from), who.timeZone ?? 'Europe/Moscow');
      return `${w.occurrence}@${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
    });
    expect(found).toEqual(expected);
  });

  it('nothing without a registration date', () => {
    const c = campaign(anniversary({ everyMonths: 12 }));
    const nowMs = Date.parse('2025-02-01T00:00:00Z');
    const state = emptyState('default', 'c-1');
    const ctx = { zone: 'UTC', nowMs, today: localDateOf(nowMs, 'UTC'), model: null };
    expect(windows(state, c, c.trigger as ScheduledTrigger, ctx)).toEqual([]);
  });

  it('fires at the local sendHour and catches up for daysAfter', () => {
    const w = windowsAt(
      { id: 'anniv', trigger: { type: 'anniversary', everyMonths: 12, daysAfter: 3 }, sendHour: 11 },
      jan31,
      '2025-06-01T00:00:00Z',
    )[0];
    expect(w).toEqual({
      occurrence: '1',
      from: '2026-01-31T08:00:00.000Z',
      until: '2026-02-03T21:00:00.000Z',
    });
  });
});

describe('dormancy', () => {
  const p = pack({
    campaigns: [
      {
        id: 'win-back',
        trigger: { type: 'dormancy', days: 90 },
        reward: { points: 300, offer: { codePrefix: 'COMEBACK', validityDays: 7, minBasket: 50 } },
        channels: ['email'],
        sendHour: 11,
      },
    ],
  });
  const ctx = ctxOf(p);
  const who = customer(
    { timeZone: 'Europe/Moscow', orders: [{ id: 'o1', at: '2026-01-10T10:00:00Z', total: 100 }] },
    p,
  );
  // 90 days after the order is Apr 10 13:00 MSK; the next 11:00 MSK is Apr 11.
  const opens = '2026-04-11T08:00:00.000Z';

  it('opens at the local sendHour after `days` without an order, keyed by the last order day', () => {
    expect(iso(nextDue(who, ctx, Date.parse('2026-02-01T00:00:00Z')) ?? 0)).toBe(opens);
    expect(keys(evaluate(who, ctx, '2026-04-11T07:59:00Z'))).toEqual([]);
    const fired = evaluate(who, ctx, opens);
    expect(keys(fired)).toEqual(['Issued:win-back#2026-01-10']);
  });

  it('credits nothing at issuance: the offer window holds the points', () => {
    const fired = evaluate(who, ctx, opens);
    expect(fired.ledger).toEqual([]);
    expect(fired.state.points.balance).toBe(who.points.balance);
    expect(fired.state.occurrences['win-back#2026-01-10']?.offer).toMatchObject({
      expiresAt: '2026-04-18T08:00:00.000Z',
      pointsOnOrder: 300,
      minBasket: 50,
    });
    expect(fired.messages[0]?.variables.points).toBe(300);
  });

  it('fires once per episode, and again after the next order goes quiet', () => {
    const fired = evaluate(who, ctx, opens).state;
    expect(keys(evaluate(fired, ctx, '2026-05-01T08:00:00Z'))).toEqual([]);
    const ordered = processEvent(
      fired,
      orderEvent({ id: 'o2', at: '2026-06-01T10:00:00Z', total: 10 }),
      ctx,
      Date.parse('2026-06-01T10:00:00Z'),
    ).state;
    expect(keys(evaluate(ordered, ctx, '2026-08-31T08:00:00Z'))).toEqual(['Issued:win-back#2026-06-01']);
  });

  it.each<[string, string, number, { converted: boolean; points: number }]>([
    [
      'an order inside the window at the minimum basket converts',
      '2026-04-15T10:00:00Z',
      50,
      { converted: true, points: 300 },
    ],
    [
      'an order below the minimum basket does not',
      '2026-04-15T10:00:00Z',
      49.99,
      { converted: false, points: 0 },
    ],
    ['an order after the window does not', '2026-04-18T08:00:01Z', 500, { converted: false, points: 0 }],
    [
      'an order at the last instant of the window does',
      '2026-04-18T08:00:00Z',
      500,
      { converted: true, points: 300 },
    ],
  ])('%s', (_, at, total, expected) => {
    const fired = evaluate(who, ctx, opens).state;
    const out = processEvent(fired, orderEvent({ id: 'o2', at, total }), ctx, Date.parse(at));
    const conversion = out.ledger.find((e) => e.reason === 'conversion');
    expect(out.decisions.some((d) => d.type === 'Converted')).toBe(expected.converted);
    expect(conversion?.points ?? 0).toBe(expected.points);
    if (expected.converted) {
      expect(conversion?.entryId).toBe('default#c-1#win-back#2026-01-10#conversion');
      expect(out.state.occurrences['win-back#2026-01-10']).toMatchObject({
        status: 'converted',
        orderId: 'o2',
      });
    }
  });

  it('claws the conversion back when the converting order is cancelled, once', () => {
    // Prepare
    const fired = evaluate(who, ctx, opens).state;
    const converted = processEvent(
      fired,
      orderEvent({ id: 'o2', at: '2026-04-15T10:00:00Z', total: 100 }),
      ctx,
      Date.parse('2026-04-15T10:00:00Z'),
    ).state;
    const balance = converted.points.balance;
    const cancel = event('OrderCancelled', '2026-04-16T10:00:00Z', { orderId: 'o2', customerId: 'c-1' });
    // Act
    const out = processEvent(converted, cancel, ctx, Date.parse('2026-04-16T10:00:00Z'));
    const again = processEvent(out.state, cancel, ctx, Date.parse('2026-04-16T10:00:00Z'));
    // Assess: the order's own 100 points and the 300 conversion points are gone.
    expect(out.ledger.map((e) => [e.entryId, e.points])).toEqual([
      ['clawback:order:o2', -100],
      ['clawback:default#c-1#win-back#2026-01-10#conversion', -300],
    ]);
    expect(out.state.points.balance).toBe(balance - 400);
    expect(out.state.occurrences['win-back#2026-01-10']?.status).toBe('clawed-back');
    expect(again.ledger).toEqual([]);
  });

  it('closes an episode window before its decision could be pruned', () => {
    const w = windowsAt(
      { id: 'win-back', trigger: { type: 'dormancy', days: 90 }, reward: { points: 1 } },
      { timeZone: 'Europe/Moscow', orders: [{ id: 'o1', at: '2026-01-10T10:00:00Z', total: 100 }] },
      '2026-02-01T00:00:00Z',
    )[0];
    expect(w).toBeDefined();
    expect(DORMANCY_WINDOW_DAYS).toBeLessThan(400);
    expect(Date.parse(w?.until ?? '') - Date.parse(w?.from ?? '')).toBe(DORMANCY_WINDOW_DAYS * DAY);
  });

  it.each<[string, CustomerInput]>([
    ['no orders', {}],
    ['fewer orders than minOrders', { orders: [{ id: 'o1', at: '2026-01-10T10:00:00Z', total: 1 }] }],
  ])('nothing with %s', (_, who2) => {
    const w = windowsAt(
      { id: 'wb', trigger: { type: 'dormancy', days: 90, minOrders: 2 }, reward: { points: 1 } },
      who2,
      '2026-06-01T00:00:00Z',
    );
    expect(w).toEqual([]);
  });
});

describe('points expiring', () => {
  const p = pack({
    program: { pointsExpireDays: 100 },
    campaigns: [
      {
        id: 'expiring',
        trigger: { type: 'points-expiring', withinDays: 30, minPoints: 100 },
        channels: ['email'],
        sendHour: 11,
      },
    ],
  });
  const ctx = ctxOf(p);

  it.each<[string, number, string[]]>([
    ['a bucket of 150 points expiring within 30 days', 150, ['expiring#2026-04-11']],
    ['a bucket below minPoints', 99, []],
  ])('%s', (_, total, expected) => {
    const who = customer(
      { timeZone: 'Europe/Moscow', orders: [{ id: 'o1', at: '2026-01-01T10:00:00Z', total }] },
      p,
    );
    // The bucket expires 2026-04-11 00:00 UTC; the window opens 30 days earlier at 11:00 MSK.
    const out = evaluate(who, ctx, '2026-03-12T08:00:00Z');
    expect(out.decisions.map((d) => d.key)).toEqual(expected);
    if (expected.length > 0)
      expect(out.messages[0]?.variables).toMatchObject({ expiringPoints: total, expiresOn: '2026-04-11' });
  });

  it('lists the windows of the large buckets only, up to the first that opens after the last one listed ends', () => {
    // Prepare: large buckets with small ones between them (a small bucket has no window of its own)
    const c = p.campaigns[0];
    if (c === undefined || !isScheduled(c.trigger)) throw new Error('no campaign');
    const who = emptyState('default', 'c-buckets');
    who.points.buckets = [
      { expiresOn: '2026-07-02', points: 800 },
      { expiresOn: '2026-07-05', points: 50 },
      { expiresOn: '2026-07-20', points: 800 },
      { expiresOn: '2026-08-30', points: 50 },
      { expiresOn: '2026-09-01', points: 800 },
      { expiresOn: '2026-09-02', points: 99 },
      { expiresOn: '2026-09-10', points: 100 },
    ];
    const listed = (now: string) => {
      const nowMs = Date.parse(now);
      const zone = 'Europe/Moscow';
      return windows(who, c, c.trigger as ScheduledTrigger, {
        zone,
        nowMs,
        today: localDateOf(nowMs, zone),
        model: null,
      }).map((w) => w.occurrence);
    };

    // Act / Assess: September's windows open after July 20 (the second listed window's end)
    expect(listed('2026-05-01T00:00:00Z')).toEqual(['2026-07-02', '2026-07-20']);
    // Once July 2 has expired, the next two large buckets' windows overlap: both are listed
    expect(listed('2026-07-03T00:00:00Z')).toEqual(['2026-07-20', '2026-09-01', '2026-09-10']);
  });

  it('is due at the window start, and at the bucket expiry', () => {
    const who = customer(
      { timeZone: 'Europe/Moscow', orders: [{ id: 'o1', at: '2026-01-01T10:00:00Z', total: 150 }] },
      p,
    );
    expect(iso(nextDue(who, ctx, Date.parse('2026-01-02T00:00:00Z')) ?? 0)).toBe('2026-03-12T08:00:00.000Z');
    const fired = evaluate(who, ctx, '2026-03-12T08:00:00Z').state;
    expect(iso(nextDue(fired, ctx, Date.parse('2026-03-12T08:00:00Z')) ?? 0)).toBe(
      '2026-04-11T00:00:00.000Z',
    );
    const expired = evaluate(fired, ctx, '2026-04-11T00:00:00Z');
    expect(expired.ledger).toMatchObject([{ entryId: 'expiry:2026-04-11', points: -150, reason: 'expiry' }]);
    expect(nextDue(expired.state, ctx, Date.parse('2026-04-11T00:00:00Z'))).toBeNull();
  });
});

describe('personal offers', () => {
  const p = pack({
    campaigns: [
      {
        id: 'weekly',
        trigger: {
          type: 'personal-offer',
          perCustomer: 3,
          everyDays: 7,
          accrualPercent: { min: 5, max: 20 },
        },
        reward: { offer: { codePrefix: 'MYWEEK', validityDays: 7 } },
        channels: ['email'],
        sendHour: 10,
        templates: {
          en: { body: 'Up to {{accrualPercent}}% on {{category}} until {{offerExpires}}' },
          ru: { body: 'До {{accrualPercent}}% на {{category}}' },
        },
      },
    ],
  });
  const ctx = ctxOf(p);
  const who = customer(
    {
      timeZone: 'Europe/Moscow',
      orders: [
        { id: 'o1', at: '2026-01-05T10:00:00Z', total: 100, lines: [{ sku: 'A', category: 'coffee' }] },
        {
          id: 'o2',
          at: '2026-01-12T10:00:00Z',
          total: 100,
          // An uncategorised line worth more than cups: still never an offer's product group.
          lines: [
            { sku: 'B', category: 'tea', unitPrice: 20 },
            { sku: 'C', unitPrice: 80 },
          ],
        },
        { id: 'o3', at: '2026-01-19T10:00:00Z', total: 30, lines: [{ sku: 'D', category: 'cups' }] },
      ],
    },
    p,
  );

  it('issues the top-k offers per customer on a weekly grid, at the local sendHour', () => {
    // The grid starts on Thursdays (1970-01-01 was one): the period of Tue 2026-01-20 opened Thu 01-15.
    expect(iso(nextDue(who, ctx, Date.parse('2026-01-20T00:00:00Z')) ?? 0)).toBe('2026-01-20T00:00:00.000Z');
    const first = evaluate(who, ctx, '2026-01-20T00:00:00Z');
    expect(keys(first)).toEqual(['Issued:weekly#2026-01-15']);
    // Next period: Thu 2026-01-22 at 10:00 Moscow.
    expect(iso(nextDue(first.state, ctx, Date.parse('2026-01-20T00:00:00Z')) ?? 0)).toBe(
      '2026-01-22T07:00:00.000Z',
    );
    const out = evaluate(first.state, ctx, '2026-01-22T07:00:00Z');
    expect(keys(out)).toEqual(['Issued:weekly#2026-01-22']);
    const offers = out.state.occurrences['weekly#2026-01-22']?.offers ?? [];
    // Recent spend weighs more: cups (a week ago) outrank tea (ten days ago); uncategorised lines never make an offer.
    expect(offers.map((o) => o.category)).toEqual(['coffee', 'cups', 'any']);
    expect(offers.every((o) => o.code.startsWith('MYWEEK-'))).toBe(true);
    expect(offers.every((o) => o.accrualPercent >= 5 && o.accrualPercent <= 20)).toBe(true);
    expect(new Set(offers.map((o) => o.code)).size).toBe(3);
    expect(offers[2]?.minBasket).toBeGreaterThan(0);
    // The template's headline is filled from the offers.
    expect(out.messages[0]?.content.body).toMatch(/^Up to \d+% on coffee until 2026-01-29$/);
    expect(keys(evaluate(out.state, ctx, '2026-01-25T07:00:00Z'))).toEqual([]);
  });

  it('nothing before the first order', () => {
    expect(nextDue(customer({}, p), ctx, Date.parse('2026-01-20T00:00:00Z'))).toBeNull();
  });
});

describe('replenishment', () => {
  // Coffee and tea every ~30 days across the population; a one-off sofa.
  const purchases: Purchase[] = [];
  for (let c = 0; c < 30; c++) {
    for (let i = 0; i < 4; i++) {
      const day = new Date(Date.parse('2025-06-01T00:00:00Z') + (c + i * 30) * DAY)
        .toISOString()
        .slice(0, 10);
      purchases.push({ customerId: `p-${c}`, sku: 'COFFEE', day });
      purchases.push({ customerId: `p-${c}`, sku: 'TEA', day });
    }
    purchases.push({ customerId: `p-${c}`, sku: 'SOFA', day: '2025-07-01' });
  }
  const model = fitReplenishmentModel(purchases);
  // No base accrual: no points buckets whose expiry nextDue would report.
  const p: CampaignFile = pack({
    program: { pointsPerCurrencyUnit: 0 },
    campaigns: [
      {
        id: 'restock',
        trigger: { type: 'replenishment', leadDays: 5, daysAfter: 3, minIntervalDays: 7 },
        channels: ['email'],
        sendHour: 12,
        templates: {
          en: { body: 'Need {{sku}} around {{predictedAt}}?' },
          ru: { body: '{{sku}} {{predictedAt}}' },
        },
      },
    ],
  });
  const ctx: EngineContext = { pack: p, model };
  const orders = [
    {
      id: 'o1',
      at: '2026-01-01T10:00:00Z',
      total: 10,
      lines: [
        { sku: 'COFFEE', category: 'coffee' },
        { sku: 'SOFA', category: 'furniture' },
      ],
    },
    { id: 'o2', at: '2026-01-31T10:00:00Z', total: 10, lines: [{ sku: 'COFFEE', category: 'coffee' }] },
  ];
  const who = customer({ timeZone: 'Europe/Moscow', orders }, p);

  it('nudges at local sendHour leadDays before the predicted day, keyed by (sku, last purchase day)', () => {
    const due = nextDue(who, ctx, Date.parse('2026-02-01T00:00:00Z'));
    expect(due).not.toBeNull();
    const out = evaluateScheduled(who, ctx, due ?? 0);
    expect(out.decisions.map((d) => d.key)).toEqual(['restock#COFFEE#2026-01-31']);
    const variables = out.messages[0]?.variables ?? {};
    expect(variables.sku).toBe('COFFEE');
    const predicted = Date.parse(`${String(variables.predictedAt)}T00:00:00Z`);
    // 12:00 Moscow, five days before the predicted day.
    expect(iso(due ?? 0)).toBe(`${iso(predicted - 5 * DAY).slice(0, 10)}T09:00:00.000Z`);
  });

  it('nudges at the learned best hour when the campaign opts in: same day, same key', () => {
    // Prepare: the same customer (sharing products and orders, so the memoized predictions) with and
    // without 5 opens at 19:00 local.
    const best: CampaignFile = pack({
      program: { pointsPerCurrencyUnit: 0 },
      campaigns: [{ ...(p.campaigns[0] as CampaignInput), bestHour: { minEngagements: 5 } }],
    });
    const bestCtx: EngineContext = { pack: best, model };
    const engaged = copyState(who);
    engaged.engagement = {
      byLocalHour: who.engagement.byLocalHour.map((n, h) => (h === 19 ? 5 : n)),
      lastAt: null,
    };
    const now = Date.parse('2026-02-01T00:00:00Z');

    // Act
    const plain = nextDue(who, bestCtx, now) ?? 0;
    const learned = nextDue(engaged, bestCtx, now) ?? 0;
    const out = evaluateScheduled(engaged, bestCtx, learned);

    // Assess: 12:00 Moscow without evidence, 19:00 Moscow with it, on the same nudge day.
    expect(iso(plain).slice(11)).toBe('09:00:00.000Z');
    expect(learned - plain).toBe(7 * 3_600_000);
    expect(out.decisions.map((d) => d.key)).toEqual(['restock#COFFEE#2026-01-31']);
    expect(out.messages[0]?.sendAt).toBe(iso(learned));
  });

  it('never nudges for a one-off product', () => {
    const sofaOnly = customer(
      {
        timeZone: 'Europe/Moscow',
        orders: [{ id: 'o1', at: '2026-01-01T10:00:00Z', total: 10, lines: [{ sku: 'SOFA' }] }],
      },
      p,
    );
    expect(nextDue(sofaOnly, ctx, Date.parse('2026-01-02T00:00:00Z'))).toBeNull();
  });

  it('is cancelled when the customer buys before the nudge', () => {
    const due = nextDue(who, ctx, Date.parse('2026-02-01T00:00:00Z')) ?? 0;
    const before = new Date(due - 2 * DAY).toISOString();
    const bought = processEvent(
      who,
      orderEvent({ id: 'o3', at: before, total: 10, lines: [{ sku: 'COFFEE', category: 'coffee' }] }),
      ctx,
      Date.parse(before),
    ).state;
    const out = evaluateScheduled(bought, ctx, due);
    expect(out.decisions).toEqual([]);
    const later = nextDue(bought, ctx, due) ?? 0;
    expect(later).toBeGreaterThan(due);
    expect(evaluateScheduled(bought, ctx, later).decisions.map((d) => d.key)).toEqual([
      `restock#COFFEE#${before.slice(0, 10)}`,
    ]);
  });

  it('nudges one product per campaign per evaluation', () => {
    // Prepare: coffee and tea bought together, so both nudges open at the same instant.
    const both = customer(
      {
        timeZone: 'Europe/Moscow',
        orders: orders.map((o) => ({
          ...o,
          lines: [
            { sku: 'COFFEE', category: 'coffee' },
            { sku: 'TEA', category: 'tea' },
          ],
        })),
      },
      p,
    );
    const due = nextDue(both, ctx, Date.parse('2026-02-01T00:00:00Z')) ?? 0;
    // Act
    const first = evaluateScheduled(both, ctx, due);
    const second = evaluateScheduled(first.state, ctx, nextDue(first.state, ctx, due) ?? 0);
    // Assess: one each time, then nothing is left open.
    expect(first.decisions).toHaveLength(1);
    expect(second.decisions).toHaveLength(1);
    expect([...first.decisions, ...second.decisions].map((d) => d.key).sort()).toEqual([
      'restock#COFFEE#2026-01-31',
      'restock#TEA#2026-01-31',
    ]);
    expect(nextDue(second.state, ctx, due) ?? Number.POSITIVE_INFINITY).toBeGreaterThan(due);
  });

  it('nothing without a model', () => {
    expect(nextDue(who, ctxOf(p), Date.parse('2026-02-01T00:00:00Z'))).toBeNull();
  });

  it('lists at any instant what a state predicted afresh lists (nudges are remembered per prediction)', () => {
    // Prepare: three products, in two zones; the windows at one instant are remembered for the next
    const restock = p.campaigns[0];
    if (restock === undefined || !isScheduled(restock.trigger)) throw new Error('no campaign');
    const trigger = restock.trigger as ScheduledTrigger;
    const lines = [
      { sku: 'COFFEE', category: 'coffee' },
      { sku: 'TEA', category: 'tea' },
      { sku: 'SOFA', category: 'furniture' },
    ];
    const state = customer({ timeZone: 'Europe/Moscow', orders: orders.map((o) => ({ ...o, lines })) }, p);
    const at = (s: CustomerState, zone: string, nowMs: number) =>
      windows(s, restock, trigger, { zone, nowMs, today: localDateOf(nowMs, zone), model });

    // Act / Assess
    for (let t = Date.parse('2026-01-31T12:00:00Z'); t < Date.parse('2026-05-01T00:00:00Z'); t += 2 * DAY) {
      for (const zone of ['Europe/Moscow', 'America/New_York']) {
        expect(at(state, zone, t)).toEqual(at(structuredClone(state), zone, t));
      }
    }
  });
});
