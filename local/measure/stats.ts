/**
 * Confidence intervals for proportions and their difference: Wilson's score interval for one rate and
 * Newcombe's hybrid score interval (his method 10, 1998) for the difference of two independent rates.
 *
 * Touches of one customer are not independent (a customer who orders often converts on every touch),
 * and a holdout holds the same customers back every time: the per-touch intervals would be too narrow
 * on a long run. `clusteredVariance` treats customers as clusters (the linearised, cluster-robust
 * variance of a ratio mean); `clusteredMeanDifference` uses it directly, and
 * `clusteredProportionDifference` feeds Newcombe the effective sample sizes it implies.
 *
 * Why not Wald (p ± z·SE): with the small control groups a 5–10% holdout gives, and conversion rates of
 * a few percent, Wald collapses to a zero-width interval at 0 conversions and undercovers near 0 and 1.
 * Wilson and Newcombe stay inside [0, 1] / [-1, 1], are defined at zero counts and keep close to their
 * nominal coverage at any n.
 */

/** The two-sided 95% normal quantile. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** An estimate with its confidence interval; `low ≤ estimate ≤ high` always holds. */
export interface Estimate extends Interval {
  estimate: number;
}

/** Wilson's score interval for `successes` out of `n` (null when n is 0: no rate to speak of). */
export function wilson(successes: number, n: number, z = Z95): Interval | null {
  if (n <= 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp rounding noise: at p = 0 the lower bound is 0 exactly in theory.
  return { low: Math.max(0, Math.min(p, centre - half)), high: Math.min(1, Math.max(p, centre + half)) };
}

/**
 * The difference p1 − p2 of two independent proportions with Newcombe's hybrid score interval:
 * each rate's distance to its Wilson bounds, combined in quadrature. Null when either group is empty.
 */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, z = Z95): Estimate | null {
  const w1 = wilson(x1, n1, z);
  const w2 = wilson(x2, n2, z);
  if (w1 === null || w2 === null) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const estimate = p1 - p2;
  const low = estimate - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2);
  const high = estimate + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2);
  return { estimate, low: Math.max(-1, low), high: Math.min(1, high) };
}

/**
 * The difference of two means from their sums and sums of squares, with a large-sample (Welch, normal)
 * 95% interval. Null when a group has fewer than two members (no variance to estimate).
 */
export function meanDifference(
  a: { n: number; sum: number; sumSquares: number },
  b: { n: number; sum: number; sumSquares: number },
  z = Z95,
): Estimate | null {
  if (a.n < 2 || b.n < 2) return null;
  const ma = a.sum / a.n;
  const mb = b.sum / b.n;
  // Sample variances; max(0, …) absorbs rounding when every value is equal.
  const va = Math.max(0, (a.sumSquares - a.n * ma * ma) / (a.n - 1));
  const vb = Math.max(0, (b.sumSquares - b.n * mb * mb) / (b.n - 1));
  const estimate = ma - mb;
  const half = z * Math.sqrt(va / a.n + vb / b.n);
  return { estimate, low: estimate - half, high: estimate + half };
}

/**
 * Observations (touches) grouped in clusters (customers): `n` observations summing to `sum`, in
 * `clusters` clusters with totals y_i over m_i observations, and over the clusters Σ y_i², Σ y_i·m_i,
 * Σ m_i². With one observation per cluster this is the plain sample.
 */
export interface ClusteredSums {
  n: number;
  sum: number;
  clusters: number;
  yy: number;
  ym: number;
  mm: number;
}

/**
 * The variance of the ratio mean Σy/Σm, cluster-robust: G/(G−1) · Σ(y_i − mean·m_i)² / n². Null with
 * fewer than two clusters (no spread to estimate). With single-observation clusters it is s²/n, so the
 * interval below is then Welch's.
 */
export function clusteredVariance(s: ClusteredSums): number | null {
  if (s.clusters < 2 || s.n <= 0) return null;
  const mean = s.sum / s.n;
  // Σ(y − mean·m)² expanded; max(0, …) absorbs rounding when every cluster sits on the mean.
  const squares = Math.max(0, s.yy - 2 * mean * s.ym + mean * mean * s.mm);
  return ((s.clusters / (s.clusters - 1)) * squares) / (s.n * s.n);
}

/** The difference of two ratio means with a normal 95% interval from their cluster-robust variances. */
export function clusteredMeanDifference(a: ClusteredSums, b: ClusteredSums, z = Z95): Estimate | null {
  const va = clusteredVariance(a);
  const vb = clusteredVariance(b);
  if (va === null || vb === null) return null;
  const estimate = a.sum / a.n - b.sum / b.n;
  const half = z * Math.sqrt(va + vb);
  return { estimate, low: estimate - half, high: estimate + half };
}

/**
 * The sample size a clustered proportion is worth: n divided by its design effect (cluster-robust
 * variance over the binomial p(1−p)/n, at least 1; 1 when either is not defined).
 */
export function effectiveSize(s: ClusteredSums): number {
  if (s.n <= 0) return 0;
  const p = s.sum / s.n;
  const binomial = (p * (1 - p)) / s.n;
  const clustered = clusteredVariance(s);
  if (clustered === null || binomial <= 0) return s.n;
  return s.n / Math.max(1, clustered / binomial);
}

/**
 * The difference of two clustered proportions (`sum` = successes) with Newcombe's interval on their
 * effective sample sizes: the rates stay as measured, the interval widens by each design effect.
 */
export function clusteredProportionDifference(a: ClusteredSums, b: ClusteredSums, z = Z95): Estimate | null {
  if (a.n <= 0 || b.n <= 0) return null;
  const na = effectiveSize(a);
  const nb = effectiveSize(b);
  return newcombeDifference((a.sum / a.n) * na, na, (b.sum / b.n) * nb, nb, z);
}
