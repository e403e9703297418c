/**
 * Adapters from what the run loop sees (engine decisions, queued messages, shop events, ledger entries)
 * to the inputs of `CampaignMeasurement`, so the loop feeds it with one call per thing it already has.
 *
 * Order of calls for one shop event: `feedEvent` first, then ingest it (decisions, relayed messages,
 * suppressions, ledger entries). An order must not be attributed to a message it triggered itself.
 */
import type { LedgerEntry } from '../../functions/domain/customer-state.ts';
import type { Decision } from '../../functions/domain/engine.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import type { Message } from '../../functions/domain/message.ts';
import type { CampaignMeasurement, Treatment } from './attribution.ts';

/** An amount in currency units to minor units (the shop's currencies have two decimals). */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

/**
 * The treatment a queued message stands for. Its offer is the message's `offer`; a personal-offer
 * message's list of offers counts as one offer whose threshold is the lowest minimum basket, valid for
 * the conversion window (those offers carry no expiry of their own).
 */
export function treatmentOf(message: Message): Treatment {
  const t: Treatment = {
    campaignId: message.campaignId,
    customerId: message.customerId,
    at: message.sendAt,
    channel: message.channel,
    occurrenceKey: message.occurrenceKey,
    offer: null,
  };
  if (message.offer !== undefined) {
    t.offer = { minBasketCents: toCents(message.offer.minBasket), expiresAt: message.offer.expiresAt };
  } else if (message.offers !== undefined && message.offers.length > 0) {
    const lowest = Math.min(...message.offers.map((o) => o.minBasket));
    t.offer = { minBasketCents: toCents(lowest), expiresAt: null };
  }
  return t;
}

/** Issued decisions: counted, with their deferrals. Suppressions come through `suppressed` records. */
export function feedDecisions(measure: CampaignMeasurement, decisions: readonly Decision[]): void {
  for (const d of decisions) {
    if (d.type === 'Issued') measure.issued({ campaignId: d.campaign.id, deferred: d.deferred });
  }
}

export function feedMessage(measure: CampaignMeasurement, message: Message): void {
  measure.treated(treatmentOf(message));
}

/** Orders and cancellations; other events do not move the figures. */
export function feedEvent(measure: CampaignMeasurement, event: DomainEvent): void {
  if (event.type === 'OrderPlaced') {
    measure.order({
      customerId: event.customerId,
      orderId: event.detail.orderId,
      at: event.at,
      totalCents: toCents(event.detail.total),
    });
  } else if (event.type === 'OrderCancelled') {
    measure.cancelled({ orderId: event.detail.orderId, at: event.at });
  }
}

/** A campaign's ledger entries are its points cost (base accrual has no campaign and is left out). */
export function feedLedger(measure: CampaignMeasurement, entry: LedgerEntry): void {
  if (entry.campaignId !== null) measure.points({ campaignId: entry.campaignId, points: entry.points });
}
