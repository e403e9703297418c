import { describe, expect, it } from 'vitest';
import type {
  MeasuredCampaign,
  MeasureResults,
  MeasureRow,
  Treatment,
} from '../../local/measure/attribution.ts';
import {
  CampaignMeasurement,
  conversionWindowDays,
  DEFAULT_CONVERSION_WINDOW_DAYS,
} from '../../local/measure/attribution.ts';
import { formatMeasurement, formatUplift } from '../../local/measure/format.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2025-03-01T10:00:00.000Z');

const CAMPAIGNS: MeasuredCampaign[] = [
  { id: 'birthday', trigger: { type: 'birthday' } },
  { id: 'winback', trigger: { type: 'dormancy' }, reward: { offer: { validityDays: 14 } } },
  {
    id: 'refill',
    trigger: { type: 'replenishment' },
    reward: { offer: { validityDays: 10 } },
    conversionWindowDays: 3,
  },
  { id: 'offers', trigger: { type: 'personal-offer' } },
  { id: 'fav', trigger: { type: 'favourite-category' } },
];

let seq = 0;
function treat(
  m: CampaignMeasurement,
  campaignId: string,
  customerId: string,
  at: number,
  extra: Partial<Treatment> = {},
): void {
  m.treated({ campaignId, customerId, at, channel: 'email', occurrenceKey: `occ-${seq++}`, ...extra });
}

function buy(
  m: CampaignMeasurement,
  customerId: string,
  orderId: string,
  at: number,
  totalCents = 1000,
): void {
  m.order({ customerId, orderId, at, totalCents });
}

function row(results: MeasureResults, id: string): MeasureRow {
  const r = results.campaigns.find((c) => c.id === id);
  if (r === undefined) throw new Error(`no row ${id}`);
  return r;
}

describe('conversionWindowDays', () => {
  it('takes conversionWindowDays, else the offer validity, else the default', () => {
    expect(conversionWindowDays({ id: 'a', trigger: { type: 'birthday' } })).toBe(
      DEFAULT_CONVERSION_WINDOW_DAYS,
    );
    expect(
      conversionWindowDays({
        id: 'a',
        trigger: { type: 'birthday' },
        reward: { offer: { validityDays: 14 } },
      }),
    ).toBe(14);
    expect(
      conversionWindowDays({
        id: 'a',
        trigger: { type: 'birthday' },
        reward: { offer: { validityDays: 14 } },
        conversionWindowDays: 3,
      }),
    ).toBe(3);
  });
});

describe('CampaignMeasurement attribution', () => {
  it.each([
    { name: 'before the message', offset: -1, converts: false },
    { name: 'at the message (start included)', offset: 0, converts: true },
    { name: 'inside the window', offset: 3 * DAY, converts: true },
    { name: 'at the window end (end included)', offset: 7 * DAY, converts: true },
    { name: 'one millisecond after the window', offset: 7 * DAY + 1, converts: false },
  ])('counts an order $name: $converts', ({ offset, converts }) => {
    // Prepare
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'birthday', 'c1', T0);

    // Act
    buy(m, 'c1', 'o1', T0 + offset);

    // Assess
    const r = row(m.results(), 'birthday');
    expect(r.counts.treated.members).toBe(1);
    expect(r.counts.treated.converted).toBe(converts ? 1 : 0);
    expect(r.counts.treated.revenueCents).toBe(converts ? 1000 : 0);
  });

  it('gives the order to the last touch whose window covers it, across campaigns and arms', () => {
    // Prepare: birthday message at T0, win-back holdout a day later, both open on day 2.
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'birthday', 'c1', T0);
    m.control({ campaignId: 'winback', customerId: 'c1', at: T0 + DAY, global: false });

    // Act
    buy(m, 'c1', 'o1', T0 + 2 * DAY);

    // Assess
    const results = m.results();
    expect(row(results, 'birthday').counts.treated.converted).toBe(0);
    expect(row(results, 'winback').counts.control.converted).toBe(1);
    expect(row(results, 'winback').counts.control.revenueCents).toBe(1000);
  });

  it('falls back to an earlier touch once the later one has closed', () => {
    // Prepare: refill (3-day window) at T0 + 1 day, win-back (14 days) at T0.
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'winback', 'c1', T0);
    treat(m, 'refill', 'c1', T0 + DAY);

    // Act
    buy(m, 'c1', 'o1', T0 + 2 * DAY);
    buy(m, 'c1', 'o2', T0 + 5 * DAY);

    // Assess
    const results = m.results();
    expect(row(results, 'refill').counts.treated.orders).toBe(1);
    expect(row(results, 'winback').counts.treated.orders).toBe(1);
  });

  it('opens a deferred message at its sendAt, not when it was fed', () => {
    // Prepare: a message queued at T0 for T0 + 2 days; a holdout of another campaign at T0 + 1 day.
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'birthday', 'c1', T0 + 2 * DAY);
    m.control({ campaignId: 'winback', customerId: 'c1', at: T0 + DAY, global: true });

    // Act
    buy(m, 'c1', 'o1', T0 + 1.5 * DAY);
    buy(m, 'c1', 'o2', T0 + 3 * DAY);

    // Assess
    const results = m.results();
    expect(row(results, 'winback').counts.control.orders).toBe(1);
    expect(row(results, 'winback').counts.controlGlobal).toBe(1);
    expect(row(results, 'birthday').counts.treated.orders).toBe(1);
  });

  it('counts one recipient per occurrence but every channel it went out on', () => {
    // Prepare
    const m = new CampaignMeasurement(CAMPAIGNS);
    const base = { campaignId: 'birthday', customerId: 'c1', at: T0, occurrenceKey: 'k1' };

    // Act
    m.treated({ ...base, channel: 'email' });
    m.treated({ ...base, channel: 'push' });

    // Assess
    const c = row(m.results(), 'birthday').counts;
    expect(c.treated.members).toBe(1);
    expect(c.sent).toEqual({ email: 1, sms: 0, push: 1 });
  });

  it('takes a cancelled order back out of conversions, repeats, revenue and redemptions', () => {
    // Prepare: an offer with a 20.00 minimum basket; two qualifying orders.
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'winback', 'c1', T0, { offer: { minBasketCents: 2000, expiresAt: T0 + 14 * DAY } });
    buy(m, 'c1', 'o1', T0 + DAY, 2500);
    buy(m, 'c1', 'o2', T0 + 2 * DAY, 3000);
    const before = row(m.results(), 'winback');

    // Act
    m.cancelled({ orderId: 'o2', at: T0 + 3 * DAY });
    const oneLeft = row(m.results(), 'winback');
    m.cancelled({ orderId: 'o1', at: T0 + 3 * DAY });
    const none = row(m.results(), 'winback');

    // Assess
    expect(before.counts.treated).toMatchObject({ converted: 1, repeat: 1, orders: 2, revenueCents: 5500 });
    expect(before.figures.repeatRate).toBe(1);
    expect(before.counts.redeemed).toBe(1);
    expect(oneLeft.counts.treated).toMatchObject({ converted: 1, repeat: 0, orders: 1, revenueCents: 2500 });
    expect(oneLeft.counts.redeemed).toBe(1);
    expect(none.counts.treated).toMatchObject({ converted: 0, repeat: 0, orders: 0, revenueCents: 0 });
    expect(none.counts.treated.ordersSquared).toBe(0);
    expect(none.counts.redeemed).toBe(0);
    expect(none.figures.redemptionRate).toBe(0);
  });

  it('ignores a cancellation that comes after the grace following the window', () => {
    // Prepare: 7-day window, 30-day grace.
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'birthday', 'c1', T0);
    buy(m, 'c1', 'o1', T0 + DAY);

    // Act
    m.cancelled({ orderId: 'o1', at: T0 + 37 * DAY + 1 });

    // Assess
    expect(row(m.results(), 'birthday').counts.treated.converted).toBe(1);
  });

  it('redeems an offer only with an order meeting its minimum basket before it expires', () => {
    // Prepare: refill's window is 3 days, its offer expires after 2 here.
    const m = new CampaignMeasurement(CAMPAIGNS);
    const offer = { minBasketCents: 2000, expiresAt: T0 + 2 * DAY };
    treat(m, 'refill', 'small', T0, { offer });
    treat(m, 'refill', 'late', T0, { offer });
    treat(m, 'refill', 'good', T0, { offer });
    treat(m, 'birthday', 'no-offer', T0);

    // Act
    buy(m, 'small', 'o1', T0 + DAY, 1999);
    buy(m, 'late', 'o2', T0 + 2.5 * DAY, 5000);
    buy(m, 'good', 'o3', T0 + DAY, 2000);
    buy(m, 'no-offer', 'o4', T0 + DAY, 5000);

    // Assess
    const results = m.results();
    expect(row(results, 'refill').counts).toMatchObject({ offers: 3, redeemed: 1 });
    expect(row(results, 'refill').figures.redemptionRate).toBeCloseTo(1 / 3, 12);
    expect(row(results, 'refill').figures.conversionRate).toBe(1);
    expect(row(results, 'birthday').figures.redemptionRate).toBeNull();
  });

  it('counts an order id once', () => {
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'birthday', 'c1', T0);
    buy(m, 'c1', 'o1', T0 + DAY);
    buy(m, 'c1', 'o1', T0 + DAY);
    expect(row(m.results(), 'birthday').counts.treated.orders).toBe(1);
  });
});

describe('CampaignMeasurement figures', () => {
  it('compares treated with control: rates, uplift, revenue, AOV', () => {
    // Prepare: 4 recipients (2 convert, one twice), 4 controls (1 converts).
    const m = new CampaignMeasurement(CAMPAIGNS);
    for (const c of ['t1', 't2', 't3', 't4']) treat(m, 'birthday', c, T0);
    for (const c of ['k1', 'k2', 'k3', 'k4'])
      m.suppressed({ campaignId: 'birthday', customerId: c, at: T0, reason: 'holdout', occurrenceKey: c });

    // Act
    buy(m, 't1', 'o1', T0 + HOUR, 1000);
    buy(m, 't1', 'o2', T0 + 2 * HOUR, 3000);
    buy(m, 't2', 'o3', T0 + 3 * HOUR, 2000);
    buy(m, 'k1', 'o4', T0 + 4 * HOUR, 4000);

    // Assess
    const { counts, figures } = row(m.results(), 'birthday');
    expect(counts.suppressed).toEqual({ holdout: 4 });
    expect(counts.control).toMatchObject({ members: 4, converted: 1 });
    expect(figures.conversionRate).toBe(0.5);
    expect(figures.controlConversionRate).toBe(0.25);
    expect(figures.uplift?.estimate).toBeCloseTo(0.25, 12);
    expect(figures.revenuePerRecipientCents).toBe(1500);
    expect(figures.revenuePerControlCents).toBe(1000);
    expect(figures.incrementalRevenuePerRecipientCents).toBe(500);
    expect(figures.aovCents).toBe(2000);
    expect(figures.repeatRate).toBe(0.5);
    expect(figures.incrementalOrders?.estimate).toBeCloseTo(0.5, 12);
    expect(formatUplift(figures.uplift)).toMatch(/^\+25\.0 pp \[-?\d+\.\d, \d+\.\d\]$/);
  });

  it('gives a finite interval around zero when neither arm converts, and none without a control', () => {
    // Prepare
    const m = new CampaignMeasurement(CAMPAIGNS);
    for (let i = 0; i < 100; i++) treat(m, 'birthday', `t${i}`, T0);
    for (let i = 0; i < 50; i++)
      m.control({ campaignId: 'birthday', customerId: `k${i}`, at: T0, global: false });
    treat(m, 'winback', 'w1', T0);

    // Act
    const results = m.results();

    // Assess
    const u = row(results, 'birthday').figures.uplift;
    expect(u?.estimate).toBe(0);
    expect(u?.low).toBeLessThan(0);
    expect(u?.high).toBeGreaterThan(0);
    expect(row(results, 'winback').figures.uplift).toBeNull();
    expect(row(results, 'offers').figures.conversionRate).toBeNull();
  });

  it('counts issued, deferred, suppressed and triggered occurrences and points', () => {
    // Prepare
    const m = new CampaignMeasurement(CAMPAIGNS);

    // Act
    m.issued({ campaignId: 'birthday', deferred: false });
    m.issued({ campaignId: 'birthday', deferred: true });
    m.suppressed({ campaignId: 'birthday', customerId: 'a', at: T0, reason: 'holdout-global' });
    m.suppressed({ campaignId: 'birthday', customerId: 'b', at: T0, reason: 'no-consent' });
    m.suppressed({ campaignId: 'birthday', customerId: 'c', at: T0, reason: 'message:no-consent' });
    m.points({ campaignId: 'birthday', points: 300 });
    m.points({ campaignId: 'birthday', points: -100 });

    // Assess
    const { counts, figures } = row(m.results(), 'birthday');
    expect(counts).toMatchObject({ issued: 2, deferred: 1, controlGlobal: 1, points: 200 });
    expect(counts.control.members).toBe(1);
    // The message-suppressed occurrence was issued: it is not triggered twice.
    expect(figures.triggered).toBe(4);
  });

  it('pools personalised and generic campaigns side by side and in the total', () => {
    // Prepare
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'refill', 'a', T0);
    treat(m, 'offers', 'b', T0);
    treat(m, 'birthday', 'c', T0);
    treat(m, 'mystery', 'd', T0);
    buy(m, 'a', 'o1', T0 + HOUR);

    // Act
    const results = m.results();

    // Assess
    expect(results.groups.personalised.counts.treated).toMatchObject({ members: 2, converted: 1 });
    expect(results.groups.generic.counts.treated).toMatchObject({ members: 2, converted: 0 });
    expect(results.total.counts.treated).toMatchObject({ members: 4, converted: 1 });
    expect(row(results, 'fav').group).toBe('personalised');
    // A campaign fed but not listed gets a generic row with the default window.
    expect(row(results, 'mystery')).toMatchObject({ trigger: 'unknown', group: 'generic', windowDays: 7 });
    const table = formatMeasurement(results);
    expect(table).toContain('PERSONALISED');
    expect(table).toContain('mystery');
  });

  it('returns snapshots that later input does not change', () => {
    const m = new CampaignMeasurement(CAMPAIGNS);
    treat(m, 'birthday', 'c1', T0);
    const snapshot = m.results();
    buy(m, 'c1', 'o1', T0 + HOUR);
    expect(row(snapshot, 'birthday').counts.treated.converted).toBe(0);
  });
});

describe('CampaignMeasurement memory', () => {
  it('drops closed windows and orders past their grace, so what it holds stays bounded', () => {
    // Prepare: 120 days, 200 customers each touched every day, each buying every other day.
    const m = new CampaignMeasurement(CAMPAIGNS, { sweepEvery: 100 });
    let peak = 0;

    // Act
    for (let day = 0; day < 120; day++) {
      for (let c = 0; c < 200; c++) {
        const at = T0 + day * DAY + c;
        treat(m, 'birthday', `c${c}`, at);
        if ((day + c) % 2 === 0) buy(m, `c${c}`, `o${day}-${c}`, at + HOUR);
      }
      const live = m.live();
      peak = Math.max(peak, live.touches + live.orders);
    }

    // Assess: at most 8 open 7-day windows and 37 days of cancellable orders per customer, plus slack
    // for the lazy sweep.
    expect(peak).toBeLessThan(200 * (8 + 19) * 2);
    expect(row(m.results(), 'birthday').counts.treated.members).toBe(24_000);
  });
});
