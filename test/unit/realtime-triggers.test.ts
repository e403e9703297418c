import { describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../functions/domain/campaign.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { copyState } from '../../functions/domain/customer-state.ts';
import type { Outcome } from '../../functions/domain/engine.ts';
import { evaluateScheduled, processEvent } from '../../functions/domain/engine.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { favouriteCategory } from '../../functions/domain/realtime-triggers.ts';
import type { CampaignInput, OrderInput } from './engine-fixtures.ts';
import { ctxOf, customer, event, orderEvent, pack } from './engine-fixtures.ts';

const PROGRAM = { pointsPerCurrencyUnit: 1 };

/** Runs events through the engine in the given order, each processed at its own time. */
function run(
  p: CampaignFile,
  events: DomainEvent[],
  start: CustomerState = customer({}, p),
): { state: CustomerState; steps: Outcome[] } {
  const ctx = ctxOf(p);
  let state = start;
  const steps: Outcome[] = [];
  for (const e of events) {
    const out = processEvent(state, e, ctx, Date.parse(e.at));
    steps.push(out);
    state = out.state;
  }
  return { state, steps };
}

/** "type:key[:reason]" of every decision of every step, flattened. */
function decided(steps: Outcome[]): string[] {
  return steps.flatMap((s) =>
    s.decisions.map((d) => `${d.type}:${d.key}${d.type === 'Suppressed' ? `:${d.reason}` : ''}`),
  );
}

const order = (id: string, at: string, total: number, lines?: OrderInput['lines']) =>
  orderEvent({ id, at, total, lines });
const cancel = (id: string, at: string) => event('OrderCancelled', at, { orderId: id, customerId: 'c-1' });
const action = (name: string, at: string, reference?: string) =>
  event('ActionCompleted', at, {
    customerId: 'c-1',
    action: name,
    ...(reference === undefined ? {} : { reference }),
  });

function single(input: CampaignInput, extra: Partial<Parameters<typeof pack>[0]> = {}): CampaignFile {
  return pack({ program: PROGRAM, campaigns: [input], ...extra });
}

describe('milestones', () => {
  const first = single({
    id: 'first',
    trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
    reward: { points: 100 },
    channels: ['email'],
  });
  const second = single({
    id: 'second',
    trigger: { type: 'milestone', metric: 'orders', threshold: 2 },
    reward: { points: 100 },
  });
  const spend = single({
    id: 'spend',
    trigger: { type: 'milestone', metric: 'spend', threshold: 500 },
    reward: { points: 50 },
  });

  it.each<[string, CampaignFile, DomainEvent[], string[]]>([
    [
      'the first order fires the first-order milestone',
      first,
      [order('o1', '2026-01-01T10:00:00Z', 10)],
      ['Issued:first#once'],
    ],
    [
      'once ever: not again after a cancellation dips below and a new order re-crosses',
      first,
      [
        order('o1', '2026-01-01T10:00:00Z', 10),
        cancel('o1', '2026-01-02T10:00:00Z'),
        order('o2', '2026-01-03T10:00:00Z', 10),
      ],
      ['Issued:first#once'],
    ],
    [
      'a late, out-of-order event crosses the threshold just the same',
      second,
      [order('o2', '2026-01-10T10:00:00Z', 10), order('o1', '2026-01-05T10:00:00Z', 10)],
      ['Issued:second#once'],
    ],
    [
      'a redelivered event decides nothing twice',
      first,
      [order('o1', '2026-01-01T10:00:00Z', 10), order('o1', '2026-01-01T10:00:00Z', 10)],
      ['Issued:first#once'],
    ],
    [
      'lifetime spend crossing, once',
      spend,
      [
        order('o1', '2026-01-01T10:00:00Z', 300),
        order('o2', '2026-01-02T10:00:00Z', 300),
        cancel('o2', '2026-01-03T10:00:00Z'),
        order('o3', '2026-01-04T10:00:00Z', 300),
      ],
      ['Issued:spend#once'],
    ],
    ['below the threshold: nothing', spend, [order('o1', '2026-01-01T10:00:00Z', 499.99)], []],
  ])('%s', (_, p, events, expected) => {
    expect(decided(run(p, events).steps)).toEqual(expected);
  });

  it('credits the bonus and says so in the message', () => {
    const { steps } = run(first, [order('o1', '2026-01-01T10:00:00Z', 10)]);
    expect(steps[0]?.ledger.map((e) => [e.entryId, e.points, e.reason])).toEqual([
      ['order:o1', 10, 'accrual'],
      ['default#c-1#first#once', 100, 'bonus'],
    ]);
    expect(steps[0]?.messages.map((m) => m.messageId)).toEqual(['default#c-1#first#once#email']);
  });

  it('a points milestone reached through another campaign’s bonus fires at once', () => {
    // Prepare: the order brings 500 points, the first-order bonus 600 more: 1100 ≥ 1000.
    const p = pack({
      program: PROGRAM,
      campaigns: [
        {
          id: 'first',
          trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
          reward: { points: 600 },
        },
        {
          id: 'points-1000',
          trigger: { type: 'milestone', metric: 'points', threshold: 1000 },
          reward: { points: 10 },
        },
      ],
    });
    // Act
    const { steps, state } = run(p, [
      order('o1', '2026-01-01T10:00:00Z', 500),
      order('o2', '2026-01-02T10:00:00Z', 500),
    ]);
    // Assess
    expect(decided(steps)).toEqual(['Issued:first#once', 'Issued:points-1000#once']);
    expect(state.points.balance).toBe(500 + 600 + 10 + 500);
  });

  it('a points milestone reached through a scheduled bonus fires in the same evaluation', () => {
    const p = pack({
      program: PROGRAM,
      campaigns: [
        { id: 'bday', trigger: { type: 'birthday' }, reward: { points: 500 } },
        {
          id: 'points-1000',
          trigger: { type: 'milestone', metric: 'points', threshold: 1000 },
          reward: { points: 10 },
        },
      ],
    });
    const who = customer(
      {
        birthday: '1990-05-15',
        timeZone: 'UTC',
        orders: [{ id: 'o1', at: '2026-01-01T10:00:00Z', total: 600 }],
      },
      p,
    );
    const out = evaluateScheduled(who, ctxOf(p), Date.parse('2026-05-15T10:00:00Z'));
    expect(out.decisions.map((d) => d.key)).toEqual(['bday#2026', 'points-1000#once']);
    expect(out.ledger.map((e) => e.points)).toEqual([500, 10]);
  });
});

describe('tier up', () => {
  const gold = single({ id: 'gold', trigger: { type: 'tier-up', tier: 'Gold' }, reward: { points: 300 } });

  it.each<[string, DomainEvent[], string[]]>([
    ['reaching Gold fires once', [order('o1', '2026-01-01T10:00:00Z', 1200)], ['Issued:gold#once']],
    ['below Gold: nothing', [order('o1', '2026-01-01T10:00:00Z', 999)], []],
    [
      'not again after dropping below and reaching it again',
      [
        order('o1', '2026-01-01T10:00:00Z', 1200),
        cancel('o1', '2026-01-02T10:00:00Z'),
        order('o2', '2026-01-03T10:00:00Z', 1200),
      ],
      ['Issued:gold#once'],
    ],
  ])('%s', (_, events, expected) => {
    expect(decided(run(gold, events).steps)).toEqual(expected);
  });

  it('skipping a tier fires both tier-ups', () => {
    const p = pack({
      program: PROGRAM,
      campaigns: [
        { id: 'gold', trigger: { type: 'tier-up', tier: 'Gold' }, reward: { points: 1 } },
        { id: 'platinum', trigger: { type: 'tier-up', tier: 'Platinum' }, reward: { points: 1 } },
      ],
    });
    expect(decided(run(p, [order('o1', '2026-01-01T10:00:00Z', 6000)]).steps).sort()).toEqual([
      'Issued:gold#once',
      'Issued:platinum#once',
    ]);
  });
});

describe('action rewards', () => {
  const review = single({
    id: 'review',
    trigger: { type: 'action', action: 'review', maxPerPeriod: 2, periodDays: 30 },
    reward: { points: 50 },
    channels: ['email'],
    capped: false,
  });

  it.each<[string, DomainEvent[], string[]]>([
    [
      'rewards a named action',
      [action('review', '2026-01-01T10:00:00Z', 'sku-1')],
      ['Issued:review#review:sku-1'],
    ],
    ['ignores other actions', [action('survey', '2026-01-01T10:00:00Z', 'x')], []],
    [
      'once per reference',
      [action('review', '2026-01-01T10:00:00Z', 'sku-1'), action('review', '2026-01-02T10:00:00Z', 'sku-1')],
      ['Issued:review#review:sku-1'],
    ],
    [
      'capped per period: the third in 30 days is suppressed',
      [
        action('review', '2026-01-01T10:00:00Z', 'a'),
        action('review', '2026-01-02T10:00:00Z', 'b'),
        action('review', '2026-01-03T10:00:00Z', 'c'),
      ],
      ['Issued:review#review:a', 'Issued:review#review:b', 'Suppressed:review#review:c:action-cap'],
    ],
    [
      'rewarded again once the period has passed',
      [
        action('review', '2026-01-01T10:00:00Z', 'a'),
        action('review', '2026-01-02T10:00:00Z', 'b'),
        action('review', '2026-01-31T10:00:01Z', 'c'),
      ],
      ['Issued:review#review:a', 'Issued:review#review:b', 'Issued:review#review:c'],
    ],
  ])('%s', (_, events, expected) => {
    expect(decided(run(review, events).steps)).toEqual(expected);
  });

  it('keys an action without a reference by its event id', () => {
    const e = action('review', '2026-01-01T10:00:00Z');
    expect(decided(run(review, [e]).steps)).toEqual([`Issued:review#review:${e.id}`]);
  });

  it('a suppressed reference stays decided: it is not rewarded after the period either', () => {
    const { steps } = run(review, [
      action('review', '2026-01-01T10:00:00Z', 'a'),
      action('review', '2026-01-02T10:00:00Z', 'b'),
      action('review', '2026-01-03T10:00:00Z', 'c'),
      action('review', '2026-03-01T10:00:00Z', 'c'),
    ]);
    expect(decided(steps).at(-1)).toBe('Suppressed:review#review:c:action-cap');
    expect(steps.at(-1)?.decisions).toEqual([]);
  });
});

describe('favourite category', () => {
  const fav = single({ id: 'fav', trigger: { type: 'favourite-category', multiplier: 1.2, minOrders: 2 } });
  const history = [
    order('o1', '2026-01-01T10:00:00Z', 300, [{ sku: 'A', category: 'coffee' }]),
    order('o2', '2026-01-02T10:00:00Z', 100, [{ sku: 'B', category: 'tea' }]),
  ];

  it.each<[string, DomainEvent[], number[]]>([
    [
      '+20% on the lines of the favourite category',
      [
        ...history,
        order('o3', '2026-01-03T10:00:00Z', 200, [
          { sku: 'A', category: 'coffee' },
          { sku: 'B', category: 'tea' },
        ]),
      ],
      [20],
    ],
    [
      'nothing before minOrders orders',
      [
        history[0] ?? order('x', '2026-01-01T10:00:00Z', 1),
        order('o3', '2026-01-03T10:00:00Z', 100, [{ sku: 'A', category: 'coffee' }]),
      ],
      [],
    ],
    [
      'the favourite comes from the orders before this one',
      [...history, order('o3', '2026-01-03T10:00:00Z', 1000, [{ sku: 'B', category: 'tea' }])],
      [],
    ],
  ])('%s', (_, events, expected) => {
    const { steps } = run(fav, events);
    expect(steps.flatMap((s) => s.ledger.filter((e) => e.reason === 'bonus').map((e) => e.points))).toEqual(
      expected,
    );
  });

  it('cancelling the order claws the bonus back', () => {
    const { steps } = run(fav, [
      ...history,
      order('o3', '2026-01-03T10:00:00Z', 100, [{ sku: 'A', category: 'coffee' }]),
      cancel('o3', '2026-01-04T10:00:00Z'),
    ]);
    expect(steps.at(-1)?.ledger.map((e) => [e.entryId, e.points])).toEqual([
      ['clawback:order:o3', -100],
      ['clawback:default#c-1#fav#o3', -20],
    ]);
  });

  it('ignores uncategorised lines and breaks ties by name', () => {
    const state = customer({
      orders: [
        { id: 'o1', at: '2026-01-01T10:00:00Z', total: 500, lines: [{ sku: 'X' }] },
        { id: 'o2', at: '2026-01-02T10:00:00Z', total: 100, lines: [{ sku: 'T', category: 'tea' }] },
        { id: 'o3', at: '2026-01-03T10:00:00Z', total: 100, lines: [{ sku: 'C', category: 'coffee' }] },
      ],
    });
    expect(favouriteCategory(state)).toBe('coffee');
  });
});

describe('cross-sell', () => {
  const cross = single({
    id: 'pair',
    trigger: {
      type: 'cross-sell',
      delayHours: 24,
      skipIfBoughtWithinDays: 90,
      rules: [{ whenCategory: 'trousers', offerCategory: 'sweatshirts' }],
    },
    reward: { offer: { codePrefix: 'PAIR10', discountPercent: 10, validityDays: 14 } },
    channels: ['email'],
    templates: {
      en: { body: '{{discountPercent}}% off {{category}} with {{offerCode}} until {{offerExpires}}' },
      ru: { body: '-' },
    },
  });

  it('sends the offer delayHours after the purchase, with a code for the offered category', () => {
    const { steps } = run(cross, [
      order('o1', '2026-01-01T10:00:00Z', 50, [{ sku: 'T1', category: 'trousers' }]),
    ]);
    const message = steps[0]?.messages[0];
    expect(message?.sendAt).toBe('2026-01-02T10:00:00.000Z');
    expect(message?.offer).toMatchObject({
      category: 'sweatshirts',
      discountPercent: 10,
      expiresAt: '2026-01-16T10:00:00.000Z',
    });
    expect(message?.content.body).toMatch(/^10% off sweatshirts with PAIR10-[0-9A-Z]{8} until 2026-01-16$/);
  });

  it.each<[string, DomainEvent[], string[]]>([
    [
      'no rule for the category: nothing',
      [order('o1', '2026-01-01T10:00:00Z', 50, [{ sku: 'S', category: 'shoes' }])],
      [],
    ],
    [
      'skipped when the offered category was bought recently',
      [
        order('o0', '2025-12-01T10:00:00Z', 50, [{ sku: 'S1', category: 'sweatshirts' }]),
        order('o1', '2026-01-01T10:00:00Z', 50, [{ sku: 'T1', category: 'trousers' }]),
      ],
      [],
    ],
    [
      'not skipped when that purchase is older than the window',
      [
        order('o0', '2025-09-01T10:00:00Z', 50, [{ sku: 'S1', category: 'sweatshirts' }]),
        order('o1', '2026-01-01T10:00:00Z', 50, [{ sku: 'T1', category: 'trousers' }]),
      ],
      ['Issued:pair#o1'],
    ],
    [
      'without consent the offer is suppressed entirely',
      [order('o1', '2026-01-01T10:00:00Z', 50, [{ sku: 'T1', category: 'trousers' }])],
      ['Suppressed:pair#o1:no-consent'],
    ],
  ])('%s', (name, events, expected) => {
    const start = name.startsWith('without consent')
      ? customer({ consents: [] }, cross)
      : customer({}, cross);
    expect(decided(run(cross, events, start).steps)).toEqual(expected);
  });
});

describe('best hour (event-driven campaigns)', () => {
  // Moscow is UTC+3 all year: 16:00Z is 19:00 local.
  const first = single({
    id: 'first',
    trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
    reward: { points: 100 },
    channels: ['push', 'email'],
    bestHour: { minEngagements: 5 },
  });
  const engaged = (p: CampaignFile, byHour: Record<number, number>) => {
    const state = copyState(customer({ timeZone: 'Europe/Moscow' }, p));
    state.engagement = {
      byLocalHour: Array.from({ length: 24 }, (_, h) => byHour[h] ?? 0),
      lastAt: null,
    };
    return state;
  };

  it.each<[string, Record<number, number>, string, string]>([
    [
      'held to the learned hour later that day',
      { 19: 5 },
      '2026-03-10T09:00:00Z',
      '2026-03-10T16:00:00.000Z',
    ],
    ['at once during the learned hour', { 19: 5 }, '2026-03-10T16:25:00Z', '2026-03-10T16:25:00.000Z'],
    ['the next day once it has passed', { 19: 5 }, '2026-03-10T17:00:00Z', '2026-03-11T16:00:00.000Z'],
    ['at once without enough evidence', { 19: 4 }, '2026-03-10T09:00:00Z', '2026-03-10T09:00:00.000Z'],
    // 22:00 is quiet for push: the learned hour is the best allowed one, 20:00.
    ['never at a quiet hour', { 22: 9, 20: 5 }, '2026-03-10T09:00:00Z', '2026-03-10T17:00:00.000Z'],
  ])('%s', (_name, byHour, placed, sendAt) => {
    // Act
    const { steps } = run(first, [order('o1', placed, 50)], engaged(first, byHour));

    // Assess: the bonus is credited at once; only the message waits, under its usual key and id.
    const step = steps[0];
    expect(decided(steps)).toEqual(['Issued:first#once']);
    expect(step?.ledger.map((e) => [e.points, e.at])).toContainEqual([100, new Date(placed).toISOString()]);
    expect(step?.messages.map((m) => [m.messageId, m.sendAt])).toEqual([
      [`default#c-1#first#once#push`, sendAt],
    ]);
  });

  it('a cross-sell delay comes first, then the next learned hour', () => {
    const cross = single({
      id: 'pair',
      trigger: {
        type: 'cross-sell',
        delayHours: 24,
        rules: [{ whenCategory: 'trousers', offerCategory: 'sweatshirts' }],
      },
      reward: { offer: { codePrefix: 'PAIR10', validityDays: 14 } },
      channels: ['email'],
      bestHour: { minEngagements: 5 },
    });
    const { steps } = run(
      cross,
      [order('o1', '2026-01-01T10:00:00Z', 50, [{ sku: 'T1', category: 'trousers' }])],
      engaged(cross, { 8: 6 }),
    );
    // Due 2026-01-02 13:00 Moscow; 08:00 has passed by then, so 2026-01-03 08:00 Moscow.
    expect(steps[0]?.messages[0]?.sendAt).toBe('2026-01-03T05:00:00.000Z');
  });
});

describe('cashback by tier', () => {
  const cashback = single({
    id: 'cashback',
    trigger: { type: 'cashback', percentByTier: { Silver: 1, Gold: 3, Platinum: 5 } },
  });
  const bonus = (steps: Outcome[]) =>
    steps.map((s) => s.ledger.find((e) => e.campaignId === 'cashback')?.points ?? 0);

  it.each<[string, DomainEvent[], number[]]>([
    ['1% for Silver', [order('o1', '2026-01-01T10:00:00Z', 500)], [5]],
    [
      'the order that lifts the tier earns at the old rate',
      [order('o1', '2026-01-01T10:00:00Z', 1500), order('o2', '2026-01-02T10:00:00Z', 500)],
      [15, 15],
    ],
    [
      'a tier that lapsed since the last event earns at the current rate',
      [
        order('o1', '2024-01-10T10:00:00Z', 1500),
        order('o2', '2024-01-11T10:00:00Z', 100),
        order('o3', '2026-03-01T10:00:00Z', 100),
      ],
      [15, 3, 1],
    ],
  ])('%s', (_, events, expected) => {
    expect(bonus(run(cashback, events).steps)).toEqual(expected);
  });
});
