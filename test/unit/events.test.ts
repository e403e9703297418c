import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DetailType, DomainEvent, ParseResult } from '../../functions/domain/events.ts';
import { DETAIL_TYPES, MAX_EVENT_BYTES, parseEvent, parseEventLine } from '../../functions/domain/events.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

function envelope(
  type: string,
  detail: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id: 'evt-1', source: 'shop', 'detail-type': type, time: '2026-03-01T10:00:00Z', detail, ...extra };
}

const ORDER = {
  orderId: 'o-1',
  customerId: 'c-1',
  currency: 'EUR',
  total: 25.5,
  lines: [{ sku: 'SKU-1', category: 'coffee', quantity: 2, unitPrice: 12.75 }],
};
const order = (patch: Record<string, unknown>) => envelope('OrderPlaced', { ...ORDER, ...patch });
const orderLine = (patch: Record<string, unknown>) => order({ lines: [{ ...ORDER.lines[0], ...patch }] });
const registered = (patch: Record<string, unknown>) =>
  envelope('CustomerRegistered', { customerId: 'c-1', ...patch });
const contacts = (patch: Record<string, unknown>) => registered({ contacts: patch });

const EMAIL = 'alice.secret@example';
const PHONE = '+12';
const TOKEN = 'x'.repeat(4097);

function accepted(result: ParseResult): DomainEvent {
  if (!result.ok) throw new Error(`expected the event to be accepted: ${result.reason}`);
  return result.event;
}

/** [what, input, path, rule]: `input` is a raw value, or `{ line }` for parseEventLine. */
type BadCase = [string, unknown, string, string];

const BAD: BadCase[] = [
  // Envelope
  ['unknown detail-type', envelope('OrderShipped', ORDER), 'detail-type', 'unknown-detail-type'],
  ['prototype name as detail-type', envelope('toString', ORDER), 'detail-type', 'unknown-detail-type'],
  [
    'missing detail-type',
    { id: 'e', source: 's', time: '2026-03-01T10:00:00Z', detail: ORDER },
    'detail-type',
    'required',
  ],
  ['numeric detail-type', envelope('OrderPlaced', ORDER, { 'detail-type': 7 }), 'detail-type', 'type'],
  ['missing event id', envelope('OrderPlaced', ORDER, { id: undefined }), 'id', 'required'],
  ['empty event id', envelope('OrderPlaced', ORDER, { id: '' }), 'id', 'empty'],
  ['event id of 129 characters', envelope('OrderPlaced', ORDER, { id: 'e'.repeat(129) }), 'id', 'too-long'],
  [
    'source of 257 characters',
    envelope('OrderPlaced', ORDER, { source: 's'.repeat(257) }),
    'source',
    'too-long',
  ],
  ['time without a zone', envelope('OrderPlaced', ORDER, { time: '2026-03-01T10:00:00' }), 'time', 'format'],
  ['time as epoch millis', envelope('OrderPlaced', ORDER, { time: NOW }), 'time', 'type'],
  [
    'impossible time',
    envelope('OrderPlaced', ORDER, { time: '2026-02-30T10:00:00Z' }),
    'time',
    'invalid-date',
  ],
  ['hour 24', envelope('OrderPlaced', ORDER, { time: '2026-02-01T24:00:00Z' }), 'time', 'invalid-date'],
  ['time before 1970', envelope('OrderPlaced', ORDER, { time: '1969-12-31T23:59:59Z' }), 'time', 'too-early'],
  [
    'time a day and a second ahead',
    envelope('OrderPlaced', ORDER, { time: '2026-03-02T12:00:01Z' }),
    'time',
    'future',
  ],
  ['missing detail', envelope('OrderPlaced', undefined), 'detail', 'required'],
  ['detail is a string', envelope('OrderPlaced', 'order'), 'detail', 'type'],
  ['detail is an array', envelope('OrderPlaced', [ORDER]), 'detail', 'type'],
  ['detail is null', envelope('OrderPlaced', null), 'detail', 'type'],
  ['event is null', null, '', 'type'],
  ['event is an array', [envelope('OrderPlaced', ORDER)], '', 'type'],
  ['event is a string', 'OrderPlaced', '', 'type'],
  // Ids and strings
  ['missing customerId', envelope('OrderCancelled', { orderId: 'o-1' }), 'detail.customerId', 'required'],
  ['missing orderId', envelope('OrderCancelled', { customerId: 'c-1' }), 'detail.orderId', 'required'],
  ['empty customerId', order({ customerId: '' }), 'detail.customerId', 'empty'],
  ['orderId of 129 characters', order({ orderId: 'o'.repeat(129) }), 'detail.orderId', 'too-long'],
  ['numeric customerId', order({ customerId: 42 }), 'detail.customerId', 'type'],
  ['NUL in customerId', order({ customerId: 'c-\u0000' }), 'detail.customerId', 'control-char'],
  ['newline in city', registered({ city: 'Riga\nLV' }), 'detail.city', 'control-char'],
  ['city of 101 characters', registered({ city: 'c'.repeat(101) }), 'detail.city', 'too-long'],
  ['__proto__ as orderId', order({ orderId: '__proto__' }), 'detail.orderId', 'reserved'],
  ['constructor as sku', orderLine({ sku: 'constructor' }), 'detail.lines[0].sku', 'reserved'],
  ['# in brand', order({ brand: 'a#b' }), 'detail.brand', 'format'],
  [
    'messageId of 257 characters',
    envelope('MessageEngaged', { messageId: 'm'.repeat(257), customerId: 'c', kind: 'opened' }),
    'detail.messageId',
    'too-long',
  ],
  ['empty action', envelope('ActionCompleted', { customerId: 'c', action: '' }), 'detail.action', 'empty'],
  // Dates, zones, locales
  ['birthday 2026-02-30', registered({ birthday: '2026-02-30' }), 'detail.birthday', 'invalid-date'],
  ['birthday 2023-02-29', registered({ birthday: '2023-02-29' }), 'detail.birthday', 'invalid-date'],
  ['birthday --02-30', registered({ birthday: '--02-30' }), 'detail.birthday', 'invalid-date'],
  ['birthday in month 13', registered({ birthday: '1990-13-01' }), 'detail.birthday', 'invalid-date'],
  ['birthday with slashes', registered({ birthday: '1990/01/31' }), 'detail.birthday', 'format'],
  ['birthday before 1900', registered({ birthday: '1899-12-31' }), 'detail.birthday', 'out-of-range'],
  [
    'birthday after the event year',
    registered({ birthday: '2027-01-01' }),
    'detail.birthday',
    'out-of-range',
  ],
  ['unknown zone', registered({ timeZone: 'Mars/Olympus' }), 'detail.timeZone', 'unknown-zone'],
  ['offset instead of a zone', registered({ timeZone: '+03:00' }), 'detail.timeZone', 'unknown-zone'],
  ['locale with underscore', registered({ locale: 'en_US' }), 'detail.locale', 'format'],
  ['locale as a word', registered({ locale: 'english' }), 'detail.locale', 'format'],
  ['lower-case country', registered({ country: 'lv' }), 'detail.country', 'format'],
  ['alpha-3 country', registered({ country: 'LVA' }), 'detail.country', 'format'],
  [
    'registeredAt a week ahead',
    registered({ registeredAt: '2026-03-08T00:00:00Z' }),
    'detail.registeredAt',
    'future',
  ],
  ['placedAt a week ahead', order({ placedAt: '2026-03-08T00:00:00+03:00' }), 'detail.placedAt', 'future'],
  ['placedAt before 1970', order({ placedAt: '1969-07-20T20:17:00Z' }), 'detail.placedAt', 'too-early'],
  // Amounts and lines
  ['negative total', order({ total: -1 }), 'detail.total', 'too-small'],
  ['NaN total', order({ total: Number.NaN }), 'detail.total', 'not-finite'],
  ['infinite total', order({ total: Number.POSITIVE_INFINITY }), 'detail.total', 'not-finite'],
  ['total as a string', order({ total: '25.50' }), 'detail.total', 'type'],
  ['total above 1e9', order({ total: 1e9 + 1 }), 'detail.total', 'too-big'],
  ['zero quantity', orderLine({ quantity: 0 }), 'detail.lines[0].quantity', 'too-small'],
  ['negative unit price', orderLine({ unitPrice: -0.01 }), 'detail.lines[0].unitPrice', 'too-small'],
  [
    'minus-infinite unit price',
    orderLine({ unitPrice: Number.NEGATIVE_INFINITY }),
    'detail.lines[0].unitPrice',
    'not-finite',
  ],
  ['quantity as a string', orderLine({ quantity: '2' }), 'detail.lines[0].quantity', 'type'],
  [
    'bad second line',
    order({ lines: [...ORDER.lines, { sku: 'S', quantity: -1, unitPrice: 1 }] }),
    'detail.lines[1].quantity',
    'too-small',
  ],
  ['sku of 65 characters', orderLine({ sku: 's'.repeat(65) }), 'detail.lines[0].sku', 'too-long'],
  ['no lines', order({ lines: [] }), 'detail.lines', 'empty'],
  [
    '501 lines',
    order({ lines: Array.from({ length: 501 }, () => ORDER.lines[0]) }),
    'detail.lines',
    'too-long',
  ],
  ['lines as an object', order({ lines: ORDER.lines[0] }), 'detail.lines', 'type'],
  ['lower-case currency', order({ currency: 'eur' }), 'detail.currency', 'format'],
  // Unknown and forbidden keys
  ['misspelt field', order({ totl: 25 }), 'detail.totl', 'unknown-key'],
  ['unknown key in a line', orderLine({ qty: 1 }), 'detail.lines[0].qty', 'unknown-key'],
  ['unknown key in contacts', contacts({ mail: EMAIL }), 'detail.contacts.mail', 'unknown-key'],
  [
    '__proto__ in detail',
    {
      line: JSON.stringify(envelope('OrderCancelled', { orderId: 'o', customerId: 'c' })).replace(
        '"orderId"',
        '"__proto__":{"polluted":true},"orderId"',
      ),
    },
    'detail.__proto__',
    'forbidden-key',
  ],
  [
    'constructor in detail',
    {
      line: '{"id":"e","source":"s","detail-type":"OrderCancelled","time":"2026-03-01T10:00:00Z","detail":{"orderId":"o","customerId":"c","constructor":{"prototype":{}}}}',
    },
    'detail.constructor',
    'forbidden-key',
  ],
  [
    '__proto__ in a line',
    { line: JSON.stringify(order({})).replace('"sku"', '"__proto__":{"x":1},"sku"') },
    'detail.lines[0].__proto__',
    'forbidden-key',
  ],
  [
    '__proto__ in the envelope',
    { line: '{"__proto__":{"x":1},"id":"e","source":"s","detail-type":"OrderPlaced"}' },
    '__proto__',
    'forbidden-key',
  ],
  // Contacts and consents
  ['bad email', contacts({ email: EMAIL }), 'detail.contacts.email', 'format'],
  ['short phone', contacts({ phone: PHONE }), 'detail.contacts.phone', 'format'],
  ['phone without +', contacts({ phone: '37120000000' }), 'detail.contacts.phone', 'format'],
  ['push token of 4097 characters', contacts({ pushToken: TOKEN }), 'detail.contacts.pushToken', 'too-long'],
  ['consent as a string', registered({ consents: { email: 'yes' } }), 'detail.consents.email', 'type'],
  [
    'unknown consent channel',
    envelope('ConsentChanged', { customerId: 'c', channel: 'fax', granted: true }),
    'detail.channel',
    'enum',
  ],
  [
    'granted missing',
    envelope('ConsentChanged', { customerId: 'c', channel: 'sms' }),
    'detail.granted',
    'required',
  ],
  [
    'unknown engagement kind',
    envelope('MessageEngaged', { messageId: 'm', customerId: 'c', kind: 'bounced' }),
    'detail.kind',
    'enum',
  ],
  [
    'update with nothing to update',
    envelope('CustomerUpdated', { customerId: 'c', brand: 'b' }),
    'detail',
    'empty',
  ],
  // Lines
  ['invalid JSON line', { line: '{"id":"e",' }, '', 'invalid-json'],
  ['blank line', { line: '   ' }, '', 'empty'],
  [
    'line over 256 KB',
    { line: JSON.stringify(registered({ city: 'c'.repeat(MAX_EVENT_BYTES) })) },
    '',
    'too-large',
  ],
  [
    'line over 256 KB of UTF-8 but fewer characters',
    { line: JSON.stringify(registered({ city: 'я'.repeat(MAX_EVENT_BYTES / 2) })) },
    '',
    'too-large',
  ],
];

describe('parseEvent and parseEventLine, bad input', () => {
  it.each(BAD)('rejects %s', (_what, input, path, rule) => {
    // Prepare
    const lineInput = typeof input === 'object' && input !== null && 'line' in input ? input.line : undefined;

    // Act
    const result = typeof lineInput === 'string' ? parseEventLine(lineInput, NOW) : parseEvent(input, NOW);

    // Assess
    expect(result).toMatchObject({ ok: false, path, rule });
    if (!result.ok)
      expect(result.reason).toMatch(
        new RegExp(`^${path === '' ? 'event' : path.replace(/[.[\]]/g, '\\$&')}: `),
      );
  });

  it('names the path, the rule and the value in the reason', () => {
    // Act
    const result = parseEvent(orderLine({ quantity: -1 }), NOW);

    // Assess
    expect(result).toEqual({
      ok: false,
      path: 'detail.lines[0].quantity',
      rule: 'too-small',
      reason: 'detail.lines[0].quantity: must be a finite number > 0 and ≤ 1000000 (got -1)',
    });
  });

  it.each([
    ['email', contacts({ email: EMAIL }), EMAIL],
    ['phone', contacts({ phone: PHONE }), PHONE],
    ['push token', contacts({ pushToken: `${TOKEN.slice(0, 10)}\u0007` }), TOKEN.slice(0, 10)],
    ['first name', registered({ firstName: 'Alice\u0000' }), 'Alice'],
  ])('redacts the %s in the reason', (_what, input, secret) => {
    // Act
    const result = parseEvent(input, NOW);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).not.toContain(secret);
      expect(result.reason).toContain('(value redacted)');
    }
  });

  it('keeps the content of an invalid JSON line out of the reason', () => {
    // Act
    const result = parseEventLine(`{"email": "${EMAIL}"`, NOW);

    // Assess
    expect(result).toMatchObject({ ok: false, rule: 'invalid-json' });
    if (!result.ok) expect(result.reason).not.toContain(EMAIL);
  });

  it('clips long values in the reason', () => {
    // Act
    const result = parseEvent(envelope('Order'.repeat(1000), ORDER), NOW);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeLessThan(300);
  });

  it('reports the first issue in field order', () => {
    // Act
    const result = parseEvent(
      envelope('OrderPlaced', { ...ORDER, total: -1, currency: 'x' }, { id: '' }),
      NOW,
    );

    // Assess
    expect(result).toMatchObject({ path: 'id', rule: 'empty' });
  });

  it('leaves Object.prototype alone when a line carries __proto__', () => {
    // Prepare
    const text = '{"__proto__":{"polluted":true},"detail-type":"OrderPlaced"}';

    // Act
    const result = parseEventLine(text, NOW);

    // Assess
    expect(Object.hasOwn(JSON.parse(text), '__proto__')).toBe(true);
    expect(result).toMatchObject({ ok: false, rule: 'forbidden-key' });
    expect(Reflect.get({}, 'polluted')).toBeUndefined();
  });
});

describe('parseEvent, good input', () => {
  const GOOD: [DetailType, unknown][] = [
    ['CustomerRegistered', { customerId: 'c-1' }],
    ['CustomerUpdated', { customerId: 'c-1', city: 'Rīga' }],
    ['ConsentChanged', { customerId: 'c-1', channel: 'all', granted: false }],
    ['OrderPlaced', ORDER],
    ['OrderCancelled', { orderId: 'o-1', customerId: 'c-1' }],
    ['ActionCompleted', { customerId: 'c-1', action: 'review', reference: 'r-9' }],
    ['MessageEngaged', { messageId: 'm-1', customerId: 'c-1', kind: 'clicked' }],
  ];

  it('covers every detail type', () => {
    // Assess
    expect(GOOD.map(([type]) => type).sort()).toEqual([...DETAIL_TYPES].sort());
  });

  it.each(GOOD)('normalizes %s with the default brand and the envelope time', (type, detail) => {
    // Act
    const event = accepted(parseEvent(envelope(type, detail), NOW));

    // Assess
    expect(event).toEqual({
      type,
      id: 'evt-1',
      at: '2026-03-01T10:00:00.000Z',
      brand: 'default',
      customerId: 'c-1',
      source: 'shop',
      detail,
    });
  });

  it('keeps a given brand', () => {
    // Act
    const event = accepted(parseEvent(order({ brand: 'coffee-shop' }), NOW));

    // Assess
    expect(event.brand).toBe('coffee-shop');
  });

  it('takes `at` from placedAt and normalizes it to UTC', () => {
    // Act
    const event = accepted(parseEvent(order({ placedAt: '2026-02-27T23:30:00+03:00' }), NOW));

    // Assess
    expect(event.at).toBe('2026-02-27T20:30:00.000Z');
    expect(event.type === 'OrderPlaced' && event.detail.placedAt).toBe('2026-02-27T20:30:00.000Z');
  });

  it('takes `at` from registeredAt', () => {
    // Act
    const event = accepted(parseEvent(registered({ registeredAt: '2019-05-04T10:00:00.5Z' }), NOW));

    // Assess
    expect(event.at).toBe('2019-05-04T10:00:00.500Z');
  });

  it('normalizes an envelope time with an offset to UTC', () => {
    // Act
    const event = accepted(parseEvent(order({}), NOW));
    const shifted = accepted(
      parseEvent(
        envelope('OrderCancelled', { orderId: 'o', customerId: 'c' }, { time: '2026-03-01T13:00:00+03:00' }),
        NOW,
      ),
    );

    // Assess
    expect(event.at).toBe('2026-03-01T10:00:00.000Z');
    expect(shifted.at).toBe('2026-03-01T10:00:00.000Z');
  });

  it('accepts an event exactly 24 h ahead of now', () => {
    // Act
    const result = parseEvent(order({}), NOW - 2 * 60 * 60 * 1000 - 24 * 60 * 60 * 1000);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts a full profile and canonicalizes the locale', () => {
    // Prepare
    const detail = {
      customerId: 'c-1',
      registeredAt: '2025-01-10T08:00:00Z',
      birthday: '--02-29',
      timeZone: 'Europe/Riga',
      country: 'LV',
      city: 'Rīga',
      locale: 'RU-ru',
      firstName: 'Алиса',
      contacts: { email: 'alice@example.com', phone: '+37120000000', pushToken: 'tok' },
      consents: { email: true, sms: false, push: true },
    };

    // Act
    const event = accepted(parseEvent(envelope('CustomerRegistered', detail), NOW));

    // Assess
    expect(event.detail).toEqual({ ...detail, registeredAt: '2025-01-10T08:00:00.000Z', locale: 'ru-RU' });
  });

  it.each(['2024-02-29', '--02-29', '1900-01-01', '2026-12-31'])('accepts the birthday %s', (birthday) => {
    // Act
    const result = parseEvent(registered({ birthday }), NOW);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('drops envelope fields it does not know', () => {
    // Act
    const event = accepted(parseEvent({ ...order({}), 'replay-name': 'r', resources: [] }, NOW));

    // Assess
    expect(event).not.toHaveProperty('replay-name');
  });

  it('parses a JSON line', () => {
    // Act
    const event = accepted(parseEventLine(`${JSON.stringify(order({}))}\r`, NOW));

    // Assess
    expect(event).toMatchObject({ type: 'OrderPlaced', customerId: 'c-1' });
  });

  it('accepts any real birthday between 1900 and the event year', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2026-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (date) => {
          // Act
          const result = parseEvent(registered({ birthday: date.toISOString().slice(0, 10) }), NOW);

          // Assess
          expect(result.ok).toBe(true);
        },
      ),
    );
  });

  it('normalizes any instant written with any offset to the same UTC time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 86_400_000, max: NOW }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (ms, offsetMinutes) => {
          // Prepare
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;

          // Act
          const event = accepted(
            parseEvent(
              envelope('OrderCancelled', { orderId: 'o', customerId: 'c' }, { time: `${local}${offset}` }),
              NOW,
            ),
          );

          // Assess
          expect(event.at).toBe(new Date(ms).toISOString());
        },
      ),
    );
  });
});
