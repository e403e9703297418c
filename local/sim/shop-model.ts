/**
 * The synthetic shop's data model: the event envelope it emits, the collector events go through, and
 * the per-customer truth only the simulator knows. `synthetic-shop.ts` re-exports the public part.
 */
import type { Currency } from './shop-catalog.ts';
import { isoSeconds } from './shop-local-time.ts';

/** An EventBridge event as the shop puts it on the bus. */
export interface ShopEvent {
  id: string;
  source: 'shop.synthetic';
  'detail-type': string;
  time: string;
  detail: Record<string, unknown>;
}

export type Archetype = 'regular' | 'occasional' | 'one-off' | 'dormant' | 'high-value' | 'registrant';

/**
 * Share of each archetype (percent): regulars re-buy replenishable goods at their own cadence plus
 * extras; occasional shoppers order a few times a year; one-off buyers order once; dormant customers
 * lapse after some months (a third come back); high-value customers order in bulk every week or two;
 * registrants never buy.
 */
export const ARCHETYPE_MIX: readonly (readonly [Archetype, number])[] = [
  ['regular', 24],
  ['occasional', 30],
  ['one-off', 14],
  ['dormant', 14],
  ['high-value', 3],
  ['registrant', 15],
];

/** A product the customer re-buys by routine, at their own cadence. */
export interface RoutineProduct {
  sku: string;
  category: string;
  /** The customer's own mean interval (regulars: the product's interval × 0.82–1.18). */
  cadenceDays: number;
  quantity: number;
}

/** What the simulator knows about a customer and the engine has to discover. */
export interface CustomerTruth {
  customerId: string;
  brand: string;
  archetype: Archetype;
  registeredAt: string;
  country: string;
  currency: Currency;
  /** The zone the customer lives by, also when their profile leaves it out. */
  timeZone: string;
  /** A move to another zone during the period (orders and engagement follow it). */
  move: { at: string; timeZone: string } | null;
  /** Routine purchases (regulars; dormant customers before they lapse; high-value ones in bulk). */
  routine: RoutineProduct[];
  /** Dormant customers: the local day they stop ordering (may lie outside the period); else null. */
  dormantFrom: string | null;
  /** Dormant customers who come back on their own: when; else null. */
  returnsAt: string | null;
  /** Local hour (0..23) at which the customer usually opens messages. */
  engagementHour: number;
  /** Chance a message is opened. */
  openRate: number;
  /** Chance an opened message is clicked. */
  clickRate: number;
  /**
   * True uplift in the probability of ordering when offered — dormant 0.05–0.2, occasional 0.03–0.1,
   * registrants 0.02–0.08, one-off 0.02–0.06, regulars and high-value 0.01–0.03. Known only to the
   * simulator; `responseToOffer` draws the incremental order from it.
   */
  offerResponse: number;
}

/**
 * Collects events in generation order; `generateShop` sorts them once at the end and numbers their
 * ids in time order. Events outside the period are dropped here.
 */
export class EventSink {
  readonly times: number[] = [];
  readonly events: ShopEvent[] = [];
  constructor(
    readonly startMs: number,
    readonly endMs: number,
  ) {}

  /** Keeps the event when it falls inside the period; says whether it did. */
  push(ms: number, type: string, detail: Record<string, unknown>, time?: string): boolean {
    if (!(ms >= this.startMs && ms < this.endMs)) return false;
    this.times.push(ms);
    this.events.push({
      id: '',
      source: 'shop.synthetic',
      'detail-type': type,
      time: time ?? isoSeconds(ms),
      detail,
    });
    return true;
  }
}
