/**
 * The additive counts one campaign (or a group of campaigns) accumulates, and the figures derived from
 * them. Counts sum across campaigns; figures (rates, uplift, averages) are recomputed from the summed
 * counts, never averaged, so a group row is what the pooled campaigns measured together.
 */
import type { Channel } from '../../functions/domain/customer-state.ts';
import { CHANNELS } from '../../functions/domain/customer-state.ts';
import type { ClusteredSums, Estimate } from './stats.ts';
import { clusteredMeanDifference, clusteredProportionDifference } from './stats.ts';

/** Counts over one side of the comparison: the treated occurrences or the control decisions. */
export interface ArmCounts {
  /** Touches: treated occurrences (recipients) or holdout decisions (control members). */
  members: number;
  /** Touches with at least one attributed order. */
  converted: number;
  /** Touches with at least two attributed orders. */
  repeat: number;
  /** Attributed orders, and their revenue in minor units (cents). */
  orders: number;
  /** Sum over touches of their attributed order count squared: the variance of orders per touch. */
  ordersSquared: number;
  revenueCents: number;
  /** The same touches per customer: the clusters the intervals account for. */
  byCustomer: CustomerSums;
}

/**
 * Sums over the customers of one arm of their totals in it — n touches, x converted touches, y
 * attributed orders — kept so the intervals can treat a customer's touches as one cluster.
 */
export interface CustomerSums {
  /** Customers with at least one touch. */
  customers: number;
  /** Σ n², Σ x², Σ x·n, Σ y², Σ y·n over the customers. */
  nn: number;
  xx: number;
  xn: number;
  yy: number;
  yn: number;
}

export interface Counts {
  /** Issued occurrences (the reward went out; a message may or may not have). */
  issued: number;
  /** Issued occurrences whose message was deferred by the frequency cap. */
  deferred: number;
  /** Messages queued, by channel (one occurrence on two channels counts once on each). */
  sent: Record<Channel, number>;
  /** Suppressions by reason; `message:<reason>` = issued, but the message was suppressed. */
  suppressed: Record<string, number>;
  treated: ArmCounts;
  control: ArmCounts;
  /** Control members from the global holdout (included in `control.members`). */
  controlGlobal: number;
  /** Treated occurrences whose message carried an offer, and those that redeemed it. */
  offers: number;
  redeemed: number;
  /** Net points the campaign put in the ledger (bonuses and conversions, less claw-backs). */
  points: number;
}

export interface Figures {
  /** Occurrences the trigger fired: issued plus suppressed before issuance (holdouts included). */
  triggered: number;
  conversionRate: number | null;
  controlConversionRate: number | null;
  /**
   * Treated minus control conversion rate, with Newcombe's 95% interval on the customer-clustered
   * effective sample sizes; null without both groups.
   */
  uplift: Estimate | null;
  /**
   * Attributed orders per recipient minus per control member, with a customer-clustered 95% interval
   * (null with fewer than two customers in either group): the incremental
   * orders a message causes. Unlike the conversion uplift it also counts extra orders of customers who
   * would have ordered anyway, so it estimates the simulator's `offerResponse` itself.
   */
  incrementalOrders: Estimate | null;
  /** Attributed revenue per treated occurrence, and per control member (cents). */
  revenuePerRecipientCents: number | null;
  revenuePerControlCents: number | null;
  /** Revenue per recipient minus revenue per control member: the incremental revenue (cents). */
  incrementalRevenuePerRecipientCents: number | null;
  /** Average value of the orders attributed to treated occurrences (cents). */
  aovCents: number | null;
  /** Share of converted recipients that ordered again inside the same window. */
  repeatRate: number | null;
  /** Share of offers (treated occurrences carrying one) redeemed; null when no message carried an offer. */
  redemptionRate: number | null;
}

export function zeroCustomerSums(): CustomerSums {
  return { customers: 0, nn: 0, xx: 0, xn: 0, yy: 0, yn: 0 };
}

export function zeroArm(): ArmCounts {
  return {
    members: 0,
    converted: 0,
    repeat: 0,
    orders: 0,
    ordersSquared: 0,
    revenueCents: 0,
    byCustomer: zeroCustomerSums(),
  };
}

export function zeroCounts(): Counts {
  return {
    issued: 0,
    deferred: 0,
    sent: { email: 0, sms: 0, push: 0 },
    suppressed: {},
    treated: zeroArm(),
    control: zeroArm(),
    controlGlobal: 0,
    offers: 0,
    redeemed: 0,
    points: 0,
  };
}

function addArm(into: ArmCounts, from: ArmCounts): void {
  into.members += from.members;
  into.converted += from.converted;
  into.repeat += from.repeat;
  into.orders += from.orders;
  into.ordersSquared += from.ordersSquared;
  into.revenueCents += from.revenueCents;
  // Pooled rows count a customer once per campaign: campaigns are treated as independent clusters.
  const a = into.byCustomer;
  const b = from.byCustomer;
  a.customers += b.customers;
  a.nn += b.nn;
  a.xx += b.xx;
  a.xn += b.xn;
  a.yy += b.yy;
  a.yn += b.yn;
}

/** Sums counts into a fresh object. */
export function sumCounts(all: Iterable<Counts>): Counts {
  const t = zeroCounts();
  for (const c of all) {
    t.issued += c.issued;
    t.deferred += c.deferred;
    for (const ch of CHANNELS) t.sent[ch] += c.sent[ch];
    for (const [r, n] of Object.entries(c.suppressed)) t.suppressed[r] = (t.suppressed[r] ?? 0) + n;
    addArm(t.treated, c.treated);
    addArm(t.control, c.control);
    t.controlGlobal += c.controlGlobal;
    t.offers += c.offers;
    t.redeemed += c.redeemed;
    t.points += c.points;
  }
  return t;
}

/** A deep copy, so results handed out never alias the accumulator's live counters. */
export function copyCounts(c: Counts): Counts {
  return sumCounts([c]);
}

/** An arm's conversions (`x`) or attributed orders (`y`) as clustered sums. */
function clustered(arm: ArmCounts, what: 'x' | 'y'): ClusteredSums {
  const c = arm.byCustomer;
  return {
    n: arm.members,
    sum: what === 'x' ? arm.converted : arm.orders,
    clusters: c.customers,
    yy: what === 'x' ? c.xx : c.yy,
    ym: what === 'x' ? c.xn : c.yn,
    mm: c.nn,
  };
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

export function figuresOf(c: Counts): Figures {
  let suppressedBeforeIssue = 0;
  for (const [reason, n] of Object.entries(c.suppressed)) {
    // `message:*` suppressions belong to issued occurrences (points went out, the message did not).
    if (!reason.startsWith('message:')) suppressedBeforeIssue += n;
  }
  const t = c.treated;
  const k = c.control;
  const rpr = ratio(t.revenueCents, t.members);
  const rpc = ratio(k.revenueCents, k.members);
  return {
    triggered: c.issued + suppressedBeforeIssue,
    conversionRate: ratio(t.converted, t.members),
    controlConversionRate: ratio(k.converted, k.members),
    uplift: clusteredProportionDifference(clustered(t, 'x'), clustered(k, 'x')),
    incrementalOrders: clusteredMeanDifference(clustered(t, 'y'), clustered(k, 'y')),
    revenuePerRecipientCents: rpr,
    revenuePerControlCents: rpc,
    incrementalRevenuePerRecipientCents: rpr === null || rpc === null ? null : rpr - rpc,
    aovCents: ratio(t.revenueCents, t.orders),
    repeatRate: ratio(t.repeat, t.converted),
    redemptionRate: ratio(c.redeemed, c.offers),
  };
}
