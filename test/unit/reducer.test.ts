import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { emptyState, LIMITS } from '../../functions/domain/customer-state.ts';
import { eventFingerprint } from '../../functions/domain/event-fingerprint.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { credit, tierAt } from '../../functions/domain/points.ts';
import type { ProgramSettings } from '../../functions/domain/reducer.ts';
import { apply } from '../../functions/domain/reducer.ts';
import { rfmClass } from '../../functions/domain/rfm.ts';
import { occurrenceRecord } from './engine-fixtures.ts';
import {
  actionCompleted,
  CUSTOMER_ID,
  consentChanged,
  DEFAULT_PACK,
  line,
  messageEngaged,
  orderCancelled,
  orderPlaced,
  registered,
  settingsWith,
  updated,
} from './fixtures.ts';

/** One point per currency unit and small tier thresholds, so the numbers in the tests stay readable. */
const SETTINGS: ProgramSettings = settingsWith({
  pointsPerCurrencyUnit: 1,
  pointsExpireDays: 365,
  tierWindowMonths: 3,
  tiers: [
    { name: 'Silver', minPoints: 0 },
    { name: 'Gold', minPoints: 100 },
    { name: 'Platinum', minPoints: 500 },
  ],
});

function fresh(): CustomerState {
  return emptyState('default', CUSTOMER_ID);
}

function applyAll(
  events: DomainEvent[],
  settings: ProgramSettings = SETTINGS,
  state = fresh(),
): CustomerState {
  return events.reduce((s, e) => apply(s, e, settings), state);
}

/** An issued occurrence tied to an order, as the engine records it, with its bonus credited. */
function withIssuedBonus(state: CustomerState, key: string, orderId: string, points: number): CustomerState {
  const next = structuredClone(state);
  const at = '2025-03-01T10:00:00.000Z';
  const occurrence = occurrenceRecord(key.split('#')[0] ?? key, 'cashback', at, { points, orderId });
  next.occurrences[key] = occurrence;
  const entryId = `default#${CUSTOMER_ID}#${key}`;
  credit(next, { entryId, campaignId: occurrence.campaignId, points, at, expireDays: 365, reason: 'bonus' });
  return next;
}

describe('apply: CustomerRegistered', () => {
  it('sets the profile, contacts and consents, recording when and by which event each consent was given', () => {
    // Prepare
    const event = registered('evt-reg', '2025-01-10T08:00:00Z', {
      firstName: 'Anna',
      birthday: '1990-05-17',
      timeZone: 'Asia/Vladivostok',
      country: 'RU',
      city: 'Vladivostok',
      locale: 'ru-ru',
      contacts: { email: 'anna@example.com', phone: '+79001234567' },
      consents: { email: true, sms: false },
    });

    // Act
    const state = apply(fresh(), event, SETTINGS);

    // Assess
    expect(state.profile).toEqual({
      firstName: 'Anna',
      registeredAt: '2025-01-10T08:00:00.000Z',
      birthday: { year: 1990, month: 5, day: 17 },
      birthdayChanges: [],
      timeZone: 'Asia/Vladivostok',
      country: 'RU',
      city: 'Vladivostok',
      locale: 'ru-RU',
    });
    expect(state.contacts).toEqual({ email: 'anna@example.com', phone: '+79001234567', pushToken: null });
    expect(state.consents).toEqual({
      email: { granted: true, at: '2025-01-10T08:00:00.000Z', eventId: 'evt-reg' },
      sms: { granted: false, at: '2025-01-10T08:00:00.000Z', eventId: 'evt-reg' },
      push: null,
    });
    expect(state.optOut).toBeNull();
  });

  it('takes registeredAt from the detail when given, and the earliest of re-sent registrations', () => {
    // Prepare
    const first = registered('r-1', '2025-02-01T00:00:00Z', { registeredAt: '2024-06-30T21:00:00+03:00' });
    const resent = registered('r-2', '2025-02-02T00:00:00Z', { registeredAt: '2024-07-15T00:00:00Z' });

    // Act
    const state = applyAll([resent, first]);

    // Assess
    expect(state.profile.registeredAt).toBe('2024-06-30T18:00:00.000Z');
  });
});

describe('apply: CustomerUpdated', () => {
  it('merges the given fields and keeps the others', () => {
    // Prepare
    const reg = registered('r', '2025-01-01T00:00:00Z', {
      firstName: 'Anna',
      city: 'Moscow',
      contacts: { email: 'anna@example.com' },
    });
    const update = updated('u', '2025-02-01T00:00:00Z', {
      city: 'Kazan',
      contacts: { phone: '+79001234567' },
    });

    // Act
    const state = applyAll([reg, update]);

    // Assess
    expect(state.profile.firstName).toBe('Anna');
    expect(state.profile.city).toBe('Kazan');
    expect(state.contacts).toEqual({ email: 'anna@example.com', phone: '+79001234567', pushToken: null });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, (s: CustomerState) => unknown, unknown]>(
    [
      ['firstName', { firstName: 'Old' }, { firstName: 'New' }, (s) => s.profile.firstName, 'New'],
      ['city', { city: 'Old' }, { city: 'New' }, (s) => s.profile.city, 'New'],
      ['country', { country: 'DE' }, { country: 'FR' }, (s) => s.profile.country, 'FR'],
      ['locale', { locale: 'de' }, { locale: 'fr' }, (s) => s.profile.locale, 'fr'],
      [
        'timeZone',
        { timeZone: 'Europe/Berlin' },
        { timeZone: 'Europe/Paris' },
        (s) => s.profile.timeZone,
        'Europe/Paris',
      ],
      [
        'email',
        { contacts: { email: 'old@x.com' } },
        { contacts: { email: 'new@x.com' } },
        (s) => s.contacts.email,
        'new@x.com',
      ],
      [
        'phone',
        { contacts: { phone: '+4911111111' } },
        { contacts: { phone: '+4922222222' } },
        (s) => s.contacts.phone,
        '+4922222222',
      ],
      [
        'pushToken',
        { contacts: { pushToken: 'old' } },
        { contacts: { pushToken: 'new' } },
        (s) => s.contacts.pushToken,
        'new',
      ],
      [
        'consent',
        { consents: { sms: true } },
        { consents: { sms: false } },
        (s) => s.consents.sms?.granted,
        false,
      ],
      [
        'birthday',
        { birthday: '1990-01-01' },
        { birthday: '1991-02-02' },
        (s) => s.profile.birthday?.month,
        2,
      ],
    ],
  )('keeps the newer %s when an older update arrives late', (_field, older, newer, read, expected) => {
    // Prepare
    const newEvent = updated('u-new', '2025-03-01T00:00:00Z', newer);
    const oldEvent = updated('u-old', '2025-02-01T00:00:00Z', older);

    // Act
    const inOrder = applyAll([oldEvent, newEvent]);
    const late = applyAll([newEvent, oldEvent]);

    // Assess
    expect(read(inOrder)).toEqual(expected);
    expect(read(late)).toEqual(expected);
  });

  it('breaks a tie between updates at the same instant by event id, whatever the arrival order', () => {
    // Prepare
    const a = updated('evt-a', '2025-03-01T00:00:00Z', { city: 'A' });
    const b = updated('evt-b', '2025-03-01T00:00:00Z', { city: 'B' });

    // Act
    const ab = applyAll([a, b]);
    const ba = applyAll([b, a]);

    // Assess
    expect(ab.profile.city).toBe('B');
    expect(ba.profile.city).toBe('B');
  });
});

describe('apply: ConsentChanged', () => {
  it.each(['email', 'sms', 'push'] as const)(
    'records a %s consent change with its time and event',
    (channel) => {
      // Prepare
      const grant = consentChanged('c-1', '2025-01-01T00:00:00Z', channel, true);
      const revoke = consentChanged('c-2', '2025-01-02T00:00:00Z', channel, false);

      // Act
      const state = applyAll([grant, revoke]);

      // Assess
      expect(state.consents[channel]).toEqual({
        granted: false,
        at: '2025-01-02T00:00:00.000Z',
        eventId: 'c-2',
      });
      const others = (['email', 'sms', 'push'] as const).filter((c) => c !== channel);
      for (const other of others) expect(state.consents[other]).toBeNull();
    },
  );

  it('opts out globally with channel all and keeps the per-channel consents', () => {
    // Prepare
    const reg = registered('r', '2025-01-01T00:00:00Z', { consents: { email: true, sms: true } });
    const optOut = consentChanged('all-off', '2025-02-01T00:00:00Z', 'all', false);

    // Act
    const state = applyAll([reg, optOut]);

    // Assess
    expect(state.optOut).toEqual({ granted: false, at: '2025-02-01T00:00:00.000Z', eventId: 'all-off' });
    expect(state.consents.email?.granted).toBe(true);
  });

  it('re-opts in with channel all: the global opt-out lifts and no channel is granted that was not', () => {
    // Prepare
    const events = [
      consentChanged('email-on', '2025-01-01T00:00:00Z', 'email', true),
      consentChanged('off', '2025-02-01T00:00:00Z', 'all', false),
      consentChanged('on', '2025-03-01T00:00:00Z', 'all', true),
    ];

    // Act
    const state = applyAll(events);

    // Assess
    expect(state.optOut).toEqual({ granted: true, at: '2025-03-01T00:00:00.000Z', eventId: 'on' });
    expect(state.consents.email).toEqual({
      granted: true,
      at: '2025-01-01T00:00:00.000Z',
      eventId: 'email-on',
    });
    expect(state.consents.sms).toBeNull();
    expect(state.consents.push).toBeNull();
  });

  it('keeps a newer per-channel revocation when an older re-opt-in arrives late', () => {
    // Prepare
    const emailOn = consentChanged('email-on', '2025-01-01T00:00:00Z', 'email', true);
    const revoke = consentChanged('sms-off', '2025-04-01T00:00:00Z', 'sms', false);
    const reOptIn = consentChanged('on', '2025-03-01T00:00:00Z', 'all', true);

    // Act
    const state = applyAll([emailOn, revoke, reOptIn]);

    // Assess
    expect(state.consents.sms?.granted).toBe(false);
    expect(state.consents.email?.granted).toBe(true);
    expect(state.optOut?.granted).toBe(true);
  });

  it('keeps a newer global opt-out when an older re-opt-in arrives late', () => {
    // Prepare
    const off = consentChanged('off', '2025-04-01T00:00:00Z', 'all', false);
    const on = consentChanged('on', '2025-03-01T00:00:00Z', 'all', true);

    // Act
    const state = applyAll([off, on]);

    // Assess
    expect(state.optOut).toEqual({ granted: false, at: '2025-04-01T00:00:00.000Z', eventId: 'off' });
  });
});

describe('apply: OrderPlaced', () => {
  const coffeeAndTea = orderPlaced('e-1', '2025-03-10T12:00:00Z', 'o-1', [
    line('COFFEE', 10.1, 'coffee', 2),
    line('TEA', 5.25, 'tea'),
    line('MUG', 4.5),
  ]);

  it('updates the order stats and the spend by category', () => {
    // Prepare
    const later = orderPlaced('e-2', '2025-04-01T00:00:00Z', 'o-2', [line('COFFEE', 0.1, 'coffee', 3)]);

    // Act
    const state = applyAll([later, coffeeAndTea]);

    // Assess
    expect(state.stats).toEqual({
      orders: 2,
      spend: 30.25,
      firstOrderAt: '2025-03-10T12:00:00.000Z',
      lastOrderAt: '2025-04-01T00:00:00.000Z',
    });
    expect(state.spendByCategory).toEqual({ coffee: 20.5, tea: 5.25, other: 4.5 });
    expect(state.orders['o-1']).toEqual({
      at: '2025-03-10T12:00:00.000Z',
      total: 29.95,
      points: 29,
      categories: { coffee: 20.2, tea: 5.25, other: 4.5 },
      skus: ['COFFEE', 'TEA', 'MUG'],
      cancelled: false,
    });
  });

  it('keeps money exact in cents when many amounts are summed', () => {
    // Prepare: 0.1 + 0.2 drifts in binary floating point
    const events = Array.from({ length: 30 }, (_, i) =>
      orderPlaced(`e-${i}`, `2025-03-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`, `o-${i}`, [
        line('A', i % 2 === 0 ? 0.1 : 0.2, 'cat'),
      ]),
    );

    // Act
    const state = applyAll(events);

    // Assess
    expect(state.stats.spend).toBe(4.5);
    expect(state.spendByCategory.cat).toBe(4.5);
  });

  it('records distinct purchase days per product, sorted, the most recent kept', () => {
    // Prepare: 10 orders of one SKU on 9 days, out of order, two on the same day
    const days = [5, 1, 9, 3, 7, 2, 8, 4, 6, 6];
    const events = days.map((d, i) =>
      orderPlaced(`e-${i}`, `2025-05-0${d}T${String(10 + i).padStart(2, '0')}:00:00Z`, `o-${i}`, [
        line('BEANS', 10, 'coffee'),
        line('BEANS', 5, 'coffee'),
      ]),
    );

    // Act
    const state = applyAll(events);

    // Assess
    const history = state.products.BEANS;
    expect(history?.days).toEqual([
      '2025-05-02',
      '2025-05-03',
      '2025-05-04',
      '2025-05-05',
      '2025-05-06',
      '2025-05-07',
      '2025-05-08',
      '2025-05-09',
    ]);
    expect(history?.days).toHaveLength(LIMITS.purchaseDatesPerProduct);
    expect(history?.count).toBe(10);
    expect(history?.category).toBe('coffee');
  });

  it('accrues base points into an expiry bucket with an order ledger entry', () => {
    // Act
    const state = apply(fresh(), coffeeAndTea, SETTINGS);

    // Assess
    expect(state.points.balance).toBe(29);
    expect(state.points.lifetimeEarned).toBe(29);
    expect(state.points.buckets).toEqual([{ expiresOn: '2026-03-10', points: 29 }]);
    expect(state.points.earnedByMonth).toEqual({ '2025-03': 29 });
    expect(state.ledger).toEqual([
      {
        entryId: 'order:o-1',
        customerId: CUSTOMER_ID,
        brand: 'default',
        campaignId: null,
        points: 29,
        reason: 'accrual',
        at: '2025-03-10T12:00:00.000Z',
        expiresAt: '2026-03-10T00:00:00.000Z',
      },
    ]);
  });

  it.each<[string, number, number, number]>([
    ['1% of a round amount', 0.01, 5700, 57],
    ['100 points per unit of 0.29', 100, 0.29, 29],
    ['100 points per unit of 0.57', 100, 0.57, 57],
    ['a fraction of a point', 1, 9.99, 9],
    ['nothing', 0, 100, 0],
  ])('accrues whole points: %s', (_what, rate, price, expected) => {
    // Prepare
    const order = orderPlaced('e', '2025-03-10T12:00:00Z', 'o', [line('X', price)]);

    // Act
    const state = apply(fresh(), order, settingsWith({ pointsPerCurrencyUnit: rate }));

    // Assess
    expect(state.points.balance).toBe(expected);
    expect(state.orders.o?.points).toBe(expected);
  });

  it('recomputes the tier from points earned in the rolling window', () => {
    // Prepare
    const big = orderPlaced('e-1', '2025-01-15T00:00:00Z', 'o-1', [line('TV', 150)]);
    const small = orderPlaced('e-2', '2025-02-15T00:00:00Z', 'o-2', [line('CABLE', 10)]);
    const later = orderPlaced('e-3', '2025-04-02T00:00:00Z', 'o-3', [line('CABLE', 10)]);

    // Act
    const afterBig = applyAll([big]);
    const afterSmall = apply(afterBig, small, SETTINGS);
    const afterLater = apply(afterSmall, later, SETTINGS);

    // Assess: January leaves the 3-month window (Feb..Apr) in April
    expect(fresh().tier).toBeNull();
    expect(afterBig.tier).toBe('Gold');
    expect(afterSmall.tier).toBe('Gold');
    expect(afterLater.tier).toBe('Silver');
  });

  it('reaches the top tier with enough points in the window', () => {
    // Act
    const state = apply(fresh(), orderPlaced('e', '2025-01-15T00:00:00Z', 'o', [line('TV', 500)]), SETTINGS);

    // Assess
    expect(state.tier).toBe('Platinum');
  });

  it('computes the RFM class as of the newest event', () => {
    // Act
    const state = apply(fresh(), coffeeAndTea, SETTINGS);

    // Assess
    expect(state.rfm).toBe('new');
  });

  it('returns the same state object for a duplicate event id', () => {
    // Prepare
    const state = apply(fresh(), coffeeAndTea, SETTINGS);

    // Act
    const again = apply(state, coffeeAndTea, SETTINGS);

    // Assess
    expect(again).toBe(state);
  });

  it('returns the same state object for a second OrderPlaced with a known order id', () => {
    // Prepare
    const state = apply(fresh(), coffeeAndTea, SETTINGS);
    const resent = orderPlaced('e-other', '2025-03-11T12:00:00Z', 'o-1', [line('OTHER', 999)]);

    // Act
    const again = apply(state, resent, SETTINGS);

    // Assess
    expect(again).toBe(state);
    expect(again.stats.orders).toBe(1);
  });
});

describe('apply: OrderCancelled', () => {
  const first = orderPlaced('e-1', '2025-03-01T10:00:00Z', 'o-1', [
    line('BEANS', 20, 'coffee'),
    line('TEA', 10, 'tea'),
  ]);
  const second = orderPlaced('e-2', '2025-03-05T10:00:00Z', 'o-2', [line('BEANS', 40.5, 'coffee')]);
  const cancelSecond = orderCancelled('x-2', '2025-03-06T10:00:00Z', 'o-2');

  it('reverses the stats, the category spend and the purchase days of the order', () => {
    // Act
    const state = applyAll([first, second, cancelSecond]);

    // Assess
    expect(state.stats).toEqual({
      orders: 1,
      spend: 30,
      firstOrderAt: '2025-03-01T10:00:00.000Z',
      lastOrderAt: '2025-03-01T10:00:00.000Z',
    });
    expect(state.spendByCategory).toEqual({ coffee: 20, tea: 10 });
    expect(state.products.BEANS).toEqual({ days: ['2025-03-01'], category: 'coffee', count: 1 });
    expect(state.orders['o-2']?.cancelled).toBe(true);
  });

  it('forgets a product and resets the order dates when the only order is cancelled', () => {
    // Act
    const state = applyAll([first, orderCancelled('x-1', '2025-03-02T00:00:00Z', 'o-1')]);

    // Assess
    expect(state.stats).toEqual({ orders: 0, spend: 0, firstOrderAt: null, lastOrderAt: null });
    expect(state.spendByCategory).toEqual({});
    expect(state.products).toEqual({});
  });

  it('claws back the base points from the bucket they went to, and untaxes the month they were earned in', () => {
    // Prepare: the cancellation comes a month later
    const cancel = orderCancelled('x-2', '2025-04-06T10:00:00Z', 'o-2');

    // Act
    const state = applyAll([first, second, cancel]);

    // Assess
    expect(state.points.balance).toBe(30);
    expect(state.points.lifetimeEarned).toBe(30);
    expect(state.points.buckets).toEqual([{ expiresOn: '2026-03-01', points: 30 }]);
    expect(state.points.earnedByMonth).toEqual({ '2025-03': 30 });
    expect(state.ledger.at(-1)).toMatchObject({
      entryId: 'clawback:order:o-2',
      points: -40,
      reason: 'clawback',
      at: '2025-04-06T10:00:00.000Z',
    });
  });

  it('claws back every issued occurrence tied to the order', () => {
    // Prepare
    let state = applyAll([first, second]);
    state = withIssuedBonus(state, 'cashback-by-tier#o-2', 'o-2', 7);
    state = withIssuedBonus(state, 'favourite-category-bonus#o-2', 'o-2', 3);
    state = withIssuedBonus(state, 'cashback-by-tier#o-1', 'o-1', 5);

    // Act
    const after = apply(state, cancelSecond, SETTINGS);

    // Assess
    expect(after.occurrences['cashback-by-tier#o-2']?.status).toBe('clawed-back');
    expect(after.occurrences['favourite-category-bonus#o-2']?.status).toBe('clawed-back');
    expect(after.occurrences['cashback-by-tier#o-1']?.status).toBe('issued');
    expect(after.points.balance).toBe(30 + 5);
    const clawbacks = after.ledger.filter((e) => e.reason === 'clawback').map((e) => [e.entryId, e.points]);
    expect(clawbacks).toEqual(
      expect.arrayContaining([
        ['clawback:order:o-2', -40],
        [`clawback:default#${CUSTOMER_ID}#cashback-by-tier#o-2`, -7],
        [`clawback:default#${CUSTOMER_ID}#favourite-category-bonus#o-2`, -3],
      ]),
    );
    expect(clawbacks).toHaveLength(3);
  });

  it('claws back the bonus of an offer the order converted', () => {
    // Prepare
    let state = applyAll([first, second]);
    state = withIssuedBonus(state, 'win-back#2025-02', 'o-2', 300);
    const occurrence = state.occurrences['win-back#2025-02'];
    if (occurrence) occurrence.status = 'converted';

    // Act
    const after = apply(state, cancelSecond, SETTINGS);

    // Assess
    expect(after.occurrences['win-back#2025-02']?.status).toBe('clawed-back');
    expect(after.points.balance).toBe(30);
  });

  it('never lets the balance go below zero when the points are already gone', () => {
    // Prepare
    const state = structuredClone(applyAll([first, second]));
    state.points.balance = 10;
    state.points.buckets = [{ expiresOn: '2026-03-01', points: 10 }];

    // Act
    const after = apply(state, cancelSecond, SETTINGS);

    // Assess
    expect(after.points.balance).toBe(0);
    expect(after.points.buckets).toEqual([]);
    expect(after.ledger.at(-1)).toMatchObject({ entryId: 'clawback:order:o-2', points: -10 });
  });

  it('leaves a tombstone when the cancellation arrives first, so the late order never counts', () => {
    // Act
    const tombstoned = apply(fresh(), cancelSecond, SETTINGS);
    const state = apply(tombstoned, second, SETTINGS);

    // Assess
    expect(tombstoned.orders['o-2']?.cancelled).toBe(true);
    expect(state.stats).toEqual({ orders: 0, spend: 0, firstOrderAt: null, lastOrderAt: null });
    expect(state.points.balance).toBe(0);
    expect(state.products).toEqual({});
    expect(state.spendByCategory).toEqual({});
    expect(state.orders['o-2']).toMatchObject({ cancelled: true, total: 40.5, skus: ['BEANS'] });
    expect(apply(state, second, SETTINGS)).toBe(state);
  });

  it('ignores a second cancellation of the same order', () => {
    // Prepare
    const state = applyAll([first, second, cancelSecond]);

    // Act
    const again = apply(state, orderCancelled('x-2-again', '2025-03-07T00:00:00Z', 'o-2'), SETTINGS);

    // Assess
    expect(again.stats).toEqual(state.stats);
    expect(again.points).toEqual(state.points);
  });

  it('restores a purchase day that fell out of the bounded list when a newer order is cancelled', () => {
    // Prepare: nine purchase days, only eight kept
    const orders = Array.from({ length: 9 }, (_, i) =>
      orderPlaced(`e-${i}`, `2025-06-0${i + 1}T10:00:00Z`, `o-${i}`, [line('BEANS', 10, 'coffee')]),
    );

    // Act
    const state = applyAll([...orders, orderCancelled('x', '2025-06-10T00:00:00Z', 'o-8')]);

    // Assess
    expect(state.products.BEANS?.days).toEqual(Array.from({ length: 8 }, (_, i) => `2025-06-0${i + 1}`));
  });
});

describe('apply: birthday edits', () => {
  const reg = registered('r', '2025-01-01T00:00:00Z', { birthday: '1990-05-17' });

  it('accepts the first birthday for free', () => {
    // Act
    const state = apply(fresh(), updated('u', '2025-01-01T00:00:00Z', { birthday: '--02-29' }), SETTINGS);

    // Assess
    expect(state.profile.birthday).toEqual({ year: null, month: 2, day: 29 });
    expect(state.profile.birthdayChanges).toEqual([]);
  });

  it.each<[string, string, string | null]>([
    ['accepts one edit within a year', '2025-02-01T00:00:00Z', '1990-06-01'],
    ['ignores a second edit within a year', '2025-12-31T00:00:00Z', '1990-06-01'],
    ['accepts an edit a year after the last one', '2026-02-01T00:00:00Z', '1990-07-01'],
  ])('%s', (_what, secondAt, expected) => {
    // Prepare
    const firstEdit = updated('u-1', '2025-02-01T00:00:00Z', { birthday: '1990-06-01' });
    const secondEdit = updated('u-2', secondAt, { birthday: '1990-07-01' });

    // Act
    const state = applyAll([reg, firstEdit, ...(secondAt === '2025-02-01T00:00:00Z' ? [] : [secondEdit])]);

    // Assess
    const b = state.profile.birthday;
    expect(
      b === null ? null : `${b.year}-${String(b.month).padStart(2, '0')}-${String(b.day).padStart(2, '0')}`,
    ).toBe(expected);
  });

  it('records the times of accepted edits only', () => {
    // Act
    const state = applyAll([
      reg,
      updated('u-1', '2025-02-01T00:00:00Z', { birthday: '1990-06-01' }),
      updated('u-2', '2025-03-01T00:00:00Z', { birthday: '1990-07-01' }),
      updated('u-3', '2026-02-01T00:00:00Z', { birthday: '1990-08-01' }),
    ]);

    // Assess
    expect(state.profile.birthdayChanges).toEqual(['2025-02-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']);
    expect(state.profile.birthday).toEqual({ year: 1990, month: 8, day: 1 });
  });

  it('adds the year to a known birthday without counting an edit', () => {
    // Act
    const state = applyAll([
      registered('r', '2025-01-01T00:00:00Z', { birthday: '--05-17' }),
      updated('u', '2025-01-02T00:00:00Z', { birthday: '1990-05-17' }),
    ]);

    // Assess
    expect(state.profile.birthday).toEqual({ year: 1990, month: 5, day: 17 });
    expect(state.profile.birthdayChanges).toEqual([]);
  });

  it('honours an allowance larger than the stored edit history', () => {
    // Prepare: 6 edits a year allowed, 8 attempted in one year
    const settings = settingsWith({}, { birthdayEditsPerYear: 6 });
    const edits = Array.from({ length: 8 }, (_, i) =>
      updated(`u-${i}`, `2025-0${i + 2}-01T00:00:00Z`, { birthday: `1990-0${i + 2}-01` }),
    );

    // Act
    const state = applyAll([reg, ...edits], settings);

    // Assess
    expect(state.profile.birthday).toEqual({ year: 1990, month: 7, day: 1 });
  });

  it('ignores every edit when the allowance is zero', () => {
    // Act
    const state = applyAll(
      [reg, updated('u', '2027-01-01T00:00:00Z', { birthday: '1990-06-01' })],
      settingsWith({}, { birthdayEditsPerYear: 0 }),
    );

    // Assess
    expect(state.profile.birthday).toEqual({ year: 1990, month: 5, day: 17 });
  });
});

describe('apply: MessageEngaged', () => {
  it.each<[string, string, number]>([
    ['opened', '2025-06-01T23:30:00Z', 9],
    ['clicked', '2025-06-01T14:05:00Z', 0],
  ])('counts an %s message at the customer local hour', (kind, time, hour) => {
    // Prepare
    const reg = registered('r', '2025-01-01T00:00:00Z', { timeZone: 'Asia/Vladivostok' });
    const event = messageEngaged('m', time, kind as 'opened' | 'clicked');

    // Act
    const state = applyAll([reg, event]);

    // Assess
    const expected = Array.from({ length: 24 }, (_, h) => (h === hour ? 1 : 0));
    expect(state.engagement.byLocalHour).toEqual(expected);
    expect(state.engagement.lastAt).toBe(new Date(time).toISOString());
  });

  it('uses the default time zone when the customer has none', () => {
    // Act: Europe/Moscow is UTC+3
    const state = apply(fresh(), messageEngaged('m', '2025-06-01T06:00:00Z', 'opened'), SETTINGS);

    // Assess
    expect(state.engagement.byLocalHour[9]).toBe(1);
  });

  it('does not count a delivery', () => {
    // Act
    const state = apply(fresh(), messageEngaged('m', '2025-06-01T06:00:00Z', 'delivered'), SETTINGS);

    // Assess
    expect(state.engagement.byLocalHour.every((n) => n === 0)).toBe(true);
    expect(state.engagement.lastAt).toBeNull();
  });
});

describe('apply: delivery receipts', () => {
  const ordered = () =>
    applyAll([
      registered('r', '2025-01-01T00:00:00Z'),
      orderPlaced('o', '2025-01-02T00:00:00Z', 'o-1', [line('X', 100)]),
    ]);

  it('returns the state itself for a receipt that moves neither tier nor RFM class', () => {
    // Prepare
    const state = ordered();
    // Act
    const after = apply(state, messageEngaged('d', '2025-01-02T01:00:00Z', 'delivered'), SETTINGS);
    // Assess: nothing to write, not even the receipt's fingerprint
    expect(after).toBe(state);
  });

  it('applies a receipt whose newer event time moves the RFM class', () => {
    // Prepare: a receipt long after the last order, when recency puts the customer in another class
    const state = ordered();
    const late = '2026-06-01T00:00:00Z';
    const lateClass = rfmClass(state, SETTINGS.program, Date.parse(late));
    expect(lateClass).not.toBe(state.rfm);
    // Act
    const after = apply(state, messageEngaged('d', late, 'delivered'), SETTINGS);
    // Assess: a new state, reclassified, with the receipt recorded and no engagement counted
    expect(after).not.toBe(state);
    expect(after.rfm).toBe(lateClass);
    expect(after.version).toBe(state.version + 1);
    expect(after.recentEventIds.at(-1)).toBe(eventFingerprint('d'));
    expect(after.engagement).toEqual(state.engagement);
  });
});

describe('apply: bookkeeping', () => {
  it('increments the version and records the event once per applied event', () => {
    // Prepare
    const events = [
      registered('r', '2025-01-01T00:00:00Z'),
      actionCompleted('a', '2025-01-02T00:00:00Z', 'review'),
      actionCompleted('a', '2025-01-02T00:00:00Z', 'review'),
    ];

    // Act
    const state = applyAll(events);

    // Assess
    expect(state.version).toBe(2);
    expect(state.recentEventIds).toEqual([eventFingerprint('r'), eventFingerprint('a')]);
    expect(state.updatedAt).toBe('2025-01-02T00:00:00.000Z');
  });

  it('keeps a fixed-size fingerprint of each event id, however long the id', () => {
    // Prepare: an EventBridge UUID and an id of the longest allowed length
    const uuid = '0f8e1c9a-6a52-4c3e-9d5b-2f1e0a7b6c4d';
    const long = 'x'.repeat(128);

    // Act
    const state = applyAll([
      registered(uuid, '2025-01-01T00:00:00Z'),
      actionCompleted(long, '2025-01-02T00:00:00Z', 'review'),
    ]);

    // Assess
    expect(state.recentEventIds).toEqual([eventFingerprint(uuid), eventFingerprint(long)]);
    for (const f of state.recentEventIds) expect(f).toMatch(/^[0-9a-f]{16}$/);
  });

  it('treats an event whose id an older item kept verbatim as a duplicate', () => {
    // Prepare: an item written before fingerprints, holding the raw id
    const before = applyAll([registered('r', '2025-01-01T00:00:00Z')]);
    const legacy = { ...before, recentEventIds: ['r'] };

    // Act
    const after = apply(legacy, registered('r', '2025-01-01T00:00:00Z', { city: 'Kazan' }), SETTINGS);

    // Assess: the same object back, nothing applied
    expect(after).toBe(legacy);
  });

  it('does not mutate the state it is given', () => {
    // Prepare
    const before = applyAll([registered('r', '2025-01-01T00:00:00Z', { city: 'Kazan' })]);
    const snapshot = structuredClone(before);

    // Act
    apply(before, orderPlaced('e', '2025-02-01T00:00:00Z', 'o', [line('X', 10)]), SETTINGS);

    // Assess
    expect(before).toEqual(snapshot);
  });

  it('keeps every bounded collection within its limit after many events', () => {
    // Prepare: 300 orders of 40 products, every third cancelled, and 200 cancellations of unknown orders
    const events: DomainEvent[] = [];
    for (let i = 0; i < 300; i++) {
      const at = new Date(Date.parse('2023-01-01T00:00:00Z') + i * 3 * 86_400_000).toISOString();
      events.push(
        orderPlaced(`e-${i}`, at, `o-${i}`, [
          line(`SKU-${i % 40}`, 100, 'c'),
          line(`SKU-${(i * 7) % 40}`, 5),
        ]),
      );
      if (i % 3 === 0) events.push(orderCancelled(`x-${i}`, at, `o-${i}`));
    }
    for (let i = 0; i < 200; i++)
      events.push(orderCancelled(`ghost-${i}`, '2025-06-01T00:00:00Z', `ghost-${i}`));

    // Act
    const state = applyAll(events, DEFAULT_PACK);

    // Assess
    expect(state.recentEventIds).toHaveLength(LIMITS.recentEventIds);
    expect(Object.keys(state.orders).length).toBeLessThanOrEqual(LIMITS.orders);
    expect(Object.keys(state.products).length).toBeLessThanOrEqual(LIMITS.products);
    for (const p of Object.values(state.products))
      expect(p.days.length).toBeLessThanOrEqual(LIMITS.purchaseDatesPerProduct);
    expect(state.ledger.length).toBeLessThanOrEqual(LIMITS.ledger);
    expect(Object.keys(state.points.earnedByMonth).length).toBeLessThanOrEqual(LIMITS.earnedMonths);
    expect(state.stats.orders).toBe(200);
    expect(state.version).toBe(events.length);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: duplicated and reordered delivery gives the same customer

const START_MS = Date.parse('2024-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;
/** The catalogue: a SKU always has the same category (or none). */
const CATALOGUE: readonly (string | undefined)[] = ['coffee', 'tea', 'coffee', undefined, 'milk', 'tea'];

const PROPERTY_SETTINGS: readonly ProgramSettings[] = [
  DEFAULT_PACK,
  SETTINGS,
  settingsWith({ pointsPerCurrencyUnit: 100, tierWindowMonths: 2, pointsExpireDays: 30 }),
];

/** An instant on a coarse grid (half days), so ties between events happen. */
const instant = (minDay: number, maxDay: number) =>
  fc
    .tuple(fc.integer({ min: minDay, max: maxDay }), fc.constantFrom(0, 12))
    .map(([day, hour]) => new Date(START_MS + day * 24 * HOUR_MS + hour * HOUR_MS).toISOString());

const consentsArb = fc.record(
  { email: fc.boolean(), sms: fc.boolean(), push: fc.boolean() },
  { requiredKeys: [] },
);

const profileArb = fc.record(
  {
    firstName: fc.constantFrom('Anna', 'Boris', 'Vera'),
    city: fc.constantFrom('Moscow', 'Kazan', 'Berlin'),
    country: fc.constantFrom('RU', 'DE'),
    timeZone: fc.constantFrom('Europe/Moscow', 'Asia/Vladivostok', 'Europe/Berlin'),
    locale: fc.constantFrom('ru', 'en', 'de-DE'),
    contacts: fc.record(
      {
        email: fc.constantFrom('a@example.com', 'b@example.com'),
        phone: fc.constantFrom('+79001112233', '+4915112345678'),
        pushToken: fc.constantFrom('tok-1', 'tok-2'),
      },
      { requiredKeys: [] },
    ),
    consents: consentsArb,
  },
  { requiredKeys: ['city'] },
);

const lineArb = fc.record({
  // SKU-0 is bought often, so its bounded list of purchase days fills up and overflows.
  sku: fc.oneof(
    { arbitrary: fc.constant(0), weight: 3 },
    { arbitrary: fc.nat({ max: CATALOGUE.length - 1 }), weight: 2 },
  ),
  quantity: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0.5, 1.25)),
  cents: fc.oneof(fc.integer({ min: 0, max: 50_000 }), fc.constantFrom(0, 1, 10, 20, 30)),
});

const orderArb = fc.record({
  at: instant(0, 700),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }),
  /** A re-sent OrderPlaced: the same order under another event id. */
  resent: fc.boolean(),
  /** Days from the order to its cancellation: negative = the cancellation happened (or arrives) first. */
  cancelAfterDays: fc.option(fc.integer({ min: -20, max: 60 }), { freq: 3 }),
});

const historyArb = fc.record({
  registration: fc.record({
    at: instant(0, 20),
    profile: profileArb,
    birthday: fc.constantFrom('1990-05-17', '--02-29'),
  }),
  updates: fc.array(fc.record({ at: instant(0, 700), profile: profileArb }), { maxLength: 4 }),
  /** A birthday edit more than a year after registration (edits within a year depend on arrival order). */
  birthdayEdit: fc.option(
    fc.record({ at: instant(400, 700), birthday: fc.constantFrom('1991-06-01', '1990-05-17') }),
  ),
  consents: fc.array(
    fc.record({
      at: instant(0, 700),
      channel: fc.constantFrom('email', 'sms', 'push', 'all'),
      granted: fc.boolean(),
    }),
    { maxLength: 5 },
  ),
  orders: fc.array(orderArb, { maxLength: 16, size: 'max' }),
  unknownCancels: fc.array(instant(0, 700), { maxLength: 2 }),
  actions: fc.array(instant(0, 700), { maxLength: 3 }),
});
type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

function buildHistory(h: History): DomainEvent[] {
  const { registration: reg, birthdayEdit } = h;
  const events: DomainEvent[] = [registered('reg', reg.at, { ...reg.profile, birthday: reg.birthday })];
  for (const [i, u] of h.updates.entries()) events.push(updated(`upd-${i}`, u.at, u.profile));
  if (birthdayEdit !== null)
    events.push(updated('bday', birthdayEdit.at, { birthday: birthdayEdit.birthday }));
  for (const [i, c] of h.consents.entries())
    events.push(consentChanged(`con-${i}`, c.at, c.channel, c.granted));
  for (const [i, o] of h.orders.entries()) {
    const lines = o.lines.map((l) => line(`SKU-${l.sku}`, l.cents / 100, CATALOGUE[l.sku], l.quantity));
    // The raw floating-point sum, as a shop might send it (0.1 + 0.2 = 0.30000000000000004).
    const total = lines.reduce((s, l) => s + (l.quantity ?? 1) * l.unitPrice, 0);
    events.push(orderPlaced(`ord-${i}`, o.at, `o-${i}`, lines, { total }));
    if (o.resent) events.push(orderPlaced(`ord-${i}-again`, o.at, `o-${i}`, lines, { total }));
    if (o.cancelAfterDays !== null) {
      const at = new Date(Math.max(START_MS, Date.parse(o.at) + o.cancelAfterDays * 24 * HOUR_MS));
      events.push(orderCancelled(`can-${i}`, at.toISOString(), `o-${i}`));
    }
  }
  for (const [i, at] of h.unknownCancels.entries())
    events.push(orderCancelled(`ghost-${i}`, at, `never-${i}`));
  for (const [i, at] of h.actions.entries()) events.push(actionCompleted(`act-${i}`, at, 'review'));
  return events;
}

/** What must not depend on delivery order: everything but the ledger/event-id order, field stamps and version. */
function canonical(state: CustomerState, settings: ProgramSettings) {
  const { birthdayChanges: _changes, ...profile } = state.profile;
  const { balance, buckets, lifetimeEarned, earnedByMonth } = state.points;
  const asOf = Date.parse('2026-06-01T00:00:00Z');
  return {
    profile,
    contacts: state.contacts,
    consents: state.consents,
    optOut: state.optOut,
    stats: state.stats,
    spendByCategory: state.spendByCategory,
    products: state.products,
    points: { balance, buckets, lifetimeEarned, earnedByMonth },
    tier: state.tier,
    rfm: state.rfm,
    rfmAsOf: rfmClass(state, settings.program, asOf),
    tierAsOf: tierAt(state, settings.program, asOf),
    orders: state.orders,
    updatedAt: state.updatedAt,
  };
}

describe('apply: delivery order (property)', () => {
  it('gives the same customer for a history in time order and the same history reordered with duplicates', () => {
    fc.assert(
      fc.property(
        historyArb.chain((h) => {
          const events = buildHistory(h);
          const indices = events.map((_, i) => i);
          return fc.record({
            events: fc.constant(events),
            // An index, so a counterexample prints short.
            settingsIndex: fc.nat({ max: PROPERTY_SETTINGS.length - 1 }),
            // A permutation of every event plus up to 10 re-deliveries.
            delivery: fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 10 }).chain((dups) => {
              const all = [...indices, ...dups];
              return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
            }),
          });
        }),
        ({ events, settingsIndex, delivery }) => {
          // Prepare
          const settings = PROPERTY_SETTINGS[settingsIndex] ?? SETTINGS;
          const inTimeOrder = [...events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
          const shuffled = delivery.map((i) => events[i]).filter((e): e is DomainEvent => e !== undefined);

          // Act
          const expected = applyAll(inTimeOrder, settings);
          const actual = applyAll(shuffled, settings);

          // Assess
          expect(canonical(actual, settings)).toEqual(canonical(expected, settings));
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});

describe('apply: the state it is given', () => {
  it('is never changed: the new state shares only what it does not write (property)', () => {
    fc.assert(
      fc.property(
        historyArb.chain((h) => {
          const events = buildHistory(h);
          return fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length });
        }),
        (events) => {
          let state = fresh();
          for (const e of events) {
            const before = structuredClone(state);
            const next = apply(state, e, SETTINGS);
            expect(state).toStrictEqual(before);
            state = next;
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150), seed: 20261126 },
    );
  });

  it('is never changed by a wholesale history past every bound (orders, products, ledger)', () => {
    // Prepare: 150 orders of 6 lines over 60 products, some cancelled later
    const events: DomainEvent[] = [];
    for (let i = 0; i < 150; i++) {
      const at = new Date(Date.parse('2023-01-01T00:00:00Z') + i * 2 * 86_400_000).toISOString();
      const lines = [0, 1, 2, 3, 4, 5].map((k) => line(`SKU-${(i * 7 + k * 11) % 60}`, 10 + k, `cat-${k}`));
      events.push(orderPlaced(`e-${i}`, at, `o-${i}`, lines));
      if (i % 9 === 0) events.push(orderCancelled(`x-${i}`, at, `o-${Math.max(0, i - 5)}`));
    }

    // Act
    let state = fresh();
    for (const e of events) {
      const before = structuredClone(state);
      const next = apply(state, e, SETTINGS);
      expect(state).toStrictEqual(before);
      state = next;
    }

    // Assess: the newest orders are kept, the oldest dropped one at a time
    expect(Object.keys(state.orders)).toHaveLength(LIMITS.orders);
    expect(state.orders['o-149']).toBeDefined();
    expect(state.orders['o-29']).toBeUndefined();
    expect(Object.keys(state.products)).toHaveLength(LIMITS.products);
  });
});
