/**
 * The pure reducer: `apply(state, event, settings) → state`.
 *
 * Idempotent on event id and on order id; order-independent where it should be: profile, contact and
 * consent fields are last-writer-wins by event time, order stats are sums / min / max, and a cancellation
 * that arrives before its order leaves a tombstone so the late order is never counted.
 */
import { assertUnreachable } from './assert.ts';
import type { CampaignFile } from './campaign.ts';
import { occurrenceKey } from './candidate.ts';
import type { Channel, CustomerState, OrderRecord } from './customer-state.ts';
import { CHANNELS, copyState, LIMITS } from './customer-state.ts';
import { eventFingerprint } from './event-fingerprint.ts';
import type { DomainEvent } from './events.ts';
import { credit, debit, expiryDay, tierAt, wholePoints } from './points.ts';
import { rfmClass } from './rfm.ts';
import { calendarDayStart, isValidTimeZone, MS_PER_DAY, parseInstant, toLocal } from './time.ts';

/** What the reducer needs from the campaign file. */
export type ProgramSettings = Pick<CampaignFile, 'program' | 'guardrails'>;

type Detail<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>['detail'];
type ProfileDetail = Detail<'CustomerRegistered'> | Detail<'CustomerUpdated'>;

/**
 * Whether the event, applied, changes nothing but the item's bookkeeping (its fingerprint among the
 * recent events, the newest event time, the version): a delivery receipt. Opens and clicks teach the
 * best send hour; a receipt teaches nothing.
 */
export function isDeliveryReceipt(event: DomainEvent): boolean {
  return event.type === 'MessageEngaged' && event.detail.kind === 'delivered';
}

/**
 * Returns the state after `event`; the same object when the event changes nothing: a duplicate, or a
 * delivery receipt whose newer event time moves neither tier nor RFM class (recording its id and time
 * alone would cost a write, and no trigger reacts to a receipt).
 */
export function apply(state: CustomerState, event: DomainEvent, settings: ProgramSettings): CustomerState {
  const fingerprint = eventFingerprint(event.id);
  // Items written before fingerprints kept the ids themselves: those are recognised too.
  if (state.recentEventIds.includes(fingerprint) || state.recentEventIds.includes(event.id)) return state;
  if (isDeliveryReceipt(event) && !reclassifies(state, event.at, settings)) return state;
  if (event.type === 'OrderPlaced') {
    // A second OrderPlaced with a known order id is a no-op; a tombstone (cancelled before it arrived)
    // takes the order's data once, for reference, and counts nothing.
    const known = state.orders[event.detail.orderId];
    if (known !== undefined && !isTombstone(known)) return state;
  }
  // A deep copy for the rarer events, shaped like every other state the engine makes (see copyState).
  const next: CustomerState =
    event.type === 'OrderPlaced' ? copyForOrder(state) : copyState(structuredClone(state));
  switch (event.type) {
    case 'CustomerRegistered':
      // `at` is `registeredAt` when given; the earliest registration wins (a re-sent one changes nothing).
      if (next.profile.registeredAt === null || event.at < next.profile.registeredAt)
        next.profile.registeredAt = event.at;
      mergeProfile(next, event, event.detail, settings);
      break;
    case 'CustomerUpdated':
      mergeProfile(next, event, event.detail, settings);
      break;
    case 'ConsentChanged':
      // `all` is the global switch: opting back in lifts the opt-out but grants no channel the customer
      // never agreed to; per-channel consents stay as they were.
      if (event.detail.channel === 'all') setOptOut(next, !event.detail.granted, event);
      else setConsent(next, event.detail.channel, event.detail.granted, event);
      break;
    case 'OrderPlaced':
      placeOrder(next, event, settings);
      break;
    case 'OrderCancelled':
      cancelOrder(next, event.detail.orderId, event.at, settings);
      break;
    case 'ActionCompleted':
      // Actions change no state of their own: the action trigger reacts to the event itself.
      break;
    case 'MessageEngaged':
      if (event.detail.kind !== 'delivered') {
        // An unusable default zone must not make every engagement event fail.
        const zone = next.profile.timeZone ?? settings.guardrails.defaultTimeZone;
        const hour = toLocal(Date.parse(event.at), isValidTimeZone(zone) ? zone : 'UTC').hour;
        next.engagement.byLocalHour[hour] = (next.engagement.byLocalHour[hour] ?? 0) + 1;
        if (next.engagement.lastAt === null || event.at > next.engagement.lastAt)
          next.engagement.lastAt = event.at;
      }
      break;
    default:
      return assertUnreachable(event);
  }
  next.recentEventIds.push(fingerprint);
  if (next.recentEventIds.length > LIMITS.recentEventIds) next.recentEventIds.shift();
  if (next.updatedAt === null || event.at > next.updatedAt) next.updatedAt = event.at;
  const asOf = parseInstant(next.updatedAt);
  next.tier = tierAt(next, settings.program, asOf);
  next.rfm = rfmClass(next, settings.program, asOf);
  next.version = state.version + 1;
  return next;
}

/** Whether an event at `at` would move the state's tier or RFM class (both are as of the newest event). */
function reclassifies(state: CustomerState, at: string, settings: ProgramSettings): boolean {
  const asOf = parseInstant(state.updatedAt === null || at > state.updatedAt ? at : state.updatedAt);
  return (
    tierAt(state, settings.program, asOf) !== state.tier ||
    rfmClass(state, settings.program, asOf) !== state.rfm
  );
}

/**
 * A copy of the state that placing an order may change: the parts it writes (stats, spend, orders,
 * products, points, ledger, recent event ids) are copied, the rest is shared with the input, which stays
 * untouched (a product's history is copied where it is written). The busiest event of a shop: a deep
 * clone of a wholesale customer's item costs far more than the order itself.
 */
function copyForOrder(state: CustomerState): CustomerState {
  const next = copyState(state);
  next.stats = { ...state.stats };
  next.spendByCategory = { ...state.spendByCategory };
  next.orders = { ...state.orders };
  next.products = { ...state.products };
  next.points = {
    ...state.points,
    buckets: [...state.points.buckets],
    earnedByMonth: { ...state.points.earnedByMonth },
  };
  next.ledger = [...state.ledger];
  next.recentEventIds = [...state.recentEventIds];
  return next;
}

/** A field's write stamp: event time, then event id, so equal times still order the same way everywhere. */
function stampOf(event: DomainEvent): string {
  return `${event.at}|${event.id}`;
}

/** Whether `event` is at least as new as the last write of `field` (a re-delivery counts as newest). */
function isNewest(state: CustomerState, field: string, event: DomainEvent): boolean {
  const prev = state.fieldTimes[field];
  return prev === undefined || prev <= stampOf(event);
}

/**
 * Last writer wins per field, by event time and then event id (so two events at the same instant give
 * the same result in any order): true, and the field's stamp recorded, when this event is the newest.
 */
function claim(state: CustomerState, field: string, event: DomainEvent): boolean {
  if (!isNewest(state, field, event)) return false;
  state.fieldTimes[field] = stampOf(event);
  return true;
}

function mergeProfile(
  state: CustomerState,
  event: DomainEvent,
  d: ProfileDetail,
  settings: ProgramSettings,
): void {
  const p = state.profile;
  if (d.firstName !== undefined && claim(state, 'firstName', event)) p.firstName = d.firstName;
  if (d.timeZone !== undefined && isValidTimeZone(d.timeZone) && claim(state, 'timeZone', event)) {
    p.timeZone = d.timeZone;
  }
  if (d.country !== undefined && claim(state, 'country', event)) p.country = d.country;
  if (d.city !== undefined && claim(state, 'city', event)) p.city = d.city;
  if (d.locale !== undefined && claim(state, 'locale', event)) p.locale = d.locale;
  if (d.birthday !== undefined)
    setBirthday(state, d.birthday, event, settings.guardrails.birthdayEditsPerYear);
  if (d.contacts) {
    const c = d.contacts;
    if (c.email !== undefined && claim(state, 'email', event)) state.contacts.email = c.email;
    if (c.phone !== undefined && claim(state, 'phone', event)) state.contacts.phone = c.phone;
    if (c.pushToken !== undefined && claim(state, 'pushToken', event)) state.contacts.pushToken = c.pushToken;
  }
  if (d.consents) {
    for (const channel of CHANNELS) {
      const granted = d.consents[channel];
      if (granted !== undefined) setConsent(state, channel, granted, event);
    }
  }
}

/**
 * The first birthday is free; later edits count against a yearly allowance, so a customer cannot move
 * the birthday around to collect the bonus again. Edits beyond the allowance are ignored, and so is a
 * birthday older than the one held (last writer wins, like every profile field).
 */
function setBirthday(state: CustomerState, value: string, event: DomainEvent, editsPerYear: number): void {
  const parsed = parseBirthday(value);
  if (parsed === null || !isNewest(state, 'birthday', event)) return;
  const p = state.profile;
  if (p.birthday !== null && p.birthday.month === parsed.month && p.birthday.day === parsed.day) {
    // Same day: adding or correcting the year is not an edit (it moves no birthday trigger).
    p.birthday = { ...p.birthday, year: parsed.year ?? p.birthday.year };
    claim(state, 'birthday', event);
    return;
  }
  if (p.birthday !== null) {
    const yearAgo = new Date(Date.parse(event.at) - 365 * MS_PER_DAY).toISOString();
    const recent = p.birthdayChanges.filter((t) => t > yearAgo && t <= event.at).length;
    if (recent >= editsPerYear) return;
    p.birthdayChanges.push(event.at);
    p.birthdayChanges.sort();
    // Keep at least a year's allowance of edits, or a generous allowance could never be reached.
    const keep = Math.max(LIMITS.birthdayChanges, editsPerYear);
    if (p.birthdayChanges.length > keep) p.birthdayChanges.splice(0, p.birthdayChanges.length - keep);
  }
  p.birthday = parsed;
  claim(state, 'birthday', event);
}

export function parseBirthday(value: string): { year: number | null; month: number; day: number } | null {
  const m = /^(\d{4}|-)-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const year = m[1] === '-' ? null : Number(m[1]);
  return { year, month: Number(m[2]), day: Number(m[3]) };
}

function setConsent(state: CustomerState, channel: Channel, granted: boolean, event: DomainEvent): void {
  if (!claim(state, `consent.${channel}`, event)) return;
  state.consents[channel] = { granted, at: event.at, eventId: event.id };
}

function setOptOut(state: CustomerState, optedOut: boolean, event: DomainEvent): void {
  if (!claim(state, 'consent.all', event)) return;
  state.optOut = { granted: !optedOut, at: event.at, eventId: event.id };
}

/** A cancellation that arrived before its order: it blocks the order, whenever it comes. */
function isTombstone(order: OrderRecord): boolean {
  return order.cancelled && order.skus.length === 0;
}

// Money is summed in integer cents: floating-point sums drift (0.1 + 0.2) and, rounded step by step,
// would depend on the order events arrive in. Stored amounts are always whole cents.
function toCents(amount: number): number {
  return Math.round(amount * 100);
}

function fromCents(cents: number): number {
  return cents / 100;
}

function placeOrder(
  state: CustomerState,
  event: Extract<DomainEvent, { type: 'OrderPlaced' }>,
  s: ProgramSettings,
): void {
  const d = event.detail;
  const centsByCategory = new Map<string, number>();
  const skus: string[] = [];
  for (const line of d.lines) {
    const category = line.category ?? 'other';
    centsByCategory.set(
      category,
      (centsByCategory.get(category) ?? 0) + toCents(line.quantity * line.unitPrice),
    );
    if (!skus.includes(line.sku)) skus.push(line.sku);
  }
  const categories: Record<string, number> = {};
  for (const [c, cents] of centsByCategory) categories[c] = fromCents(cents);
  const totalCents = toCents(d.total);
  const order: OrderRecord = {
    at: event.at,
    total: fromCents(totalCents),
    points: wholePoints(fromCents(totalCents), s.program.pointsPerCurrencyUnit),
    categories,
    skus,
    cancelled: false,
  };
  if (state.orders[d.orderId]?.cancelled) {
    // Cancelled before we saw it: keep the data for reference, count nothing.
    state.orders[d.orderId] = { ...order, cancelled: true };
    return;
  }
  state.orders[d.orderId] = order;
  const st = state.stats;
  st.orders += 1;
  st.spend = fromCents(toCents(st.spend) + totalCents);
  if (st.firstOrderAt === null || event.at < st.firstOrderAt) st.firstOrderAt = event.at;
  if (st.lastOrderAt === null || event.at > st.lastOrderAt) st.lastOrderAt = event.at;
  for (const [c, cents] of centsByCategory) {
    // A category with nothing spent in it is not recorded: the map then holds exactly the categories with
    // spend, however orders and cancellations interleave.
    if (cents > 0) state.spendByCategory[c] = fromCents(toCents(state.spendByCategory[c] ?? 0) + cents);
  }
  const day = event.at.slice(0, 10);
  for (const sku of skus) {
    // One purchase per order, however many lines carry the SKU (cancellation takes one back).
    const category = d.lines.find((l) => l.sku === sku && l.category !== undefined)?.category ?? null;
    addPurchaseDay(state, sku, category, day);
  }
  credit(state, {
    entryId: `order:${d.orderId}`,
    campaignId: null,
    points: order.points,
    at: event.at,
    expireDays: s.program.pointsExpireDays,
    reason: 'accrual',
  });
  pruneOrders(state);
}

function addPurchaseDay(state: CustomerState, sku: string, category: string | null, day: string): void {
  // A copy: the previous state may share the product's history (see copyForOrder).
  const known = state.products[sku];
  const history = known === undefined ? { days: [], category, count: 0 } : { ...known };
  history.count += 1;
  history.category ??= category;
  if (!history.days.includes(day)) history.days = lastDays([...history.days, day]);
  state.products[sku] = history;
  const skus = Object.keys(state.products);
  if (skus.length > LIMITS.products) {
    // Keep the products bought most often (then most recently): those are the replenishable ones.
    const rank = new Map(skus.map((s) => [s, productRank(state, s)]));
    skus.sort((a, b) => (rank.get(b) ?? 0) - (rank.get(a) ?? 0) || (a < b ? -1 : 1));
    for (const drop of skus.slice(LIMITS.products)) delete state.products[drop];
  }
}

/** Distinct days, ascending, the most recent kept. */
function lastDays(days: Iterable<string>): string[] {
  return [...new Set(days)].sort().slice(-LIMITS.purchaseDatesPerProduct);
}

function productRank(state: CustomerState, sku: string): number {
  const h = state.products[sku];
  if (!h) return 0;
  const last = h.days[h.days.length - 1] ?? '1970-01-01';
  return h.days.length * 1e6 + (calendarDayStart(last) ?? Date.parse(last)) / MS_PER_DAY;
}

/** Drops the oldest orders (tombstones included) beyond the bound; ties by id, so any arrival order agrees. */
function pruneOrders(state: CustomerState): void {
  const ids = Object.keys(state.orders);
  if (ids.length <= LIMITS.orders) return;
  const at = (id: string) => state.orders[id]?.at ?? '';
  const before = (a: string, b: string) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : a < b ? -1 : 1);
  if (ids.length === LIMITS.orders + 1) {
    // One order over the bound (the usual case: one order at a time): drop the oldest, no sort.
    let oldest = ids[0] ?? '';
    for (const id of ids) if (before(id, oldest) < 0) oldest = id;
    delete state.orders[oldest];
    return;
  }
  ids.sort(before);
  for (const id of ids.slice(0, ids.length - LIMITS.orders)) delete state.orders[id];
}

/**
 * Reverses the order's stats and claws back every point that came from it: the base points and the
 * points of occurrences issued (or converted) on it, each from the bucket it was credited to (found in
 * the ledger, or for the base points from `settings`), the oldest points going first for the rest.
 */
export function cancelOrder(
  state: CustomerState,
  orderId: string,
  at: string,
  settings?: ProgramSettings,
): void {
  const order = state.orders[orderId];
  if (order === undefined) {
    state.orders[orderId] = { at, total: 0, points: 0, categories: {}, skus: [], cancelled: true };
    pruneOrders(state);
    return;
  }
  if (order.cancelled) return;
  order.cancelled = true;
  const st = state.stats;
  st.orders = Math.max(0, st.orders - 1);
  st.spend = fromCents(Math.max(0, toCents(st.spend) - toCents(order.total)));
  for (const [c, v] of Object.entries(order.categories)) {
    const left = toCents(state.spendByCategory[c] ?? 0) - toCents(v);
    if (left > 0) state.spendByCategory[c] = fromCents(left);
    else delete state.spendByCategory[c];
  }
  const live = Object.values(state.orders).filter((o) => !o.cancelled);
  const day = order.at.slice(0, 10);
  for (const sku of order.skus) {
    const h = state.products[sku];
    if (!h) continue;
    h.count = Math.max(0, h.count - 1);
    // The days of the remaining orders, including any that had fallen out of the bounded list.
    const liveDays = live.filter((o) => o.skus.includes(sku)).map((o) => o.at.slice(0, 10));
    h.days = lastDays([...h.days.filter((x) => x !== day), ...liveDays]);
    if (h.days.length === 0) delete state.products[sku];
  }
  if (st.orders === 0) {
    st.firstOrderAt = null;
    st.lastOrderAt = null;
  } else {
    if (st.lastOrderAt === order.at) st.lastOrderAt = maxAt(live) ?? st.lastOrderAt;
    if (st.firstOrderAt === order.at) st.firstOrderAt = minAt(live) ?? st.firstOrderAt;
  }
  const baseEntry = `order:${orderId}`;
  // The credit's own ledger entry is the authority (the expiry setting may have changed since).
  const expiresOn =
    ledgerExpiry(state, baseEntry) ??
    (settings === undefined ? null : expiryDay(order.at, settings.program.pointsExpireDays));
  clawBack(state, baseEntry, null, order.points, at, order.at, expiresOn);
  let clawed = 0;
  for (const [key, occ] of Object.entries(state.occurrences)) {
    if (occ.orderId !== orderId || occ.points <= 0) continue;
    if (occ.status !== 'issued' && occ.status !== 'converted') continue;
    clawed += occ.points;
    // The engine credits an issued bonus under the occurrence key, a conversion under `<key>#conversion`.
    const credited = `${occurrenceKey(state, key)}${occ.status === 'converted' ? '#conversion' : ''}`;
    const entry = state.ledger.find((e) => e.entryId === credited);
    const earnedAt = entry?.at ?? (occ.status === 'converted' ? order.at : occ.at);
    occ.status = 'clawed-back';
    clawBack(state, credited, occ.campaignId, occ.points, at, earnedAt, ledgerExpiry(state, credited));
  }
  // Bonuses whose occurrence records have been pruned since (a cancellation weeks later): one debit of
  // what the order's record says they came to.
  const pruned = (order.bonus ?? 0) - clawed;
  if (pruned > 0) clawBack(state, `${baseEntry}#bonus`, null, pruned, at, order.at, expiresOn);
}

/** Debits what a credit gave, from the bucket it went to and the month it was earned in. */
function clawBack(
  state: CustomerState,
  creditedEntryId: string,
  campaignId: string | null,
  points: number,
  at: string,
  earnedAt: string,
  expiresOn: string | null,
): void {
  debit(state, {
    entryId: `clawback:${creditedEntryId}`,
    campaignId,
    points,
    at,
    reason: 'clawback',
    earnedAt,
    ...(expiresOn === null ? {} : { expiresOn }),
  });
}

function ledgerExpiry(state: CustomerState, entryId: string): string | null {
  const expiresAt = state.ledger.find((e) => e.entryId === entryId)?.expiresAt;
  return expiresAt == null ? null : expiresAt.slice(0, 10);
}

function maxAt(orders: OrderRecord[]): string | null {
  let best: string | null = null;
  for (const o of orders) if (best === null || o.at > best) best = o.at;
  return best;
}

function minAt(orders: OrderRecord[]): string | null {
  let best: string | null = null;
  for (const o of orders) if (best === null || o.at < best) best = o.at;
  return best;
}
