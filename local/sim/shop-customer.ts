/**
 * One synthetic customer's whole story in the period: registration, profile edits, consent changes,
 * orders (with cancellations and reviews), referrals and surveys — and the truth behind it.
 *
 * Every draw comes from the customer's own stream (seed × customer number): customers are independent,
 * so the shop is generated in one linear pass.
 */
import { hash32, Rng, Weighted } from './random.ts';
import { DAY_MS, fromWall, HOUR_MS, isoSeconds, MINUTE_MS, toWall } from './shop-local-time.ts';
import { ARCHETYPE_MIX, type Archetype, type CustomerTruth, type EventSink } from './shop-model.ts';
import { Basket, type OrderPlan, planOrders } from './shop-orders.ts';
import {
  birthdaySoonAfter,
  type CountrySpec,
  formatBirthday,
  pickCountry,
  pickZone,
  randomBirthday,
  randomMonthDay,
  type ZoneSpec,
} from './shop-people.ts';

const DEFAULT_BRAND = 'default';

export interface ShopContext {
  seedHash: number;
  customers: number;
  brands: readonly string[];
  startMs: number;
  endMs: number;
  sink: EventSink;
}

/** Local order hours 9..22 (every order is placed 9:00–22:59 local), evenings busiest. */
const ORDER_HOURS = weights([3, 4, 5, 7, 7, 5, 5, 5, 6, 8, 10, 11, 9, 6], 9);
/** Local hours customers read messages at: mornings, lunch, evenings. */
const ENGAGEMENT_HOURS = weights([4, 8, 6, 4, 0, 7, 5, 0, 0, 0, 4, 6, 9, 10, 8, 4], 7);

function weights(values: readonly number[], firstHour: number): Weighted<number> {
  return new Weighted(values.map((weight, k) => [firstHour + k, weight] as const));
}

const ARCHETYPES = new Weighted(ARCHETYPE_MIX);

/** Per archetype: open rate range and true offer uplift range. */
const RANGES: Record<Archetype, { open: readonly [number, number]; uplift: readonly [number, number] }> = {
  regular: { open: [0.3, 0.6], uplift: [0.01, 0.03] },
  occasional: { open: [0.15, 0.45], uplift: [0.03, 0.1] },
  'one-off': { open: [0.05, 0.25], uplift: [0.02, 0.06] },
  dormant: { open: [0.05, 0.3], uplift: [0.05, 0.2] },
  'high-value': { open: [0.2, 0.5], uplift: [0.01, 0.03] },
  registrant: { open: [0.02, 0.2], uplift: [0.02, 0.08] },
};

const round2 = (value: number): number => Math.round(value * 100) / 100;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** A uniformly random whole-second instant in [from, to); null when the range is empty. */
function instantBetween(rng: Rng, from: number, to: number): number | null {
  const first = Math.ceil(from / 1000);
  const count = Math.ceil(to / 1000) - first;
  return count < 1 ? null : (first + Math.floor(rng.next() * count)) * 1000;
}

/** A time of day (ms since local midnight) at a plausible local hour. */
function timeOfDay(rng: Rng, hours: Weighted<number> = ORDER_HOURS): number {
  return hours.pick(rng) * HOUR_MS + rng.int(0, 59) * MINUTE_MS + rng.int(0, 59) * 1000;
}

/** The most recent Jan 31 / Aug 31 / Feb 29 (kind 0/1/2) a day or more before `startWall`, at 12:30. */
function monthEndWall(kind: number, startWall: number): number {
  const month = kind === 0 ? 1 : kind === 1 ? 8 : 2;
  const day = kind === 2 ? 29 : 31;
  for (let year = new Date(startWall).getUTCFullYear(); ; year--) {
    const wall = Date.UTC(year, month - 1, day, 12, 30);
    if (new Date(wall).getUTCDate() === day && wall < startWall - DAY_MS) return wall;
  }
}

/** Random hex digits, 16 bits at a time (small integers format fast). */
function hex(rng: Rng, words: number): string {
  let text = '';
  for (let k = 0; k < 2 * words; k++) text += (0x10000 + rng.int(0, 0xffff)).toString(16).slice(1);
  return text;
}

const CHANNELS = ['email', 'sms', 'push'] as const;
type Channel = (typeof CHANNELS)[number];

interface Move {
  ms: number;
  /** The local day (in the old zone) from which orders follow the new zone. */
  day: number;
  zone: string;
}

/**
 * One customer's story. A class rather than one long function with closures: the state is shared by
 * the steps, and nothing is allocated per customer beyond what the events need.
 */
class CustomerStory {
  readonly rng: Rng;
  readonly customerId: string;
  readonly brand: string;
  readonly archetype: Archetype;
  readonly country: CountrySpec;
  readonly zoneSpec: ZoneSpec;
  readonly profileHasZone: boolean;
  registeredMs = 0;
  preStart = false;
  activeFrom = 0;
  move: Move | null = null;

  constructor(
    readonly ctx: ShopContext,
    readonly index: number,
  ) {
    this.rng = new Rng(hash32(`customer:${index}`, ctx.seedHash));
    this.customerId = `c${String(index + 1).padStart(6, '0')}`;
    this.brand = this.rng.pick(ctx.brands);
    this.archetype = ARCHETYPES.pick(this.rng);
    this.country = pickCountry(this.rng);
    this.zoneSpec = pickZone(this.rng, this.country);
    this.profileHasZone = !this.rng.chance(0.04);
  }

  get zone(): string {
    return this.zoneSpec.zone;
  }

  emit(ms: number, type: string, detail: Record<string, unknown>, time?: string): boolean {
    if (this.brand !== DEFAULT_BRAND) detail.brand = this.brand;
    return this.ctx.sink.push(ms, type, detail, time);
  }

  /** A random instant from `from` (at least `activeFrom`) to the end of the period, or null. */
  later(fromMs: number, toMs = this.ctx.endMs): number | null {
    return instantBetween(this.rng, Math.max(fromMs, this.activeFrom), toMs);
  }

  /** Registration: some long before the period (anniversaries), a few on month-end dates, most during it. */
  register(): { birthday: string | null; pushToken: string | null; consents: Record<Channel, boolean> } {
    const { rng, index, zone, customerId, country } = this;
    const { startMs, endMs } = this.ctx;
    const startWall = toWall(zone, startMs);
    const monthEnd = index % 50 === 7;
    this.preStart = monthEnd || rng.chance(0.4);
    if (monthEnd) {
      this.registeredMs = fromWall(zone, monthEndWall(((index - 7) / 50) % 3, startWall));
    } else if (this.preStart) {
      const day = Math.floor(startWall / DAY_MS) - rng.int(1, 1095);
      this.registeredMs = fromWall(zone, day * DAY_MS + timeOfDay(rng));
    } else {
      // A uniform day, at a plausible local hour; at the period's edges the neighbouring day.
      const uniform = instantBetween(rng, startMs, endMs) ?? startMs;
      const time = timeOfDay(rng);
      const day = Math.floor(toWall(zone, uniform) / DAY_MS);
      let local = fromWall(zone, day * DAY_MS + time);
      if (local < startMs) local = fromWall(zone, (day + 1) * DAY_MS + time);
      else if (local >= endMs) local = fromWall(zone, (day - 1) * DAY_MS + time);
      this.registeredMs = local >= startMs && local < endMs ? local : uniform;
    }
    this.activeFrom = Math.max(this.registeredMs, startMs);

    const city = rng.pick(this.zoneSpec.cities);
    const birthday = randomBirthday(rng, index % 400 === 199);
    const firstName = rng.chance(0.97) ? rng.pick(country.names) : null;
    const email = rng.chance(0.93) ? `${customerId}@example.com` : null;
    const phone = rng.chance(0.72) ? country.phone(rng) : null;
    const pushToken = rng.chance(0.4) ? `push-${hex(rng, 4)}` : null;
    const consents = {
      email: email !== null ? rng.chance(0.85) : rng.chance(0.2),
      sms: rng.chance(phone !== null ? 0.45 : 0.1),
      push: pushToken !== null && rng.chance(0.8),
    };
    const statesConsents = !rng.chance(0.05);

    const detail: Record<string, unknown> = { customerId, registeredAt: isoSeconds(this.registeredMs) };
    if (firstName !== null) detail.firstName = firstName;
    if (birthday !== null) detail.birthday = birthday;
    if (this.profileHasZone) {
      detail.timeZone = zone;
      detail.city = city;
    }
    detail.country = country.country;
    detail.locale = country.locale;
    const contacts: Record<string, string> = {};
    if (email !== null) contacts.email = email;
    if (phone !== null) contacts.phone = phone;
    if (pushToken !== null) contacts.pushToken = pushToken;
    detail.contacts = contacts;
    if (statesConsents) detail.consents = consents;
    this.emit(this.preStart ? startMs : this.registeredMs, 'CustomerRegistered', detail);
    return {
      birthday,
      pushToken,
      consents: statesConsents ? consents : { email: false, sms: false, push: false },
    };
  }

  /** Moves to a new city, sometimes in another zone; zone-less profiles sometimes set their zone later. */
  relocate(): void {
    const { rng, zone, customerId } = this;
    if (rng.chance(0.05)) {
      const at = this.later(this.activeFrom + 7 * DAY_MS);
      const others = this.country.zones.filter((z) => z.zone !== zone);
      const target = others.length > 0 && rng.chance(0.4) ? rng.pick(others) : this.zoneSpec;
      const city = rng.pick(target.cities);
      if (at === null) return;
      this.move = { ms: at, day: Math.floor(toWall(zone, at) / DAY_MS), zone: target.zone };
      const detail: Record<string, unknown> = { customerId, city };
      if (this.profileHasZone) detail.timeZone = target.zone;
      this.emit(at, 'CustomerUpdated', detail);
    } else if (!this.profileHasZone && rng.chance(0.5)) {
      const at = this.later(this.activeFrom + DAY_MS);
      const city = rng.pick(this.zoneSpec.cities);
      if (at !== null) this.emit(at, 'CustomerUpdated', { customerId, timeZone: zone, city });
    }
  }

  /** Orders (planned in local days, placed at plausible local hours), cancellations and reviews. */
  order(): { plan: OrderPlan; placed: { orderId: string; ms: number }[] } {
    const { rng, zone, customerId, move } = this;
    const { endMs } = this.ctx;
    const basket = new Basket(this.country.currency);
    const firstDay = toWall(zone, this.activeFrom) / DAY_MS;
    const plan = planOrders(
      rng,
      this.archetype,
      basket,
      firstDay,
      toWall(zone, endMs) / DAY_MS + 1,
      !this.preStart,
    );
    const placed: { orderId: string; ms: number }[] = [];
    const days = Array.from(basket.byDay.keys()).sort(ascending);
    for (const day of days) {
      const orderZone = move !== null && day >= move.day ? move.zone : zone;
      let ms = fromWall(orderZone, day * DAY_MS + timeOfDay(rng));
      // Registration is at 9:00–22:59 local, so an order right after it stays before midnight.
      if (ms <= this.registeredMs) ms = this.registeredMs + rng.int(5, 60) * MINUTE_MS;
      if (ms >= endMs) break;
      // An exact-size copy: arrays grown by push keep spare capacity, and a big run holds a million of them.
      const lines = (basket.byDay.get(day) ?? []).slice();
      let total = 0;
      for (const line of lines) total += line.quantity * line.unitPrice;
      const placedAt = isoSeconds(ms);
      const orderId = `o${customerId.slice(1)}-${String(placed.length + 1).padStart(4, '0')}`;
      const detail = {
        orderId,
        customerId,
        placedAt,
        currency: this.country.currency,
        total: round2(total),
        lines,
      };
      if (this.emit(ms, 'OrderPlaced', detail, placedAt)) placed.push({ orderId, ms });
    }
    for (const { orderId, ms } of placed) {
      if (rng.chance(0.03)) {
        this.emit(ms + rng.int(600, 5 * 86_400) * 1000, 'OrderCancelled', { orderId, customerId });
      } else if (rng.chance(0.06)) {
        const at = ms + rng.int(2 * 86_400, 14 * 86_400) * 1000;
        this.emit(at, 'ActionCompleted', { customerId, action: 'review', reference: orderId });
      }
    }
    return { plan, placed };
  }

  /** Referrals (by buyers) and surveys. */
  act(firstOrderMs: number | null): void {
    const { rng, customerId } = this;
    if (firstOrderMs !== null && rng.chance(0.04)) {
      for (let n = rng.int(1, 3); n > 0; n--) {
        const at = this.later(firstOrderMs + HOUR_MS);
        const friend = `c${String(rng.int(1, Math.max(1, this.ctx.customers))).padStart(6, '0')}`;
        if (at !== null)
          this.emit(at, 'ActionCompleted', { customerId, action: 'referral', reference: friend });
      }
    }
    if (rng.chance(0.07)) {
      for (let n = rng.int(1, 2); n > 0; n--) {
        const at = this.later(this.activeFrom + HOUR_MS);
        if (at === null) continue;
        const date = new Date(at);
        const reference = `nps-${date.getUTCFullYear()}-q${Math.floor(date.getUTCMonth() / 3) + 1}`;
        this.emit(at, 'ActionCompleted', { customerId, action: 'survey', reference });
      }
    }
  }

  /** Revocations, late grants, global opt-outs (a quarter opt back in) and app installs with push consent. */
  changeConsents(granted: Record<Channel, boolean>, hasPushToken: boolean): void {
    const { rng, customerId } = this;
    const from = this.activeFrom + HOUR_MS;
    if (rng.chance(0.09)) {
      const on = CHANNELS.filter((c) => granted[c]);
      const at = this.later(from);
      if (on.length > 0 && at !== null) {
        this.emit(at, 'ConsentChanged', { customerId, channel: rng.pick(on), granted: false });
      }
    }
    if (rng.chance(0.06)) {
      const off = CHANNELS.filter((c) => !granted[c] && (c !== 'push' || hasPushToken));
      const at = this.later(from);
      if (off.length > 0 && at !== null) {
        this.emit(at, 'ConsentChanged', { customerId, channel: rng.pick(off), granted: true });
      }
    }
    if (rng.chance(0.025)) {
      const at = this.later(from);
      if (at !== null) {
        this.emit(at, 'ConsentChanged', { customerId, channel: 'all', granted: false });
        const back = rng.chance(0.25) ? this.later(at + 7 * DAY_MS) : null;
        if (back !== null) this.emit(back, 'ConsentChanged', { customerId, channel: 'all', granted: true });
      }
    }
    if (!hasPushToken && rng.chance(0.06)) {
      const at = this.later(from);
      if (at !== null) {
        this.emit(at, 'CustomerUpdated', { customerId, contacts: { pushToken: `push-${hex(rng, 4)}` } });
        this.emit(at + MINUTE_MS, 'ConsentChanged', { customerId, channel: 'push', granted: true });
      }
    }
  }

  /** Locale switches, late birthdays, birthday edits (a few twice within months: farming attempts). */
  editProfile(birthday: string | null): void {
    const { rng, customerId, index, zone } = this;
    const from = this.activeFrom + HOUR_MS;
    if (rng.chance(0.025)) {
      const at = this.later(from);
      const locale = this.country.locale === 'ru' ? 'en' : 'ru';
      if (at !== null) this.emit(at, 'CustomerUpdated', { customerId, locale });
    }
    const roll = rng.next();
    if (birthday === null) {
      const at = roll < 0.3 ? this.later(from) : null;
      const { month, day } = randomMonthDay(rng);
      const value = formatBirthday(rng.int(1950, 2006), month, day);
      if (at !== null) this.emit(at, 'CustomerUpdated', { customerId, birthday: value });
    } else if (roll < 0.02 || index % 200 === 113) {
      const farming = roll < 0.005 || index % 200 === 113;
      const first = this.later(from, this.ctx.endMs - (farming ? 30 * DAY_MS : 0));
      if (first === null) return;
      this.emit(first, 'CustomerUpdated', {
        customerId,
        birthday: birthdaySoonAfter(toWall(zone, first), rng),
      });
      if (farming) {
        const second = first + rng.int(10, 90) * DAY_MS;
        this.emit(second, 'CustomerUpdated', {
          customerId,
          birthday: birthdaySoonAfter(toWall(zone, second), rng),
        });
      }
    }
  }

  truth(plan: OrderPlan): CustomerTruth {
    const { rng, zone } = this;
    const ranges = RANGES[this.archetype];
    return {
      customerId: this.customerId,
      brand: this.brand,
      archetype: this.archetype,
      registeredAt: isoSeconds(this.registeredMs),
      country: this.country.country,
      currency: this.country.currency,
      timeZone: zone,
      move: this.move === null ? null : { at: isoSeconds(this.move.ms), timeZone: this.move.zone },
      routine: plan.routine,
      dormantFrom:
        plan.dormantFromDay === null
          ? null
          : isoSeconds(fromWall(zone, Math.floor(plan.dormantFromDay) * DAY_MS)),
      returnsAt:
        plan.returnsDay === null ? null : isoSeconds(fromWall(zone, Math.floor(plan.returnsDay) * DAY_MS)),
      engagementHour: ENGAGEMENT_HOURS.pick(rng),
      openRate: round3(rng.float(ranges.open[0], ranges.open[1])),
      clickRate: round3(rng.float(0.1, 0.45)),
      offerResponse: round3(rng.float(ranges.uplift[0], ranges.uplift[1])),
    };
  }
}

const ascending = (a: number, b: number): number => a - b;

/** Emits one customer's events into the sink and returns their truth. */
export function generateCustomer(ctx: ShopContext, index: number): CustomerTruth {
  const story = new CustomerStory(ctx, index);
  const { birthday, pushToken, consents } = story.register();
  story.relocate();
  const { plan, placed } = story.order();
  story.act(placed[0]?.ms ?? null);
  story.changeConsents(consents, pushToken !== null);
  story.editProfile(birthday);
  return story.truth(plan);
}
