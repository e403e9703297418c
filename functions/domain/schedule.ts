/**
 * When a customer's scheduled triggers can fire: the campaign index per brand, `nextDue` for the
 * next-due index, and a compiled schedule — the open-or-upcoming occurrence windows of one customer
 * state — so a sweep over many customers decides "nothing due" without recomputing any window.
 *
 * A schedule is memoized per state object (states are immutable: every change makes a new one) and per
 * context (a new campaign file or replenishment model compiles again).
 */
import type { Campaign, CampaignFile } from './campaign.ts';
import { runsForBrand } from './campaign-rules.ts';
import { localKey } from './candidate.ts';
import type { CustomerState } from './customer-state.ts';
import { matchesSegment } from './guardrails.ts';
import type { ReplenishmentModel } from './replenishment.ts';
import type { ScheduledTrigger, WindowContext } from './scheduled-triggers.ts';
import { isScheduled, windows } from './scheduled-triggers.ts';
import { localDateOf, MS_PER_DAY } from './time.ts';

/** What every evaluation needs besides the customer: the campaign file and the replenishment model. */
export interface EngineContext {
  pack: CampaignFile;
  model: ReplenishmentModel | null;
}

export interface BrandCampaigns {
  /** Every campaign of the file by id (also disabled and other brands': old records refer to them). */
  byId: ReadonlyMap<string, Campaign>;
  scheduled: { campaign: Campaign; trigger: ScheduledTrigger }[];
  realtime: Campaign[];
  dormancy: Campaign[];
}

const byBrand = new WeakMap<CampaignFile, Map<string, BrandCampaigns>>();

/** Enabled campaigns of a brand, highest priority first, split by kind (cached per file and brand). */
export function campaignsOf(pack: CampaignFile, brand: string): BrandCampaigns {
  let perBrand = byBrand.get(pack);
  if (perBrand === undefined) {
    perBrand = new Map();
    byBrand.set(pack, perBrand);
  }
  let found = perBrand.get(brand);
  if (found === undefined) {
    const enabled = pack.campaigns
      .filter((c) => c.enabled && runsForBrand(c, brand))
      .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
    found = {
      byId: new Map(pack.campaigns.map((c) => [c.id, c])),
      scheduled: [],
      realtime: [],
      dormancy: [],
    };
    for (const campaign of enabled) {
      const t = campaign.trigger;
      if (isScheduled(t)) found.scheduled.push({ campaign, trigger: t });
      else found.realtime.push(campaign);
      if (t.type === 'dormancy') found.dormancy.push(campaign);
    }
    perBrand.set(brand, found);
  }
  return found;
}

export function zoneOf(state: CustomerState, pack: CampaignFile): string {
  return state.profile.timeZone ?? pack.guardrails.defaultTimeZone;
}

function activeAt(campaign: Campaign, nowMs: number): boolean {
  if (campaign.validFrom !== undefined && nowMs < Date.parse(campaign.validFrom)) return false;
  if (campaign.validUntil !== undefined && nowMs > Date.parse(campaign.validUntil)) return false;
  return true;
}

export function eligible(
  state: CustomerState,
  campaign: Campaign,
  ctx: EngineContext,
  nowMs: number,
): boolean {
  return activeAt(campaign, nowMs) && matchesSegment(state, campaign.segment, ctx.pack.program, nowMs);
}

export function windowContext(state: CustomerState, ctx: EngineContext, nowMs: number): WindowContext {
  const zone = zoneOf(state, ctx.pack);
  return { zone, nowMs, today: localDateOf(nowMs, zone), model: ctx.model };
}

export interface Schedule {
  /** Flat [from, until) pairs: the undecided windows that can still fire, clipped to campaign validity. */
  pairs: number[];
  /** When the schedule was compiled: it is valid from here to the horizon. */
  compiledAt: number;
  /** The schedule lists every window before this instant; after it, compile again. */
  horizon: number;
  /** The earliest instant in `pairs` (null: nothing to come before the horizon). */
  nextDue: number | null;
  /** What it was compiled from: a context whose pack or model was since replaced compiles again. */
  pack: CampaignFile;
  model: ReplenishmentModel | null;
}

/** Compiles the customer's schedule at `now`; windows open now but not eligible now are left out. */
export function compileSchedule(state: CustomerState, ctx: EngineContext, nowMs: number): Schedule {
  const wctx = windowContext(state, ctx, nowMs);
  const pairs: number[] = [];
  let horizon = Number.POSITIVE_INFINITY;
  let best: number | null = null;
  const add = (from: number, until: number) => {
    pairs.push(from, until);
    if (best === null || from < best) best = from;
  };
  const bucket = state.points.buckets[0];
  // Points expire at the start of the bucket's day: the customer is due then (expiry is an evaluation).
  if (bucket !== undefined) add(Date.parse(`${bucket.expiresOn}T00:00:00.000Z`), Number.POSITIVE_INFINITY);
  for (const { campaign, trigger } of campaignsOf(ctx.pack, state.brand).scheduled) {
    const validUntil = campaign.validUntil === undefined ? null : Date.parse(campaign.validUntil);
    if (validUntil !== null && validUntil < nowMs) continue;
    const listed = windows(state, campaign, trigger, wctx);
    const last = listed[listed.length - 1];
    // Triggers list the windows around `now` only: beyond the last one listed there may be more.
    if (last !== undefined && last.untilMs < horizon) horizon = last.untilMs;
    for (const w of listed) {
      if (state.occurrences[localKey(campaign, w.occurrence)] !== undefined) continue;
      let at = Math.max(w.fromMs, nowMs);
      if (campaign.validFrom !== undefined) at = Math.max(at, Date.parse(campaign.validFrom));
      if (at >= w.untilMs) continue;
      // Windows come earliest first: once one opens after the campaign ends, so do the rest.
      if (validUntil !== null && at > validUntil) break;
      if (at === nowMs && !eligible(state, campaign, ctx, nowMs)) {
        // Open now but not eligible now. Static conditions (country, orders, consent …) change only
        // with an event, which compiles and re-indexes the customer; RFM class and tier also change
        // as time passes, so those windows are looked at again daily while they stay open.
        if (changesWithTime(campaign) && nowMs + MS_PER_DAY < w.untilMs) add(nowMs + MS_PER_DAY, w.untilMs);
        continue;
      }
      add(at, w.untilMs);
    }
  }
  return { pairs, compiledAt: nowMs, horizon, nextDue: best, pack: ctx.pack, model: ctx.model };
}

/** Whether the campaign's segment can change without an event (RFM recency, tiers by a rolling window). */
function changesWithTime(campaign: Campaign): boolean {
  return campaign.segment.rfm !== undefined || campaign.segment.tiers !== undefined;
}

/** The earliest instant a scheduled trigger can fire for this customer (null: nothing to come). */
export function nextDue(state: CustomerState, ctx: EngineContext, nowMs: number): number | null {
  const fresh = compileSchedule(state, ctx, nowMs);
  memo.set(state, fresh);
  return fresh.nextDue;
}

/**
 * Memo of compiled schedules, kept on the state object itself under a non-enumerable symbol: invisible
 * to JSON, spreads, structuredClone and equality, and goes with the state. A WeakMap would do the same
 * at ~100 ns a lookup with a million states; a property read is ~4 ns, which a sweep needs.
 */
const SCHEDULE = Symbol('schedule');
type Memoized = CustomerState & { [SCHEDULE]?: Schedule };

const memo = {
  get(state: CustomerState): Schedule | undefined {
    return (state as Memoized)[SCHEDULE];
  },
  set(state: CustomerState, schedule: Schedule): void {
    // A frozen (or sealed) state keeps no new memo: every call compiles, which is only slower.
    const own = Object.getOwnPropertyDescriptor(state, SCHEDULE);
    if (own !== undefined) {
      if (own.writable) (state as Memoized)[SCHEDULE] = schedule;
    } else if (Object.isExtensible(state)) {
      Object.defineProperty(state, SCHEDULE, { value: schedule, writable: true, configurable: true });
    }
  },
  delete(state: CustomerState): void {
    if (Object.getOwnPropertyDescriptor(state, SCHEDULE)?.writable) (state as Memoized)[SCHEDULE] = undefined;
  },
};

/** The memoized schedule of a state, compiled again when stale (past its horizon) or for another context. */
export function scheduleOf(state: CustomerState, ctx: EngineContext, nowMs: number): Schedule {
  const known = memo.get(state);
  // Reuse only forward in time: a memo compiled after `now` may leave out windows open at `now`. The
  // pack and model are compared, not the context object: a caller may replace its model in place.
  if (
    known !== undefined &&
    known.pack === ctx.pack &&
    known.model === ctx.model &&
    nowMs < known.horizon &&
    nowMs >= known.compiledAt
  )
    return known;
  const fresh = compileSchedule(state, ctx, nowMs);
  memo.set(state, fresh);
  return fresh;
}

/** Whether any window of the customer's schedule is open at `now`. */
export function isDueNow(state: CustomerState, ctx: EngineContext, nowMs: number): boolean {
  const schedule = scheduleOf(state, ctx, nowMs);
  // Most customers are not due: one comparison with the earliest window start settles it.
  if (schedule.nextDue === null || nowMs < schedule.nextDue) return false;
  const { pairs } = schedule;
  for (let i = 0; i < pairs.length; i += 2) {
    if ((pairs[i] as number) <= nowMs && nowMs < (pairs[i + 1] as number)) return true;
  }
  return false;
}

/** Drops a state's memo (after an evaluation that decided nothing, the windows are compiled anew). */
export function forgetSchedule(state: CustomerState): void {
  memo.delete(state);
}
