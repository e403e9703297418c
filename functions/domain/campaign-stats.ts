/**
 * Per-campaign, per-day counters of what the engine decided: the figures a local run prints per
 * campaign (summary.json), as a deployed stack keeps them — CloudWatch metrics and one stats item per
 * (brand, campaign, UTC day). Pure: from one customer write (its old and new image, and the messages
 * the relay built from it) to counter deltas, and the sum of deltas over a batch.
 *
 * The day is the UTC day the occurrence was decided (`at`): a dormancy offer converted a week later,
 * or a bonus clawed back when its order is cancelled, is added to the day its occurrence was decided
 * on — a cohort, as campaign reports count conversions against the send. So the deltas of a write
 * depend on its images alone, and a redelivered stream record gives the same deltas.
 */
import type { Channel, CustomerState, OccurrenceRecord } from './customer-state.ts';
import { CHANNELS } from './customer-state.ts';
import type { OccurrenceChange } from './occurrence-changes.ts';
import { occurrenceChanges } from './occurrence-changes.ts';

/** What a campaign did on a day; the same counts as a run summary's row, plus claw-backs. */
export interface CampaignCounters {
  /** Occurrences issued (bonus credited and/or message queued). */
  fired: number;
  /** Messages built for the channel queues, by channel (queued now or held until `sendAt`). */
  messages: Record<Channel, number>;
  /** Points credited: issued bonuses and conversion bonuses. */
  points: number;
  /** Issued occurrences whose message the frequency cap moved later. */
  deferred: number;
  /** Offers converted by a qualifying order. */
  converted: number;
  /** Issued or converted occurrences reversed by an order cancellation. */
  clawedBack: number;
  /**
   * Suppressions by reason (`holdout`, `holdout-global`, `no-consent`, `cap-expired` …); an occurrence
   * that fired without a message counts under `message:<reason>`.
   */
  suppressed: Record<string, number>;
}

export interface CampaignDayStats {
  brand: string;
  campaignId: string;
  /** UTC day of the decision, `YYYY-MM-DD`. */
  day: string;
  counters: CampaignCounters;
}

/** The suppression reasons that are a holdout (the customers kept back to measure uplift). */
export const HOLDOUT_REASONS: ReadonlySet<string> = new Set(['holdout', 'holdout-global']);

export function zeroCounters(): CampaignCounters {
  return {
    fired: 0,
    messages: { email: 0, sms: 0, push: 0 },
    points: 0,
    deferred: 0,
    converted: 0,
    clawedBack: 0,
    suppressed: {},
  };
}

/** Adds `from` into `into` (in place) and returns `into`. */
export function addCounters(into: CampaignCounters, from: CampaignCounters): CampaignCounters {
  into.fired += from.fired;
  into.points += from.points;
  into.deferred += from.deferred;
  into.converted += from.converted;
  into.clawedBack += from.clawedBack;
  for (const c of CHANNELS) into.messages[c] += from.messages[c];
  for (const [reason, n] of Object.entries(from.suppressed))
    into.suppressed[reason] = (into.suppressed[reason] ?? 0) + n;
  return into;
}

/** True when nothing was counted (such deltas are never written). */
export function isZero(c: CampaignCounters): boolean {
  return (
    c.fired === 0 &&
    c.points === 0 &&
    c.deferred === 0 &&
    c.converted === 0 &&
    c.clawedBack === 0 &&
    CHANNELS.every((ch) => c.messages[ch] === 0) &&
    Object.values(c.suppressed).every((n) => n === 0)
  );
}

/** The identity of a stats item: one per (brand, campaign, day). */
export function campaignDayKey(s: Pick<CampaignDayStats, 'brand' | 'campaignId' | 'day'>): string {
  return `${s.brand}#${s.campaignId}#${s.day}`;
}

/** The UTC day of an ISO-8601 UTC instant (the engine stores every instant as `…Z`). */
function dayOf(at: string): string {
  return at.slice(0, 10);
}

/** What one occurrence change adds to its campaign's counters. */
function countChange(c: CampaignCounters, occ: OccurrenceRecord): void {
  switch (occ.status) {
    case 'issued':
      c.fired += 1;
      c.points += occ.points;
      if (occ.deferred) c.deferred += 1;
      if (occ.reason !== null) bump(c.suppressed, `message:${occ.reason}`);
      return;
    case 'suppressed':
      bump(c.suppressed, occ.reason ?? 'unknown');
      return;
    case 'converted':
      c.converted += 1;
      c.points += occ.points;
      return;
    case 'clawed-back':
      c.clawedBack += 1;
      return;
    default:
      // An item written by another version of the engine: a status this one does not count.
      return;
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The message fields the counts need: one message per channel of an issued occurrence. */
export interface CountedMessage {
  occurrenceKey: string;
  campaignId: string;
  channel: Channel;
  createdAt: string;
}

/**
 * The counter deltas of one customer write, one per (campaign, day) it touched, in first-seen order.
 * `messages` are the messages the relay built from the same write (`relay(previous, next, …)`), so the
 * channel counts are the messages that left, not the channels an occurrence asked for (a channel
 * without an address gets no message). `changes` are the write's occurrence changes, for a caller
 * that has them already.
 */
export function campaignStatsOf(
  previous: CustomerState | null,
  next: CustomerState,
  messages: readonly CountedMessage[] = [],
  changes: readonly OccurrenceChange[] = occurrenceChanges(previous, next),
): CampaignDayStats[] {
  const byKey = new Map<string, CampaignDayStats>();
  const entry = (campaignId: string, day: string): CampaignCounters => {
    const stats = { brand: next.brand, campaignId, day, counters: zeroCounters() };
    const key = campaignDayKey(stats);
    const known = byKey.get(key);
    if (known !== undefined) return known.counters;
    byKey.set(key, stats);
    return stats.counters;
  };
  const decidedOn = new Map<string, string>();
  for (const change of changes) {
    const occ = change.occurrence;
    const day = dayOf(occ.at);
    decidedOn.set(change.occurrenceKey, day);
    countChange(entry(occ.campaignId, day), occ);
  }
  for (const m of messages) {
    // The relay builds messages only for occurrences this write issued; the fallback is defensive.
    const day = decidedOn.get(m.occurrenceKey) ?? dayOf(m.createdAt);
    entry(m.campaignId, day).messages[m.channel] += 1;
  }
  return [...byKey.values()].filter((s) => !isZero(s.counters));
}

/**
 * The deltas of many writes summed per (brand, campaign, day): what a batch adds to each stats item,
 * so a batch costs one write per item however many customers it carried. Inputs are not changed.
 */
export function mergeCampaignStats(deltas: Iterable<CampaignDayStats>): CampaignDayStats[] {
  const byKey = new Map<string, CampaignDayStats>();
  for (const d of deltas) {
    const key = campaignDayKey(d);
    const known = byKey.get(key);
    if (known === undefined) {
      byKey.set(key, {
        brand: d.brand,
        campaignId: d.campaignId,
        day: d.day,
        counters: addCounters(zeroCounters(), d.counters),
      });
    } else {
      addCounters(known.counters, d.counters);
    }
  }
  return [...byKey.values()];
}

/** Stats sorted by brand, campaign and day: a stable order for outputs and comparisons. */
export function sortCampaignStats(stats: readonly CampaignDayStats[]): CampaignDayStats[] {
  return [...stats].sort((a, b) => campaignDayKey(a).localeCompare(campaignDayKey(b)));
}
