/**
 * The customer item: everything a decision about one customer needs, in one record.
 *
 * The state is plain JSON (it is stored as one DynamoDB item and travels through streams), every
 * timestamp is an ISO-8601 UTC string, and every collection is bounded so the item stays far below
 * DynamoDB's 400 KB limit whatever the customer does.
 */

export const CHANNELS = ['email', 'sms', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Which address a channel needs. */
export const CONTACT_FOR_CHANNEL = { email: 'email', sms: 'phone', push: 'pushToken' } as const;

export const DEFAULT_BRAND = 'default';

/** Bounds that keep one customer item small. */
export const LIMITS = {
  /**
   * Fingerprints of the last events applied (a redelivery among them is a no-op). Redeliveries come
   * within minutes to hours (SQS visibility, EventBridge's retries over at most a day), and no reward
   * depends on this bound: an order is known by its id, an action or a conversion by its occurrence
   * key. What it keeps from counting twice is an engagement or a profile event, beyond 16 newer events
   * of the same customer. 64 until 2026-11-26: each fingerprint is 8 bytes of entropy no compression
   * removes, 0.4 write units of an active two-year-old customer's every write (docs/benchmarks.md).
   */
  recentEventIds: 16,
  orders: 120,
  products: 24,
  purchaseDatesPerProduct: 8,
  ledger: 40,
  birthdayChanges: 4,
  earnedMonths: 25,
  /** Occurrences older than this are pruned unless they are "once ever". */
  occurrenceRetentionDays: 400,
} as const;

export interface ConsentRecord {
  granted: boolean;
  /** When the change happened (event time). */
  at: string;
  /** The event that made the change: the consent audit trail. */
  eventId: string;
}

export interface Birthday {
  month: number;
  day: number;
  year: number | null;
}

export interface Profile {
  firstName: string | null;
  registeredAt: string | null;
  birthday: Birthday | null;
  /** Event times of accepted birthday edits (the first setting is not an edit). */
  birthdayChanges: string[];
  timeZone: string | null;
  country: string | null;
  city: string | null;
  locale: string | null;
}

export interface Contacts {
  email: string | null;
  phone: string | null;
  pushToken: string | null;
}

export interface Stats {
  orders: number;
  spend: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
}

export interface OrderRecord {
  at: string;
  total: number;
  /** Base points accrued on this order (clawed back on cancellation). */
  points: number;
  /**
   * Campaign points credited for this order — purchase-based bonuses, the milestones it crossed, the
   * offers it converted — clawed back with it even after their occurrence records were pruned. Absent
   * when none (and on items written before 2026-11-26).
   */
  bonus?: number;
  /** Spend per category in this order. */
  categories: Record<string, number>;
  skus: string[];
  cancelled: boolean;
}

export interface ProductHistory {
  /** Distinct purchase days (YYYY-MM-DD, UTC), ascending, the most recent kept. */
  days: string[];
  category: string | null;
  /** Purchases ever seen, including those no longer in `days`. */
  count: number;
}

export interface PointsBucket {
  /** Day (YYYY-MM-DD) at whose start (UTC) the bucket's points expire. */
  expiresOn: string;
  points: number;
}

export interface Points {
  balance: number;
  lifetimeEarned: number;
  /** Points still to expire, oldest first; their sum equals the balance. */
  buckets: PointsBucket[];
  /** Points earned per UTC month (YYYY-MM), for tiers by points earned in a rolling period. */
  earnedByMonth: Record<string, number>;
}

export interface LedgerEntry {
  /** The occurrence key (or `order:<id>`, `clawback:<key>`, `expiry:<day>`): deterministic, idempotent. */
  entryId: string;
  customerId: string;
  brand: string;
  campaignId: string | null;
  points: number;
  reason: 'accrual' | 'bonus' | 'clawback' | 'expiry' | 'conversion';
  at: string;
  expiresAt: string | null;
}

/**
 * A ledger entry's identity, as the ledger table keys it: its customer and its entry id. The entry id
 * alone is unique only within a customer (`expiry:<day>` is every customer's expiry of that day).
 */
export function ledgerEntryKey(e: Pick<LedgerEntry, 'brand' | 'customerId' | 'entryId'>): string {
  return `${customerKey(e.brand, e.customerId)}\u0000${e.entryId}`;
}

export type OccurrenceStatus = 'issued' | 'suppressed' | 'clawed-back' | 'converted';

export interface OfferState {
  code: string;
  /** Last instant the offer can be used: the conversion window. */
  expiresAt: string;
  /** Points credited when a qualifying order arrives (dormancy win-back). */
  pointsOnOrder: number;
  minBasket: number;
  accrualPercent: number | null;
  category: string | null;
}

export interface PersonalOfferState {
  code: string;
  category: string;
  accrualPercent: number;
  minBasket: number;
}

export interface OccurrenceRecord {
  campaignId: string;
  trigger: string;
  status: OccurrenceStatus;
  /** Decision time. */
  at: string;
  /** Earliest delivery time of the message, when one was queued. */
  sendAt: string | null;
  channels: Channel[];
  points: number;
  /** Suppression reason, when suppressed. */
  reason: string | null;
  /** The order the occurrence came from (purchase-based rewards are clawed back with it). */
  orderId: string | null;
  /** Whether this occurrence counts toward the frequency cap. */
  capped: boolean;
  /** Whether the message was moved later by the frequency cap. */
  deferred: boolean;
  offer: OfferState | null;
  /** Personal offers of a personal-offer occurrence, best first. */
  offers: PersonalOfferState[];
  /** Values fixed at decision time that the message needs (product, predicted day, offers …). */
  variables: Record<string, string | number>;
  /** True when the occurrence must never be pruned (milestones fire once ever). */
  onceEver: boolean;
}

export interface Engagement {
  /** Opens and clicks by the customer's local hour (0..23). */
  byLocalHour: number[];
  lastAt: string | null;
}

export interface CustomerState {
  brand: string;
  customerId: string;
  /** Optimistic-concurrency version: every write increments it. */
  version: number;
  /** Time of the newest event applied. */
  updatedAt: string | null;
  profile: Profile;
  contacts: Contacts;
  consents: Record<Channel, ConsentRecord | null>;
  /** Global opt-out (`ConsentChanged` with channel `all`). */
  optOut: ConsentRecord | null;
  stats: Stats;
  spendByCategory: Record<string, number>;
  orders: Record<string, OrderRecord>;
  products: Record<string, ProductHistory>;
  points: Points;
  ledger: LedgerEntry[];
  tier: string | null;
  rfm: string | null;
  engagement: Engagement;
  /** Fingerprints of the last events applied (event-fingerprint.ts), oldest first: a redelivery is a no-op. */
  recentEventIds: string[];
  /** Event time of the last write per profile, contact and consent field: last writer wins, so a late
   * event never overwrites newer data. */
  fieldTimes: Record<string, string>;
  occurrences: Record<string, OccurrenceRecord>;
}

export function emptyState(brand: string, customerId: string): CustomerState {
  return {
    brand,
    customerId,
    version: 0,
    updatedAt: null,
    profile: {
      firstName: null,
      registeredAt: null,
      birthday: null,
      birthdayChanges: [],
      timeZone: null,
      country: null,
      city: null,
      locale: null,
    },
    contacts: { email: null, phone: null, pushToken: null },
    consents: { email: null, sms: null, push: null },
    optOut: null,
    stats: { orders: 0, spend: 0, firstOrderAt: null, lastOrderAt: null },
    spendByCategory: {},
    orders: {},
    products: {},
    points: { balance: 0, lifetimeEarned: 0, buckets: [], earnedByMonth: {} },
    ledger: [],
    tier: null,
    rfm: null,
    engagement: { byLocalHour: Array.from({ length: 24 }, () => 0), lastAt: null },
    recentEventIds: [],
    fieldTimes: {},
    occurrences: {},
  };
}

/** The fields of a state, in the order of {@link emptyState}. */
const FIELDS = Object.keys(emptyState('', ''));

/**
 * A shallow copy of a state (every part shared): what `{ ...s }` gives. Copies that change a part
 * replace it on the copy. Built as one object literal when the state has exactly the fields of
 * {@link emptyState} in its order (any item this code wrote): V8 gives every object made by a spread a
 * hidden class of its own as soon as a property is added to it (the schedule memo is), and a million
 * hidden classes make every property access of a sweep a slow lookup. Anything else (an item written
 * by another version, with other fields or in another order) is spread, so nothing of it is lost.
 */
export function copyState(s: CustomerState): CustomerState {
  if (!hasFields(s)) return { ...s };
  return {
    brand: s.brand,
    customerId: s.customerId,
    version: s.version,
    updatedAt: s.updatedAt,
    profile: s.profile,
    contacts: s.contacts,
    consents: s.consents,
    optOut: s.optOut,
    stats: s.stats,
    spendByCategory: s.spendByCategory,
    orders: s.orders,
    products: s.products,
    points: s.points,
    ledger: s.ledger,
    tier: s.tier,
    rfm: s.rfm,
    engagement: s.engagement,
    recentEventIds: s.recentEventIds,
    fieldTimes: s.fieldTimes,
    occurrences: s.occurrences,
  };
}

function hasFields(s: CustomerState): boolean {
  const keys = Object.keys(s);
  if (keys.length !== FIELDS.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== FIELDS[i]) return false;
  return true;
}

/** The key of a customer across brands: one item per (brand, customer). */
export function customerKey(brand: string, customerId: string): string {
  return `${brand}#${customerId}`;
}
