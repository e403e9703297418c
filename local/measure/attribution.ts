/**
 * Per-campaign measurement as a streaming accumulator: the run loop feeds it messages, holdout
 * decisions, orders, cancellations and ledger points in time order; `results()` turns the counts into
 * conversion rates, uplift against the holdout with a 95% interval, revenue and redemption figures.
 *
 * Attribution (last touch). A *touch* is a treated occurrence (its message, opening at `sendAt`) or a
 * control decision (a holdout, opening at the decision). It covers orders in [at, at + window], both
 * ends included, as the engine's own offer check does (`order.at ≤ offer.expiresAt`). An order goes to
 * the customer's covering touch that opened last, whatever the campaign (ties: the one fed last);
 * orders covered by no touch are not attributed. A touch *converts* with ≥ 1 attributed order.
 *
 * A campaign without channels (a silent reward: cashback, a category multiplier) never sends, so it has
 * no treated touches; its holdout decisions are counted by reason but open no control touch. Otherwise
 * a global-holdout customer would get a control touch on every order while treated customers get none,
 * and those touches would take the orders of the other campaigns' control touches.
 *
 * Intervals treat each customer's touches of a campaign as one cluster (stats.ts), so a customer
 * keeps three running totals per campaign and arm they were touched in (touches, converted touches,
 * orders). Besides those, memory holds only the open touches per customer and the attributed orders
 * that can still be cancelled: it grows with customers, not with the length of the stream.
 */

import type { TriggerType } from '../../functions/domain/campaign.ts';
import type { Channel } from '../../functions/domain/customer-state.ts';
import { MS_PER_DAY } from '../../functions/domain/time.ts';
import type { ArmCounts, Counts, Figures } from './figures.ts';
import { copyCounts, figuresOf, sumCounts, zeroCounts } from './figures.ts';

/** Conversion window of a campaign with neither `conversionWindowDays` nor an offer (the engine's default too). */
export const DEFAULT_CONVERSION_WINDOW_DAYS = 7;

/**
 * How long after its touch's window closes an attributed order may still be cancelled and leave the
 * figures. Later cancellations are ignored (the order keeps counting) so that memory stays bounded.
 */
export const DEFAULT_CANCELLATION_GRACE_DAYS = 30;

/** Trigger types whose campaigns are personalised per customer; every other type is generic. */
export const PERSONALISED_TRIGGERS = [
  'replenishment',
  'favourite-category',
  'personal-offer',
] as const satisfies readonly TriggerType[];

export type CampaignGroup = 'personalised' | 'generic';

/** What the accumulator needs of a campaign (a parsed `Campaign` fits). */
export interface MeasuredCampaign {
  id: string;
  trigger: { type: string };
  reward?: { offer?: { validityDays: number } | undefined } | undefined;
  conversionWindowDays?: number | undefined;
  /** The campaign's channels; an empty list marks a silent campaign (absent: it sends). */
  channels?: readonly string[] | undefined;
}

/** An instant: epoch milliseconds or an ISO string. */
export type Instant = number | string;

export interface Treatment {
  campaignId: string;
  customerId: string;
  /** When the message can reach the customer (its `sendAt`): the window opens here. */
  at: Instant;
  channel: Channel;
  /** Messages of one occurrence (one per channel) make one touch. */
  occurrenceKey: string;
  /** The offer the message carried: redeemed by an attributed order of at least `minBasketCents` by its expiry. */
  offer?: { minBasketCents: number; expiresAt: Instant | null } | null;
}

export interface ControlDecision {
  campaignId: string;
  customerId: string;
  /** When the holdout was decided: the window opens here. */
  at: Instant;
  /** From the global control group ('holdout-global') rather than the campaign's holdout. */
  global: boolean;
  /** Deduplicates a decision fed twice. */
  occurrenceKey?: string;
}

export interface Suppression {
  campaignId: string;
  customerId: string;
  at: Instant;
  reason: string;
  occurrenceKey?: string;
}

export interface OrderInput {
  customerId: string;
  orderId: string;
  at: Instant;
  /** Order total in minor units of the shop's currency. */
  totalCents: number;
}

export interface MeasureOptions {
  cancellationGraceDays?: number;
  /** Minimum feed calls between two sweeps of expired state (tests lower it to sweep often). */
  sweepEvery?: number;
}

export interface MeasureRow {
  /** Campaign id, or `personalised` / `generic` / `total`. */
  id: string;
  /** The campaign's trigger type (null on group rows). */
  trigger: string | null;
  group: CampaignGroup | null;
  windowDays: number | null;
  counts: Counts;
  figures: Figures;
}

export interface MeasureResults {
  campaigns: MeasureRow[];
  /** Personalised and generic campaigns pooled, side by side. */
  groups: Record<CampaignGroup, MeasureRow>;
  total: MeasureRow;
}

/** One customer's totals in one campaign's arm (the cluster of their touches). */
interface CustomerTotals {
  touches: number;
  converted: number;
  orders: number;
}

interface Row {
  id: string;
  trigger: string;
  group: CampaignGroup;
  windowDays: number;
  windowMs: number;
  /** No channels: holdouts open no control touch. */
  silent: boolean;
  counts: Counts;
  customers: { treated: Map<string, CustomerTotals>; control: Map<string, CustomerTotals> };
}

interface Touch {
  row: Row;
  arm: ArmCounts;
  customer: CustomerTotals;
  treated: boolean;
  occurrenceKey: string | null;
  startMs: number;
  endMs: number;
  offer: { minBasketCents: number; expiresMs: number } | null;
  /** Live attributed orders, and those of them that redeem the offer. */
  orders: number;
  qualifying: number;
}

interface Attributed {
  touch: Touch;
  totalCents: number;
  qualifies: boolean;
}

const PERSONALISED: ReadonlySet<string> = new Set(PERSONALISED_TRIGGERS);

/** The window in days: `conversionWindowDays`, else the offer's validity, else the default. */
export function conversionWindowDays(campaign: MeasuredCampaign): number {
  return (
    campaign.conversionWindowDays ?? campaign.reward?.offer?.validityDays ?? DEFAULT_CONVERSION_WINDOW_DAYS
  );
}

export function groupOf(triggerType: string): CampaignGroup {
  return PERSONALISED.has(triggerType) ? 'personalised' : 'generic';
}

function toMs(at: Instant): number {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${String(at)}`);
  return ms;
}

export class CampaignMeasurement {
  private readonly rows = new Map<string, Row>();
  /** Open touches per customer, in the order they were fed. */
  private readonly touches = new Map<string, Touch[]>();
  /** Attributed orders that may still be cancelled. */
  private readonly attributed = new Map<string, Attributed>();
  private readonly graceMs: number;
  private readonly sweepEvery: number;
  /** The latest order, decision or cancellation time seen: what is older than it can be dropped. */
  private watermark = Number.NEGATIVE_INFINITY;
  private opsSinceSweep = 0;
  private nextSweep: number;

  constructor(campaigns: readonly MeasuredCampaign[], options: MeasureOptions = {}) {
    this.graceMs = (options.cancellationGraceDays ?? DEFAULT_CANCELLATION_GRACE_DAYS) * MS_PER_DAY;
    this.sweepEvery = options.sweepEvery ?? 10_000;
    this.nextSweep = this.sweepEvery;
    for (const c of campaigns) this.register(c);
  }

  /** Registers a campaign so it is listed even if nothing happens to it (the constructor does this). */
  register(campaign: MeasuredCampaign): void {
    if (this.rows.has(campaign.id)) return;
    const windowDays = conversionWindowDays(campaign);
    this.rows.set(campaign.id, {
      id: campaign.id,
      trigger: campaign.trigger.type,
      group: groupOf(campaign.trigger.type),
      windowDays,
      windowMs: windowDays * MS_PER_DAY,
      silent: campaign.channels !== undefined && campaign.channels.length === 0,
      counts: zeroCounts(),
      customers: { treated: new Map(), control: new Map() },
    });
  }

  /** One issued occurrence (an `Issued` decision): counts it and whether its message was deferred. */
  issued(input: { campaignId: string; deferred: boolean }): void {
    const c = this.row(input.campaignId).counts;
    c.issued += 1;
    if (input.deferred) c.deferred += 1;
  }

  /** One queued message: a channel sent and, for the occurrence's first message, a treated touch. */
  treated(input: Treatment): void {
    const row = this.row(input.campaignId);
    row.counts.sent[input.channel] += 1;
    const list = this.touches.get(input.customerId);
    if (list?.some((t) => t.treated && t.occurrenceKey === input.occurrenceKey)) return;
    const startMs = toMs(input.at);
    const endMs = startMs + row.windowMs;
    let offer: Touch['offer'] = null;
    if (input.offer) {
      const expires = input.offer.expiresAt === null ? endMs : toMs(input.offer.expiresAt);
      offer = { minBasketCents: input.offer.minBasketCents, expiresMs: Math.min(expires, endMs) };
      row.counts.offers += 1;
    }
    this.addTouch(input.customerId, row, true, input.occurrenceKey, startMs, offer);
    this.maybeSweep();
  }

  /**
   * One holdout decision: a control touch (none for a silent campaign). `suppressed` calls this for the
   * holdout reasons.
   */
  control(input: ControlDecision): void {
    const row = this.row(input.campaignId);
    if (row.silent) return;
    const key = input.occurrenceKey ?? null;
    const list = this.touches.get(input.customerId);
    if (key !== null && list?.some((t) => !t.treated && t.occurrenceKey === key)) return;
    const startMs = toMs(input.at);
    this.advance(startMs);
    if (input.global) row.counts.controlGlobal += 1;
    this.addTouch(input.customerId, row, false, key, startMs, null);
    this.maybeSweep();
  }

  /**
   * One suppression record (a line of `suppressed.jsonl`): counted by reason; 'holdout' and
   * 'holdout-global' also become control touches, so do not call `control` for them as well.
   */
  suppressed(input: Suppression): void {
    const c = this.row(input.campaignId).counts;
    c.suppressed[input.reason] = (c.suppressed[input.reason] ?? 0) + 1;
    if (input.reason === 'holdout' || input.reason === 'holdout-global') {
      const decision: ControlDecision = {
        campaignId: input.campaignId,
        customerId: input.customerId,
        at: input.at,
        global: input.reason === 'holdout-global',
      };
      if (input.occurrenceKey !== undefined) decision.occurrenceKey = input.occurrenceKey;
      this.control(decision);
    }
  }

  /** Ledger points of a campaign (signed: claw-backs are negative). */
  points(input: { campaignId: string; points: number }): void {
    this.row(input.campaignId).counts.points += input.points;
  }

  /** One order: attributed to the customer's covering touch that opened last, if any. */
  order(input: OrderInput): void {
    const atMs = toMs(input.at);
    this.advance(atMs);
    if (!this.attributed.has(input.orderId)) {
      const touch = this.lastTouch(input.customerId, atMs);
      if (touch !== null) {
        const qualifies =
          touch.offer !== null &&
          input.totalCents >= touch.offer.minBasketCents &&
          atMs <= touch.offer.expiresMs;
        this.attributed.set(input.orderId, { touch, totalCents: input.totalCents, qualifies });
        this.count(touch, input.totalCents, qualifies, 1);
      }
    }
    this.maybeSweep();
  }

  /**
   * A cancelled order leaves the figures: its touch may stop converting, revenue and redemption are
   * taken back. Ignored for orders never attributed, and once the grace after the window has passed.
   */
  cancelled(input: { orderId: string; at?: Instant }): void {
    if (input.at !== undefined) this.advance(toMs(input.at));
    const a = this.attributed.get(input.orderId);
    if (a === undefined) return;
    this.attributed.delete(input.orderId);
    if (this.watermark > a.touch.endMs + this.graceMs) return;
    this.count(a.touch, a.totalCents, a.qualifies, -1);
  }

  /** Per-campaign rows, the personalised and generic groups, and the total: a snapshot, safe to keep. */
  results(): MeasureResults {
    const campaigns: MeasureRow[] = [...this.rows.values()].map((r) => {
      const counts = copyCounts(r.counts);
      const { id, trigger, group, windowDays } = r;
      return { id, trigger, group, windowDays, counts, figures: figuresOf(counts) };
    });
    const pooled = (group: CampaignGroup | null): MeasureRow => {
      const counts = sumCounts(
        campaigns.filter((r) => group === null || r.group === group).map((r) => r.counts),
      );
      return {
        id: group ?? 'total',
        trigger: null,
        group,
        windowDays: null,
        counts,
        figures: figuresOf(counts),
      };
    };
    return {
      campaigns,
      groups: { personalised: pooled('personalised'), generic: pooled('generic') },
      total: pooled(null),
    };
  }

  /**
   * What the accumulator holds right now: customers with open touches, touches, cancellable orders,
   * and the per-customer totals behind the intervals.
   */
  live(): { customers: number; touches: number; orders: number; totals: number } {
    let touches = 0;
    for (const list of this.touches.values()) touches += list.length;
    let totals = 0;
    for (const row of this.rows.values()) totals += row.customers.treated.size + row.customers.control.size;
    return { customers: this.touches.size, touches, orders: this.attributed.size, totals };
  }

  private row(campaignId: string): Row {
    const row = this.rows.get(campaignId);
    if (row !== undefined) return row;
    // A campaign missing from the list (outputs of a run with another campaign file): generic, default window.
    this.register({ id: campaignId, trigger: { type: 'unknown' } });
    const added = this.rows.get(campaignId);
    if (added === undefined) throw new Error(`campaign ${campaignId} was not registered`);
    return added;
  }

  private addTouch(
    customerId: string,
    row: Row,
    treated: boolean,
    occurrenceKey: string | null,
    startMs: number,
    offer: Touch['offer'],
  ): void {
    const arm = treated ? row.counts.treated : row.counts.control;
    arm.members += 1;
    const totals = treated ? row.customers.treated : row.customers.control;
    let customer = totals.get(customerId);
    if (customer === undefined) {
      customer = { touches: 0, converted: 0, orders: 0 };
      totals.set(customerId, customer);
      arm.byCustomer.customers += 1;
    }
    // (n + 1)² − n² = 2n + 1; the cross sums gain the customer's current x and y.
    const sums = arm.byCustomer;
    sums.nn += 2 * customer.touches + 1;
    sums.xn += customer.converted;
    sums.yn += customer.orders;
    customer.touches += 1;
    const touch: Touch = {
      row,
      arm,
      customer,
      treated,
      occurrenceKey,
      startMs,
      endMs: startMs + row.windowMs,
      offer,
      orders: 0,
      qualifying: 0,
    };
    const list = this.touches.get(customerId);
    if (list === undefined) this.touches.set(customerId, [touch]);
    else list.push(touch);
  }

  private lastTouch(customerId: string, atMs: number): Touch | null {
    const list = this.touches.get(customerId);
    if (list === undefined) return null;
    let best: Touch | null = null;
    for (const t of list) {
      if (t.startMs > atMs || atMs > t.endMs) continue;
      // `>=`: of touches opening at the same instant, the one fed last wins.
      if (best === null || t.startMs >= best.startMs) best = t;
    }
    return best;
  }

  /** Adds (sign 1) or removes (sign -1) one attributed order, keeping the per-touch thresholds exact. */
  private count(touch: Touch, totalCents: number, qualifies: boolean, sign: 1 | -1): void {
    const arm = touch.arm;
    const sums = arm.byCustomer;
    const customer = touch.customer;
    const before = touch.orders;
    touch.orders += sign;
    arm.orders += sign;
    arm.ordersSquared += touch.orders * touch.orders - before * before;
    arm.revenueCents += sign * totalCents;
    // The customer's total moves by ±1: (y ± 1)² − y² = ±2y + 1.
    sums.yy += 2 * sign * customer.orders + 1;
    sums.yn += sign * customer.touches;
    customer.orders += sign;
    // Crossing 0↔1 orders changes conversion; crossing 1↔2 changes repeat.
    if (Math.min(before, touch.orders) === 0) {
      arm.converted += sign;
      sums.xx += 2 * sign * customer.converted + 1;
      sums.xn += sign * customer.touches;
      customer.converted += sign;
    }
    if (Math.min(before, touch.orders) === 1) arm.repeat += sign;
    if (!qualifies) return;
    const q = touch.qualifying;
    touch.qualifying += sign;
    if (Math.min(q, touch.qualifying) === 0) touch.row.counts.redeemed += sign;
  }

  private advance(ms: number): void {
    if (ms > this.watermark) this.watermark = ms;
  }

  /** Drops closed touches and orders past their cancellation grace; amortised O(1) per call. */
  private maybeSweep(): void {
    this.opsSinceSweep += 1;
    if (this.opsSinceSweep < this.nextSweep) return;
    this.opsSinceSweep = 0;
    const now = this.watermark;
    for (const [customerId, list] of this.touches) {
      // Orders come in time order: a touch whose window ended before now can take no more.
      const open = list.filter((t) => t.endMs >= now);
      if (open.length === 0) this.touches.delete(customerId);
      else if (open.length < list.length) this.touches.set(customerId, open);
    }
    for (const [orderId, a] of this.attributed) {
      if (a.touch.endMs + this.graceMs < now) this.attributed.delete(orderId);
    }
    // Sweep again after as many calls as there are live entries: the sweep's cost is amortised.
    this.nextSweep = Math.max(this.sweepEvery, this.touches.size + this.attributed.size);
  }
}
