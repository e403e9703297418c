/**
 * Malformed shop events, one per case: the exact text that arrives (an SQS body of the ingest queue, or
 * one line of a replay file) and the rejection it must get from `parseEventLine` — the field path, the
 * rule, and words of the reason. Every case is a text, so the same input runs through the parser, the
 * ingest handler and a replay file alike; JSON that cannot express a value (NaN, a lone surrogate
 * written raw) is written as text.
 *
 * `NOW` is the validation clock; only cases marked `clockDependent` depend on it.
 */
import type { CorpusCase } from './types.ts';

export const NOW = '2026-03-01T12:00:00Z';
const TIME = '2026-03-01T10:00:00Z';

export interface EventCase extends CorpusCase {
  /** The body or line exactly as received. */
  line: string;
  expect: {
    /** The field path of the rejection ('' for the whole line). */
    path: string;
    rule: string;
    /** Words the reason must contain, after the `<path>: ` it starts with. */
    reason?: string;
  };
  /** The outcome depends on the validation clock (`NOW`): a replay file validates against its own. */
  clockDependent?: boolean;
}

const envelope = (id: string, type: string, detail: unknown, extra: Record<string, unknown> = {}) => ({
  id: `corpus-${id}`,
  source: 'shop.corpus',
  'detail-type': type,
  time: TIME,
  detail,
  ...extra,
});

const ORDER = {
  orderId: 'o-1',
  customerId: 'c-1',
  currency: 'EUR',
  total: 25.5,
  lines: [{ sku: 'SKU-1', category: 'coffee', quantity: 2, unitPrice: 12.75 }],
};

const order = (id: string, patch: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  JSON.stringify(envelope(id, 'OrderPlaced', { ...ORDER, ...patch }, extra));
const orderLine = (id: string, patch: Record<string, unknown>) =>
  order(id, { lines: [{ ...ORDER.lines[0], ...patch }] });
const registered = (id: string, patch: Record<string, unknown>) =>
  JSON.stringify(envelope(id, 'CustomerRegistered', { customerId: 'c-1', ...patch }));

/** An order line whose text has `from` replaced by `to`: for values JSON.stringify cannot write. */
function orderText(id: string, from: string, to: string): string {
  const text = order(id);
  if (!text.includes(from)) throw new Error(`corpus ${id}: "${from}" not in the order`);
  return text.replace(from, to);
}

export const EVENT_CASES: EventCase[] = [
  // ── Not an event at all ───────────────────────────────────────────────────────────────────────────
  {
    id: 'ev-not-json',
    description: 'plain text',
    line: 'OrderPlaced o-1 for c-1',
    expect: { path: '', rule: 'invalid-json', reason: 'is not valid JSON' },
  },
  {
    id: 'ev-empty',
    description: 'an empty body',
    line: '',
    expect: { path: '', rule: 'empty', reason: 'line is empty' },
  },
  {
    id: 'ev-truncated',
    description: 'JSON cut off mid-way',
    line: order('ev-truncated').slice(0, 70),
    expect: { path: '', rule: 'invalid-json', reason: 'at position 70' },
  },
  {
    id: 'ev-bom',
    description: 'a byte-order mark before the JSON',
    line: `\uFEFF${order('ev-bom')}`,
    expect: { path: '', rule: 'invalid-json', reason: 'byte-order mark' },
  },
  {
    id: 'ev-nul-bytes',
    description: 'NUL bytes instead of JSON',
    line: '\u0000\u0000\u0000',
    expect: { path: '', rule: 'invalid-json' },
  },
  {
    id: 'ev-array',
    description: 'an array of events instead of one',
    line: `[${order('ev-array')}]`,
    expect: { path: '', rule: 'type', reason: 'must be a JSON object (got 1 items)' },
  },
  {
    id: 'ev-number',
    description: 'a number',
    line: '42',
    expect: { path: '', rule: 'type', reason: 'got 42' },
  },
  {
    id: 'ev-null',
    description: 'null',
    line: 'null',
    expect: { path: '', rule: 'type', reason: 'got null' },
  },
  {
    id: 'ev-double-encoded',
    description: 'the event JSON-encoded twice (a string)',
    line: JSON.stringify(order('ev-double-encoded')),
    expect: { path: '', rule: 'type', reason: 'got a string' },
  },
  // ── Envelope fields ───────────────────────────────────────────────────────────────────────────────
  {
    id: 'ev-unknown-detail-type',
    description: 'a detail-type the engine does not know',
    line: JSON.stringify(envelope('ev-unknown-detail-type', 'OrderShipped', ORDER)),
    expect: { path: 'detail-type', rule: 'unknown-detail-type', reason: 'must be one of CustomerRegistered' },
  },
  {
    id: 'ev-missing-id',
    description: 'no event id',
    line: order('ev-missing-id', {}, { id: undefined }),
    expect: { path: 'id', rule: 'required' },
  },
  {
    id: 'ev-id-number',
    description: 'a numeric event id',
    line: order('ev-id-number', {}, { id: 12345 }),
    expect: { path: 'id', rule: 'type', reason: 'must be a string' },
  },
  {
    id: 'ev-impossible-time',
    description: 'February 30th',
    line: order('ev-impossible-time', {}, { time: '2026-02-30T10:00:00Z' }),
    expect: { path: 'time', rule: 'invalid-date', reason: 'must be a real date and time' },
  },
  {
    id: 'ev-time-epoch-millis',
    description: 'time as epoch milliseconds',
    line: order('ev-time-epoch-millis', {}, { time: 1772359200000 }),
    expect: { path: 'time', rule: 'type' },
  },
  {
    id: 'ev-future-time',
    description: 'dated two days after now',
    line: order('ev-future-time', {}, { time: '2026-03-03T12:00:00Z' }),
    expect: { path: 'time', rule: 'future', reason: '24 h' },
    clockDependent: true,
  },
  {
    id: 'ev-future-placed-at',
    description: 'placedAt a week after now (the envelope time is fine)',
    line: order('ev-future-placed-at', { placedAt: '2026-03-08T09:00:00+03:00' }),
    expect: { path: 'detail.placedAt', rule: 'future' },
    clockDependent: true,
  },
  // ── Ids ───────────────────────────────────────────────────────────────────────────────────────────
  {
    id: 'ev-missing-customer-id',
    description: 'an order without customerId',
    line: JSON.stringify(envelope('ev-missing-customer-id', 'OrderCancelled', { orderId: 'o-1' })),
    expect: { path: 'detail.customerId', rule: 'required', reason: 'is required' },
  },
  {
    id: 'ev-missing-order-id',
    description: 'an order without orderId',
    line: order('ev-missing-order-id', { orderId: undefined }),
    expect: { path: 'detail.orderId', rule: 'required' },
  },
  {
    id: 'ev-customer-id-too-long',
    description: 'a customerId of 129 characters',
    line: order('ev-customer-id-too-long', { customerId: 'c'.repeat(129) }),
    expect: { path: 'detail.customerId', rule: 'too-long', reason: 'got 129 characters' },
  },
  {
    id: 'ev-blank-customer-id',
    description: 'a customerId of spaces',
    line: order('ev-blank-customer-id', { customerId: '   ' }),
    expect: { path: 'detail.customerId', rule: 'blank' },
  },
  {
    id: 'ev-reserved-brand',
    description: '__proto__ as the brand',
    line: order('ev-reserved-brand', { brand: '__proto__' }),
    expect: { path: 'detail.brand', rule: 'reserved', reason: 'reserved name' },
  },
  {
    id: 'ev-reserved-sku',
    description: 'hasOwnProperty as a SKU (the item keys objects by SKU)',
    line: orderLine('ev-reserved-sku', { sku: 'hasOwnProperty' }),
    expect: { path: 'detail.lines[0].sku', rule: 'reserved' },
  },
  // ── Unicode edge cases ────────────────────────────────────────────────────────────────────────────
  {
    id: 'ev-nul-in-id',
    description: 'a NUL byte inside customerId',
    line: order('ev-nul-in-id', { customerId: 'c-1\u0000' }),
    expect: { path: 'detail.customerId', rule: 'control-char' },
  },
  {
    id: 'ev-lone-surrogate-escaped',
    description: 'a lone high surrogate written as \\ud800',
    line: order('ev-lone-surrogate-escaped', { customerId: 'c-\uD800' }),
    expect: { path: 'detail.customerId', rule: 'invalid-unicode', reason: 'well-formed Unicode' },
  },
  {
    id: 'ev-lone-surrogate-raw',
    description: 'a lone low surrogate as a raw code unit in the text',
    line: orderText('ev-lone-surrogate-raw', '"o-1"', '"o-\uDC00"'),
    expect: { path: 'detail.orderId', rule: 'invalid-unicode' },
  },
  {
    id: 'ev-noncharacter',
    description: 'U+FFFF in an action name (SQS refuses it)',
    line: JSON.stringify(
      envelope('ev-noncharacter', 'ActionCompleted', { customerId: 'c-1', action: 'review\uFFFF' }),
    ),
    expect: { path: 'detail.action', rule: 'invalid-unicode' },
  },
  {
    id: 'ev-zero-width-in-id',
    description: 'a zero-width space inside customerId (looks like c-1)',
    line: order('ev-zero-width-in-id', { customerId: 'c-\u200B1' }),
    expect: { path: 'detail.customerId', rule: 'invisible-char', reason: '"c-\\u200b1"' },
  },
  {
    id: 'ev-rtl-override-in-id',
    description: 'a right-to-left override inside orderId',
    line: order('ev-rtl-override-in-id', { orderId: 'o-\u202E1-x' }),
    expect: { path: 'detail.orderId', rule: 'invisible-char', reason: '\\u202e' },
  },
  {
    id: 'ev-bom-in-category',
    description: 'a BOM at the start of a category',
    line: orderLine('ev-bom-in-category', { category: '\uFEFFcoffee' }),
    expect: { path: 'detail.lines[0].category', rule: 'invisible-char' },
  },
  {
    id: 'ev-lone-surrogate-first-name',
    description: 'a lone surrogate in firstName: rejected, the name never shown',
    line: registered('ev-lone-surrogate-first-name', { firstName: 'Ann\uD83D' }),
    expect: { path: 'detail.firstName', rule: 'invalid-unicode', reason: 'value redacted' },
  },
  // ── Field rules: dates, zones, locales, enums ─────────────────────────────────────────────────────
  {
    id: 'ev-impossible-birthday',
    description: 'February 29th in a non-leap year',
    line: registered('ev-impossible-birthday', { birthday: '2023-02-29' }),
    expect: { path: 'detail.birthday', rule: 'invalid-date' },
  },
  {
    id: 'ev-birthday-after-event',
    description: 'a birthday in a later year than the event',
    line: registered('ev-birthday-after-event', { birthday: '2031-05-01' }),
    expect: { path: 'detail.birthday', rule: 'out-of-range' },
  },
  {
    id: 'ev-unknown-zone',
    description: 'a time zone IANA does not have',
    line: registered('ev-unknown-zone', { timeZone: 'Europe/Atlantis' }),
    expect: { path: 'detail.timeZone', rule: 'unknown-zone', reason: 'IANA time zone' },
  },
  {
    id: 'ev-bad-locale',
    description: 'a POSIX locale instead of BCP 47',
    line: registered('ev-bad-locale', { locale: 'ru_RU.UTF-8' }),
    expect: { path: 'detail.locale', rule: 'format' },
  },
  {
    id: 'ev-bad-consent-channel',
    description: 'consent for a channel that does not exist',
    line: JSON.stringify(
      envelope('ev-bad-consent-channel', 'ConsentChanged', {
        customerId: 'c-1',
        channel: 'fax',
        granted: true,
      }),
    ),
    expect: { path: 'detail.channel', rule: 'enum' },
  },
  {
    id: 'ev-granted-string',
    description: 'granted as the string "true"',
    line: JSON.stringify(
      envelope('ev-granted-string', 'ConsentChanged', { customerId: 'c-1', channel: 'sms', granted: 'true' }),
    ),
    expect: { path: 'detail.granted', rule: 'type', reason: 'must be true or false' },
  },
  {
    id: 'ev-update-nothing',
    description: 'CustomerUpdated that changes nothing',
    line: JSON.stringify(envelope('ev-update-nothing', 'CustomerUpdated', { customerId: 'c-1' })),
    expect: { path: 'detail', rule: 'empty' },
  },
  {
    id: 'ev-unknown-field',
    description: 'a misspelt field',
    line: order('ev-unknown-field', { totla: 25.5 }),
    expect: { path: 'detail.totla', rule: 'unknown-key', reason: 'is not an allowed field' },
  },
  // ── Amounts and lines ─────────────────────────────────────────────────────────────────────────────
  {
    id: 'ev-negative-total',
    description: 'a negative total',
    line: order('ev-negative-total', { total: -25.5 }),
    expect: { path: 'detail.total', rule: 'too-small', reason: 'got -25.5' },
  },
  {
    id: 'ev-nan-total',
    description: 'NaN written into the JSON (not JSON)',
    line: orderText('ev-nan-total', '"total":25.5', '"total":NaN'),
    expect: { path: '', rule: 'invalid-json' },
  },
  {
    id: 'ev-infinite-total',
    description: '1e999: valid JSON that reads as Infinity',
    line: orderText('ev-infinite-total', '"total":25.5', '"total":1e999'),
    expect: { path: 'detail.total', rule: 'not-finite', reason: 'got Infinity' },
  },
  {
    id: 'ev-minus-infinite-price',
    description: '-1e999 as a unit price',
    line: orderText('ev-minus-infinite-price', '"unitPrice":12.75', '"unitPrice":-1e999'),
    expect: { path: 'detail.lines[0].unitPrice', rule: 'not-finite' },
  },
  {
    id: 'ev-total-string',
    description: 'the total as a string',
    line: order('ev-total-string', { total: '25.50' }),
    expect: { path: 'detail.total', rule: 'type', reason: 'got a string' },
  },
  {
    id: 'ev-zero-quantity',
    description: 'a line of quantity 0',
    line: orderLine('ev-zero-quantity', { quantity: 0 }),
    expect: { path: 'detail.lines[0].quantity', rule: 'too-small' },
  },
  {
    id: 'ev-no-lines',
    description: 'an order without lines',
    line: order('ev-no-lines', { lines: [] }),
    expect: { path: 'detail.lines', rule: 'empty', reason: 'at least 1 line' },
  },
  {
    id: 'ev-too-many-lines',
    description: '501 order lines',
    line: order('ev-too-many-lines', { lines: Array.from({ length: 501 }, () => ORDER.lines[0]) }),
    expect: { path: 'detail.lines', rule: 'too-long', reason: 'at most 500 lines' },
  },
  {
    id: 'ev-oversized-reference',
    description: 'a reference of 10 000 characters',
    line: JSON.stringify(
      envelope('ev-oversized-reference', 'ActionCompleted', {
        customerId: 'c-1',
        action: 'review',
        reference: 'r'.repeat(10_000),
      }),
    ),
    expect: { path: 'detail.reference', rule: 'too-long', reason: 'got 10000 characters' },
  },
  {
    id: 'ev-huge-payload',
    description: 'an event of 300 KiB (EventBridge and SQS take 256 KiB)',
    line: registered('ev-huge-payload', { city: 'x'.repeat(300 * 1024) }),
    expect: { path: '', rule: 'too-large', reason: '262144 bytes' },
  },
  {
    id: 'ev-deeply-nested',
    description: 'detail nested 50 000 arrays deep',
    line: orderText('ev-deeply-nested', JSON.stringify(ORDER), `${'['.repeat(50_000)}${']'.repeat(50_000)}`),
    expect: { path: 'detail', rule: 'type', reason: 'must be an object' },
  },
  // ── Prototype pollution and duplicate keys ────────────────────────────────────────────────────────
  {
    id: 'ev-proto-envelope',
    description: '__proto__ at the top of an otherwise valid event',
    line: `{"__proto__":{"polluted":true},${order('ev-proto-envelope').slice(1)}`,
    expect: { path: '__proto__', rule: 'forbidden-key', reason: 'is not allowed' },
  },
  {
    id: 'ev-proto-detail',
    description: '__proto__ inside detail',
    line: orderText('ev-proto-detail', '"orderId"', '"__proto__":{"polluted":true},"orderId"'),
    expect: { path: 'detail.__proto__', rule: 'forbidden-key' },
  },
  {
    id: 'ev-constructor-prototype',
    description: 'constructor.prototype inside detail',
    line: orderText(
      'ev-constructor-prototype',
      '"orderId"',
      '"constructor":{"prototype":{"polluted":true}},"orderId"',
    ),
    expect: { path: 'detail.constructor', rule: 'forbidden-key' },
  },
  {
    id: 'ev-prototype-in-line',
    description: 'a prototype key inside an order line',
    line: orderText('ev-prototype-in-line', '"sku"', '"prototype":{"polluted":true},"sku"'),
    expect: { path: 'detail.lines[0].prototype', rule: 'forbidden-key' },
  },
  {
    id: 'ev-duplicate-total',
    description: 'total twice: a valid one, then a negative one',
    line: orderText('ev-duplicate-total', '"total":25.5', '"total":25.5,"total":-1'),
    expect: { path: 'detail.total', rule: 'duplicate-key', reason: 'appears twice' },
  },
  {
    id: 'ev-duplicate-customer-id',
    description: 'customerId twice with two valid values (which customer?)',
    line: orderText(
      'ev-duplicate-customer-id',
      '"customerId":"c-1"',
      '"customerId":"c-1","customerId":"c-2"',
    ),
    expect: { path: 'detail.customerId', rule: 'duplicate-key' },
  },
  {
    id: 'ev-duplicate-detail-type',
    description: 'detail-type twice in the envelope, the second spelt with an escape',
    line: orderText('ev-duplicate-detail-type', '"source"', '"detail\\u002dtype":"OrderCancelled","source"'),
    expect: { path: 'detail-type', rule: 'duplicate-key' },
  },
];
