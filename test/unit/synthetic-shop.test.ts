import { describe, expect, it } from 'vitest';
import { seed32, uuidOf } from '../../local/sim/random.ts';
import { fromWall, isoSeconds, toWall } from '../../local/sim/shop-local-time.ts';
import {
  ARCHETYPE_MIX,
  CATALOG,
  type CustomerTruth,
  engagementFor,
  generateShop,
  responseToOffer,
  type ShopEvent,
} from '../../local/sim/synthetic-shop.ts';

const START = '2026-01-01T00:00:00Z';
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const CHANNELS = ['email', 'sms', 'push', 'all'];
const CURRENCIES = ['RUB', 'EUR', 'GBP', 'USD'];
const PROFILE_FIELDS = [
  'firstName',
  'birthday',
  'timeZone',
  'country',
  'city',
  'locale',
  'contacts',
  'consents',
];
const PRODUCTS = new Map(CATALOG.map((p) => [p.sku, p]));

// One year of a thousand customers, shared by the read-only checks below.
const year = generateShop({ customers: 1000, days: 365, seed: 42, start: START });

function ofType(events: ShopEvent[], type: string): Record<string, unknown>[] {
  return events.filter((e) => e['detail-type'] === type).map((e) => e.detail);
}

function isInstant(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    ISO_SECONDS.test(value) &&
    new Date(value).toISOString() === `${value.slice(0, 19)}.000Z`
  );
}

function isRealBirthday(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = /^(\d{4}|-)-(\d{2})-(\d{2})$/.exec(value);
  if (m === null) return false;
  const y = m[1] === '-' ? 2000 : Number(m[1]);
  const date = new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3])));
  return (
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === Number(m[2]) - 1 &&
    date.getUTCDate() === Number(m[3])
  );
}

function isZone(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(zone: string, iso: string): { hour: number; date: string } {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
    });
    formatters.set(zone, formatter);
  }
  const parts = formatter.formatToParts(new Date(iso));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return { hour: Number(get('hour')), date: `${get('year')}-${get('month')}-${get('day')}` };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The problems with one event's envelope and detail, checked by hand against the README's event contract. */
function problems(event: ShopEvent): string[] {
  const out: string[] = [];
  const d = event.detail;
  const check = (ok: boolean, what: string): void => {
    if (!ok) out.push(`${event.id} ${event['detail-type']}: ${what}`);
  };
  check(typeof event.id === 'string' && event.id.length <= 128, 'id');
  check(event.source === 'shop.synthetic', 'source');
  check(isInstant(event.time), 'time');
  check(typeof d.customerId === 'string' && /^c\d{6}$/.test(d.customerId), 'customerId');
  switch (event['detail-type']) {
    case 'CustomerRegistered':
    case 'CustomerUpdated': {
      const fields = Object.keys(d).filter((k) => k !== 'customerId' && k !== 'brand');
      check(fields.length > 0, 'some field');
      check(d.registeredAt === undefined || isInstant(d.registeredAt), 'registeredAt');
      check(d.birthday === undefined || isRealBirthday(d.birthday), 'birthday');
      check(d.timeZone === undefined || isZone(d.timeZone), 'timeZone');
      check(d.country === undefined || /^[A-Z]{2}$/.test(String(d.country)), 'country');
      check(d.locale === undefined || d.locale === 'en' || d.locale === 'ru', 'locale');
      const contacts = (d.contacts ?? {}) as Record<string, unknown>;
      check(contacts.email === undefined || /^c\d{6}@example\.com$/.test(String(contacts.email)), 'email');
      check(contacts.phone === undefined || /^\+[1-9]\d{6,14}$/.test(String(contacts.phone)), 'phone');
      const consents = (d.consents ?? {}) as Record<string, unknown>;
      check(
        Object.values(consents).every((v) => typeof v === 'boolean'),
        'consents',
      );
      check(
        fields.every((k) => PROFILE_FIELDS.includes(k) || k === 'registeredAt'),
        'known fields',
      );
      break;
    }
    case 'ConsentChanged':
      check(CHANNELS.includes(String(d.channel)) && typeof d.granted === 'boolean', 'channel/granted');
      break;
    case 'OrderPlaced': {
      const lines = d.lines as { sku: string; category: string; quantity: number; unitPrice: number }[];
      check(typeof d.orderId === 'string' && d.orderId.length <= 128 && d.orderId.startsWith('o'), 'orderId');
      check(d.placedAt === event.time, 'placedAt');
      check(CURRENCIES.includes(String(d.currency)), 'currency');
      check(Array.isArray(lines) && lines.length > 0, 'lines');
      const sum = lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
      check(typeof d.total === 'number' && Number.isFinite(d.total) && d.total >= 0, 'total');
      check(d.total === Math.round(sum * 100) / 100, 'total = sum of lines');
      for (const l of lines) {
        check(PRODUCTS.get(l.sku)?.category === l.category, `line sku ${l.sku}`);
        check(Number.isInteger(l.quantity) && l.quantity >= 1, 'quantity');
        check(Number.isFinite(l.unitPrice) && l.unitPrice > 0, 'unitPrice');
      }
      break;
    }
    case 'OrderCancelled':
      check(typeof d.orderId === 'string' && d.orderId.length <= 128, 'orderId');
      break;
    case 'ActionCompleted':
      check(['review', 'referral', 'survey'].includes(String(d.action)), 'action');
      check(typeof d.reference === 'string' && d.reference.length <= 128, 'reference');
      break;
    default:
      out.push(`${event.id}: unexpected detail-type ${event['detail-type']}`);
  }
  return out;
}

describe('generateShop', () => {
  it('gives byte-identical events for the same seed and different ones for another seed', () => {
    // Prepare
    const options = { customers: 150, days: 90, seed: 7, start: START };

    // Act
    const first = generateShop(options);
    const again = generateShop(options);
    const other = generateShop({ ...options, seed: 8 });

    // Assess
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect(JSON.stringify(other.events)).not.toBe(JSON.stringify(first.events));
  });

  it('keeps a customer unchanged when more customers are generated', () => {
    // Act
    const small = generateShop({ customers: 50, days: 120, seed: 3, start: START });
    const large = generateShop({ customers: 200, days: 120, seed: 3, start: START });

    // Assess
    expect(large.truth.slice(0, 50)).toEqual(small.truth);
  });

  it('sorts events by time and gives each a distinct UUID-shaped id from its rank', () => {
    // Assess
    const { events } = year;
    const outOfOrder = events.filter((e, i) => i > 0 && e.time < (events[i - 1]?.time ?? ''));
    expect(outOfOrder).toEqual([]);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(events.filter((e) => !uuid.test(e.id))).toEqual([]);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => uuidOf(String(i + 1), seed32(42))));
    expect(events.every((e) => e.time >= START && e.time < '2027-01-01T00:00:00Z')).toBe(true);
  });

  it('emits only well-formed envelopes and details', () => {
    // Act
    const found = year.events.flatMap(problems);

    // Assess
    expect(found).toEqual([]);
  });

  it('gives every order a unique id and cancels only earlier orders of the same customer', () => {
    // Prepare
    const orders = new Map<string, { customerId: unknown; at: number }>();
    for (const e of year.events) {
      if (e['detail-type'] === 'OrderPlaced') {
        expect(orders.has(String(e.detail.orderId))).toBe(false);
        orders.set(String(e.detail.orderId), { customerId: e.detail.customerId, at: Date.parse(e.time) });
      }
    }

    // Act
    const cancellations = year.events.filter((e) => e['detail-type'] === 'OrderCancelled');

    // Assess
    expect(cancellations.length).toBeGreaterThan(0);
    expect(cancellations.length / orders.size).toBeGreaterThan(0.015);
    expect(cancellations.length / orders.size).toBeLessThan(0.05);
    for (const c of cancellations) {
      const order = orders.get(String(c.detail.orderId));
      expect(order?.customerId).toBe(c.detail.customerId);
      const delay = Date.parse(c.time) - (order?.at ?? 0);
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(5 * 86_400_000);
    }
  });

  it('gives a thousand customers a realistic year: orders, countries, zones, leap-day birthdays', () => {
    // Act
    const registered = ofType(year.events, 'CustomerRegistered');
    const orders = ofType(year.events, 'OrderPlaced');

    // Assess
    expect(registered).toHaveLength(1000);
    expect(orders.length).toBeGreaterThanOrEqual(3000);
    expect(orders.length).toBeLessThanOrEqual(15_000);
    expect(new Set(registered.map((d) => d.country)).size).toBeGreaterThanOrEqual(3);
    const zones = new Set(registered.map((d) => d.timeZone));
    expect(zones).toContain('Europe/Moscow');
    expect(zones).toContain('Asia/Vladivostok');
    expect(zones).toContain(undefined);
    expect(registered.some((d) => String(d.birthday).endsWith('-02-29'))).toBe(true);
    expect(registered.some((d) => String(d.birthday).startsWith('--'))).toBe(true);
    expect(registered.some((d) => d.birthday === undefined)).toBe(true);
    expect(registered.some((d) => /[А-Яа-я]/.test(String(d.firstName)) && d.locale === 'ru')).toBe(true);
  });

  it('registers a share of customers before the start, some on month-end dates', () => {
    // Prepare
    const zoneOf = new Map(year.truth.map((t) => [t.customerId, t.timeZone]));

    // Act
    const early = year.events.filter(
      (e) => e['detail-type'] === 'CustomerRegistered' && String(e.detail.registeredAt) < START,
    );
    const localDates = early.map(
      (e) => localParts(zoneOf.get(String(e.detail.customerId)) ?? 'UTC', String(e.detail.registeredAt)).date,
    );

    // Assess
    expect(early.length).toBeGreaterThan(250);
    expect(early.every((e) => e.time === START)).toBe(true);
    expect(localDates.some((d) => d.endsWith('-01-31'))).toBe(true);
    expect(localDates.some((d) => d.endsWith('-08-31'))).toBe(true);
    expect(localDates).toContain('2024-02-29');
  });

  it('places orders at plausible local hours, following a move to another zone', () => {
    // Prepare
    const truth = new Map(year.truth.map((t) => [t.customerId, t]));
    const zoneAt = (t: CustomerTruth | undefined, at: string): string => {
      if (t === undefined) return 'UTC';
      if (t.move === null) return t.timeZone;
      const moved = localParts(t.timeZone, at).date >= localParts(t.timeZone, t.move.at).date;
      return moved ? t.move.timeZone : t.timeZone;
    };

    // Act
    const hours = ofType(year.events, 'OrderPlaced').map(
      (d) => localParts(zoneAt(truth.get(String(d.customerId)), String(d.placedAt)), String(d.placedAt)).hour,
    );

    // Assess
    expect(hours.filter((h) => h < 9)).toEqual([]);
  });

  it('prices orders realistically per currency', () => {
    // Act
    const totals = new Map<string, number[]>();
    for (const d of ofType(year.events, 'OrderPlaced')) {
      totals.set(String(d.currency), [...(totals.get(String(d.currency)) ?? []), Number(d.total)]);
    }

    // Assess
    expect(median(totals.get('RUB') ?? [])).toBeGreaterThan(500);
    expect(median(totals.get('RUB') ?? [])).toBeLessThan(10_000);
    for (const currency of ['EUR', 'GBP', 'USD']) {
      expect(median(totals.get(currency) ?? [])).toBeGreaterThan(5);
      expect(median(totals.get(currency) ?? [])).toBeLessThan(150);
    }
  });

  it('changes consents: revocations, late grants and global opt-outs', () => {
    // Act
    const changes = ofType(year.events, 'ConsentChanged');

    // Assess
    expect(changes.some((d) => d.channel !== 'all' && d.granted === false)).toBe(true);
    expect(changes.some((d) => d.channel !== 'all' && d.granted === true)).toBe(true);
    expect(changes.some((d) => d.channel === 'all' && d.granted === false)).toBe(true);
  });

  it('edits profiles: moves, locales and birthday changes, some twice within a year', () => {
    // Act
    const updates = ofType(year.events, 'CustomerUpdated');
    const birthdayEdits = new Map<string, number>();
    for (const d of updates) {
      if (d.birthday !== undefined)
        birthdayEdits.set(String(d.customerId), (birthdayEdits.get(String(d.customerId)) ?? 0) + 1);
    }

    // Assess
    expect(updates.some((d) => d.city !== undefined)).toBe(true);
    expect(updates.some((d) => d.locale !== undefined)).toBe(true);
    expect([...birthdayEdits.values()].some((n) => n >= 2)).toBe(true);
  });

  it('records reviews, referrals and surveys', () => {
    // Act
    const actions = new Set(ofType(year.events, 'ActionCompleted').map((d) => d.action));

    // Assess
    expect([...actions].sort()).toEqual(['referral', 'review', 'survey']);
  });

  it('mixes the archetypes and lets registrants never order', () => {
    // Prepare
    const buyers = new Set(ofType(year.events, 'OrderPlaced').map((d) => d.customerId));

    // Act
    const counts = new Map<string, number>();
    for (const t of year.truth) counts.set(t.archetype, (counts.get(t.archetype) ?? 0) + 1);

    // Assess
    for (const [archetype, percent] of ARCHETYPE_MIX) {
      expect(Math.abs((counts.get(archetype) ?? 0) / 10 - percent)).toBeLessThan(5);
    }
    expect(
      year.truth.filter((t) => t.archetype === 'registrant').every((t) => !buyers.has(t.customerId)),
    ).toBe(true);
  });

  it('has regulars re-buy their routine products at about the product interval', () => {
    // Prepare
    const purchases = new Map<string, number[]>();
    for (const e of year.events) {
      if (e['detail-type'] !== 'OrderPlaced') continue;
      for (const line of e.detail.lines as { sku: string }[]) {
        const key = `${String(e.detail.customerId)}|${line.sku}`;
        purchases.set(key, [...(purchases.get(key) ?? []), Date.parse(e.time)]);
      }
    }

    // Act
    const ratios: number[] = [];
    for (const t of year.truth.filter((c) => c.archetype === 'regular')) {
      for (const item of t.routine) {
        const times = purchases.get(`${t.customerId}|${item.sku}`) ?? [];
        if (times.length < 3) continue;
        const gaps = times.slice(1).map((at, i) => (at - (times[i] ?? 0)) / 86_400_000);
        ratios.push(median(gaps) / (PRODUCTS.get(item.sku)?.intervalDays ?? Number.NaN));
      }
    }

    // Assess
    expect(ratios.length).toBeGreaterThan(100);
    const within = ratios.filter((r) => r >= 0.7 && r <= 1.3).length;
    expect(within / ratios.length).toBeGreaterThan(0.95);
    expect(median(ratios)).toBeGreaterThan(0.85);
    expect(median(ratios)).toBeLessThan(1.15);
  });

  it('spreads customers over the given brands', () => {
    // Act
    const shop = generateShop({
      customers: 100,
      days: 60,
      seed: 5,
      start: START,
      brands: ['north', 'south'],
    });

    // Assess
    expect(new Set(shop.events.map((e) => e.detail.brand))).toEqual(new Set(['north', 'south']));
    expect(new Set(shop.truth.map((t) => t.brand))).toEqual(new Set(['north', 'south']));
  });

  it('leaves the brand out for the default brand', () => {
    // Assess
    expect(year.events.every((e) => e.detail.brand === undefined)).toBe(true);
  });

  it.each([
    { customers: -1, days: 10, seed: 1, start: START },
    { customers: 10, days: 0, seed: 1, start: START },
    { customers: 10, days: 10, seed: 1.5, start: START },
    { customers: 10, days: 10, seed: 1, start: 'yesterday' },
  ])('rejects invalid options %j', (options) => {
    // Act / Assess
    expect(() => generateShop(options)).toThrow(RangeError);
  });
});

describe('engagementFor', () => {
  const truth: CustomerTruth = {
    customerId: 'c000001',
    brand: 'default',
    archetype: 'regular',
    registeredAt: '2025-03-01T10:00:00Z',
    country: 'RU',
    currency: 'RUB',
    timeZone: 'Asia/Vladivostok',
    move: null,
    routine: [],
    dormantFrom: null,
    returnsAt: null,
    engagementHour: 20,
    openRate: 0.4,
    clickRate: 0.3,
    offerResponse: 0.12,
  };
  const sendAt = (k: number): string => new Date(Date.parse(START) + k * 3_600_000 * 7).toISOString();

  it('is deterministic per message and seed', () => {
    // Act
    const a = engagementFor(truth, 'm-1', sendAt(1), 42);
    const b = engagementFor(truth, 'm-1', sendAt(1), 42);

    // Assess
    expect(b).toEqual(a);
  });

  it('opens at the open rate, mostly at the preferred local hour and never before the send', () => {
    // Act
    const results = Array.from({ length: 4000 }, (_, k) => ({
      sendAt: sendAt(k),
      engaged: engagementFor(truth, `m-${k}`, sendAt(k), 42),
    }));
    const engaged = results.filter((r) => r.engaged !== null);
    const atPreferred = engaged.filter(
      (r) => localParts(truth.timeZone, r.engaged?.at ?? '').hour === truth.engagementHour,
    );

    // Assess
    expect(engaged.length / results.length).toBeGreaterThan(0.36);
    expect(engaged.length / results.length).toBeLessThan(0.44);
    expect(atPreferred.length / engaged.length).toBeGreaterThan(0.6);
    expect(engaged.filter((r) => r.engaged?.kind === 'clicked').length / engaged.length).toBeGreaterThan(
      0.25,
    );
    expect(engaged.every((r) => (r.engaged?.at ?? '') >= r.sendAt.slice(0, 19))).toBe(true);
  });
});

describe('responseToOffer', () => {
  const truth: CustomerTruth = { ...(year.truth[0] ?? ({} as CustomerTruth)), offerResponse: 0.12 };

  it('orders at the true uplift rate, within five days of the offer', () => {
    // Prepare
    const offers = Array.from({ length: 5000 }, (_, k) =>
      new Date(Date.parse(START) + k * 3_600_000).toISOString().replace('.000Z', 'Z'),
    );

    // Act
    const responses = offers.map((at) => ({ at, response: responseToOffer(truth, at, 42) }));
    const ordered = responses.filter((r) => r.response.orders);

    // Assess
    expect(ordered.length / offers.length).toBeGreaterThan(0.1);
    expect(ordered.length / offers.length).toBeLessThan(0.14);
    for (const { at, response } of ordered) {
      const delay = Date.parse(response.at ?? '') - Date.parse(at);
      expect(delay).toBeGreaterThanOrEqual(6 * 3_600_000);
      expect(delay).toBeLessThanOrEqual(5 * 86_400_000);
    }
    expect(responseToOffer(truth, offers[0] ?? START, 42)).toEqual(
      responseToOffer(truth, offers[0] ?? START, 42),
    );
  });
});

describe('shop local time', () => {
  it.each([
    { zone: 'Europe/Berlin', local: '2026-03-28T12:00:00Z', utc: '2026-03-28T11:00:00Z' },
    { zone: 'Europe/Berlin', local: '2026-03-29T12:00:00Z', utc: '2026-03-29T10:00:00Z' },
    { zone: 'Europe/Berlin', local: '2026-10-25T12:00:00Z', utc: '2026-10-25T11:00:00Z' },
    { zone: 'America/New_York', local: '2026-03-08T09:30:00Z', utc: '2026-03-08T13:30:00Z' },
    { zone: 'Asia/Vladivostok', local: '2026-01-01T09:00:00Z', utc: '2025-12-31T23:00:00Z' },
    { zone: 'Europe/London', local: '2024-02-29T12:00:00Z', utc: '2024-02-29T12:00:00Z' },
    { zone: 'Europe/London', local: '2024-07-01T12:00:00Z', utc: '2024-07-01T11:00:00Z' },
  ])('maps $local wall time in $zone to $utc', ({ zone, local, utc }) => {
    // Act
    const instant = fromWall(zone, Date.parse(local));

    // Assess
    expect(isoSeconds(instant)).toBe(utc);
    expect(toWall(zone, instant)).toBe(Date.parse(local));
  });

  it('formats instants like toISOString without milliseconds', () => {
    // Prepare
    const instants = [0, Date.parse('2024-02-29T23:59:59Z'), Date.parse('2026-12-31T00:00:01Z')];

    // Act / Assess
    for (const ms of instants) expect(isoSeconds(ms)).toBe(new Date(ms).toISOString().replace('.000Z', 'Z'));
  });
});
