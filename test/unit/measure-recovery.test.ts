import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MeasuredCampaign, MeasureResults } from '../../local/measure/attribution.ts';
import { CampaignMeasurement } from '../../local/measure/attribution.ts';
import type { ArmCounts } from '../../local/measure/figures.ts';
import { zeroArm } from '../../local/measure/figures.ts';
import { Rng } from '../../local/sim/random.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const GRACE_DAYS = 2;

const CAMPAIGNS: MeasuredCampaign[] = [
  { id: 'one-day', trigger: { type: 'birthday' }, conversionWindowDays: 1 },
  { id: 'three-days', trigger: { type: 'replenishment' }, conversionWindowDays: 3 },
  { id: 'week', trigger: { type: 'dormancy' } },
];
const WINDOW_MS = [DAY, 3 * DAY, 7 * DAY];

type Op =
  | {
      kind: 'treat';
      customer: number;
      campaign: number;
      deferMs: number;
      channels: 1 | 2;
      offer: { minBasketCents: number; expiresInMs: number } | null;
    }
  | { kind: 'control'; customer: number; campaign: number; global: boolean }
  | { kind: 'order'; customer: number; totalCents: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'wait'; ms: number };

const customer = fc.integer({ min: 0, max: 2 });
const campaign = fc.integer({ min: 0, max: 2 });
const treatOp = fc.record({
  kind: fc.constant('treat' as const),
  customer,
  campaign,
  deferMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * DAY })),
  channels: fc.constantFrom(1 as const, 2 as const),
  offer: fc.option(
    fc.record({
      minBasketCents: fc.integer({ min: 0, max: 3000 }),
      expiresInMs: fc.integer({ min: 0, max: 10 * DAY }),
    }),
  ),
});
const controlOp = fc.record({
  kind: fc.constant('control' as const),
  customer,
  campaign,
  global: fc.boolean(),
});
const orderOp = fc.record({
  kind: fc.constant('order' as const),
  customer,
  totalCents: fc.integer({ min: 1, max: 5000 }),
});
// Cancellations pick among the orders placed so far, most often a recent one.
const cancelOp = fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat({ max: 30 }) });
const waitOp = fc.record({
  kind: fc.constant('wait' as const),
  ms: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 * DAY })),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: treatOp, weight: 3 },
  { arbitrary: controlOp, weight: 2 },
  { arbitrary: orderOp, weight: 4 },
  { arbitrary: cancelOp, weight: 2 },
  { arbitrary: waitOp, weight: 3 },
);

interface OracleTouch {
  campaign: number;
  customer: number;
  treated: boolean;
  start: number;
  end: number;
  offer: { minBasketCents: number; expiresMs: number } | null;
}

/** Feeds the ops to an accumulator, in time order, as the run loop would. */
function feed(ops: Op[], m: CampaignMeasurement): void {
  let t = T0;
  let seq = 0;
  const placed: string[] = [];
  for (const o of ops) {
    if (o.kind === 'wait') t += o.ms;
    else if (o.kind === 'treat') {
      const campaignId = CAMPAIGNS[o.campaign]?.id ?? '';
      const at = t + o.deferMs;
      const offer = o.offer && {
        minBasketCents: o.offer.minBasketCents,
        expiresAt: at + o.offer.expiresInMs,
      };
      const base = { campaignId, customerId: `c${o.customer}`, at, occurrenceKey: `k${seq++}`, offer };
      m.treated({ ...base, channel: 'email' });
      if (o.channels === 2) m.treated({ ...base, channel: 'sms' });
    } else if (o.kind === 'control') {
      const campaignId = CAMPAIGNS[o.campaign]?.id ?? '';
      m.control({ campaignId, customerId: `c${o.customer}`, at: t, global: o.global });
    } else if (o.kind === 'order') {
      const orderId = `o${placed.length}`;
      placed.push(orderId);
      m.order({ customerId: `c${o.customer}`, orderId, at: t, totalCents: o.totalCents });
    } else if (placed.length > 0) {
      m.cancelled({ orderId: placed[placed.length - 1 - (o.pick % placed.length)] ?? '', at: t });
    }
  }
}

/** The same figures the obvious way: every touch kept forever, attribution recomputed per order. */
function oracle(ops: Op[]): { treated: ArmCounts; control: ArmCounts; offers: number; redeemed: number }[] {
  let t = T0;
  const touches: OracleTouch[] = [];
  const orders: { touch: number | null; totalCents: number; qualifies: boolean; live: boolean }[] = [];
  for (const o of ops) {
    if (o.kind === 'wait') t += o.ms;
    else if (o.kind === 'treat' || o.kind === 'control') {
      const start = o.kind === 'treat' ? t + o.deferMs : t;
      const end = start + (WINDOW_MS[o.campaign] ?? 0);
      const offer =
        o.kind === 'treat' && o.offer
          ? { minBasketCents: o.offer.minBasketCents, expiresMs: Math.min(start + o.offer.expiresInMs, end) }
          : null;
      touches.push({
        campaign: o.campaign,
        customer: o.customer,
        treated: o.kind === 'treat',
        start,
        end,
        offer,
      });
    } else if (o.kind === 'order') {
      let best: number | null = null;
      touches.forEach((x, i) => {
        if (x.customer !== o.customer || x.start > t || t > x.end) return;
        if (best === null || x.start >= (touches[best]?.start ?? 0)) best = i;
      });
      const touch = best === null ? null : touches[best];
      const qualifies =
        touch?.offer != null && o.totalCents >= touch.offer.minBasketCents && t <= touch.offer.expiresMs;
      orders.push({ touch: best, totalCents: o.totalCents, qualifies, live: true });
    } else if (orders.length > 0) {
      const order = orders[orders.length - 1 - (o.pick % orders.length)];
      const touch = order?.touch == null ? undefined : touches[order.touch];
      if (order && touch && t <= touch.end + GRACE_DAYS * DAY) order.live = false;
    }
  }
  const out = CAMPAIGNS.map(() => ({ treated: zeroArm(), control: zeroArm(), offers: 0, redeemed: 0 }));
  // Per campaign, arm and customer: touches n, converted touches x, orders y.
  const perCustomer = new Map<string, { arm: ArmCounts; n: number; x: number; y: number }>();
  touches.forEach((x, i) => {
    const c = out[x.campaign];
    if (c === undefined) return;
    const mine = orders.filter((o) => o.live && o.touch === i);
    const arm = x.treated ? c.treated : c.control;
    arm.members += 1;
    arm.orders += mine.length;
    arm.ordersSquared += mine.length * mine.length;
    arm.revenueCents += mine.reduce((s, o) => s + o.totalCents, 0);
    if (mine.length >= 1) arm.converted += 1;
    if (mine.length >= 2) arm.repeat += 1;
    if (x.offer !== null) c.offers += 1;
    if (mine.some((o) => o.qualifies)) c.redeemed += 1;
    const key = `${x.campaign}|${x.treated}|${x.customer}`;
    const totals = perCustomer.get(key) ?? { arm, n: 0, x: 0, y: 0 };
    totals.n += 1;
    totals.x += mine.length >= 1 ? 1 : 0;
    totals.y += mine.length;
    perCustomer.set(key, totals);
  });
  for (const { arm, n, x, y } of perCustomer.values()) {
    const s = arm.byCustomer;
    s.customers += 1;
    s.nn += n * n;
    s.xx += x * x;
    s.xn += x * n;
    s.yy += y * y;
    s.yn += y * n;
  }
  return out;
}

function pick(results: MeasureResults) {
  return results.campaigns.map(({ counts: c }) => ({
    treated: c.treated,
    control: c.control,
    offers: c.offers,
    redeemed: c.redeemed,
  }));
}

describe('CampaignMeasurement against a brute-force oracle', () => {
  it('streams to the same counts as recomputing from all history, however often it sweeps', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 120, size: 'max' }), (ops) => {
        // Prepare
        const eager = new CampaignMeasurement(CAMPAIGNS, {
          cancellationGraceDays: GRACE_DAYS,
          sweepEvery: 1,
        });
        const lazy = new CampaignMeasurement(CAMPAIGNS, { cancellationGraceDays: GRACE_DAYS });

        // Act
        feed(ops, eager);
        feed(ops, lazy);

        // Assess
        const expected = oracle(ops);
        expect(pick(eager.results())).toEqual(expected);
        expect(pick(lazy.results())).toEqual(expected);
        const r = eager.results();
        for (const row of [...r.campaigns, r.groups.personalised, r.groups.generic, r.total]) {
          const { counts: c, figures: f } = row;
          expect(c.treated.converted).toBeLessThanOrEqual(c.treated.members);
          expect(c.control.converted).toBeLessThanOrEqual(c.control.members);
          expect(c.treated.repeat).toBeLessThanOrEqual(c.treated.converted);
          expect(c.redeemed).toBeLessThanOrEqual(c.offers);
          if (f.uplift !== null) {
            expect(f.uplift.low).toBeLessThanOrEqual(f.uplift.estimate);
            expect(f.uplift.estimate).toBeLessThanOrEqual(f.uplift.high);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('CampaignMeasurement recovers a known uplift', () => {
  it('puts the true effect inside the 95% intervals on a seeded synthetic population', () => {
    // Prepare: 20k customers, one offer each (7-day window) on a random day, 90/10 treated/control
    // (half the control from the global group). Organic orders arrive as a Poisson process of rate λ
    // whatever the group; a treated customer adds one incremental order with probability r, 6 h to
    // 5 days after the message, like the synthetic shop's `responseToOffer`.
    const rng = new Rng(20_250_301);
    const n = 20_000;
    const r = 0.08;
    const lambdaPerDay = 1 / 60;
    const windowDays = 7;
    const events: { at: number; rank: number; apply: (m: CampaignMeasurement) => void }[] = [];
    for (let i = 0; i < n; i++) {
      const customerId = `c${i}`;
      const touchAt = T0 + Math.floor(rng.float(0, 60) * DAY);
      const treated = rng.chance(0.9);
      const global = rng.chance(0.5);
      events.push({
        at: touchAt,
        rank: 0,
        apply: (m) =>
          treated
            ? m.treated({
                campaignId: 'week',
                customerId,
                at: touchAt,
                channel: 'email',
                occurrenceKey: customerId,
              })
            : m.suppressed({
                campaignId: 'week',
                customerId,
                at: touchAt,
                reason: global ? 'holdout-global' : 'holdout',
              }),
      });
      const orderAt = (at: number, k: number) =>
        events.push({
          at,
          rank: 1,
          apply: (m) => m.order({ customerId, orderId: `${customerId}-${k}`, at, totalCents: 2500 }),
        });
      let k = 0;
      for (
        let t = -10 * DAY + rng.exponential(DAY / lambdaPerDay);
        t < 80 * DAY;
        t += rng.exponential(DAY / lambdaPerDay)
      )
        orderAt(T0 + Math.floor(t), k++);
      if (treated && rng.chance(r)) orderAt(touchAt + Math.floor(rng.float(6 * HOUR, 5 * DAY)), k++);
    }
    events.sort((a, b) => a.at - b.at || a.rank - b.rank);
    const m = new CampaignMeasurement(CAMPAIGNS);

    // Act
    for (const e of events) e.apply(m);
    const week = m.results().campaigns.find((c) => c.id === 'week');

    // Assess. One who would have ordered anyway cannot convert twice, so the true effect on the
    // conversion rate is r times the chance of no organic order in the window; the effect on orders
    // per recipient is r itself.
    const trueConversionUplift = r * Math.exp(-lambdaPerDay * windowDays);
    const uplift = week?.figures.uplift;
    const orders = week?.figures.incrementalOrders;
    expect(week?.counts.control.members).toBeGreaterThan(1_800);
    expect(uplift?.low).toBeLessThan(trueConversionUplift);
    expect(uplift?.high).toBeGreaterThan(trueConversionUplift);
    expect((uplift?.high ?? 1) - (uplift?.low ?? 0)).toBeLessThan(0.05);
    expect(orders?.low).toBeLessThan(r);
    expect(orders?.high).toBeGreaterThan(r);
  });
});
