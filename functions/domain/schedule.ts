/**
 * When a customer's scheduled triggers can fire: the campaign index per brand, `nextDue` for the
 * next-due index, and a compiled schedule — the open-or-upcoming occurrence windows of one customer
 * state — so a sweep over many customers decides "nothing due" without recomputing any window.
 *
 * A schedule is memoized per state object (states are immutable: every change makes a new one) and per
 * context (a new campaign file or replenishment model compiles again).
 */
import { sameBestHourInputs } from './best-hour.ts';
import type { Campaign, CampaignFile } from './campaign.ts';
import { runsForBrand } from './campaign-rules.ts';
import { offerFor } from './candidate.ts';
import type { CustomerState } from './customer-state.ts';
import { chooseChannels, matchesSegment } from './guardrails.ts';
import type { ReplenishmentModel } from './replenishment.ts';
import type { ScheduledTrigger, Window, WindowContext } from './scheduled-triggers.ts';
import { isScheduled, windows } from './scheduled-triggers.ts';
import { localDateOf, MS_PER_DAY, startOfUtcDay } from './time.ts';

/** What every evaluation needs besides the customer: the campaign file and the replenishment model. */
export interface EngineContext {
  pack: CampaignFile;
  model: ReplenishmentModel | null;
}

export interface ScheduledCampaign {
  campaign: Campaign;
  trigger: ScheduledTrigger;
}

export interface BrandCampaigns {
  /** Every campaign of the file by id (also disabled and other brands': old records refer to them). */
  byId: ReadonlyMap<string, Campaign>;
  scheduled: ScheduledCampaign[];
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
  return {
    zone,
    nowMs,
    today: localDateOf(nowMs, zone),
    model: ctx.model,
    quietHours: ctx.pack.guardrails.quietHours,
  };
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
  /**
   * Whether a window was open at `compiledAt` but out of a segment that changes with time (RFM, tier):
   * compiled later, the same state may have that window open and eligible.
   */
  deferred: boolean;
}

/**
 * The windows of a customer's scheduled campaigns at one instant, listed on demand: an evaluation
 * lists them once for its candidates and compiles the new state's schedule from the same lists.
 */
export interface Listing {
  readonly state: CustomerState;
  readonly nowMs: number;
  readonly pack: CampaignFile;
  readonly model: ReplenishmentModel | null;
  readonly wctx: WindowContext;
  /** The brand's scheduled campaigns (`campaignsOf(...).scheduled`). */
  readonly campaigns: readonly ScheduledCampaign[];
  /** Per campaign, its windows once listed (null: not listed yet). */
  readonly lists: (readonly Window[] | null)[];
}

/**
 * A listing of the state's windows at `now`. Given the listing of another state at the same instant
 * and context (the state before an issuance), a campaign whose trigger reads the same values in both
 * keeps its windows: a trigger's windows are a function of those values, the zone and the instant.
 */
export function listing(state: CustomerState, ctx: EngineContext, nowMs: number, from?: Listing): Listing {
  const wctx = windowContext(state, ctx, nowMs);
  const campaigns = campaignsOf(ctx.pack, state.brand).scheduled;
  const lists: (readonly Window[] | null)[] = new Array(campaigns.length).fill(null);
  if (
    from !== undefined &&
    from.nowMs === nowMs &&
    from.pack === ctx.pack &&
    from.model === ctx.model &&
    from.campaigns === campaigns &&
    from.wctx.zone === wctx.zone
  ) {
    for (let i = 0; i < campaigns.length; i++) {
      const known = from.lists[i];
      const entry = campaigns[i];
      // A campaign that opts in to best hour also reads the engagement counts (its windows' hour).
      if (
        known != null &&
        entry !== undefined &&
        sameInputs(entry.trigger, from.state, state) &&
        sameReach(entry, from.state, state) &&
        sameBestHourInputs(entry.campaign, from.state, state)
      )
        lists[i] = known;
    }
  }
  return { state, nowMs, pack: ctx.pack, model: ctx.model, wctx, campaigns, lists };
}

/** The windows of the listing's `i`-th campaign (listed on first use). */
export function listed(l: Listing, i: number): readonly Window[] {
  const known = l.lists[i];
  if (known != null) return known;
  const entry = l.campaigns[i];
  const fresh =
    entry === undefined || !givesAnything(l.state, entry)
      ? []
      : windows(l.state, entry.campaign, entry.trigger, l.wctx);
  l.lists[i] = fresh;
  return fresh;
}

/**
 * Whether an occurrence of the campaign would give this customer anything. A scheduled campaign whose
 * reward reaches the customer only through its message (an offer, personal offers, a win-back whose
 * points wait for an order, a reminder without points) gives nothing to a customer it cannot message
 * (opted out, or no consented channel with an address): the engine would only record a suppression.
 * Such a campaign lists no windows for the customer, so it is never due for it: no evaluation, no write
 * and no due entry. Consents, contacts and the opt-out change only with an event, which lists the
 * windows again; a bonus in points is the customer's whatever the messaging guardrails say, so a
 * campaign that credits points at issuance is always listed (see `decide` in engine.ts).
 */
export function givesAnything(state: CustomerState, entry: ScheduledCampaign): boolean {
  if (!messageOnly(entry)) return true;
  return chooseChannels(state, entry.campaign).type === 'Channels';
}

const messageOnlyMemo = new WeakMap<Campaign, boolean>();

/** Whether an issued occurrence of the campaign gives nothing when its message is suppressed. */
function messageOnly({ campaign }: ScheduledCampaign): boolean {
  let known = messageOnlyMemo.get(campaign);
  if (known === undefined) {
    // A dormancy campaign always carries an offer (its points wait for the order). Personal offers with
    // points besides are listed: without offers found, the points alone would be issued.
    known =
      campaign.channels.length > 0 && (offerFor(campaign) !== null || (campaign.reward.points ?? 0) === 0);
    messageOnlyMemo.set(campaign, known);
  }
  return known;
}

/** Whether two states are alike for {@link givesAnything} (the same values it reads). */
function sameReach(entry: ScheduledCampaign, a: CustomerState, b: CustomerState): boolean {
  return (
    !messageOnly(entry) ||
    (a.optOut === b.optOut && a.consents === b.consents && a.contacts === b.contacts) ||
    givesAnything(a, entry) === givesAnything(b, entry)
  );
}

/** Whether a trigger reads the same values in two states (the zone aside: a listing compares it). */
function sameInputs(trigger: ScheduledTrigger, a: CustomerState, b: CustomerState): boolean {
  switch (trigger.type) {
    case 'birthday': {
      const x = a.profile.birthday;
      const y = b.profile.birthday;
      return (
        x === y || (x !== null && y !== null && x.month === y.month && x.day === y.day && x.year === y.year)
      );
    }
    case 'anniversary':
      return a.profile.registeredAt === b.profile.registeredAt;
    case 'dormancy':
      return a.stats.lastOrderAt === b.stats.lastOrderAt && a.stats.orders === b.stats.orders;
    case 'personal-offer':
      return (a.stats.orders === 0) === (b.stats.orders === 0);
    case 'replenishment':
      // Predictions come from the products and the orders (memoized on those objects).
      return a.products === b.products && a.orders === b.orders;
    case 'points-expiring':
      return sameBuckets(a.points.buckets, b.points.buckets);
  }
}

function sameBuckets(a: CustomerState['points']['buckets'], b: CustomerState['points']['buckets']): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x.expiresOn !== y.expiresOn || x.points !== y.points)
      return false;
  }
  return true;
}

/**
 * Compiles the customer's schedule at `now`; windows open now but not eligible now are left out. The
 * windows come from `from` where it lists this state's (see {@link listing}).
 */
export function compileSchedule(
  state: CustomerState,
  ctx: EngineContext,
  nowMs: number,
  from?: Listing,
): Schedule {
  const windowsNow =
    from !== undefined &&
    from.state === state &&
    from.nowMs === nowMs &&
    from.pack === ctx.pack &&
    from.model === ctx.model
      ? from
      : listing(state, ctx, nowMs, from);
  const pairs: number[] = [];
  let horizon = Number.POSITIVE_INFINITY;
  let deferred = false;
  // Windows go in as flat [start, until) pairs; the earliest start is found once they are all in.
  const bucket = state.points.buckets[0];
  // Points expire at the start of the bucket's day: the customer is due then (expiry is an evaluation).
  if (bucket !== undefined) pairs.push(startOfUtcDay(bucket.expiresOn), Number.POSITIVE_INFINITY);
  const campaigns = windowsNow.campaigns;
  for (let i = 0; i < campaigns.length; i++) {
    const entry = campaigns[i];
    if (entry === undefined) continue;
    const { campaign } = entry;
    const validUntil = campaign.validUntil === undefined ? null : Date.parse(campaign.validUntil);
    if (validUntil !== null && validUntil < nowMs) continue;
    const list = listed(windowsNow, i);
    const last = list[list.length - 1];
    // Triggers list the windows around `now` only: beyond the last one listed there may be more.
    if (last !== undefined && last.untilMs < horizon) horizon = last.untilMs;
    for (const w of list) {
      if (state.occurrences[w.key] !== undefined) continue;
      let at = Math.max(w.fromMs, nowMs);
      if (campaign.validFrom !== undefined) at = Math.max(at, Date.parse(campaign.validFrom));
      if (at >= w.untilMs) continue;
      // Windows come earliest first: once one opens after the campaign ends, so do the rest.
      if (validUntil !== null && at > validUntil) break;
      if (at === nowMs && !eligible(state, campaign, ctx, nowMs)) {
        // Open now but not eligible now. Static conditions (country, orders, consent …) change only
        // with an event, which compiles and re-indexes the customer; RFM class and tier also change
        // as time passes, so those windows are looked at again daily while they stay open.
        if (changesWithTime(campaign)) {
          deferred = true;
          if (nowMs + MS_PER_DAY < w.untilMs) pairs.push(nowMs + MS_PER_DAY, w.untilMs);
        }
        continue;
      }
      pairs.push(at, w.untilMs);
    }
  }
  let best: number | null = null;
  for (let i = 0; i < pairs.length; i += 2) {
    const start = pairs[i] as number;
    if (best === null || start < best) best = start;
  }
  return { pairs, compiledAt: nowMs, horizon, nextDue: best, pack: ctx.pack, model: ctx.model, deferred };
}

/** Whether the campaign's segment can change without an event (RFM recency, tiers by a rolling window). */
function changesWithTime(campaign: Campaign): boolean {
  return campaign.segment.rfm !== undefined || campaign.segment.tiers !== undefined;
}

/** The earliest instant a scheduled trigger can fire for this customer (null: nothing to come). */
export function nextDue(state: CustomerState, ctx: EngineContext, nowMs: number): number | null {
  const known = memo.get(state);
  if (
    known !== undefined &&
    known.pack === ctx.pack &&
    known.model === ctx.model &&
    answersNextDue(known, nowMs)
  )
    return known.nextDue;
  const fresh = compileSchedule(state, ctx, nowMs, forgotten?.state === state ? forgotten : undefined);
  memo.set(state, fresh);
  return fresh.nextDue;
}

/**
 * Whether a schedule of the same state and context says what compiling it at `now` would: compiled at
 * `now` itself (an evaluation hands on the schedule it compiled), or earlier with its next due instant
 * still ahead and before its horizon. Then every window that opens before that instant is listed in
 * both, a window that opens later starts at the same instant in both, and one that was open when it was
 * compiled was either due then (so nothing would be ahead now) or out of a segment that cannot change
 * without an event — unless the segment changes with time (`deferred`).
 */
function answersNextDue(schedule: Schedule, nowMs: number): boolean {
  if (schedule.compiledAt === nowMs) return true;
  const due = schedule.nextDue;
  return (
    !schedule.deferred && schedule.compiledAt < nowMs && due !== null && nowMs < due && due < schedule.horizon
  );
}

/**
 * Memo of compiled schedules, kept on the state object itself under non-enumerable symbols: invisible
 * to JSON, spreads, structuredClone and equality, and goes with the state. A WeakMap would do the same
 * at ~100 ns a lookup with a million states; a property read is ~4 ns, which a sweep needs.
 *
 * Next to the schedule, the state holds what a sweep reads first, as small integers and a pointer
 * side by side in its own properties: the interval of whole minutes [IDLE_FROM, IDLE_UNTIL) in which
 * the schedule says nothing is due, and the context (pack and model) it holds for, as a key compared by
 * identity. Deciding "nothing due" reads the state and nothing else (not the schedule and its boxed
 * numbers): at a million customers, memory access is what a sweep costs. They are always defined
 * together and in one order, so states of one shape share their hidden classes; with them, the state's
 * idle outcome, which an evaluation that finds nothing due returns instead of allocating one. (A state
 * made by an object spread gets hidden classes of its own in V8 once properties are added: the engine
 * copies states with `copyState`, and stored items are decoded, so none is.)
 */
const SCHEDULE = Symbol('schedule');
const IDLE_FROM = Symbol('idleFrom');
const IDLE_UNTIL = Symbol('idleUntil');
const IDLE_CONTEXT = Symbol('idleContext');
/** The outcome of an evaluation of the state that finds nothing due: made once, with the memo. */
const IDLE = Symbol('idle');

/** Shared, frozen empty lists: a sweep returns "nothing" millions of times without allocating them. */
const NOTHING: never[] = Object.freeze([]) as never[];

/** What an evaluation that finds nothing to do returns (frozen: it is shared). */
export interface IdleOutcome {
  readonly state: CustomerState;
  readonly decisions: never[];
  readonly messages: never[];
  readonly ledger: never[];
}

interface Memo {
  readonly idleFrom: number;
  readonly idleUntil: number;
  readonly context: object | null;
  readonly schedule: Schedule | undefined;
}

type Memoized = CustomerState & {
  [SCHEDULE]?: Schedule | undefined;
  [IDLE_FROM]?: number;
  [IDLE_UNTIL]?: number;
  [IDLE_CONTEXT]?: object | null;
  [IDLE]?: IdleOutcome;
};

const MINUTE_MS = 60_000;
/** Bounds of the minute counts kept: small integers on every V8 build (31 bits), ±2,000 years around 1970. */
const MAX_MINUTES = 2 ** 30 - 1;
const MIN_MINUTES = -(2 ** 30);

function memoOf(schedule: Schedule): Memo {
  const context = contextKey(schedule.pack, schedule.model);
  // Inside [compiledAt, min(horizon, nextDue)), rounded inwards to whole minutes.
  const bound = Math.min(schedule.horizon, schedule.nextDue ?? Number.POSITIVE_INFINITY);
  const from = Math.ceil(schedule.compiledAt / MINUTE_MS);
  const until = bound >= MAX_MINUTES * MINUTE_MS ? MAX_MINUTES : Math.floor(bound / MINUTE_MS);
  if (!(from >= MIN_MINUTES && from <= MAX_MINUTES && until >= MIN_MINUTES)) {
    return { idleFrom: MAX_MINUTES, idleUntil: MIN_MINUTES, context, schedule };
  }
  return { idleFrom: from, idleUntil: until, context, schedule };
}

/** One key object per (pack, model): the idle interval's context, compared by identity. */
const contextKeys = new WeakMap<
  CampaignFile,
  { none: object; byModel: WeakMap<ReplenishmentModel, object> }
>();
let lastKeyPack: CampaignFile | undefined;
let lastKeyModel: ReplenishmentModel | null = null;
let lastKey: object | undefined;

function contextKey(pack: CampaignFile, model: ReplenishmentModel | null): object {
  if (pack === lastKeyPack && model === lastKeyModel && lastKey !== undefined) return lastKey;
  let perPack = contextKeys.get(pack);
  if (perPack === undefined) {
    perPack = { none: {}, byModel: new WeakMap() };
    contextKeys.set(pack, perPack);
  }
  let key: object | undefined = perPack.none;
  if (model !== null) {
    key = perPack.byModel.get(model);
    if (key === undefined) {
      key = {};
      perPack.byModel.set(model, key);
    }
  }
  lastKeyPack = pack;
  lastKeyModel = model;
  lastKey = key;
  return key;
}

/** No memo: an empty idle interval. */
const FORGOTTEN: Memo = { idleFrom: MAX_MINUTES, idleUntil: MIN_MINUTES, context: null, schedule: undefined };

const memo = {
  get(state: CustomerState): Schedule | undefined {
    return (state as Memoized)[SCHEDULE];
  },
  set(state: CustomerState, schedule: Schedule): void {
    write(state, memoOf(schedule));
  },
  delete(state: CustomerState): void {
    write(state, FORGOTTEN);
  },
};

function write(state: CustomerState, m: Memo): void {
  // A frozen (or sealed) state keeps no new memo: every call compiles, which is only slower.
  const own = Object.getOwnPropertyDescriptor(state, SCHEDULE);
  const s = state as Memoized;
  if (own !== undefined) {
    if (!own.writable) return;
    s[IDLE_FROM] = m.idleFrom;
    s[IDLE_UNTIL] = m.idleUntil;
    s[IDLE_CONTEXT] = m.context;
    s[SCHEDULE] = m.schedule;
  } else if (m.schedule !== undefined && Object.isExtensible(state)) {
    const hidden = { writable: true, configurable: true };
    Object.defineProperty(state, IDLE_FROM, { value: m.idleFrom, ...hidden });
    Object.defineProperty(state, IDLE_UNTIL, { value: m.idleUntil, ...hidden });
    Object.defineProperty(state, IDLE_CONTEXT, { value: m.context, ...hidden });
    Object.defineProperty(state, SCHEDULE, { value: m.schedule, ...hidden });
    const idle: IdleOutcome = Object.freeze({
      state,
      decisions: NOTHING,
      messages: NOTHING,
      ledger: NOTHING,
    });
    Object.defineProperty(state, IDLE, { value: idle });
  }
}

/** The state's shared "nothing due" outcome, made with its first memo (undefined without one). */
export function idleOutcome(state: CustomerState): IdleOutcome | undefined {
  return (state as Memoized)[IDLE];
}

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

/** Keeps `schedule` (compiled for `state`) as the state's memo: an evaluation hands on what it compiled. */
export function keepSchedule(state: CustomerState, schedule: Schedule): void {
  memo.set(state, schedule);
}

/** Whether any window of the customer's schedule is open at `now`. */
export function isDueNow(state: CustomerState, ctx: EngineContext, nowMs: number): boolean {
  // Most customers are not due: their memo's idle interval settles it without reading the schedule.
  const s = state as Memoized;
  if (
    nowMs < (s[IDLE_UNTIL] ?? MIN_MINUTES) * MINUTE_MS &&
    nowMs >= (s[IDLE_FROM] ?? MAX_MINUTES) * MINUTE_MS &&
    s[IDLE_CONTEXT] === contextKey(ctx.pack, ctx.model)
  )
    return false;
  const schedule = scheduleOf(state, ctx, nowMs);
  if (schedule.nextDue === null || nowMs < schedule.nextDue) return false;
  const { pairs } = schedule;
  for (let i = 0; i < pairs.length; i += 2) {
    if ((pairs[i] as number) <= nowMs && nowMs < (pairs[i + 1] as number)) return true;
  }
  return false;
}

/**
 * Drops a state's memo (after an evaluation that decided nothing, the windows are compiled anew). The
 * evaluation's listing of the state's windows is kept for `nextDue` at the same instant, which the data
 * layer calls right after to file the customer's next due instant.
 */
export function forgetSchedule(state: CustomerState, windowsNow?: Listing): void {
  memo.delete(state);
  forgotten = windowsNow?.state === state ? windowsNow : undefined;
}

/** The listing of the last evaluation that decided nothing (see forgetSchedule). */
let forgotten: Listing | undefined;
