/**
 * Event-driven triggers: milestones, tier up, actions, favourite category, cross-sell, cashback.
 * Each looks at the state before and after one event and proposes candidates.
 */
import type { Campaign, Program, Trigger } from './campaign.ts';
import type { Candidate } from './candidate.ts';
import { localKey, offerFor } from './candidate.ts';
import type { CustomerState } from './customer-state.ts';
import type { DomainEvent } from './events.ts';
import { tierAt, tierRank } from './points.ts';
import { MS_PER_DAY, MS_PER_HOUR } from './time.ts';

/** A change of the customer state: by an event, or by the engine's own issuance (bonus points). */
export interface ProfileChange {
  prev: CustomerState;
  next: CustomerState;
  program: Program;
  nowMs: number;
}

export interface RealtimeInput extends ProfileChange {
  event: DomainEvent;
}

type Of<T extends Trigger['type']> = Extract<Trigger, { type: T }>;

function candidate(
  campaign: Campaign,
  occurrence: string,
  dueMs: number,
  extra: Partial<Candidate> = {},
): Candidate {
  return {
    campaign,
    key: localKey(campaign, occurrence),
    dueMs,
    points: campaign.reward.points ?? 0,
    orderId: null,
    offer: offerFor(campaign),
    offers: [],
    variables: {},
    onceEver: false,
    ...extra,
  };
}

/** Candidates one campaign proposes for one event (empty when it does not apply). */
export function realtimeCandidates(campaign: Campaign, input: RealtimeInput): Candidate[] {
  const t = campaign.trigger;
  switch (t.type) {
    case 'milestone':
    case 'tier-up':
      return profileCandidates(campaign, input);
    case 'action':
      return action(campaign, t, input);
    case 'favourite-category':
      return favouriteCategoryBonus(campaign, t, input);
    case 'cross-sell':
      return crossSell(campaign, t, input);
    case 'cashback':
      return cashback(campaign, t, input);
    default:
      return [];
  }
}

/**
 * Candidates of the milestone and tier-up campaigns for one state change. The engine also runs them on
 * the change its own issuance makes, so bonus points that lift the balance over a threshold count.
 */
export function profileCandidates(campaign: Campaign, change: ProfileChange): Candidate[] {
  const t = campaign.trigger;
  switch (t.type) {
    case 'milestone':
      return milestone(campaign, t, change);
    case 'tier-up':
      return tierUp(campaign, t, change);
    default:
      return [];
  }
}

function metric(state: CustomerState, name: Of<'milestone'>['metric']): number {
  switch (name) {
    case 'orders':
      return state.stats.orders;
    case 'spend':
      return state.stats.spend;
    case 'points':
      return state.points.balance;
  }
}

/** Once ever, when the metric crosses the threshold: a late or out-of-order event crosses it just the same. */
function milestone(
  campaign: Campaign,
  t: Of<'milestone'>,
  { prev, next, nowMs }: ProfileChange,
): Candidate[] {
  if (!(metric(prev, t.metric) < t.threshold && metric(next, t.metric) >= t.threshold)) return [];
  return [candidate(campaign, 'once', nowMs, { onceEver: true, variables: { threshold: t.threshold } })];
}

function tierUp(
  campaign: Campaign,
  t: Of<'tier-up'>,
  { prev, next, program, nowMs }: ProfileChange,
): Candidate[] {
  const target = tierRank(program, t.tier);
  if (target < 0 || tierRank(program, prev.tier) >= target || tierRank(program, next.tier) < target)
    return [];
  return [candidate(campaign, 'once', nowMs, { onceEver: true, variables: { tier: t.tier } })];
}

/** Rewarded once per reference (a review of one product counts once), at most `maxPerPeriod` per period. */
function action(campaign: Campaign, t: Of<'action'>, { event, nowMs }: RealtimeInput): Candidate[] {
  if (event.type !== 'ActionCompleted' || event.detail.action !== t.action) return [];
  const ref = event.detail.reference ?? event.id;
  return [candidate(campaign, `${t.action}:${ref}`, nowMs, { variables: { action: t.action } })];
}

/** Issued action occurrences of the campaign within its period: the engine suppresses past the cap. */
export function actionsInPeriod(
  state: CustomerState,
  campaign: Campaign,
  t: Of<'action'>,
  nowMs: number,
): number {
  const since = new Date(nowMs - t.periodDays * MS_PER_DAY).toISOString();
  let n = 0;
  for (const occ of Object.values(state.occurrences)) {
    if (occ.campaignId === campaign.id && occ.status !== 'suppressed' && occ.at > since) n++;
  }
  return n;
}

/**
 * Whole points of a fractional amount, rounded down, after removing binary floating-point noise:
 * 20% of 100 is 100 × (1.2 − 1) = 19.999999999999996, which must give 20 points, not 19.
 */
export function wholePoints(amount: number): number {
  return Math.floor(Math.round(amount * 1e6) / 1e6);
}

function orderOf(input: RealtimeInput) {
  const { event, next } = input;
  if (event.type !== 'OrderPlaced') return null;
  const order = next.orders[event.detail.orderId];
  if (order === undefined || order.cancelled) return null;
  return { id: event.detail.orderId, order };
}

/** The category with the most spend (ties by name, so the choice is stable). */
export function favouriteCategory(state: CustomerState): string | null {
  let best: string | null = null;
  let bestSpend = 0;
  for (const [category, spend] of Object.entries(state.spendByCategory)) {
    if (category === 'other') continue;
    if (spend > bestSpend || (spend === bestSpend && best !== null && category < best)) {
      best = category;
      bestSpend = spend;
    }
  }
  return best;
}

function favouriteCategoryBonus(
  campaign: Campaign,
  t: Of<'favourite-category'>,
  input: RealtimeInput,
): Candidate[] {
  const placed = orderOf(input);
  // The favourite is known from the orders before this one.
  if (placed === null || input.prev.stats.orders < t.minOrders) return [];
  const favourite = favouriteCategory(input.prev);
  if (favourite === null) return [];
  const spend = placed.order.categories[favourite] ?? 0;
  const points = wholePoints(spend * input.program.pointsPerCurrencyUnit * (t.multiplier - 1));
  if (points <= 0) return [];
  return [
    candidate(campaign, placed.id, input.nowMs, {
      points,
      orderId: placed.id,
      variables: { category: favourite, multiplier: t.multiplier },
    }),
  ];
}

function crossSell(campaign: Campaign, t: Of<'cross-sell'>, input: RealtimeInput): Candidate[] {
  const placed = orderOf(input);
  if (placed === null) return [];
  const since = new Date(input.nowMs - t.skipIfBoughtWithinDays * MS_PER_DAY).toISOString();
  for (const rule of t.rules) {
    if (placed.order.categories[rule.whenCategory] === undefined) continue;
    const boughtAlready = Object.values(input.next.orders).some(
      (o) => !o.cancelled && o.at >= since && o.categories[rule.offerCategory] !== undefined,
    );
    if (boughtAlready) continue;
    const dueMs = Math.max(input.nowMs, Date.parse(placed.order.at) + t.delayHours * MS_PER_HOUR);
    const offer = offerFor(campaign);
    if (offer !== null) offer.category = rule.offerCategory;
    return [
      candidate(campaign, placed.id, dueMs, {
        orderId: placed.id,
        offer,
        variables: { category: rule.offerCategory, boughtCategory: rule.whenCategory },
      }),
    ];
  }
  return [];
}

/**
 * Cashback by the tier held before the order (an order that lifts the tier earns at the old rate). The
 * tier is recomputed at the order's time: the stored one dates from the previous event, and a tier
 * held by points earned in a rolling window may have lapsed since.
 */
function cashback(campaign: Campaign, t: Of<'cashback'>, input: RealtimeInput): Candidate[] {
  const placed = orderOf(input);
  if (placed === null) return [];
  const tier =
    tierAt(input.prev, input.program, Date.parse(placed.order.at)) ?? input.program.tiers[0]?.name ?? '';
  const percent = t.percentByTier[tier] ?? 0;
  const points = wholePoints((placed.order.total * percent) / 100);
  if (points <= 0) return [];
  return [
    candidate(campaign, placed.id, input.nowMs, {
      points,
      orderId: placed.id,
      variables: { cashbackPercent: percent, tier },
    }),
  ];
}
