/**
 * A candidate occurrence: a trigger's proposal that a campaign fire for a customer. The engine passes
 * it through the guardrails and turns it into an issued or suppressed occurrence.
 */
import type { Campaign } from './campaign.ts';
import type { CustomerState, OfferState } from './customer-state.ts';
import type { PersonalOffer } from './personal-offers.ts';

export interface Candidate {
  campaign: Campaign;
  /** Key within the customer: `<campaignId>#<occurrence>` (e.g. `birthday-bonus#2027`). */
  key: string;
  /** Earliest time the message may go out (epoch ms). */
  dueMs: number;
  /** Bonus points credited at issuance. */
  points: number;
  /** The order the reward comes from: cancelling the order claws the reward back. */
  orderId: string | null;
  /** An offer whose conversion window starts when the message is sent (dormancy win-back). */
  offer: (Omit<OfferState, 'expiresAt' | 'code'> & { validityDays: number; codePrefix: string }) | null;
  /** Personal offers (personal-offer campaigns); codes are assigned at issuance. */
  offers: PersonalOffer[];
  /** Trigger-specific values the message needs. */
  variables: Record<string, string | number>;
  onceEver: boolean;
}

/**
 * The offer a campaign attaches to each occurrence: its configured offer, or for a dormancy campaign the
 * conversion window its points wait in ("+300 points if you order within 7 days").
 */
export function offerFor(campaign: Campaign): Candidate['offer'] {
  const o = campaign.reward.offer;
  const isDormancy = campaign.trigger.type === 'dormancy';
  if (o === undefined && !isDormancy) return null;
  return {
    codePrefix: o?.codePrefix ?? 'WB',
    validityDays: o?.validityDays ?? campaign.conversionWindowDays ?? 7,
    minBasket: o?.minBasket ?? 0,
    // The win-back bonus is credited on the qualifying order, not at issuance.
    pointsOnOrder: isDormancy ? (campaign.reward.points ?? 0) : 0,
    accrualPercent: null,
    category: null,
  };
}

/** The global occurrence key: (brand, customer, campaign, occurrence). Ledger entry and message ids derive from it. */
export function occurrenceKey(state: CustomerState, key: string): string {
  return `${state.brand}#${state.customerId}#${key}`;
}

export function localKey(campaign: Campaign, occurrence: string): string {
  return `${campaign.id}#${occurrence}`;
}

/** A deterministic coupon code for an occurrence: prefix + 8 base-36 characters of its hash. */
export function offerCode(prefix: string, occurrenceKeyValue: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < occurrenceKeyValue.length; i++) {
    const c = occurrenceKeyValue.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  const tail = ((h1 >>> 0).toString(36) + (h2 >>> 0).toString(36)).toUpperCase().padStart(8, '0').slice(-8);
  return `${prefix}-${tail}`;
}
