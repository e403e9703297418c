/**
 * `import-online-retail`: the real UCI "Online Retail II" transactions → shop events (JSONL, one
 * EventBridge envelope per line, sorted by time), for `replay`.
 *
 * Data: UCI Machine Learning Repository #502 "Online Retail II", Daqing Chen, Sai Liang Sain and Kun Guo
 * (2012), doi:10.24432/C5CG6D, licensed CC BY 4.0 (see /work/shared/data/online-retail-ii/README.md).
 *
 * Mapping:
 * - Invoice times are UK local wall times: interpreted in Europe/London (GMT/BST) and written as UTC.
 * - Rows without a customer id (guests) are skipped and counted; `12346.0` style ids become `12346`.
 * - One `OrderPlaced` per invoice (`uci-order-<invoice>`): lines with a product code (5 digits and an
 *   optional letter suffix, upper-cased; POST, M, DOT, BANK CHARGES, … are dropped and counted) and a
 *   positive quantity; sku = stock code; category = the first word of the description (lower case, letters
 *   only, 3+ letters) or else `cat-NN`, a stable hash bucket of the stock code; quantity; unitPrice; currency
 *   GBP; total = the sum of quantity × unitPrice over the lines (rounded to pence). Invoices left without a
 *   product line are skipped and counted; lines beyond 500 (the event limit) are dropped and counted.
 * - Invoices starting with C are cancellations: `OrderCancelled` (`uci-cancel-<invoice>`) for the latest
 *   earlier invoice of the same customer that contains all the cancelled product codes and is not already
 *   cancelled; otherwise skipped and counted.
 * - One `CustomerRegistered` (`uci-reg-<id>`) per known customer, 1 s before their first invoice, with
 *   attributes the data lacks derived deterministically from a 32-bit hash of (seed, customer id, field):
 *   birthday for 85% (year 1950..2001, any real day incl. Feb 29 in leap years), none for the rest;
 *   time zone and ISO country code from the invoice country by a fixed table (unknown → Europe/London,
 *   GB); locale `en`; synthetic contacts `c<id>@example.com`; consents email 80%, push 30% (those get a
 *   push token `push-<hash>`), sms never (no phone number).
 * The same file and seed always give byte-identical output.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { PRODUCT_CODE, parseCsvLine } from '../bench/online-retail-csv.ts';
import { daysInMonth, fromLocal, isLeapYear } from '../functions/domain/time.ts';
import { hash32, unitHash } from './sim/random.ts';

export const SOURCE = 'shop.uci-online-retail';
export const CREDIT =
  'UCI Machine Learning Repository #502 "Online Retail II", Daqing Chen, Sai Liang Sain and Kun Guo (2012), ' +
  'doi:10.24432/C5CG6D, CC BY 4.0';

/** Country in the data → [IANA time zone, ISO 3166 alpha-2]. */
export const COUNTRIES: Readonly<Record<string, readonly [string, string]>> = {
  'United Kingdom': ['Europe/London', 'GB'],
  EIRE: ['Europe/Dublin', 'IE'],
  Germany: ['Europe/Berlin', 'DE'],
  France: ['Europe/Paris', 'FR'],
  Netherlands: ['Europe/Amsterdam', 'NL'],
  Spain: ['Europe/Madrid', 'ES'],
  Switzerland: ['Europe/Zurich', 'CH'],
  Belgium: ['Europe/Brussels', 'BE'],
  Portugal: ['Europe/Lisbon', 'PT'],
  Australia: ['Australia/Sydney', 'AU'],
  'Channel Islands': ['Europe/Jersey', 'JE'],
  Italy: ['Europe/Rome', 'IT'],
  Sweden: ['Europe/Stockholm', 'SE'],
  Norway: ['Europe/Oslo', 'NO'],
  Cyprus: ['Asia/Nicosia', 'CY'],
  Finland: ['Europe/Helsinki', 'FI'],
  Austria: ['Europe/Vienna', 'AT'],
  Denmark: ['Europe/Copenhagen', 'DK'],
  Greece: ['Europe/Athens', 'GR'],
  Japan: ['Asia/Tokyo', 'JP'],
  USA: ['America/New_York', 'US'],
  Poland: ['Europe/Warsaw', 'PL'],
  'United Arab Emirates': ['Asia/Dubai', 'AE'],
  Israel: ['Asia/Jerusalem', 'IL'],
  'Hong Kong': ['Asia/Hong_Kong', 'HK'],
  Singapore: ['Asia/Singapore', 'SG'],
  Malta: ['Europe/Malta', 'MT'],
  Canada: ['America/Toronto', 'CA'],
  Iceland: ['Atlantic/Reykjavik', 'IS'],
  RSA: ['Africa/Johannesburg', 'ZA'],
  Lithuania: ['Europe/Vilnius', 'LT'],
  Bahrain: ['Asia/Bahrain', 'BH'],
  Brazil: ['America/Sao_Paulo', 'BR'],
  Thailand: ['Asia/Bangkok', 'TH'],
  Korea: ['Asia/Seoul', 'KR'],
  Lebanon: ['Asia/Beirut', 'LB'],
  'West Indies': ['America/Barbados', 'BB'],
  Bermuda: ['Atlantic/Bermuda', 'BM'],
  Nigeria: ['Africa/Lagos', 'NG'],
  'Czech Republic': ['Europe/Prague', 'CZ'],
  'Saudi Arabia': ['Asia/Riyadh', 'SA'],
};
const DEFAULT_COUNTRY: readonly [string, string] = ['Europe/London', 'GB'];

const MAX_LINES = 500;
const CATEGORY_BUCKETS = 40;
const RESERVED = new Set<string>([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
const TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

export interface ImportCounts {
  rows: number;
  badRows: number;
  guestRows: number;
  nonProductLines: number;
  nonPositiveLines: number;
  truncatedLines: number;
  invoices: number;
  customers: number;
  registered: number;
  orders: number;
  emptyInvoices: number;
  cancellations: number;
  cancelled: number;
  unmatchedCancellations: number;
  events: number;
}

interface Line {
  sku: string;
  category: string;
  quantity: number;
  unitPrice: number;
}

interface Invoice {
  invoice: string;
  customerId: string;
  country: string;
  ms: number;
  cancellation: boolean;
  lines: Line[];
  /** Product codes on the invoice (for a cancellation: those cancelled). */
  codes: Set<string>;
}

interface Envelope {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: Record<string, unknown>;
}

/** Europe/London wall time `YYYY-MM-DD HH:MM[:SS]` → epoch ms, or NaN. */
export function londonTime(ts: string): number {
  const m = TS.exec(ts.trim());
  if (m === null) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m;
  return (
    fromLocal('Europe/London', Number(y), Number(mo), Number(d), Number(h), Number(mi)) +
    Number(s ?? 0) * 1000
  );
}

export function categoryOf(description: string, sku: string): string {
  const word = /[A-Za-z]+/.exec(description)?.[0]?.toLowerCase();
  if (word !== undefined && word.length >= 3 && !RESERVED.has(word)) return word;
  return `cat-${String(hash32(sku, 0xca7) % CATEGORY_BUCKETS).padStart(2, '0')}`;
}

/** The attributes the data lacks, derived from the customer id (see the file header). */
export function derivedProfile(customerId: string, country: string, seed: number): Record<string, unknown> {
  const [timeZone, iso] = COUNTRIES[country] ?? DEFAULT_COUNTRY;
  const u = (field: string) => unitHash(`${customerId}|${field}`, seed);
  const profile: Record<string, unknown> = { timeZone, country: iso, locale: 'en' };
  if (u('has-birthday') < 0.85) {
    const year = 1950 + Math.floor(u('birth-year') * 52);
    let dayOfYear = Math.floor(u('birth-day') * (isLeapYear(year) ? 366 : 365));
    let month = 1;
    while (dayOfYear >= daysInMonth(year, month)) {
      dayOfYear -= daysInMonth(year, month);
      month++;
    }
    profile.birthday = `${year}-${String(month).padStart(2, '0')}-${String(dayOfYear + 1).padStart(2, '0')}`;
  }
  const push = u('consent-push') < 0.3;
  const contacts: Record<string, string> = { email: `c${customerId}@example.com` };
  if (push)
    contacts.pushToken = `push-${hash32(customerId, seed ^ 0x9054)
      .toString(16)
      .padStart(8, '0')}`;
  profile.contacts = contacts;
  profile.consents = { email: u('consent-email') < 0.8, sms: false, push };
  return profile;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Reads the CSV (gzipped when the name ends in .gz) into invoices of known customers. */
async function readInvoices(path: string, counts: ImportCounts): Promise<Invoice[]> {
  const file = createReadStream(path);
  const input = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const invoices = new Map<string, Invoice>();
  let header = true;
  for await (const text of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (text === '') continue;
    counts.rows++;
    const [invoiceNo, stockCode, description, quantity, ts, unitPrice, customer, country] =
      parseCsvLine(text);
    const customerId = (customer ?? '').trim().replace(/\.0$/, '');
    if (customerId === '') {
      counts.guestRows++;
      continue;
    }
    const ms = londonTime(ts ?? '');
    const qty = Number(quantity);
    const price = Number(unitPrice);
    if (
      invoiceNo === undefined ||
      invoiceNo === '' ||
      Number.isNaN(ms) ||
      !Number.isFinite(qty) ||
      !Number.isFinite(price)
    ) {
      counts.badRows++;
      continue;
    }
    let inv = invoices.get(invoiceNo);
    if (inv === undefined) {
      inv = {
        invoice: invoiceNo,
        customerId,
        country: (country ?? '').trim(),
        ms,
        cancellation: /^c/i.test(invoiceNo),
        lines: [],
        codes: new Set(),
      };
      invoices.set(invoiceNo, inv);
    }
    const code = (stockCode ?? '').trim();
    if (!PRODUCT_CODE.test(code)) {
      counts.nonProductLines++;
      continue;
    }
    const sku = code.toUpperCase();
    if (inv.cancellation) {
      inv.codes.add(sku);
      continue;
    }
    if (!(qty > 0) || !(price >= 0)) {
      counts.nonPositiveLines++;
      continue;
    }
    inv.codes.add(sku);
    inv.lines.push({ sku, category: categoryOf(description ?? '', sku), quantity: qty, unitPrice: price });
  }
  // The file is chronological; sort anyway (stable, ties by invoice number) so order never depends on it.
  return [...invoices.values()].sort(
    (a, b) => a.ms - b.ms || (a.invoice < b.invoice ? -1 : a.invoice > b.invoice ? 1 : 0),
  );
}

/** Converts the CSV to events, sorted by time (ties: registration, order, cancellation; then id). */
export async function convertOnlineRetail(
  path: string,
  seed = 1,
): Promise<{ events: Envelope[]; counts: ImportCounts }> {
  const counts: ImportCounts = {
    rows: 0,
    badRows: 0,
    guestRows: 0,
    nonProductLines: 0,
    nonPositiveLines: 0,
    truncatedLines: 0,
    invoices: 0,
    customers: 0,
    registered: 0,
    orders: 0,
    emptyInvoices: 0,
    cancellations: 0,
    cancelled: 0,
    unmatchedCancellations: 0,
    events: 0,
  };
  const invoices = await readInvoices(path, counts);
  counts.invoices = invoices.length;
  const keyed: { ms: number; rank: number; event: Envelope }[] = [];
  const ordersOf = new Map<string, Invoice[]>();
  const cancelled = new Set<string>();
  const registered = new Set<string>();
  for (const inv of invoices) {
    const iso = new Date(inv.ms).toISOString();
    if (!registered.has(inv.customerId)) {
      registered.add(inv.customerId);
      const at = new Date(inv.ms - 1000).toISOString();
      keyed.push({
        ms: inv.ms - 1000,
        rank: 0,
        event: {
          id: `uci-reg-${inv.customerId}`,
          source: SOURCE,
          'detail-type': 'CustomerRegistered',
          time: at,
          detail: {
            customerId: inv.customerId,
            registeredAt: at,
            ...derivedProfile(inv.customerId, inv.country, seed),
          },
        },
      });
    }
    if (inv.cancellation) {
      counts.cancellations++;
      const candidates = ordersOf.get(inv.customerId) ?? [];
      let match: Invoice | undefined;
      if (inv.codes.size > 0) {
        for (let i = candidates.length - 1; i >= 0 && match === undefined; i--) {
          const c = candidates[i];
          if (c === undefined || c.ms > inv.ms || cancelled.has(c.invoice)) continue;
          let all = true;
          for (const code of inv.codes) if (!c.codes.has(code)) all = false;
          if (all) match = c;
        }
      }
      if (match === undefined) {
        counts.unmatchedCancellations++;
        continue;
      }
      cancelled.add(match.invoice);
      counts.cancelled++;
      keyed.push({
        ms: inv.ms,
        rank: 2,
        event: {
          id: `uci-cancel-${inv.invoice}`,
          source: SOURCE,
          'detail-type': 'OrderCancelled',
          time: iso,
          detail: { orderId: match.invoice, customerId: inv.customerId },
        },
      });
      continue;
    }
    if (inv.lines.length === 0) {
      counts.emptyInvoices++;
      continue;
    }
    let total = 0;
    for (const l of inv.lines) total += l.quantity * l.unitPrice;
    if (inv.lines.length > MAX_LINES) counts.truncatedLines += inv.lines.length - MAX_LINES;
    const lines = inv.lines.slice(0, MAX_LINES);
    const list = ordersOf.get(inv.customerId) ?? [];
    list.push(inv);
    ordersOf.set(inv.customerId, list);
    counts.orders++;
    keyed.push({
      ms: inv.ms,
      rank: 1,
      event: {
        id: `uci-order-${inv.invoice}`,
        source: SOURCE,
        'detail-type': 'OrderPlaced',
        time: iso,
        detail: {
          orderId: inv.invoice,
          customerId: inv.customerId,
          placedAt: iso,
          currency: 'GBP',
          total: round2(total),
          lines,
        },
      },
    });
  }
  counts.customers = registered.size;
  counts.registered = registered.size;
  keyed.sort(
    (a, b) =>
      a.ms - b.ms || a.rank - b.rank || (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0),
  );
  counts.events = keyed.length;
  return { events: keyed.map((k) => k.event), counts };
}

/** Converts and writes the events as JSONL to `outPath`. */
export async function importOnlineRetail(csvPath: string, outPath: string, seed = 1): Promise<ImportCounts> {
  const { events, counts } = await convertOnlineRetail(csvPath, seed);
  const out = createWriteStream(outPath);
  let chunk = '';
  for (const e of events) {
    chunk += `${JSON.stringify(e)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  await new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.end(chunk, () => resolve());
  });
  return counts;
}
