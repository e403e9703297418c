/**
 * How simulated customers react to what the engine sends: opens and clicks, and orders caused by offers.
 *
 * Both are pure functions of (truth, message or offer, seed) through a hash — no state, no clock — so a
 * run is reproducible whatever order the engine emits its messages in.
 */
import { hash32, seed32, unitHash } from './random.ts';
import { DAY_MS, fromWall, HOUR_MS, isoSeconds, MINUTE_MS, toWall } from './shop-local-time.ts';
import type { CustomerTruth } from './shop-model.ts';

/** The zone the customer lives in at an instant (after a move, the new one). */
function zoneAt(truth: CustomerTruth, ms: number): string {
  return truth.move !== null && ms >= Date.parse(truth.move.at) ? truth.move.timeZone : truth.timeZone;
}

/**
 * Whether and when the customer engages with a message queued for `sendAt`: `null` (ignored), `opened`
 * or `clicked` (a click implies the open; only the strongest is returned).
 *
 * Opens happen with `truth.openRate`, clicks with `truth.clickRate` of opens. Three opens in four happen
 * at the customer's preferred local hour (`truth.engagementHour`, the first one at or after `sendAt`), the
 * rest within three hours of delivery — so the best send hour an engine learns can be checked against truth.
 */
export function engagementFor(
  truth: CustomerTruth,
  messageId: string,
  sendAt: string,
  seed: number,
): { kind: 'opened' | 'clicked'; at: string } | null {
  const key = `${truth.customerId}|${messageId}`;
  const salt = seed32(seed);
  if (unitHash(`${key}|open`, salt) >= truth.openRate) return null;
  const sendMs = Date.parse(sendAt);
  if (Number.isNaN(sendMs)) throw new RangeError(`sendAt is not an ISO instant: ${sendAt}`);
  const clicked = unitHash(`${key}|click`, salt) < truth.clickRate;
  const when = hash32(`${key}|when`, salt);
  let at: number;
  if (when % 4 !== 0) {
    const zone = zoneAt(truth, sendMs);
    const minute = (when >>> 2) % 60;
    let day = Math.floor(toWall(zone, sendMs) / DAY_MS);
    at = fromWall(zone, day * DAY_MS + truth.engagementHour * HOUR_MS + minute * MINUTE_MS);
    if (at < sendMs) {
      day += 1;
      at = fromWall(zone, day * DAY_MS + truth.engagementHour * HOUR_MS + minute * MINUTE_MS);
    }
  } else {
    at = sendMs + ((when >>> 2) % (3 * 60)) * MINUTE_MS;
  }
  // A click comes a few minutes after the open.
  if (clicked) at += (1 + ((when >>> 10) % 10)) * MINUTE_MS;
  return { kind: clicked ? 'clicked' : 'opened', at: isoSeconds(at) };
}

/**
 * Whether an offer made at `offerAt` causes an order that would not have happened otherwise.
 *
 * The synthetic history already holds every organic order, treated or not; this adds only the
 * incremental one, with probability `truth.offerResponse` (the true uplift). A holdout comparison of
 * conversion rates in the offer window should therefore recover `offerResponse` on average. When it
 * orders, `at` is 6 hours to 5 days after the offer (inside any window of 5 days or more).
 */
export function responseToOffer(
  truth: CustomerTruth,
  offerAt: string,
  seed: number,
): { orders: boolean; at: string | null } {
  const offerMs = Date.parse(offerAt);
  if (Number.isNaN(offerMs)) throw new RangeError(`offerAt is not an ISO instant: ${offerAt}`);
  const key = `${truth.customerId}|${offerAt}`;
  const salt = seed32(seed);
  if (unitHash(`${key}|offer`, salt) >= truth.offerResponse) return { orders: false, at: null };
  const delay = 6 * HOUR_MS + Math.floor(unitHash(`${key}|delay`, salt) * (5 * DAY_MS - 6 * HOUR_MS));
  return { orders: true, at: isoSeconds(Math.floor((offerMs + delay) / 1000) * 1000) };
}
