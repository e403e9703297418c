import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsvLine, readRetailPurchases, toPurchase } from '../../bench/online-retail-csv.ts';
import { evaluateReplenishment } from '../../bench/replenishment-eval.ts';
import {
  addSeasonalDays,
  baselinePrediction,
  customerWeight,
  DEFAULT_REPLENISHMENT_PARAMS,
  dayNumber,
  dayString,
  fitReplenishmentModel,
  orderDayNumbers,
  type Purchase,
  predictNextPurchase,
  type ReplenishmentModel,
  type ReplenishmentParams,
  type SkuStats,
  seasonalDays,
} from '../../functions/domain/replenishment.ts';

const FLAT = new Array<number>(12).fill(1);

function sku(overrides: Partial<SkuStats> = {}): SkuStats {
  return {
    intervals: 400,
    customers: 1000,
    repeatCustomers: 200,
    medianIntervalDays: 60,
    meanLogInterval: Math.log(60),
    sdLogInterval: 0.8,
    season: FLAT,
    ...overrides,
  };
}

/**
 * A hand-made model: flat seasons, no offsets, no prior shrinkage, so the interval is exactly the
 * geometric blend of the customer's and the sku's (60 days) intervals.
 */
function model(
  params: Partial<ReplenishmentParams> = {},
  skus: Record<string, SkuStats> = {},
): ReplenishmentModel {
  return {
    skus: { COFFEE: sku(), ...skus },
    global: { medianIntervalDays: 50, meanLogInterval: Math.log(50), season: FLAT, medianOrderGapDays: 20 },
    params: {
      ...DEFAULT_REPLENISHMENT_PARAMS,
      shrinkage: 3,
      priorShrinkage: 0,
      offset: 0,
      offsetPerLogHistory: 0,
      ...params,
    },
  };
}

/** Purchase days starting at `start`, separated by `gaps`. */
function daysFrom(start: string, gaps: readonly number[]): string[] {
  let day = dayNumber(start);
  const out = [dayString(day)];
  for (const gap of gaps) {
    day += gap;
    out.push(dayString(day));
  }
  return out;
}

describe('day helpers', () => {
  it('round-trips days and rejects malformed ones', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('2024-03-01') - dayNumber('2024-02-28')).toBe(2);
    expect(dayString(dayNumber('2011-12-09'))).toBe('2011-12-09');
    expect(() => dayNumber('2024-02-30')).toThrow(RangeError);
    expect(() => dayNumber('2024-2-3')).toThrow(RangeError);
  });

  it('prints the same day as Date for every day number, inside the fast range and beyond it', () => {
    const viaDate = (n: number): string => new Date(n * 86_400_000).toISOString().slice(0, 10);
    fc.assert(
      fc.property(fc.integer({ min: -719_528, max: 2_932_896 }), (n) => {
        expect(dayString(n)).toBe(viaDate(n));
      }),
      { numRuns: 5_000 },
    );
    for (const n of [-719_528, -1, 0, 59, 11_016, 2_932_896]) expect(dayString(n)).toBe(viaDate(n));
    // Seasonal sums read month boundaries from the same arithmetic: a month of factor 2 counts double.
    const season = Array.from({ length: 12 }, (_, m) => (m === 1 ? 2 : 1));
    const feb = dayNumber('2024-02-01');
    expect(seasonalDays(feb - 1, feb + 29, season)).toBe(1 + 29 * 2);
  });

  it('parses exactly the days a YYYY-MM-DD pattern and the calendar accept', () => {
    // The reference: the pattern, then Date.UTC must give the same day back (years 0–99 never do).
    const reference = (day: string): number | string => {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
      if (m === null) return 'format';
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const back = new Date(Date.UTC(y, mo - 1, d));
      if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
        return 'calendar';
      return Math.round(Date.UTC(y, mo - 1, d) / 86_400_000);
    };
    const parsed = (day: string): number | string => {
      try {
        return dayNumber(day);
      } catch (e) {
        return String(e).includes('calendar') ? 'calendar' : 'format';
      }
    };
    const part = (n: number, max: number) =>
      fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(part(4, 9999), part(2, 13), part(2, 32)).map(([y, m, d]) => `${y}-${m}-${d}`),
          fc.string({ maxLength: 12 }),
          fc.constantFrom(
            '0099-12-31',
            '0100-01-01',
            '2024-02-29',
            '2023-02-29',
            ' 2024-01-01',
            '2024-01-01\n',
          ),
        ),
        (day) => {
          expect(parsed(day)).toEqual(reference(day));
        },
      ),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('predicts the same from order days parsed once for many products', () => {
    const cadenced = model({ cadenceWeight: 0.5, cadenceShrinkage: 0 });
    const orderDays = daysFrom('2023-11-01', [10, 3, 30, 10, 0, 7]).concat(['2024-01-01', '2023-12-15']);
    const parsed = orderDayNumbers(orderDays);
    for (const days of [['2024-01-01'], ['2023-11-01', '2023-12-15'], ['2023-12-15', '2024-01-01']]) {
      expect(predictNextPurchase('COFFEE', days, cadenced, { orderDays: parsed })).toEqual(
        predictNextPurchase('COFFEE', days, cadenced, { orderDays }),
      );
    }
  });

  it('seasonal days: calendar days when flat, weighted by month otherwise, and invertible', () => {
    const from = dayNumber('2010-11-20');
    expect(seasonalDays(from, from + 45, FLAT)).toBe(45);
    const winter = FLAT.map((_, m) => (m === 10 || m === 11 ? 2 : 0.5));
    // 11 days of November at 2, 31 of December at 2, 3 of January at 0.5
    expect(seasonalDays(from, from + 45, winter)).toBeCloseTo(11 * 2 + 31 * 2 + 3 * 0.5);
    fc.assert(
      fc.property(
        fc.integer({ min: 10_000, max: 20_000 }),
        fc.double({ min: 0, max: 900, noNaN: true }),
        (a, amount) => {
          const season = FLAT.map((_, m) => 0.1 + ((a + m * 7) % 13) / 5);
          const t = addSeasonalDays(a, amount, season);
          expect(t).toBeGreaterThanOrEqual(a);
          expect(seasonalDays(a, Math.floor(t), season)).toBeLessThanOrEqual(amount + 1e-6);
        },
      ),
    );
  });
});

describe('predictNextPurchase', () => {
  const m = model();

  it.each([
    { name: 'one purchase → the population interval', days: ['2024-01-10'], interval: 60 },
    {
      name: 'one 20-day gap, weight 1/4',
      days: daysFrom('2024-01-10', [20]),
      interval: Math.round(Math.exp(0.25 * Math.log(20) + 0.75 * Math.log(60))),
    },
    {
      name: 'seven 14-day gaps, weight 7/10 → close to the customer',
      days: daysFrom('2024-01-10', [14, 14, 14, 14, 14, 14, 14]),
      interval: Math.round(Math.exp(0.7 * Math.log(14) + 0.3 * Math.log(60))),
    },
    {
      name: 'unsorted, duplicated days are cleaned',
      days: ['2024-02-09', '2024-01-10', '2024-02-09'],
      interval: Math.round(Math.exp(0.25 * Math.log(30) + 0.75 * Math.log(60))),
    },
  ])('$name', ({ days, interval }) => {
    const p = predictNextPurchase('COFFEE', days, m);
    expect(p).not.toBeNull();
    expect(p?.intervalDays).toBe(interval);
    expect(p?.lastDay).toBe([...days].sort().at(-1));
    expect(p?.predictedDay).toBe(dayString(dayNumber(p?.lastDay ?? '') + interval));
  });

  it('many regular purchases with little shrinkage → the customer cadence', () => {
    const p = predictNextPurchase(
      'COFFEE',
      daysFrom('2024-01-01', [10, 10, 10, 10, 10, 10, 10]),
      model({ shrinkage: 0.1 }),
    );
    expect(p?.intervalDays).toBe(10);
  });

  it.each([
    { name: 'unknown sku', sku: 'NOPE', days: ['2024-01-01'] },
    { name: 'empty history', sku: 'COFFEE', days: [] },
    { name: 'too few repeat customers', sku: 'VASE', days: ['2024-01-01', '2024-02-01'] },
    { name: 'repeat rate too low', sku: 'LAMP', days: ['2024-01-01'] },
  ])('null for $name', ({ sku: s, days }) => {
    const m2 = model(
      { minRepeatCustomers: 2, minRepeatRate: 0.02 },
      {
        VASE: sku({ customers: 500, repeatCustomers: 1 }),
        LAMP: sku({ customers: 1000, repeatCustomers: 10 }),
      },
    );
    expect(predictNextPurchase(s, days, m2)).toBeNull();
  });

  it('the shrinkage weight n/(n+k) grows with n, moving the prediction toward the customer', () => {
    const weights = [0, 1, 2, 4, 7].map((n) => customerWeight(n, m));
    expect(weights).toEqual([0, 1 / 4, 2 / 5, 4 / 7, 7 / 10]);
    const intervals = [0, 1, 2, 4, 7].map(
      (n) =>
        predictNextPurchase('COFFEE', daysFrom('2024-01-01', new Array(n).fill(7)), m)?.intervalDays ?? 0,
    );
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]).toBeLessThan(intervals[i - 1] ?? 0);
  });

  it('keeps only the last maxHistoryDays days', () => {
    const recent = daysFrom('2024-03-01', [7, 7, 7, 7, 7, 7, 7]);
    const longer = [...daysFrom('2022-01-01', [300, 100]), ...recent];
    expect(predictNextPurchase('COFFEE', longer, m)).toEqual(predictNextPurchase('COFFEE', recent, m));
  });

  it('the offset lengthens short histories more than long ones', () => {
    const withOffset = model({ offset: 0.5, offsetPerLogHistory: 0.5 });
    expect(predictNextPurchase('COFFEE', ['2024-01-01'], withOffset)?.intervalDays).toBe(
      Math.round(60 * Math.exp(0.5)),
    );
    const seven = daysFrom('2024-01-01', new Array(7).fill(60));
    expect(predictNextPurchase('COFFEE', seven, withOffset)?.intervalDays).toBe(
      Math.round(60 * Math.exp(0.5 - 0.5 * Math.log(8))),
    );
  });

  it('a customer who orders more often than usual gets a shorter interval; later orders are ignored', () => {
    const cadenced = model({ cadenceWeight: 0.5, cadenceShrinkage: 0 });
    const days = ['2024-01-01'];
    const plain = predictNextPurchase('COFFEE', days, cadenced)?.intervalDays ?? 0;
    const busy = daysFrom('2023-11-01', new Array(6).fill(10)).concat(['2024-01-01']);
    const fast = predictNextPurchase('COFFEE', days, cadenced, { orderDays: busy })?.intervalDays ?? 0;
    expect(plain).toBe(60);
    // median order gap 10 vs global 20: interval × (10/20)^0.5
    expect(fast).toBe(Math.round(60 * Math.sqrt(0.5)));
    const later = [...busy, ...daysFrom('2024-01-02', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])];
    expect(predictNextPurchase('COFFEE', days, cadenced, { orderDays: later })?.intervalDays).toBe(fast);
  });

  it('an off-season wait stretches the calendar interval', () => {
    const christmas = FLAT.map((_, m) => (m >= 9 ? 3 : 0.05)); // Oct–Dec busy
    const mm = model({}, { BAUBLE: sku({ season: normalize(christmas) }) });
    const inSeason = predictNextPurchase('BAUBLE', ['2024-10-01'], mm)?.intervalDays ?? 0;
    const afterSeason = predictNextPurchase('BAUBLE', ['2024-12-20'], mm)?.intervalDays ?? 0;
    expect(inSeason).toBeLessThan(60);
    expect(afterSeason).toBeGreaterThan(200);
  });

  it('property: the interval lies in the hull of the customer gaps and the population interval', () => {
    const popDays = fc.integer({ min: 1, max: 400 });
    const gaps = fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 0, maxLength: 7 });
    const start = fc.integer({ min: dayNumber('2009-01-01'), max: dayNumber('2030-01-01') });
    const k = fc.double({ min: 0, max: 50, noNaN: true });
    fc.assert(
      fc.property(popDays, gaps, start, k, (pop, g, s, shrinkage) => {
        const mm = model({ shrinkage }, { X: sku({ meanLogInterval: Math.log(pop) }) });
        const days = daysFrom(dayString(s), g);
        const p = predictNextPurchase('X', days, mm);
        expect(p).not.toBeNull();
        if (p === null) return;
        const lo = Math.min(pop, ...g);
        const hi = Math.max(pop, ...g);
        expect(p.intervalDays).toBeGreaterThanOrEqual(Math.max(1, Math.floor(lo)));
        expect(p.intervalDays).toBeLessThanOrEqual(Math.ceil(hi));
        expect(p.predictedDay).toBe(dayString(dayNumber(p.lastDay) + p.intervalDays));
        expect(p.confidence).toBeGreaterThanOrEqual(0);
        expect(p.confidence).toBeLessThanOrEqual(1);
      }),
    );
  });
});

function normalize(xs: readonly number[]): number[] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.map((x) => x / mean);
}

describe('baselinePrediction', () => {
  it.each([
    { days: ['2024-01-01', '2024-01-11', '2024-01-31'], expected: 15 },
    { days: ['2024-01-31', '2024-01-01'], expected: 30 },
    { days: ['2024-01-01', '2024-01-01', '2024-01-08'], expected: 7 },
    { days: ['2024-01-01'], expected: null },
    { days: [], expected: null },
  ])('$days → $expected', ({ days, expected }) => {
    expect(baselinePrediction(days)).toBe(expected);
  });
});

describe('fitReplenishmentModel', () => {
  // Two years of a shop with even daily activity: coffee is re-bought every 30 days, vases once.
  const purchases: Purchase[] = [];
  const start = dayNumber('2022-01-01');
  for (let c = 0; c < 40; c++) {
    for (let d = start + c; d < start + 730; d += 30)
      purchases.push({ customerId: `c${c}`, sku: 'COFFEE', day: dayString(d) });
    purchases.push({ customerId: `c${c}`, sku: 'VASE', day: dayString(start + 17 * c) });
  }

  it('learns per-sku intervals and repeat statistics', () => {
    const m = fitReplenishmentModel([...purchases, ...purchases.slice(0, 5)], { seasonality: false });
    const coffee = m.skus.COFFEE;
    expect(coffee?.repeatCustomers).toBe(40);
    expect(coffee?.customers).toBe(40);
    expect(coffee?.medianIntervalDays).toBe(30);
    expect(coffee?.meanLogInterval).toBeCloseTo(Math.log(30));
    expect(coffee?.sdLogInterval).toBeCloseTo(0);
    expect(coffee?.season).toEqual(FLAT);
    expect(m.skus.VASE?.repeatCustomers).toBe(0);
    expect(m.global.medianIntervalDays).toBe(30);
    expect(m.params.shrinkage).toBe(DEFAULT_REPLENISHMENT_PARAMS.shrinkage);
  });

  it('predicts coffee, not vases; a seasonal fit of an even shop is nearly flat', () => {
    const m = fitReplenishmentModel(purchases);
    for (const f of m.skus.COFFEE?.season ?? []) expect(f).toBeGreaterThan(0.8);
    const p = predictNextPurchase('COFFEE', ['2024-01-05'], m);
    expect(p?.intervalDays).toBeGreaterThan(20);
    expect(predictNextPurchase('VASE', ['2024-01-05'], m)).toBeNull();
  });

  it('is usable when empty', () => {
    const m = fitReplenishmentModel([]);
    expect(m.skus).toEqual({});
    expect(predictNextPurchase('COFFEE', ['2024-01-01'], m)).toBeNull();
  });
});

describe('online retail CSV', () => {
  it.each([
    { line: 'a,b,c', fields: ['a', 'b', 'c'] },
    { line: 'a,,c,', fields: ['a', '', 'c', ''] },
    {
      line: '489445,22241,"GARLAND , WOODEN  "" HAPPY EASTER""",24',
      fields: ['489445', '22241', 'GARLAND , WOODEN  " HAPPY EASTER"', '24'],
    },
    { line: '1,"RECORD FRAME 7"" SINGLE SIZE ",48', fields: ['1', 'RECORD FRAME 7" SINGLE SIZE ', '48'] },
    { line: '"",x', fields: ['', 'x'] },
    { line: '"a,b"', fields: ['a,b'] },
  ])('parses $line', ({ line, fields }) => {
    expect(parseCsvLine(line)).toEqual(fields);
  });

  it.each([
    { row: ['489434', '85048', 'LIGHTS', '12', '2009-12-01 07:45:00', '6.95', '13085', 'UK'], sku: '85048' },
    { row: ['489434', '85123a', 'HEART', '12', '2009-12-01 07:45:00', '2.55', '13085', 'UK'], sku: '85123A' },
    {
      row: ['489434', '15056BL', 'UMBRELLA', '1', '2009-12-01 07:45:00', '5.95', '13085', 'UK'],
      sku: '15056BL',
    },
    { row: ['C489434', '85048', 'LIGHTS', '12', '2009-12-01 07:45:00', '6.95', '13085', 'UK'], sku: null },
    { row: ['489434', '85048', 'LIGHTS', '12', '2009-12-01 07:45:00', '6.95', '', 'UK'], sku: null },
    { row: ['489434', '85048', 'LIGHTS', '-1', '2009-12-01 07:45:00', '6.95', '13085', 'UK'], sku: null },
    { row: ['489434', '85048', 'LIGHTS', '1', '2009-12-01 07:45:00', '0', '13085', 'UK'], sku: null },
    { row: ['489434', 'POST', 'POSTAGE', '1', '2009-12-01 07:45:00', '18', '13085', 'UK'], sku: null },
    { row: ['489434', '8504', 'SHORT', '1', '2009-12-01 07:45:00', '18', '13085', 'UK'], sku: null },
  ])('cleans $row.0 $row.1', ({ row, sku: expected }) => {
    const p = toPurchase(row);
    expect(p?.sku ?? null).toBe(expected);
    if (p !== null) expect(p).toEqual({ customerId: '13085', sku: expected, day: '2009-12-01' });
  });
});

describe('evaluateReplenishment on a tiny synthetic file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replenishment-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Customers re-buy 10001 every 16 or 24 (+ customer) days through 2011; noise rows around them.
  const lines = ['invoice,stock_code,description,quantity,invoice_ts,unit_price,customer_id,country'];
  let invoice = 500_000;
  const start = dayNumber('2011-01-03');
  for (let c = 0; c < 12; c++) {
    for (let d = start + c, k = 0; d < dayNumber('2011-12-01'); d += (k++ % 2 === 0 ? 16 : 24) + c) {
      const ts = `${dayString(d)} 10:00:00`;
      invoice++;
      lines.push(`${invoice},10001,"TEA, ""EARL GREY""",6,${ts},2.5,${17000 + c},United Kingdom`);
      lines.push(`${invoice},10001,"TEA, ""EARL GREY""",6,${ts},2.5,${17000 + c},United Kingdom`); // duplicate
      lines.push(`${invoice},POST,POSTAGE,1,${ts},18,${17000 + c},United Kingdom`);
      lines.push(`C${invoice},10001,TEA,-6,${ts},2.5,${17000 + c},United Kingdom`);
      lines.push(`${invoice},20002,GUEST MUG,1,${ts},3,,United Kingdom`);
    }
  }
  const path = join(dir, 'retail.csv.gz');
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));

  it('reads the cleaned, de-duplicated purchases', async () => {
    const seen: string[] = [];
    for await (const p of readRetailPurchases(path)) seen.push(`${p.customerId} ${p.sku} ${p.day}`);
    expect(seen.length).toBe(new Set(seen).size);
    expect(seen.every((s) => s.includes(' 10001 '))).toBe(true);
  });

  it('scores re-purchases after the cutoff against the baseline', async () => {
    const r = await evaluateReplenishment(path, '2011-09-01');
    expect(r.pairs).toBeGreaterThan(20);
    expect(r.allPairs).toBeGreaterThanOrEqual(r.pairs);
    expect(r.fitPurchases).toBeGreaterThan(100);
    expect(r.maeDays).toBeGreaterThanOrEqual(0);
    expect(r.baselineMaeDays).toBeGreaterThanOrEqual(0);
    expect(r.baselineMaeDays).toBeGreaterThan(0);
    expect(r.improvement).toBeCloseTo(1 - r.maeDays / r.baselineMaeDays, 2);
    // fairly regular customers: both within a few days
    expect(r.baselineMaeDays).toBeLessThan(10);
    expect(r.maeDays).toBeLessThan(15);
    // A duration, rounded to hundredths: a tiny file can take less than 5 ms (0 s). No timing asserted.
    expect(Number.isFinite(r.seconds) && r.seconds >= 0).toBe(true);
  });
});
