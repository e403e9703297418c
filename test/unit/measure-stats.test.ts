import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanDifference, newcombeDifference, wilson } from '../../local/measure/stats.ts';

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
