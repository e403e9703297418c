/**
 * Scheduled triggers: birthday, anniversary, dormancy, replenishment, points expiring, personal offers.
 *
 * Each trigger yields the occurrence windows around `now`: when an occurrence may fire ([fromMs, untilMs))
 * and its key. Evaluation fires the windows open now and not yet decided; `nextDue` is the earliest window
 * start still to come. One definition serves both, so the index and the evaluation cannot disagree.
 */
import { sendHourFor } from './best-hour.ts';
import type { Campaign, Guardrails, Program, Trigger } from './campaign.ts';
import type { Candidate } from './candidate.ts';
import { localKey, offerFor } from './candidate.ts';
import type { CustomerState } from './customer-state.ts';
import { LIMITS } from './customer-state.ts';
import { personalOffers } from './personal-offers.ts';
import type { Prediction, ReplenishmentModel } from './replenishment.ts';
import { orderDayNumbers, predictNextPurchase } from './replenishment.ts';
import type { LocalDate } from './time.ts';
import {
  addDays,
  addMonthsClamped,
  atLocalHour,
  compareDates,
  daysBetween,
  formatDate,
  isLeapYear,
  localDateOf,
  MS_PER_DAY,
  nextLocalHourAtOrAfter,
  parseDate,
  parseInstant,
  startOfLocalDay,
  startOfUtcDay,
} from './time.ts';

export type ScheduledTrigger = Extract<
  Trigger,
  { type: 'birthday' | 'anniversary' | 'dormancy' | 'replenishment' | 'points-expiring' | 'personal-offer' }
>;

export function isScheduled(trigger: Trigger): trigger is ScheduledTrigger {
  switch (trigger.type) {
    case 'birthday':
    case 'anniversary':
    case 'dormancy':
    case 'replenishment':
    case 'points-expiring':
    case 'personal-offer':
      return true;
    default:
      return false;
  }
}

export interface Window {
  /** Occurrence part of the key (year, period number, episode, sku#day …). */
  occurrence: string;
  /** The occurrence's key within the customer item: `<campaignId>#<occurrence>` (see `localKey`). */
  key: string;
  fromMs: number;
  untilMs: number;
  variables: Record<string, string | number>;
  onceEver: boolean;
}

export interface WindowContext {
  zone: string;
  nowMs: number;
  /** The customer's local date at `nowMs`. */
  today: LocalDate;
  model: ReplenishmentModel | null;
  /**
   * The pack's quiet hours: a campaign's learned best hour (`bestHour`) is never one of them when they
   * bind its channels. Absent, nothing restricts it (the guardrails still defer a quiet send).
   */
  quietHours?: Guardrails['quietHours'];
}

/**
 * How long a dormancy episode stays open for a late decision (a customer entering the segment later).
 * Shorter than the occurrence retention: a pruned decision must never reopen its episode.
 */
export const DORMANCY_WINDOW_DAYS = Math.min(365, LIMITS.occurrenceRetentionDays - 30);

/**
 * Days an occurrence record of this campaign must stay in the customer item: as long as its window can
 * still be listed (so it is never decided twice), its cooldown or action period runs, or its offer can
 * convert. Shorter retention keeps items small, and every kilobyte of item is a write unit. At most
 * `LIMITS.occurrenceRetentionDays`, except a birthday's record, which outlives the windows of its year.
 */
export function retentionDays(campaign: Campaign, capDays: number): number {
  const t = campaign.trigger;
  let days: number;
  switch (t.type) {
    case 'birthday':
      // Keyed by year: a birthday moved to a later day of the year opens that year's window again, so
      // the record stays until every window of its year has closed (a year, and the days around it).
      days = 366 + t.daysBefore + t.daysAfter + 2;
      break;
    case 'anniversary':
    case 'replenishment':
      days = t.daysAfter + 2;
      break;
    case 'dormancy':
      days = DORMANCY_WINDOW_DAYS + 2;
      break;
    case 'points-expiring':
      days = t.withinDays + 2;
      break;
    case 'personal-offer':
      days = t.everyDays + 2;
      break;
    case 'action':
      // Keyed by reference: the same review must not pay twice, so keep it the longest we keep anything.
      days = LIMITS.occurrenceRetentionDays;
      break;
    default:
      days = 2;
  }
  const offerDays = campaign.reward.offer?.validityDays ?? campaign.conversionWindowDays ?? 0;
  return Math.min(
    Math.max(LIMITS.occurrenceRetentionDays, days),
    Math.max(days, campaign.cooldownDays, offerDays + 1, capDays + 1, campaign.messageValidityHours / 24 + 1),
  );
}
const EPOCH: LocalDate = { year: 1970, month: 1, day: 1 };

/** Occurrence windows of one scheduled campaign that end after `now`, earliest first (at most a few). */
export function windows(
  state: CustomerState,
  campaign: Campaign,
  trigger: ScheduledTrigger,
  ctx: WindowContext,
): Window[] {
  // The campaign's sendHour, or the customer's learned best local hour when the campaign opts in.
  const hour = sendHourFor(state, campaign, ctx.quietHours);
  switch (trigger.type) {
    case 'birthday':
      return birthdayWindows(state, campaign, trigger, hour, ctx);
    case 'anniversary':
      return anniversaryWindows(state, campaign, trigger, hour, ctx);
    case 'dormancy':
      return dormancyWindows(state, campaign, trigger, hour, ctx);
    case 'replenishment':
      return replenishmentWindows(state, campaign, trigger, hour, ctx);
    case 'points-expiring':
      return pointsExpiringWindows(state, campaign, trigger, hour, ctx);
    case 'personal-offer':
      return personalOfferWindows(state, campaign, trigger, hour, ctx);
  }
}

/** The birthday in a given year; Feb 29 falls on Feb 28 or Mar 1 in other years, as configured. */
export function birthdayIn(year: number, month: number, day: number, leapDay: 'feb28' | 'mar1'): LocalDate {
  if (month === 2 && day === 29 && !isLeapYear(year)) {
    return leapDay === 'feb28' ? { year, month: 2, day: 28 } : { year, month: 3, day: 1 };
  }
  return { year, month, day };
}

function birthdayWindows(
  state: CustomerState,
  campaign: Campaign,
  t: Extract<Trigger, { type: 'birthday' }>,
  hour: number,
  ctx: WindowContext,
): Window[] {
  const b = state.profile.birthday;
  if (b === null) return [];
  const out: Window[] = [];
  // Once a year: a birthday moved after its bonus must not open another year's window within the year
  // (issued on Jan 2, moved to Dec 31: last year's window, still in its catch-up days, is not opened).
  // The gap leaves room for a window's own width, so next year's birthday is never refused.
  const last = lastIssuedMs(state, campaign.id);
  const gapMs = (365 - t.daysBefore - t.daysAfter - 2) * MS_PER_DAY;
  for (let year = ctx.today.year - 1; year <= ctx.today.year + 1 && out.length < 2; year++) {
    const day = birthdayIn(year, b.month, b.day, t.leapDay);
    const untilMs = startOfLocalDay(ctx.zone, addDays(day, t.daysAfter + 1));
    if (untilMs <= ctx.nowMs) continue;
    const age = b.year === null ? '' : year - b.year;
    const occurrence = String(year);
    const key = localKey(campaign, occurrence);
    const fromMs = atLocalHour(ctx.zone, addDays(day, -t.daysBefore), hour);
    if (last !== null && state.occurrences[key] === undefined && fromMs < last + gapMs) continue;
    out.push({
      occurrence,
      key,
      fromMs,
      untilMs,
      variables: { birthday: formatDate(day), age },
      onceEver: false,
    });
  }
  return out;
}

/** When the campaign last issued to the customer (decision time), or null. */
function lastIssuedMs(state: CustomerState, campaignId: string): number | null {
  let last: string | null = null;
  for (const key in state.occurrences) {
    const occ = state.occurrences[key];
    if (occ === undefined || occ.campaignId !== campaignId) continue;
    if (occ.status !== 'issued' && occ.status !== 'converted') continue;
    if (last === null || occ.at > last) last = occ.at;
  }
  return last === null ? null : parseInstant(last);
}

function anniversaryWindows(
  state: CustomerState,
  campaign: Campaign,
  t: Extract<Trigger, { type: 'anniversary' }>,
  hour: number,
  ctx: WindowContext,
): Window[] {
  if (state.profile.registeredAt === null) return [];
  const reg = localDateOf(parseInstant(state.profile.registeredAt), ctx.zone);
  const months = (ctx.today.year - reg.year) * 12 + (ctx.today.month - reg.month);
  const out: Window[] = [];
  // The period running now is at most one behind the month count; look one ahead for nextDue.
  const last = t.maxTimes ?? 10_000;
  for (let n = Math.max(1, Math.floor(months / t.everyMonths) - 1); n <= last; n++) {
    // From the registration date each time (not period to period), so Jan 31 → Feb 28 → Mar 31.
    const day = addMonthsClamped(reg, n * t.everyMonths);
    const untilMs = startOfLocalDay(ctx.zone, addDays(day, t.daysAfter + 1));
    if (untilMs <= ctx.nowMs) continue;
    const fromMs = atLocalHour(ctx.zone, day, hour);
    // Two at least, and every window that opens before the last listed one ends (monthly anniversaries
    // with a long catch-up overlap): a compiled schedule trusts the list up to that end.
    const previous = out[out.length - 1];
    if (out.length >= 2 && previous !== undefined && fromMs >= previous.untilMs) break;
    const total = n * t.everyMonths;
    const occurrence = String(n);
    out.push({
      occurrence,
      key: localKey(campaign, occurrence),
      fromMs,
      untilMs,
      variables: { months: total, years: total % 12 === 0 ? total / 12 : Math.round((total / 12) * 10) / 10 },
      onceEver: false,
    });
  }
  return out;
}

function dormancyWindows(
  state: CustomerState,
  campaign: Campaign,
  t: Extract<Trigger, { type: 'dormancy' }>,
  hour: number,
  ctx: WindowContext,
): Window[] {
  const last = state.stats.lastOrderAt;
  if (last === null || state.stats.orders < t.minOrders) return [];
  // One episode per last order: a new order ends the episode and starts the next one.
  const fromMs = nextLocalHourAtOrAfter(parseInstant(last) + t.days * MS_PER_DAY, ctx.zone, hour);
  const occurrence = last.slice(0, 10);
  return [
    {
      occurrence,
      key: localKey(campaign, occurrence),
      fromMs,
      untilMs: fromMs + DORMANCY_WINDOW_DAYS * MS_PER_DAY,
      variables: { days: t.days },
      onceEver: false,
    },
  ];
}

function replenishmentWindows(
  state: CustomerState,
  campaign: Campaign,
  t: Extract<Trigger, { type: 'replenishment' }>,
  hour: number,
  ctx: WindowContext,
): Window[] {
  if (ctx.model === null) return [];
  const out: Window[] = [];
  for (const w of nudgesOf(state, ctx.model, campaign, t, hour, ctx.zone))
    if (w.untilMs > ctx.nowMs) out.push(w);
  return out;
}

/**
 * Every product's nudge window, whether or not it has ended, earliest first (then the most confident):
 * memoized with the predictions they come from, per campaign, hour and zone, as they do not depend on
 * `now`. Listing the windows that end after `now` keeps that order (the sort is stable).
 */
function nudgesOf(
  state: CustomerState,
  model: ReplenishmentModel,
  campaign: Campaign,
  t: Extract<Trigger, { type: 'replenishment' }>,
  hour: number,
  zone: string,
): Window[] {
  const predictions = predictionsOf(state, model);
  let byCampaign = predictions.nudges.get(campaign);
  if (byCampaign === undefined) {
    byCampaign = new Map();
    predictions.nudges.set(campaign, byCampaign);
  }
  const key = `${hour}|${zone}`;
  const known = byCampaign.get(key);
  if (known !== undefined) return known;
  const out: Window[] = [];
  for (const { sku, history, prediction } of predictions.list) {
    if (prediction === null || prediction.intervalDays < t.minIntervalDays) continue;
    const predicted = parseDate(prediction.predictedDay);
    const last = parseDate(prediction.lastDay);
    if (predicted === null || last === null) continue;
    let nudge = addDays(predicted, -t.leadDays);
    if (compareDates(nudge, last) <= 0) nudge = addDays(last, 1);
    // Keyed by the last purchase: buying again before the nudge makes a new key, so the old nudge never fires.
    const occurrence = `${sku}#${prediction.lastDay}`;
    out.push({
      occurrence,
      key: localKey(campaign, occurrence),
      fromMs: atLocalHour(zone, nudge, hour),
      untilMs: startOfLocalDay(zone, addDays(nudge, t.daysAfter + 1)),
      variables: {
        sku,
        category: history.category ?? '',
        predictedAt: prediction.predictedDay,
        intervalDays: Math.round(prediction.intervalDays),
        confidence: Math.round(prediction.confidence * 100) / 100,
      },
      onceEver: false,
    });
  }
  out.sort((a, b) => a.fromMs - b.fromMs || Number(b.variables.confidence) - Number(a.variables.confidence));
  byCampaign.set(key, out);
  return out;
}

interface ProductPrediction {
  sku: string;
  history: CustomerState['products'][string];
  prediction: Prediction | null;
}

interface Predictions {
  model: ReplenishmentModel;
  orders: object;
  list: ProductPrediction[];
  /** Nudge windows per campaign, then per `hour|zone` (see nudgesOf). */
  nudges: Map<Campaign, Map<string, Window[]>>;
}

/**
 * Predictions per product, memoized on the products and orders objects they come from: the engine's
 * issuance copies a state without touching either, so a sweep predicts each customer once per change.
 */
const predictionMemo = new WeakMap<object, Predictions>();

function predictionsOf(state: CustomerState, model: ReplenishmentModel): Predictions {
  const known = predictionMemo.get(state.products);
  if (known !== undefined && known.model === model && known.orders === state.orders) return known;
  // The customer's order cadence sharpens the prediction (the model uses only days up to the sku's last
  // purchase, so a later order of something else never moves a nudge). Parsed and sorted once for all
  // of the customer's products.
  const orderDays = orderDayNumbers(
    Object.values(state.orders)
      .filter((o) => !o.cancelled)
      .map((o) => o.at.slice(0, 10)),
  );
  const list = Object.entries(state.products).map(([sku, history]) => ({
    sku,
    history,
    prediction: predictNextPurchase(sku, history.days, model, { orderDays }),
  }));
  const fresh: Predictions = { model, orders: state.orders, list, nudges: new Map() };
  predictionMemo.set(state.products, fresh);
  return fresh;
}

function pointsExpiringWindows(
  state: CustomerState,
  campaign: Campaign,
  t: Extract<Trigger, { type: 'points-expiring' }>,
  hour: number,
  ctx: WindowContext,
): Window[] {
  const out: Window[] = [];
  for (const bucket of state.points.buckets) {
    // Small buckets first: no window of their own, and (buckets being oldest first, so their windows
    // opening in that order) stopping at one would stop at the next large bucket as well.
    if (bucket.points < t.minPoints) continue;
    const expiresMs = startOfUtcDay(bucket.expiresOn);
    if (expiresMs <= ctx.nowMs) continue;
    const fromMs = nextLocalHourAtOrAfter(expiresMs - t.withinDays * MS_PER_DAY, ctx.zone, hour);
    // Windows of later buckets overlap earlier ones. A schedule trusts the list up to the end of the
    // last window listed, so keep listing until the next window opens after that (two at least).
    const last = out[out.length - 1];
    if (out.length >= 2 && last !== undefined && fromMs >= last.untilMs) break;
    if (fromMs >= expiresMs) continue;
    out.push({
      occurrence: bucket.expiresOn,
      key: localKey(campaign, bucket.expiresOn),
      fromMs,
      untilMs: expiresMs,
      variables: { expiringPoints: bucket.points, expiresOn: bucket.expiresOn },
      onceEver: false,
    });
  }
  return out;
}

function personalOfferWindows(
  state: CustomerState,
  campaign: Campaign,
  t: Extract<Trigger, { type: 'personal-offer' }>,
  hour: number,
  ctx: WindowContext,
): Window[] {
  if (state.stats.orders === 0) return [];
  // Batches on a fixed calendar grid per customer-local day: the same period for every customer.
  const period = Math.floor(daysBetween(EPOCH, ctx.today) / t.everyDays);
  const out: Window[] = [];
  for (let p = period; p <= period + 1; p++) {
    const start = addDays(EPOCH, p * t.everyDays);
    const untilMs = startOfLocalDay(ctx.zone, addDays(start, t.everyDays));
    if (untilMs <= ctx.nowMs) continue;
    const occurrence = formatDate(start);
    out.push({
      occurrence,
      key: localKey(campaign, occurrence),
      fromMs: atLocalHour(ctx.zone, start, hour),
      untilMs,
      variables: {},
      onceEver: false,
    });
  }
  return out;
}

/** The candidate of an open window: the campaign's reward and offer, plus what the trigger adds. */
export function windowCandidate(
  state: CustomerState,
  campaign: Campaign,
  trigger: ScheduledTrigger,
  w: Window,
  key: string,
  program: Program,
  nowMs: number,
): Candidate {
  const c: Candidate = {
    campaign,
    key,
    dueMs: nowMs,
    points: campaign.reward.points ?? 0,
    orderId: null,
    offer: offerFor(campaign),
    offers: [],
    variables: { ...w.variables },
    onceEver: w.onceEver,
  };
  // The win-back bonus is credited on the qualifying order (offerFor put it there), not now.
  if (trigger.type === 'dormancy') c.points = 0;
  if (trigger.type === 'personal-offer') {
    c.offers = personalOffers(state, trigger, program, nowMs);
    // The headline the template names: the best offer's group and the richest accrual of the set.
    const best = c.offers[0];
    if (best !== undefined) {
      c.variables.category = best.category;
      c.variables.accrualPercent = Math.max(...c.offers.map((o) => o.accrualPercent));
    }
  }
  if (trigger.type === 'replenishment' && c.offer)
    c.offer.category = String(w.variables.category ?? '') || null;
  return c;
}
