/**
 * The additive counts one campaign (or a group of campaigns) accumulates, and the figures derived from
 * them. Counts sum across campaigns; figures (rates, uplift, averages) are recomputed from the summed
 * counts, never averaged, so a group row is what the pooled campaigns measured together.
 */
import type { Channel } from '../../functions/domain/customer-state.ts';
import { CHANNELS } from '../../functions/domain/customer-state.ts';
import type { Estimate } from './stats.ts';
import { meanDifference, newcombeDifference } from './stats.ts';

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
  /** Treated minus control conversion rate, with Newcombe's 95% interval; null without both groups. */
  uplift: Estimate | null;
  /**
   * Attributed orders per recipient minus per control member, with a 95% interval: the incremental
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

export function zeroArm(): ArmCounts {
  return { members: 0, converted: 0, repeat: 0, orders: 0, ordersSquared: 0, revenueCents: 0 };
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
    uplift: newcombeDifference(t.converted, t.members, k.converted, k.members),
    incrementalOrders: meanDifference(
      { n: t.members, sum: t.orders, sumSquares: t.ordersSquared },
      { n: k.members, sum: k.orders, sumSquares: k.ordersSquared },
    ),
    revenuePerRecipientCents: rpr,
    revenuePerControlCents: rpc,
    incrementalRevenuePerRecipientCents: rpr === null || rpc === null ? null : rpr - rpc,
    aovCents: ratio(t.revenueCents, t.orders),
    repeatRate: ratio(t.repeat, t.converted),
    redemptionRate: ratio(c.redeemed, c.offers),
  };
}
