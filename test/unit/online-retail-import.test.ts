/**
 * `import-online-retail` (local/online-retail-import.ts) on a tiny gzipped CSV in the UCI layout: orders,
 * a matched and an unmatched cancellation, a guest, a POST line; deterministic across runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLine } from '../../functions/domain/events.ts';
import { categoryOf, derivedProfile, importOnlineRetail } from '../../local/online-retail-import.ts';

const CSV = [
  'invoice,stock_code,description,quantity,invoice_ts,unit_price,customer_id,country',
  '100,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-07-01 08:26:00,2.55,17850.0,United Kingdom',
  '100,71053,WHITE METAL LANTERN,6,2010-07-01 08:26:00,3.39,17850.0,United Kingdom',
  '100,POST,POSTAGE,1,2010-07-01 08:26:00,18,17850.0,United Kingdom',
  'C103,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-6,2010-07-02 10:00:00,2.55,17850.0,United Kingdom',
  '101,22752,"SET 7 BABUSHKA NESTING BOXES, ""RED""",2,2010-12-01 09:00:00,7.65,12345,Germany',
  '102,85123A,WHITE HANGING HEART T-LIGHT HOLDER,3,2010-12-02 10:00:00,2.55,,United Kingdom',
  'C104,99999,SOMETHING ELSE,-1,2010-12-03 10:00:00,1,12345,Germany',
  '',
].join('\n');

let dir: string;
let lines: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'retail-import-'));
  writeFileSync(join(dir, 'tiny.csv.gz'), gzipSync(CSV));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import-online-retail', () => {
  it('converts invoices, cancellations and customers and counts what it skips', async () => {
    const counts = await importOnlineRetail(join(dir, 'tiny.csv.gz'), join(dir, 'a.jsonl'));
    expect(counts).toMatchObject({
      rows: 7,
      guestRows: 1,
      nonProductLines: 1,
      orders: 2,
      cancellations: 2,
      cancelled: 1,
      unmatchedCancellations: 1,
      registered: 2,
      events: 5,
    });
    lines = readFileSync(join(dir, 'a.jsonl'), 'utf8').trim().split('\n');
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => [e['detail-type'], e.id, e.time])).toEqual([
      ['CustomerRegistered', 'uci-reg-17850', '2010-07-01T07:25:59.000Z'],
      ['OrderPlaced', 'uci-order-100', '2010-07-01T07:26:00.000Z'], // BST
      ['OrderCancelled', 'uci-cancel-C103', '2010-07-02T09:00:00.000Z'],
      ['CustomerRegistered', 'uci-reg-12345', '2010-12-01T08:59:59.000Z'],
      ['OrderPlaced', 'uci-order-101', '2010-12-01T09:00:00.000Z'], // GMT
    ]);
    expect(events[1].detail).toEqual({
      orderId: '100',
      customerId: '17850',
      placedAt: '2010-07-01T07:26:00.000Z',
      currency: 'GBP',
      total: 35.64,
      lines: [
        { sku: '85123A', category: 'white', quantity: 6, unitPrice: 2.55 },
        { sku: '71053', category: 'white', quantity: 6, unitPrice: 3.39 },
      ],
    });
    expect(events[2].detail).toEqual({ orderId: '100', customerId: '17850' });
    expect(events[3].detail).toMatchObject({
      customerId: '12345',
      timeZone: 'Europe/Berlin',
      country: 'DE',
      locale: 'en',
      contacts: { email: 'c12345@example.com' },
    });
    expect(events[0].detail).toMatchObject({ timeZone: 'Europe/London', country: 'GB' });
    // Every event passes the engine's own validation.
    for (const l of lines) expect(parseEventLine(l, Date.parse('2012-01-01T00:00:00Z')).ok).toBe(true);
  });

  it('is deterministic across runs and depends on the seed', async () => {
    await importOnlineRetail(join(dir, 'tiny.csv.gz'), join(dir, 'b.jsonl'));
    expect(readFileSync(join(dir, 'b.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'a.jsonl'), 'utf8'));
    const profiles = (seed: number) =>
      Array.from({ length: 50 }, (_, i) => derivedProfile(String(12000 + i), 'France', seed));
    expect(profiles(1)).toEqual(profiles(1));
    expect(profiles(2)).not.toEqual(profiles(1));
  });

  it('derives attributes in the documented proportions', () => {
    const all = Array.from({ length: 4000 }, (_, i) => derivedProfile(String(12000 + i), 'Nowhere', 1));
    const share = (f: (p: Record<string, unknown>) => boolean) => all.filter(f).length / all.length;
    expect(share((p) => p.birthday !== undefined)).toBeCloseTo(0.85, 1);
    expect(share((p) => (p.consents as { email: boolean }).email)).toBeCloseTo(0.8, 1);
    expect(share((p) => (p.consents as { push: boolean }).push)).toBeCloseTo(0.3, 1);
    expect(all.every((p) => p.timeZone === 'Europe/London' && p.country === 'GB')).toBe(true);
    const pushy = all.filter((p) => (p.consents as { push: boolean }).push);
    expect(pushy.every((p) => typeof (p.contacts as { pushToken?: string }).pushToken === 'string')).toBe(
      true,
    );
  });

  it('categorizes by the first word, else a stable hash bucket', () => {
    expect(categoryOf('WHITE HANGING HEART', '85123A')).toBe('white');
    expect(categoryOf('12 PENCILS', '22000')).toBe('pencils');
    expect(categoryOf('', '22000')).toMatch(/^cat-\d\d$/);
    expect(categoryOf('', '22000')).toBe(categoryOf('', '22000'));
  });
});
