/**
 * Personal offers: the top-k per customer from purchase history — an accrual percent on a product group
 * the customer buys, above a minimum basket near their usual order. Pure and cheap (no catalogue scan),
 * so a batch of 5 offers for each of 10M customers is one pass over the customer items.
 */
import type { Program, Trigger } from './campaign.ts';
import type { CustomerState } from './customer-state.ts';
import { rfmClass } from './rfm.ts';
import { MS_PER_DAY, parseInstant } from './time.ts';

export interface PersonalOffer {
  rank: number;
  /** Product group (category) the accrual applies to; `any` for a whole-basket offer. */
  category: string;
  accrualPercent: number;
  minBasket: number;
}

type PersonalOfferTrigger = Extract<Trigger, { type: 'personal-offer' }>;

const UNCATEGORIZED = 'other';

/** How much extra accrual a customer needs, by RFM class: 0 = loyal anyway, 1 = slipping away. */
const NEED: Record<string, number> = {
  champions: 0,
  loyal: 0.2,
  potential: 0.4,
  new: 0.5,
  promising: 0.5,
  'needs-attention': 0.7,
  'at-risk': 0.9,
  'cant-lose': 1,
  hibernating: 0.8,
  lost: 1,
};

/** Ranks categories by spend, weighting recent orders up (half-life of 90 days). */
function categoryScores(state: CustomerState, nowMs: number): Map<string, number> {
  const scores = new Map<string, number>();
  for (const order of Object.values(state.orders)) {
    if (order.cancelled) continue;
    const ageDays = Math.max(0, (nowMs - parseInstant(order.at)) / MS_PER_DAY);
    const weight = 0.5 ** (ageDays / 90);
    for (const [category, spend] of Object.entries(order.categories)) {
      // Lines without a category land in "other": not a product group an offer can name.
      if (category !== UNCATEGORIZED) scores.set(category, (scores.get(category) ?? 0) + spend * weight);
    }
  }
  if (scores.size === 0) {
    for (const [c, v] of Object.entries(state.spendByCategory)) if (c !== UNCATEGORIZED) scores.set(c, v);
  }
  return scores;
}

/** A round minimum basket: 1-2-5 steps, so offers read "from 1,500" rather than "from 1,437.20". */
export function niceAmount(value: number): number {
  if (value <= 0) return 0;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 5, 7.5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

export function personalOffers(
  state: CustomerState,
  trigger: PersonalOfferTrigger,
  program: Program,
  nowMs: number,
): PersonalOffer[] {
  if (state.stats.orders === 0) return [];
  const aov = state.stats.spend / state.stats.orders;
  const need = NEED[rfmClass(state, program, nowMs) ?? 'new'] ?? 0.5;
  const { min, max } = trigger.accrualPercent;
  const base = min + (max - min) * need;
  const ranked = [...categoryScores(state, nowMs).entries()].sort(
    (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1),
  );
  const offers: PersonalOffer[] = [];
  for (const [category] of ranked) {
    if (offers.length >= trigger.perCustomer - 1) break;
    // Less-bought groups get a richer accrual: the offer has to do more work there.
    const accrual = Math.min(max, Math.round(base + offers.length * 2));
    offers.push({
      rank: offers.length + 1,
      category,
      accrualPercent: accrual,
      minBasket: niceAmount(aov * 0.5),
    });
  }
  // A whole-basket offer always closes the set: it works whatever the customer buys next.
  offers.push({
    rank: offers.length + 1,
    category: 'any',
    accrualPercent: Math.max(min, Math.round(base / 2)),
    minBasket: niceAmount(aov * trigger.minBasketFactor),
  });
  return offers.slice(0, trigger.perCustomer);
}
