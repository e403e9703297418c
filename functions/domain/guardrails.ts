/**
 * Guardrails every campaign passes: holdouts, segment, consent and channel choice, quiet hours and the
 * global frequency cap with deferral. Each returns a typed outcome; nothing here throws on bad luck.
 */
import type { Campaign, Guardrails, Program, Segment } from './campaign.ts';
import type { Channel, CustomerState, OccurrenceRecord } from './customer-state.ts';
import { CHANNELS, CONTACT_FOR_CHANNEL } from './customer-state.ts';
import { tierAt } from './points.ts';
import { actionsInPeriod } from './realtime-triggers.ts';
import { rfmClass } from './rfm.ts';
import { MS_PER_DAY, nextAllowedInstant, parseInstant } from './time.ts';

export type SuppressionReason =
  | 'holdout-global'
  | 'holdout'
  | 'opted-out'
  | 'no-consent'
  | 'no-address'
  | 'cap-expired'
  | 'quiet-hours-expired'
  | 'cooldown'
  | 'action-cap';

/** A stable bucket in [0, 100) for (customer, salt): FNV-1a, so holdouts never change between runs. */
export function holdoutBucket(brand: string, customerId: string, salt: string): number {
  let h = 0x811c9dc5;
  const s = `${brand}\u0000${customerId}\u0000${salt}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so neighbouring ids spread evenly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) % 10_000) / 100;
}

export function inGlobalHoldout(state: CustomerState, guardrails: Guardrails): boolean {
  return holdoutBucket(state.brand, state.customerId, 'global') < guardrails.globalHoldoutPercent;
}

export function inCampaignHoldout(state: CustomerState, campaign: Campaign): boolean {
  return (
    campaign.holdoutPercent > 0 &&
    holdoutBucket(state.brand, state.customerId, campaign.id) < campaign.holdoutPercent
  );
}

export function hasConsent(state: CustomerState, channel: Channel): boolean {
  return state.optOut?.granted !== false && state.consents[channel]?.granted === true;
}

/** Whether the customer matches the campaign's segment at `nowMs`. */
export function matchesSegment(
  state: CustomerState,
  segment: Segment,
  program: Program,
  nowMs: number,
): boolean {
  const p = state.profile;
  const st = state.stats;
  if (segment.brands && !segment.brands.includes(state.brand)) return false;
  if (segment.countries && (p.country === null || !segment.countries.includes(p.country))) return false;
  if (
    segment.cities &&
    (p.city === null || !segment.cities.some((c) => c.toLowerCase() === p.city?.toLowerCase()))
  ) {
    return false;
  }
  // The tier held now (points earned in the rolling window), not the one stored at the last event.
  if (
    segment.tiers &&
    !segment.tiers.includes(tierAt(state, program, nowMs) ?? program.tiers[0]?.name ?? '')
  ) {
    return false;
  }
  if (segment.minOrders !== undefined && st.orders < segment.minOrders) return false;
  if (segment.maxOrders !== undefined && st.orders > segment.maxOrders) return false;
  if (segment.minSpend !== undefined && st.spend < segment.minSpend) return false;
  if (segment.maxSpend !== undefined && st.spend > segment.maxSpend) return false;
  if (segment.consent && !hasConsent(state, segment.consent)) return false;
  if (segment.rfm) {
    const rfm = rfmClass(state, program, nowMs);
    if (rfm === null || !segment.rfm.includes(rfm)) return false;
  }
  return true;
}

/**
 * Reasons that stop a whole occurrence (reward and message), in the order they are checked: the
 * holdouts, the campaign's cooldown, an action's cap per period.
 */
export function occurrenceBlocker(
  state: CustomerState,
  campaign: Campaign,
  guardrails: Guardrails,
  nowMs: number,
): SuppressionReason | null {
  if (inGlobalHoldout(state, guardrails)) return 'holdout-global';
  if (inCampaignHoldout(state, campaign)) return 'holdout';
  if (campaign.cooldownDays > 0) {
    const since = new Date(nowMs - campaign.cooldownDays * MS_PER_DAY).toISOString();
    for (const occ of Object.values(state.occurrences)) {
      if (occ.campaignId === campaign.id && occ.status !== 'suppressed' && occ.at > since) return 'cooldown';
    }
  }
  const t = campaign.trigger;
  if (t.type === 'action' && actionsInPeriod(state, campaign, t, nowMs) >= t.maxPerPeriod)
    return 'action-cap';
  return null;
}

/** Send instants already taken in the frequency cap: every capped occurrence with a message, past or queued. */
export function capSendTimes(state: CustomerState, sinceMs = Number.NEGATIVE_INFINITY): number[] {
  // ISO strings order like instants: compare strings first, parse only the sends that can matter.
  const since = Number.isFinite(sinceMs) ? new Date(sinceMs).toISOString() : '';
  const sends: number[] = [];
  for (const occ of Object.values(state.occurrences)) {
    if (occ.capped && occ.sendAt !== null && occ.status !== 'suppressed' && occ.sendAt >= since) {
      sends.push(parseInstant(occ.sendAt));
    }
  }
  return sends;
}

/**
 * How far ahead of its send time a message is queued: SQS delays a message at most 15 minutes, so one
 * due later waits in the held store until the dispatcher run before it (ports/message-queue.ts derives
 * `MAX_DELAY_SECONDS` and `mustHold` from it). A message whose send time is further away than this is
 * not queued yet.
 */
export const HELD_BEYOND_MS = 15 * 60_000;

/** Whether a message can go out on the channel: consent (not opted out) and an address. */
function usable(state: CustomerState, channel: Channel): boolean {
  return hasConsent(state, channel) && state.contacts[CONTACT_FOR_CHANNEL[channel]] !== null;
}

/**
 * `next` with the channels the change from `prev` made unusable (consent withdrawn, opted out, address
 * removed) taken off the issued occurrences whose messages are still held (send time more than
 * {@link HELD_BEYOND_MS} after `nowMs`): consent is honoured from the next event on, for messages
 * decided before it too. An occurrence left without a channel keeps its reward, loses its send time (it
 * no longer holds a frequency-cap slot) and records why. Messages already queued are out of reach.
 * Returns `next` itself when nothing is withdrawn.
 */
export function withdrawHeldSends(prev: CustomerState, next: CustomerState, nowMs: number): CustomerState {
  if (prev.consents === next.consents && prev.optOut === next.optOut && prev.contacts === next.contacts)
    return next;
  const lost = CHANNELS.filter((c) => usable(prev, c) && !usable(next, c));
  if (lost.length === 0) return next;
  let occurrences: Record<string, OccurrenceRecord> | null = null;
  for (const [key, occ] of Object.entries(next.occurrences)) {
    if (occ.status !== 'issued' || occ.sendAt === null) continue;
    if (parseInstant(occ.sendAt) <= nowMs + HELD_BEYOND_MS) continue;
    const channels = occ.channels.filter((c) => !lost.includes(c));
    if (channels.length === occ.channels.length) continue;
    occurrences ??= { ...next.occurrences };
    occurrences[key] =
      channels.length > 0 ? { ...occ, channels } : { ...occ, channels, sendAt: null, reason: 'withdrawn' };
  }
  return occurrences === null ? next : { ...next, occurrences };
}

export type ChannelChoice =
  | { type: 'Channels'; channels: Channel[] }
  | { type: 'Suppressed'; reason: SuppressionReason };

/**
 * The channels a message goes out on: the campaign's channels in fallback order, keeping those with
 * consent and an address; `delivery: first` keeps only the first. The reason names the first blocker.
 */
export function chooseChannels(state: CustomerState, campaign: Campaign): ChannelChoice {
  if (state.optOut?.granted === false) return { type: 'Suppressed', reason: 'opted-out' };
  const allowed: Channel[] = [];
  let blocker: SuppressionReason | null = null;
  for (const channel of campaign.channels) {
    if (!hasConsent(state, channel)) {
      blocker ??= 'no-consent';
      continue;
    }
    if (state.contacts[CONTACT_FOR_CHANNEL[channel]] === null) {
      blocker ??= 'no-address';
      continue;
    }
    allowed.push(channel);
    if (campaign.delivery === 'first') break;
  }
  if (allowed.length === 0) return { type: 'Suppressed', reason: blocker ?? 'no-consent' };
  return { type: 'Channels', channels: allowed };
}

/**
 * Earliest instant ≥ `desired` at which one more send keeps every rolling window [w, w + windowMs) at
 * most `count` sends. `sends` are the existing send instants, in any order, past or future.
 *
 * An instant blocked by a full window [s, s + window) (s its first send) stays blocked until
 * s + window, so the earliest free instant is `desired` itself or some send + window: only those
 * candidates are tried.
 */
export function capSlot(sends: readonly number[], desired: number, count: number, windowMs: number): number {
  if (isFree(sends, desired, count, windowMs)) return desired;
  const candidates = sends.map((s) => s + windowMs).filter((c) => c > desired);
  candidates.sort((a, b) => a - b);
  for (const t of candidates) if (isFree(sends, t, count, windowMs)) return t;
  // Unreachable: after the last send's window every instant is free.
  return Math.max(desired, ...candidates);
}

/**
 * Whether every window containing t holds fewer than `count` sends (so t can take one more). Sends
 * later than t count too: a deferred message or a delayed cross-sell already holds a future slot.
 */
export function isFree(sends: readonly number[], t: number, count: number, windowMs: number): boolean {
  // A busiest window containing t can be slid right, losing nothing, until it starts at its first
  // send (when that send is ≤ t) or at t itself: only those starts need checking.
  if (countIn(sends, t, windowMs) >= count) return false;
  for (const s of sends) {
    if (s > t - windowMs && s < t && countIn(sends, s, windowMs) >= count) return false;
  }
  return true;
}

function countIn(sends: readonly number[], start: number, windowMs: number): number {
  let n = 0;
  for (const s of sends) if (s >= start && s < start + windowMs) n++;
  return n;
}

export interface SlotRequest {
  desiredMs: number;
  expiresMs: number;
  zone: string;
  channels: Channel[];
  capped: boolean;
  sends: readonly number[];
}

export type SlotOutcome =
  | { type: 'Slot'; sendAtMs: number; deferred: boolean }
  | { type: 'Suppressed'; reason: 'cap-expired' | 'quiet-hours-expired' };

/**
 * The send time: out of quiet hours (for the channels they apply to) and into a free frequency-cap slot,
 * alternating until both hold; past the message's validity it expires with the reason that moved it last.
 */
export function findSlot(req: SlotRequest, guardrails: Guardrails): SlotOutcome {
  const quiet = guardrails.quietHours;
  const quietApplies = req.channels.some((c) => quiet.channels.includes(c));
  const windowMs = guardrails.frequencyCap.days * MS_PER_DAY;
  let t = req.desiredMs;
  let deferred = false;
  let lastMover: 'cap-expired' | 'quiet-hours-expired' = 'quiet-hours-expired';
  // Each round moves t strictly later, to a quiet-hours end or a send + window, until both agree or
  // t passes the validity; the bound only guards against a bug looping forever.
  for (let round = 0; round < 10_000; round++) {
    const afterQuiet = quietApplies ? nextAllowedInstant(t, req.zone, quiet) : t;
    if (afterQuiet !== t) lastMover = 'quiet-hours-expired';
    const afterCap = req.capped
      ? capSlot(req.sends, afterQuiet, guardrails.frequencyCap.count, windowMs)
      : afterQuiet;
    if (afterCap !== afterQuiet) {
      lastMover = 'cap-expired';
      deferred = true;
    }
    if (afterCap > req.expiresMs) return { type: 'Suppressed', reason: lastMover };
    if (afterCap === afterQuiet && afterQuiet === t) return { type: 'Slot', sendAtMs: t, deferred };
    t = afterCap;
  }
  return { type: 'Suppressed', reason: lastMover };
}
