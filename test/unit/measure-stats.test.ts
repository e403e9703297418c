import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusteredSums } from '../../local/measure/stats.ts';
import {
  clusteredMeanDifference,
  clusteredProportionDifference,
  clusteredVariance,
  effectiveSize,
  meanDifference,
  newcombeDifference,
  wilson,
} from '../../local/measure/stats.ts';

describe('wilson', () => {
  it.each([
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", worked examples.
    { x: 81, n: 263, low: 0.2553, high: 0.3662 },
    { x: 15, n: 148, low: 0.0624, high: 0.1605 },
    { x: 0, n: 20, low: 0, high: 0.1611 },
    { x: 1, n: 29, low: 0.0061, high: 0.1718 },
  ])('gives the published interval for $x/$n', ({ x, n, low, high }) => {
    // Act
    const w = wilson(x, n);

    // Assess
    expect(w?.low).toBeCloseTo(low, 4);
    expect(w?.high).toBeCloseTo(high, 4);
  });

  it('is null for an empty group', () => {
    expect(wilson(0, 0)).toBeNull();
  });
});

describe('newcombeDifference', () => {
  it.each([
    // Newcombe (1998), "Interval estimation for the difference between independent proportions",
    // method 10 (hybrid score), examples (a), (b), (g) and (h).
    { x1: 56, n1: 70, x2: 48, n2: 80, low: 0.0524, high: 0.3339 },
    { x1: 9, n1: 10, x2: 3, n2: 10, low: 0.1705, high: 0.809 },
    { x1: 0, n1: 10, x2: 0, n2: 20, low: -0.1611, high: 0.2775 },
    { x1: 0, n1: 10, x2: 0, n2: 10, low: -0.2775, high: 0.2775 },
  ])('gives the published interval for $x1/$n1 − $x2/$n2', ({ x1, n1, x2, n2, low, high }) => {
    // Act
    const d = newcombeDifference(x1, n1, x2, n2);

    // Assess
    expect(d?.estimate).toBeCloseTo(x1 / n1 - x2 / n2, 10);
    expect(d?.low).toBeCloseTo(low, 4);
    expect(d?.high).toBeCloseTo(high, 4);
  });

  it('is null when either group is empty', () => {
    expect(newcombeDifference(0, 0, 3, 10)).toBeNull();
    expect(newcombeDifference(3, 10, 0, 0)).toBeNull();
  });

  it('contains the point estimate and stays within [-1, 1] for any counts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n1, n2, f1, f2) => {
          const d = newcombeDifference(Math.round(f1 * n1), n1, Math.round(f2 * n2), n2);
          expect(d).not.toBeNull();
          if (d === null) return;
          expect(d.low).toBeLessThanOrEqual(d.estimate);
          expect(d.estimate).toBeLessThanOrEqual(d.high);
          expect(d.low).toBeGreaterThanOrEqual(-1);
          expect(d.high).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('meanDifference', () => {
  it('gives the Welch normal interval of two means', () => {
    // Prepare: a = [0, 1, 2, 3] (mean 1.5, var 5/3), b = [0, 0, 1] (mean 1/3, var 1/3)
    const a = { n: 4, sum: 6, sumSquares: 14 };
    const b = { n: 3, sum: 1, sumSquares: 1 };

    // Act
    const d = meanDifference(a, b);

    // Assess
    const half = 1.959963984540054 * Math.sqrt(5 / 3 / 4 + 1 / 3 / 3);
    expect(d?.estimate).toBeCloseTo(1.5 - 1 / 3, 12);
    expect(d?.low).toBeCloseTo(1.5 - 1 / 3 - half, 12);
    expect(d?.high).toBeCloseTo(1.5 - 1 / 3 + half, 12);
  });

  it('is null with fewer than two members in a group', () => {
    expect(meanDifference({ n: 1, sum: 1, sumSquares: 1 }, { n: 5, sum: 0, sumSquares: 0 })).toBeNull();
  });
});

/** Clustered sums of customers given as [touches, total] pairs. */
function sums(customers: [number, number][]): ClusteredSums {
  const s: ClusteredSums = { n: 0, sum: 0, clusters: 0, yy: 0, ym: 0, mm: 0 };
  for (const [m, y] of customers) {
    s.n += m;
    s.sum += y;
    s.clusters += 1;
    s.yy += y * y;
    s.ym += y * m;
    s.mm += m * m;
  }
  return s;
}

describe('clusteredVariance', () => {
  it('is G/(G−1) · Σ(y − mean·m)² / n² over the customers', () => {
    // Prepare: (2 touches, 2 orders), (1, 0), (3, 1): mean 0.5, residuals 1, −0.5, −0.5.
    const s = sums([
      [2, 2],
      [1, 0],
      [3, 1],
    ]);

    // Act
    const v = clusteredVariance(s);

    // Assess
    expect(v).toBeCloseTo((3 / 2) * (1.5 / 36), 12);
  });

  it('is null with fewer than two customers', () => {
    expect(clusteredVariance(sums([[5, 3]]))).toBeNull();
  });
});

describe('clusteredMeanDifference', () => {
  it("is Welch's interval when every customer has one touch", () => {
    const a = sums([
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    const b = sums([
      [1, 0],
      [1, 0],
      [1, 1],
    ]);
    const clustered = clusteredMeanDifference(a, b);
    const welch = meanDifference({ n: 4, sum: 6, sumSquares: 14 }, { n: 3, sum: 1, sumSquares: 1 });
    expect(clustered?.estimate).toBeCloseTo(welch?.estimate ?? Number.NaN, 12);
    expect(clustered?.low).toBeCloseTo(welch?.low ?? Number.NaN, 12);
    expect(clustered?.high).toBeCloseTo(welch?.high ?? Number.NaN, 12);
  });

  it('widens when the same customers repeat the same outcome on every touch', () => {
    // Prepare: 20 customers × 5 touches; in a, 8 customers order on every touch, in b 4 do.
    const a = sums(Array.from({ length: 20 }, (_, i): [number, number] => [5, i < 8 ? 5 : 0]));
    const b = sums(Array.from({ length: 20 }, (_, i): [number, number] => [5, i < 4 ? 5 : 0]));
    const independent = meanDifference(
      { n: a.n, sum: a.sum, sumSquares: a.sum },
      { n: b.n, sum: b.sum, sumSquares: b.sum },
    );

    // Act
    const d = clusteredMeanDifference(a, b);

    // Assess: the same estimate, an interval about √5 times as wide.
    expect(d?.estimate).toBeCloseTo(0.2, 12);
    const ratio = ((d?.high ?? 0) - (d?.low ?? 0)) / ((independent?.high ?? 0) - (independent?.low ?? 1));
    expect(ratio).toBeGreaterThan(2);
    expect(ratio).toBeLessThan(2.5);
  });
});

describe('effectiveSize', () => {
  it('is n − 1 for one touch per customer and G − 1 when customers convert on all touches or none', () => {
    expect(
      effectiveSize(sums(Array.from({ length: 50 }, (_, i): [number, number] => [1, i < 20 ? 1 : 0]))),
    ).toBeCloseTo(49, 9);
    expect(
      effectiveSize(sums(Array.from({ length: 10 }, (_, i): [number, number] => [5, i < 4 ? 5 : 0]))),
    ).toBeCloseTo(9, 9);
  });

  it('is n when the rate is 0 or 1 (no spread to measure)', () => {
    expect(
      effectiveSize(
        sums([
          [3, 0],
          [4, 0],
        ]),
      ),
    ).toBe(7);
    expect(
      effectiveSize(
        sums([
          [3, 3],
          [4, 4],
        ]),
      ),
    ).toBe(7);
  });
});

describe('clusteredProportionDifference', () => {
  it("is Newcombe's interval on the effective sizes: same rates, wider than per touch", () => {
    // Prepare: 40 customers × 5 touches each arm; 12 vs 6 customers convert on every touch.
    const a = sums(Array.from({ length: 40 }, (_, i): [number, number] => [5, i < 12 ? 5 : 0]));
    const b = sums(Array.from({ length: 40 }, (_, i): [number, number] => [5, i < 6 ? 5 : 0]));

    // Act
    const d = clusteredProportionDifference(a, b);
    const perTouch = newcombeDifference(a.sum, a.n, b.sum, b.n);

    // Assess
    expect(d?.estimate).toBeCloseTo(0.15, 12);
    expect(d?.low).toBeLessThan(perTouch?.low ?? 0);
    expect(d?.high).toBeGreaterThan(perTouch?.high ?? 0);
    const byCustomer = newcombeDifference(12 * (39 / 40), 39, 6 * (39 / 40), 39);
    expect(d?.low).toBeCloseTo(byCustomer?.low ?? 0, 9);
    expect(d?.high).toBeCloseTo(byCustomer?.high ?? 0, 9);
  });

  it('is null when either arm has no touches', () => {
    expect(clusteredProportionDifference(sums([]), sums([[1, 1]]))).toBeNull();
  });
});
