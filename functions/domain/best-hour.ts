/**
 * "Best hour" sending: a campaign that opts in (`bestHour`) sends at the customer's learned best local
 * hour — the local hour with the most opens and clicks, which the reducer counts from `MessageEngaged`
 * events into `engagement.byLocalHour` — once there is enough evidence, and at the campaign's own hour
 * until then.
 *
 * Only hours the campaign may send at count, as evidence and as candidates: inside `bestHour.from..to`
 * and, when the pack's quiet hours bind one of the campaign's channels, outside them. So a learned hour
 * is never a quiet one. The send time still goes through the guardrails as before: the frequency cap may
 * defer it, and on a day whose `hour:00` falls in a DST gap it moves forward with the gap.
 *
 * Scheduled triggers open their windows at this hour instead of `sendHour`; an event-driven campaign
 * holds its message to the next occurrence of the learned hour (within a day), or sends at once without
 * one. The occurrence keys never depend on the hour, so learning a new hour never re-arms anything.
 */
import type { BestHour, Campaign, Guardrails } from './campaign.ts';
import { SCHEDULED_TRIGGERS } from './campaign.ts';
import type { CustomerState, Engagement } from './customer-state.ts';
import type { QuietHours } from './time.ts';
import { nextLocalHourAtOrAfter, toLocal } from './time.ts';

/** The local hour of a scheduled campaign without `sendHour`. */
export const DEFAULT_SEND_HOUR = 10;

const HOURS = 24;

/** The campaign's own local hour: `sendHour`, or the default. */
export function campaignHour(campaign: Pick<Campaign, 'sendHour'>): number {
  return campaign.sendHour ?? DEFAULT_SEND_HOUR;
}

/**
 * The pack's quiet hours when they bind the campaign (one of its channels is quiet-hours bound and the
 * hours are not empty), else null: with `delivery: first` any listed channel may be the one chosen.
 */
export function bindingQuietHours(
  campaign: Pick<Campaign, 'channels'>,
  quiet: Guardrails['quietHours'] | undefined,
): QuietHours | null {
  if (quiet === undefined || quiet.start === quiet.end) return null;
  return campaign.channels.some((c) => quiet.channels.includes(c))
    ? { start: quiet.start, end: quiet.end }
    : null;
}

/**
 * Whether a learned hour may be `hour`: inside `from..to` (both inclusive; wrapping midnight when
 * from > to) and outside the quiet hours [start, end) (wrapping when start > end, as the guardrails read them).
 */
export function isAllowedHour(
  hour: number,
  options: Pick<BestHour, 'from' | 'to'>,
  quiet: QuietHours | null,
): boolean {
  const { from, to } = options;
  const inRange = from <= to ? hour >= from && hour <= to : hour >= from || hour <= to;
  if (!inRange) return false;
  if (quiet === null || quiet.start === quiet.end) return true;
  const quietHour =
    quiet.start < quiet.end
      ? hour >= quiet.start && hour < quiet.end
      : hour >= quiet.start || hour < quiet.end;
  return !quietHour;
}

/** Distance between two hours on a 24-hour clock (0..12). */
function clockDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % HOURS;
  return Math.min(d, HOURS - d);
}

/**
 * The customer's learned best local hour, or null when the evidence is too thin: the allowed hour with
 * the most engagements, provided the allowed hours hold at least `minEngagements` of them. Ties go to
 * the hour closest to the campaign's own hour (on the clock), then to the lowest hour, so the choice is
 * stable whatever order the engagements came in.
 */
export function bestLocalHour(
  engagement: Engagement,
  options: BestHour,
  ownHour: number,
  quiet: QuietHours | null,
): number | null {
  let total = 0;
  let best: number | null = null;
  let bestCount = 0;
  for (let hour = 0; hour < HOURS; hour++) {
    const raw = engagement.byLocalHour[hour] ?? 0;
    // A malformed counter (an item written by hand) counts as nothing rather than poisoning the sum.
    const count = Number.isFinite(raw) && raw > 0 ? raw : 0;
    if (count === 0 || !isAllowedHour(hour, options, quiet)) continue;
    total += count;
    if (
      best === null ||
      count > bestCount ||
      (count === bestCount && clockDistance(hour, ownHour) < clockDistance(best, ownHour))
    ) {
      best = hour;
      bestCount = count;
    }
  }
  return best !== null && total >= options.minEngagements ? best : null;
}

/** The learned hour for this campaign and customer (null: the campaign does not opt in, or no evidence). */
export function learnedHour(
  state: CustomerState,
  campaign: Campaign,
  quietHours: Guardrails['quietHours'] | undefined,
): number | null {
  const options = campaign.bestHour;
  if (options === undefined) return null;
  return bestLocalHour(
    state.engagement,
    options,
    campaignHour(campaign),
    bindingQuietHours(campaign, quietHours),
  );
}

/** The local hour a scheduled campaign's windows open at for this customer. */
export function sendHourFor(
  state: CustomerState,
  campaign: Campaign,
  quietHours: Guardrails['quietHours'] | undefined,
): number {
  return learnedHour(state, campaign, quietHours) ?? campaignHour(campaign);
}

/**
 * When an event-driven campaign's message should go out, wanted at `atMs`: at the learned hour when
 * the campaign opts in and there is one, else at its `sendHour` when the campaign sets one, else at
 * once. Held to the next `hour:00` local of that hour — within a day — or at once during that hour.
 * The guardrails then see this instant as the desired send time, like a cross-sell delay.
 */
export function heldToBestHour(
  state: CustomerState,
  campaign: Campaign,
  quietHours: Guardrails['quietHours'] | undefined,
  zone: string,
  atMs: number,
): number {
  const hour = learnedHour(state, campaign, quietHours) ?? campaign.sendHour ?? null;
  if (hour === null || toLocal(atMs, zone).hour === hour) return atMs;
  return nextLocalHourAtOrAfter(atMs, zone, hour);
}

const SCHEDULED: ReadonlySet<string> = new Set(SCHEDULED_TRIGGERS);

/**
 * When the engine wants a candidate's message to go out, before the guardrails move it: its due time (at
 * once, or after a cross-sell delay) — for an event-driven campaign held to the next learned hour when
 * it opts in, or to its `sendHour` when it sets one. A scheduled window already opened at the learned hour: a late evaluation (catch-up) sends at
 * once rather than a day later. `decide` and the explain tool both read it, so they cannot disagree.
 */
export function desiredSendMs(
  state: CustomerState,
  campaign: Campaign,
  dueMs: number,
  nowMs: number,
  quietHours: Guardrails['quietHours'],
  zone: string,
): number {
  const atMs = Math.max(nowMs, dueMs);
  if (SCHEDULED.has(campaign.trigger.type)) return atMs;
  if (campaign.bestHour === undefined && campaign.sendHour === undefined) return atMs;
  return heldToBestHour(state, campaign, quietHours, zone, atMs);
}

/**
 * Whether the campaign's send hour reads the same in two states: always without `bestHour`, else when
 * the engagement counts are equal (a schedule listing keeps a campaign's windows only then).
 */
export function sameBestHourInputs(campaign: Campaign, a: CustomerState, b: CustomerState): boolean {
  if (campaign.bestHour === undefined || a.engagement === b.engagement) return true;
  const x = a.engagement.byLocalHour;
  const y = b.engagement.byLocalHour;
  if (x === y) return true;
  for (let hour = 0; hour < HOURS; hour++) if (x[hour] !== y[hour]) return false;
  return true;
}
