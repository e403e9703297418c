/**
 * The engine: triggers → guardrails → issuance, as pure functions of (state, campaigns, now).
 *
 * `processEvent` applies a shop event and runs the event-driven triggers; `evaluateScheduled` runs the
 * scheduled ones due at `now`; `nextDue` says when to look at the customer again. Every decision is
 * recorded in the state under its occurrence key, so evaluating twice decides nothing twice.
 */
import { desiredSendMs } from './best-hour.ts';
import type { Campaign, Program } from './campaign.ts';
import type { Candidate } from './candidate.ts';
import { occurrenceKey, offerCode } from './candidate.ts';
import type { Channel, CustomerState, LedgerEntry, OccurrenceRecord, OfferState } from './customer-state.ts';
import { copyState, LIMITS } from './customer-state.ts';
import type { DomainEvent } from './events.ts';
import type { SuppressionReason } from './guardrails.ts';
import {
  capSendTimes,
  chooseChannels,
  findSlot,
  occurrenceBlocker,
  withdrawHeldSends,
} from './guardrails.ts';
import type { Message } from './message.ts';
import { buildMessages } from './message.ts';
import { credit, expirePoints, tierAt } from './points.ts';
import { profileCandidates, realtimeCandidates } from './realtime-triggers.ts';
import { apply } from './reducer.ts';
import type { EngineContext, Listing } from './schedule.ts';
import {
  campaignsOf,
  compileSchedule,
  eligible,
  forgetSchedule,
  idleOutcome,
  isDueNow,
  keepSchedule,
  listed,
  listing,
  zoneOf,
} from './schedule.ts';
import { retentionDays, windowCandidate } from './scheduled-triggers.ts';
import { MS_PER_DAY, MS_PER_HOUR, parseInstant, startOfUtcDay } from './time.ts';

export type { EngineContext } from './schedule.ts';
export { campaignsOf, nextDue, zoneOf } from './schedule.ts';

interface DecisionBase {
  /** Key within the customer item (`<campaignId>#<occurrence>`). */
  key: string;
  /** Global occurrence key (brand#customer#campaign#occurrence). */
  occurrenceKey: string;
  campaign: Campaign;
}

export type Decision =
  | (DecisionBase & {
      type: 'Issued';
      channels: Channel[];
      sendAtMs: number | null;
      deferred: boolean;
      /** Why no message went out although the reward was issued (points are not a marketing message). */
      messageSuppressed: SuppressionReason | null;
      candidate: Candidate;
    })
  | (DecisionBase & { type: 'Suppressed'; reason: SuppressionReason; candidate: Candidate })
  | (DecisionBase & { type: 'Converted'; orderId: string; points: number });

export interface Outcome {
  state: CustomerState;
  decisions: Decision[];
  messages: Message[];
  /** Ledger entries added by this step (the relay writes them). */
  ledger: LedgerEntry[];
}

/**
 * Candidates of the scheduled campaigns whose windows are open at `now` and not yet decided; the windows
 * come from `from` where it lists this state's (see `listing`).
 */
export function scheduledCandidates(
  state: CustomerState,
  ctx: EngineContext,
  nowMs: number,
  from?: Listing,
): Candidate[] {
  const windowsNow =
    from !== undefined &&
    from.state === state &&
    from.nowMs === nowMs &&
    from.pack === ctx.pack &&
    from.model === ctx.model
      ? from
      : listing(state, ctx, nowMs, from);
  const out: Candidate[] = [];
  for (let i = 0; i < windowsNow.campaigns.length; i++) {
    const entry = windowsNow.campaigns[i];
    if (entry === undefined) continue;
    const { campaign, trigger } = entry;
    for (const w of listed(windowsNow, i)) {
      if (w.fromMs > nowMs || nowMs >= w.untilMs || state.occurrences[w.key] !== undefined) continue;
      out.push(windowCandidate(state, campaign, trigger, w, w.key, ctx.pack.program, nowMs));
      // One open window per campaign at a time (e.g. the most urgent replenishment product).
      break;
    }
  }
  return out;
}

/** Passes candidates through the guardrails, highest priority first; capped sends fill the cap in that order. */
export function decide(
  state: CustomerState,
  candidates: Candidate[],
  ctx: EngineContext,
  nowMs: number,
): Decision[] {
  const { guardrails } = ctx.pack;
  // Sends older than one cap window cannot share a window with any send from now on.
  const sends = capSendTimes(state, nowMs - guardrails.frequencyCap.days * MS_PER_DAY);
  const zone = zoneOf(state, ctx.pack);
  // A scheduled evaluation has one candidate, mostly: nothing to order.
  const sorted =
    candidates.length < 2
      ? candidates
      : [...candidates].sort((a, b) => b.campaign.priority - a.campaign.priority || (a.key < b.key ? -1 : 1));
  const decisions: Decision[] = [];
  for (const c of sorted) {
    if (state.occurrences[c.key] !== undefined || decidedHere(decisions, c.key)) continue;
    if (!eligible(state, c.campaign, ctx, nowMs)) continue;
    const base = {
      key: c.key,
      occurrenceKey: occurrenceKey(state, c.key),
      campaign: c.campaign,
      candidate: c,
    };
    const blocked = occurrenceBlocker(state, c.campaign, ctx.pack.guardrails, nowMs);
    if (blocked !== null) {
      decisions.push({ ...base, type: 'Suppressed', reason: blocked });
      continue;
    }
    let channels: Channel[] = [];
    let sendAtMs: number | null = null;
    let deferred = false;
    let messageSuppressed: SuppressionReason | null = null;
    if (c.campaign.channels.length > 0) {
      const choice = chooseChannels(state, c.campaign);
      if (choice.type === 'Suppressed') messageSuppressed = choice.reason;
      else {
        // Due now (or after a delay); an event-driven campaign with bestHour holds it to the learned hour.
        const desiredMs = desiredSendMs(state, c.campaign, c.dueMs, nowMs, guardrails.quietHours, zone);
        const slot = findSlot(
          {
            desiredMs,
            expiresMs: desiredMs + c.campaign.messageValidityHours * MS_PER_HOUR,
            zone,
            channels: choice.channels,
            capped: c.campaign.capped,
            sends,
          },
          guardrails,
        );
        if (slot.type === 'Suppressed') messageSuppressed = slot.reason;
        else {
          channels = choice.channels;
          sendAtMs = slot.sendAtMs;
          deferred = slot.deferred;
          if (c.campaign.capped) sends.push(slot.sendAtMs);
        }
      }
    }
    // A bonus is the customer's whatever the messaging guardrails say; an offer nobody hears of is not.
    if (messageSuppressed !== null && (c.points === 0 || c.offer !== null || c.offers.length > 0)) {
      decisions.push({ ...base, type: 'Suppressed', reason: messageSuppressed });
      continue;
    }
    decisions.push({ ...base, type: 'Issued', channels, sendAtMs, deferred, messageSuppressed });
  }
  return decisions;
}

/** Whether `decisions` (a handful) already decides the occurrence `key`. */
function decidedHere(decisions: readonly Decision[], key: string): boolean {
  for (let i = 0; i < decisions.length; i++) if ((decisions[i] as Decision).key === key) return true;
  return false;
}

/** Dormancy offers the order converts: inside the offer window and above its minimum basket. */
function conversions(state: CustomerState, event: DomainEvent, ctx: EngineContext): Decision[] {
  if (event.type !== 'OrderPlaced') return [];
  const order = state.orders[event.detail.orderId];
  if (order === undefined || order.cancelled) return [];
  const out: Decision[] = [];
  for (const campaign of campaignsOf(ctx.pack, state.brand).dormancy) {
    for (const [key, occ] of Object.entries(state.occurrences)) {
      const offer = occ.offer;
      if (
        occ.campaignId !== campaign.id ||
        occ.status !== 'issued' ||
        offer === null ||
        offer.pointsOnOrder <= 0
      )
        continue;
      const opens = occ.sendAt ?? occ.at;
      if (order.at < opens || order.at > offer.expiresAt || order.total < offer.minBasket) continue;
      out.push({
        type: 'Converted',
        key,
        occurrenceKey: occurrenceKey(state, key),
        campaign,
        orderId: event.detail.orderId,
        points: offer.pointsOnOrder,
      });
    }
  }
  return out;
}

/** Records the decisions in a copy of the state, credits points and builds the messages. */
export function issue(
  state: CustomerState,
  decisions: Decision[],
  ctx: EngineContext,
  nowMs: number,
): Outcome {
  const issued = record(state, decisions, ctx, nowMs);
  return { ...issued, ledger: decisions.length === 0 ? [] : newLedger(state, issued.state) };
}

/** What `issue` does, without listing the new ledger entries (the engine lists them once per step). */
function record(
  state: CustomerState,
  decisions: Decision[],
  ctx: EngineContext,
  nowMs: number,
): Omit<Outcome, 'ledger'> {
  if (decisions.length === 0) return { state, decisions, messages: [] };
  const next = copyForIssue(state, { ctx, nowMs, decisions });
  const nowIso = new Date(nowMs).toISOString();
  const issued: { key: string; occurrenceKey: string; campaign: Campaign }[] = [];
  for (const d of decisions) {
    if (d.type === 'Converted') {
      const stored = next.occurrences[d.key];
      if (stored === undefined) continue;
      // Records are shared with the previous state: change a copy.
      const occ = { ...stored };
      next.occurrences[d.key] = occ;
      occ.status = 'converted';
      occ.orderId = d.orderId;
      occ.points = d.points;
      addOrderBonus(next, state, d.orderId, d.points);
      credit(next, {
        entryId: `${d.occurrenceKey}#conversion`,
        campaignId: d.campaign.id,
        points: d.points,
        at: nowIso,
        expireDays: d.campaign.reward.pointsExpireDays ?? ctx.pack.program.pointsExpireDays,
        reason: 'conversion',
      });
      continue;
    }
    const c = d.candidate;
    const record: OccurrenceRecord = {
      campaignId: c.campaign.id,
      trigger: c.campaign.trigger.type,
      status: d.type === 'Issued' ? 'issued' : 'suppressed',
      at: nowIso,
      sendAt: d.type === 'Issued' && d.sendAtMs !== null ? new Date(d.sendAtMs).toISOString() : null,
      channels: d.type === 'Issued' ? d.channels : [],
      points: d.type === 'Issued' ? c.points : 0,
      reason: d.type === 'Suppressed' ? d.reason : d.messageSuppressed,
      orderId: c.orderId,
      capped: c.campaign.capped && d.type === 'Issued' && d.sendAtMs !== null,
      deferred: d.type === 'Issued' && d.deferred,
      offer: null,
      offers: [],
      variables: { ...c.variables },
      onceEver: c.onceEver,
    };
    if (d.type === 'Issued') {
      record.offer =
        c.offer === null ? null : materializeOffer(c.offer, d.occurrenceKey, d.sendAtMs ?? nowMs);
      record.offers = c.offers.map((o) => ({
        code: offerCode(c.campaign.reward.offer?.codePrefix ?? 'PO', `${d.occurrenceKey}#${o.rank}`),
        category: o.category,
        accrualPercent: o.accrualPercent,
        minBasket: o.minBasket,
      }));
      if (c.orderId !== null) addOrderBonus(next, state, c.orderId, c.points);
      credit(next, {
        entryId: d.occurrenceKey,
        campaignId: c.campaign.id,
        points: c.points,
        at: nowIso,
        expireDays: c.campaign.reward.pointsExpireDays ?? ctx.pack.program.pointsExpireDays,
        reason: 'bonus',
      });
      issued.push(d);
    }
    next.occurrences[d.key] = record;
  }
  liftTier(next, ctx.pack.program, nowMs);
  next.version = state.version + 1;
  const messages: Message[] = [];
  for (const d of issued) {
    const occ = next.occurrences[d.key];
    if (occ)
      messages.push(...buildMessages(next, d.occurrenceKey, occ, d.campaign, ctx.pack.guardrails, nowIso));
  }
  return { state: next, decisions, messages };
}

/**
 * Bonus points lift the tier at once, so the follow-up round of the same step (settle) sees a tier-up
 * they earned; before, the tier was recomputed only when the next event came. Only events lower it (as
 * of the newest event, the reducer's rule): a credit never takes a tier away.
 */
function liftTier(next: CustomerState, program: Program, nowMs: number): void {
  const asOf = next.updatedAt === null ? nowMs : Math.max(nowMs, parseInstant(next.updatedAt));
  const lifted = tierAt(next, program, asOf);
  if (tierMinimum(program, lifted) > tierMinimum(program, next.tier)) next.tier = lifted;
}

function tierMinimum(program: Program, tier: string | null): number {
  return program.tiers.find((t) => t.name === tier)?.minPoints ?? Number.NEGATIVE_INFINITY;
}

/**
 * Adds campaign points credited for an order to its record (`bonus`), so cancelling the order claws
 * them back when their occurrence records are long pruned. `next.orders` is copied on first write: it
 * may be shared with `state`.
 */
function addOrderBonus(next: CustomerState, state: CustomerState, orderId: string, points: number): void {
  const order = next.orders[orderId];
  if (order === undefined || points <= 0) return;
  if (next.orders === state.orders) next.orders = { ...state.orders };
  next.orders[orderId] = { ...order, bonus: (order.bonus ?? 0) + points };
}

/**
 * A copy of the state that `issue` may change: the parts it writes (occurrences, points, ledger) are
 * copied, the rest is shared with the input, which stays untouched. Far cheaper than a deep clone. (The
 * points buckets are shared too: points arithmetic replaces a bucket rather than changing it; the
 * orders are copied by `addOrderBonus` when it writes one.)
 */
function copyForIssue(
  state: CustomerState,
  pruning?: { ctx: EngineContext; nowMs: number; decisions: readonly Decision[] },
): CustomerState {
  const next = copyState(state);
  next.occurrences =
    pruning === undefined
      ? { ...state.occurrences }
      : retainedOccurrences(state, pruning.ctx, pruning.nowMs, pruning.decisions);
  next.points = {
    ...state.points,
    buckets: [...state.points.buckets],
    earnedByMonth: { ...state.points.earnedByMonth },
  };
  next.ledger = [...state.ledger];
  return next;
}

function materializeOffer(
  template: NonNullable<Candidate['offer']>,
  occurrenceKeyValue: string,
  opensMs: number,
): OfferState {
  return {
    code: offerCode(template.codePrefix, occurrenceKeyValue),
    expiresAt: new Date(opensMs + template.validityDays * MS_PER_DAY).toISOString(),
    pointsOnOrder: template.pointsOnOrder,
    minBasket: template.minBasket,
    accrualPercent: template.accrualPercent,
    category: template.category,
  };
}

/**
 * A copy of the occurrence records without those no longer needed (see `retentionDays`; once-ever ones
 * stay forever): the records an issuance at `now` keeps. Those a decision of the step converts are kept
 * whatever their age (the conversion changes them). Records made at `now` are never old enough to go,
 * so pruning before the step adds its own is pruning after it.
 */
function retainedOccurrences(
  state: CustomerState,
  ctx: EngineContext,
  nowMs: number,
  decisions: readonly Decision[],
): Record<string, OccurrenceRecord> {
  const { byId } = campaignsOf(ctx.pack, state.brand);
  const capDays = ctx.pack.guardrails.frequencyCap.days;
  // One cutoff per campaign and instant (kept for the next customer issued at the same instant); ISO
  // strings compare like instants, so no record is parsed.
  if (
    cutoffsAt === undefined ||
    cutoffsAt.nowMs !== nowMs ||
    cutoffsAt.byId !== byId ||
    cutoffsAt.capDays !== capDays
  )
    cutoffsAt = { byId, capDays, nowMs, cutoffs: new Map() };
  const { cutoffs } = cutoffsAt;
  const occurrences = state.occurrences;
  const kept: Record<string, OccurrenceRecord> = {};
  for (const key in occurrences) {
    const occ = occurrences[key];
    if (occ === undefined) continue;
    if (!occ.onceEver) {
      let cutoff = cutoffs.get(occ.campaignId);
      if (cutoff === undefined) {
        const campaign = byId.get(occ.campaignId);
        const days =
          campaign === undefined ? LIMITS.occurrenceRetentionDays : retentionDays(campaign, capDays);
        cutoff = new Date(nowMs - days * MS_PER_DAY).toISOString();
        cutoffs.set(occ.campaignId, cutoff);
      }
      // A message deferred past its decision keeps its record until it is sent at least.
      if (
        occ.at < cutoff &&
        (occ.sendAt === null || occ.sendAt < cutoff) &&
        !decisions.some((d) => d.type === 'Converted' && d.key === key)
      )
        continue;
    }
    kept[key] = occ;
  }
  return kept;
}

/** The pruning cutoffs per campaign at the last instant pruned (see retainedOccurrences). */
let cutoffsAt:
  | { byId: ReadonlyMap<string, Campaign>; capDays: number; nowMs: number; cutoffs: Map<string, string> }
  | undefined;

function newLedger(before: CustomerState, after: CustomerState): LedgerEntry[] {
  if (after.ledger === before.ledger) return [];
  const known = new Set(before.ledger.map((e) => e.entryId));
  return after.ledger.filter((e) => !known.has(e.entryId));
}

/** Rounds of follow-up milestones at most: a milestone bonus may lift the balance over another one. */
const MAX_SETTLE_ROUNDS = 4;

/**
 * Runs the milestone and tier-up triggers on the change the engine's own issuance made (bonus and
 * conversion points), so a balance lifted over a threshold by a bonus reaches its milestone now rather
 * than never: the next event would see it already above.
 */
function settle(
  before: CustomerState,
  outcome: Omit<Outcome, 'ledger'>,
  ctx: EngineContext,
  nowMs: number,
  orderId: string | null = null,
): Outcome {
  let prev = before;
  let current = outcome;
  const decisions = [...outcome.decisions];
  const messages = [...outcome.messages];
  const campaigns = campaignsOf(ctx.pack, before.brand).realtime;
  for (let round = 0; round < MAX_SETTLE_ROUNDS && current.state !== prev; round++) {
    const change = { prev, next: current.state, program: ctx.pack.program, nowMs };
    const candidates = byOrder(
      campaigns.flatMap((c) => profileCandidates(c, change)),
      orderId,
    );
    if (candidates.length === 0) break;
    const more = decide(current.state, candidates, ctx, nowMs);
    if (more.length === 0) break;
    prev = current.state;
    current = record(current.state, more, ctx, nowMs);
    decisions.push(...more);
    messages.push(...current.messages);
  }
  return { state: current.state, decisions, messages, ledger: [] };
}

/**
 * The milestone and tier-up candidates an order's step raises, linked to the order: cancelling it claws
 * their bonuses back with the order's own points (a first order placed and cancelled keeps nothing; the
 * milestone, once ever, stays spent). Other candidates are returned as they are.
 */
function byOrder(candidates: Candidate[], orderId: string | null): Candidate[] {
  if (orderId === null) return candidates;
  return candidates.map((c) => {
    const type = c.campaign.trigger.type;
    return c.orderId === null && (type === 'milestone' || type === 'tier-up') ? { ...c, orderId } : c;
  });
}

/** Shared, frozen empty lists: a sweep returns "nothing" millions of times without allocating them. */
const NONE: never[] = Object.freeze([]) as never[];

/** The outcome of a step that changed nothing (the state's own, shared one once it has a memo). */
function idle(state: CustomerState): Outcome {
  return idleOutcome(state) ?? { state, decisions: NONE, messages: NONE, ledger: NONE };
}

/** Applies an event and runs the event-driven triggers on it: one read, one write in the data layer. */
export function processEvent(
  state: CustomerState,
  event: DomainEvent,
  ctx: EngineContext,
  nowMs: number,
): Outcome {
  const applied = apply(state, event, ctx.pack);
  if (applied === state) return idle(state);
  // A channel the event made unusable stops the messages still held for it.
  const next = withdrawHeldSends(state, applied, nowMs);
  const input = { prev: state, next, event, program: ctx.pack.program, nowMs };
  const orderId = event.type === 'OrderPlaced' ? event.detail.orderId : null;
  const raised: Candidate[] = [];
  for (const campaign of campaignsOf(ctx.pack, next.brand).realtime)
    raised.push(...realtimeCandidates(campaign, input));
  const candidates = byOrder(raised, orderId);
  const decisions = [...conversions(next, event, ctx), ...decide(next, candidates, ctx, nowMs)];
  const outcome = settle(next, record(next, decisions, ctx, nowMs), ctx, nowMs, orderId);
  return { ...outcome, ledger: newLedger(state, outcome.state) };
}

/** Expires points and runs the scheduled triggers open at `now`. */
export function evaluateScheduled(state: CustomerState, ctx: EngineContext, nowMs: number): Outcome {
  // Fast path: the customer's compiled schedule says no window is open (the common case in a sweep).
  if (!isDueNow(state, ctx, nowMs)) return idle(state);
  let current = state;
  const first = state.points.buckets[0];
  if (first !== undefined && startOfUtcDay(first.expiresOn) <= nowMs) {
    current = copyForIssue(state);
    expirePoints(current, nowMs);
    current.version = state.version + 1;
  }
  // The windows are listed once: for the candidates, then for the new state's schedule (a campaign whose
  // trigger reads nothing the issuance changed keeps its windows).
  const windowsNow = listing(current, ctx, nowMs);
  const decisions = decide(current, scheduledCandidates(current, ctx, nowMs, windowsNow), ctx, nowMs);
  const outcome = settle(current, record(current, decisions, ctx, nowMs), ctx, nowMs);
  // Nothing decided although a window looked open (e.g. out of segment): compile again at `now`.
  if (outcome.state === state) forgetSchedule(state, windowsNow);
  // The new state's schedule at `now`, as `nextDue` compiles it right after the write.
  else keepSchedule(outcome.state, compileSchedule(outcome.state, ctx, nowMs, windowsNow));
  outcome.ledger = newLedger(state, outcome.state);
  return outcome;
}
