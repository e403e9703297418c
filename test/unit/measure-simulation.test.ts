/**
 * The measurement on the synthetic shop, end to end: the in-memory runtime, the measurement observer
 * the CLI uses, and the simulated customers' true response to offers (`offerResponse`, known only to
 * the simulator). The measured incremental orders per recipient must recover the true response.
 */
import { describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../functions/domain/campaign.ts';
import type { Message } from '../../functions/domain/message.ts';
import { MeasurementObserver } from '../../local/measure/observer.ts';
import { runMemorySimulation } from '../../local/memory-simulation.ts';
import { RunRecorder } from '../../local/run-recorder.ts';
import { generateShop } from '../../local/sim/synthetic-shop.ts';
import { DEFAULT_PACK } from './fixtures.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OFFERS = 'personal-offers-weekly';
const SHOP = { customers: 1000, days: 56, seed: 42, start: '2026-01-01T00:00:00.000Z' };

/**
 * The weekly personal offers held out for half the customers (plus the 5% global control), next to the
 * pack's silent campaigns (cashback, the category multiplier: no messages, but holdout decisions on
 * every order). The pack's other messaging campaigns are left out: their offers would cause
 * incremental orders of their own inside the personal offers' windows, and their messages would compete
 * for the frequency cap, so the true effect would no longer be the customers' `offerResponse` alone.
 */
const PACK: CampaignFile = {
  ...DEFAULT_PACK,
  campaigns: DEFAULT_PACK.campaigns
    .filter((c) => c.id === OFFERS || c.channels.length === 0)
    .map((c) => (c.id === OFFERS ? { ...c, holdoutPercent: 50 } : c)),
};

/** The chance that a response drawn 6 h to 5 days after `sendMs` (uniformly) falls before the run's end. */
function insideRun(sendMs: number, endMs: number): number {
  const earliest = 6 * HOUR;
  const latest = 5 * DAY;
  return Math.min(1, Math.max(0, (endMs - sendMs - earliest) / (latest - earliest)));
}

describe('the measurement on the synthetic shop', () => {
  it('recovers the true response to personal offers within its 95% interval', async () => {
    // Prepare: the truth behind the same shop, and a watch on the offers' first message per occurrence.
    const truth = new Map(generateShop(SHOP).truth.map((t) => [t.customerId, t]));
    const endMs = Date.parse(SHOP.start) + SHOP.days * DAY;
    const treated = new Map<string, Message>();
    const watch = {
      message(m: Message) {
        if (m.campaignId === OFFERS && !treated.has(m.occurrenceKey)) treated.set(m.occurrenceKey, m);
      },
    };
    const measurement = new MeasurementObserver(PACK.campaigns);
    const recorder = new RunRecorder(PACK, { observers: [measurement, watch] });

    // Act
    await runMemorySimulation({ ...SHOP, pack: PACK, recorder });
    const results = measurement.results();
    const offers = results.campaigns.find((r) => r.id === OFFERS);

    // Assess. The truth: each treated occurrence causes one extra order with its customer's
    // `offerResponse`, unless the order would fall after the run's end.
    let expected = 0;
    for (const m of treated.values())
      expected += (truth.get(m.customerId)?.offerResponse ?? 0) * insideRun(Date.parse(m.sendAt), endMs);
    const trueResponse = expected / treated.size;
    const c = offers?.counts;
    const measured = offers?.figures.incrementalOrders;
    // Enough of both groups for an interval that says something.
    expect(c?.treated.members).toBe(treated.size);
    expect(c?.treated.members).toBeGreaterThan(1000);
    expect(c?.control.members).toBeGreaterThan(1000);
    expect(c?.controlGlobal).toBeGreaterThan(50);
    expect(c?.treated.byCustomer.customers).toBeGreaterThan(200);
    // Customers answer offers with baskets that redeem them.
    expect(c?.redeemed).toBeGreaterThan(0.5 * trueResponse * (c?.offers ?? 0));
    // The true response lies within the 95% interval, and the interval is narrow enough to matter.
    expect(trueResponse).toBeGreaterThan(0.03);
    expect(measured?.low).toBeLessThan(trueResponse);
    expect(measured?.high).toBeGreaterThan(trueResponse);
    expect((measured?.high ?? 1) - (measured?.low ?? 0)).toBeLessThan(0.1);
    // The silent campaigns have no recipients and no control touches.
    for (const silent of results.campaigns.filter((r) => r.id !== OFFERS)) {
      expect(silent.counts.treated.members).toBe(0);
      expect(silent.counts.control.members).toBe(0);
      expect(silent.counts.issued).toBeGreaterThan(0);
    }
  });
});
