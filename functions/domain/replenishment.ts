/**
 * Replenishment: predicts when a customer will re-buy a product they bought before, so a trigger can nudge
 * them shortly before.
 *
 * Pure: no I/O, no clock. Days are calendar days 'YYYY-MM-DD'; arithmetic is on whole days since the Unix
 * epoch (via Date.UTC), so there is no time zone or DST in play.
 *
 * ## The model
 *
 * Gift-ware (and most retail) is seasonal: a Christmas item bought in December is not re-bought in
 * February but next October. Intervals are therefore measured in *seasonal days*: each calendar day counts
 * as the product's relative sales intensity for that month of the year (12 factors, mean 1, shrunk toward
 * the shop-wide profile). A flat product's seasonal days are calendar days.
 *
 * For a sku and a customer's purchase days d_0 < … < d_n (n observed intervals, seasonal days g_i):
 *
 *     a      = mean_i ln g_i                                      the customer's own (log) interval
 *     pop    = (R·m_sku + k_p·m_global) / (R + k_p)               the product's (log) interval, R = repeat
 *                                                                 customers, m = mean over repeat customers
 *                                                                 of their mean log interval
 *     prior  = pop + γ · c/(c + k_c) · ln(cadence / globalCadence) when the customer's order days are known
 *                                                                 (c order gaps, cadence = their median)
 *     w      = n / (n + k)                                        shrinkage weight of the customer's interval
 *     ln I   = w·a + (1 − w)·prior + b_0 − b_n · ln(1 + n)
 *
 * and the predicted day is the day at which I seasonal days have elapsed after the last purchase. With one
 * purchase day (n = 0) the interval is the population's. The offset b_0 − b_n·ln(1 + n) turns the
 * geometric-mean blend into an estimate of the *median* next interval (what minimises absolute error):
 * intervals seen in a finite history are biased short (long gaps are cut off by the window's end), most
 * strongly for customers with little history, while customers with a long regular history re-buy at or a
 * bit below their geometric mean.
 *
 * The defaults of {@link DEFAULT_REPLENISHMENT_PARAMS} were chosen on real data (bench/replenishment-tune.ts),
 * fitting before 2011-05-01 and validating on 2011-05-01..2011-09-01, never on the test period
 * (2011-09-01..) that bench/replenishment-eval.ts reports. Data: UCI Machine Learning Repository #502 Online
 * Retail II, Daqing Chen, Sai Liang Sain and Kun Guo (2012), doi:10.24432/C5CG6D, CC BY 4.0.
 */

export interface SkuStats {
  /** Re-purchase intervals observed in the fit data (all customers, pooled). */
  intervals: number;
  /** Customers who bought the sku at least once. */
  customers: number;
  /** Customers who bought it on two or more distinct days. */
  repeatCustomers: number;
  /** Median of the pooled intervals, calendar days (descriptive). */
  medianIntervalDays: number;
  /** Mean over repeat customers of their mean ln(interval in seasonal days): the model's population interval. */
  meanLogInterval: number;
  /** Standard deviation of the pooled ln(interval in seasonal days); 0 with fewer than two intervals. */
  sdLogInterval: number;
  /** Relative sales intensity per month of the year, January first: 12 factors of mean 1. */
  season: number[];
}

export interface ReplenishmentParams {
  /** k: the customer's interval gets weight n / (n + k) against the population's (n = observed intervals). */
  shrinkage: number;
  /** A sku with fewer repeat customers than this is not replenishable (prediction null). */
  minRepeatCustomers: number;
  /** …nor one whose share of repeat customers among its customers is below this. */
  minRepeatRate: number;
  /** k_p: the sku's log interval is shrunk toward the global one with weight R / (R + k_p), R repeat customers. */
  priorShrinkage: number;
  /** b_0: log-space offset turning the geometric blend into a median estimate (see the module doc). */
  offset: number;
  /** b_n: the offset decreases by b_n · ln(1 + n) with the n observed intervals of the customer. */
  offsetPerLogHistory: number;
  /** γ: weight of the customer's general order cadence (relative to the global cadence) in the prior. */
  cadenceWeight: number;
  /** k_c: the cadence of a customer with c order gaps counts c / (c + k_c). */
  cadenceShrinkage: number;
  /** The cadence is the median gap between the last this-many distinct order days. */
  cadenceOrders: number;
  /** Measure intervals in seasonal days (true) or plain calendar days (false: every factor 1). */
  seasonality: boolean;
  /** Pseudo-count of the seasonal profile: a month's factor is shrunk toward the shop-wide one. */
  seasonPrior: number;
  /** Lowest monthly intensity (relative to mean 1), so that a wait through the off-season stays finite. */
  seasonFloor: number;
  /** Only the last this-many purchase days of a customer and sku are used (the live state keeps 8). */
  maxHistoryDays: number;
}

export interface ReplenishmentModel {
  skus: Record<string, SkuStats>;
  global: {
    /** Median of all pooled intervals, calendar days (descriptive). */
    medianIntervalDays: number;
    /** Mean over all repeat (customer, sku) pairs of their mean ln(seasonal interval). */
    meanLogInterval: number;
    /** Shop-wide relative sales intensity per month of the year (12 factors of mean 1). */
    season: number[];
    /** Median gap between consecutive distinct order days of a customer, pooled over customers. */
    medianOrderGapDays: number;
  };
  params: ReplenishmentParams;
}

export interface Purchase {
  customerId: string;
  sku: string;
  /** 'YYYY-MM-DD' */
  day: string;
}

export interface Prediction {
  sku: string;
  /** The last purchase day the prediction starts from. */
  lastDay: string;
  /** predictedDay − lastDay, calendar days (≥ 1). */
  intervalDays: number;
  predictedDay: string;
  /**
   * 0..1: the probability, under a log-normal spread around the prediction, that the actual re-purchase
   * falls within ±25% of the predicted interval. The spread is the sku's interval spread, narrowed toward
   * the customer's own spread as their history grows.
   */
  confidence: number;
}

/** Extra knowledge about the customer, all optional. */
export interface PredictionContext {
  /**
   * The customer's order days (any products), 'YYYY-MM-DD', any order — or the same parsed once with
   * {@link orderDayNumbers} for the predictions of many products. Only days up to the last purchase of
   * the sku are used, so the prediction made at that purchase does not move with later orders.
   */
  orderDays?: readonly string[] | OrderDays;
}

/** A customer's order days, parsed: distinct day numbers, ascending. */
export interface OrderDays {
  readonly sorted: readonly number[];
}

/** Parses order days once ('YYYY-MM-DD', any order; throws RangeError like {@link dayNumber}). */
export function orderDayNumbers(days: readonly string[]): OrderDays {
  return { sorted: sortedDistinctDays(days) };
}

/**
 * Defaults chosen on the validation split (fit < 2011-05-01, validate 2011-05-01..2011-09-01) of the UCI
 * Online Retail II data by coordinate descent on the mean absolute error in days over re-purchases with ≥ 2
 * earlier days (bench/replenishment-tune.ts; validation MAE 62.6 days vs 77.5 for the baseline):
 *
 * - blend space and statistic: log space. The mean of the customer's log intervals, their median, a
 *   trimmed mean and recency-weighted means came within 0.15 day of each other (the plain mean is kept);
 *   the log of the mean interval was 0.1 day worse. The sku's interval as the mean over its repeat
 *   customers (each counts once) beat pooling all intervals, where heavy buyers dominate, by 0.5 day;
 * - shrinkage k = 10.25: 7 observed intervals still give the customer only 41% weight — single gaps are
 *   noisy; priorShrinkage 3 pulls rarely re-bought skus toward the shop-wide interval;
 * - offset b_0 = 0.725 and b_n = 0.45: the interval is ×2.06 the geometric blend with one purchase day,
 *   ×1.51 with two, ×0.81 with eight (see the module doc); one constant offset was ~2 days worse;
 * - seasonal days (seasonPrior 5, seasonFloor 0.15; the grid's other points were within 0.3 day) beat
 *   calendar days by 0.5 day on validation (a summer window); with the same blend parameters the autumn
 *   test period shows 8 days (60.7 vs 69.1), the peak season being where seasonality matters;
 * - the customer's order cadence (weight 0.2, no shrinkage) is worth 0.5 day; a customer-wide "re-buy
 *   pace" over other products, a per-customer seasonal profile and the sku's interval spread did not help;
 * - minRepeatCustomers / minRepeatRate are product decisions (a product almost nobody re-buys gets no
 *   nudge), not tuned: tuning them would only choose which events are scored.
 */
export const DEFAULT_REPLENISHMENT_PARAMS: ReplenishmentParams = {
  shrinkage: 10.25,
  minRepeatCustomers: 2,
  minRepeatRate: 0.02,
  priorShrinkage: 3,
  offset: 0.725,
  offsetPerLogHistory: 0.45,
  cadenceWeight: 0.2,
  cadenceShrinkage: 0,
  cadenceOrders: 50,
  seasonality: true,
  seasonPrior: 5,
  seasonFloor: 0.15,
  maxHistoryDays: 8,
};

// ---------------------------------------------------------------------------------------------------------
// Day arithmetic (local on purpose: no dependency on a shared time module).

const MS_PER_DAY = 86_400_000;
const DIGIT_0 = 48;

/** The value of the ASCII digits of `s` in [from, to), or -1 when one is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - DIGIT_0;
    if (!(c >= 0 && c <= 9)) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Whole days since 1970-01-01 of a 'YYYY-MM-DD' day; throws RangeError on anything else. */
export function dayNumber(day: string): number {
  // Parsed by hand: this runs for every purchase day of every prediction and fit.
  const y = day.length === 10 ? digits(day, 0, 4) : -1;
  const mo = digits(day, 5, 7);
  const d = digits(day, 8, 10);
  if (y < 0 || mo < 0 || d < 0 || day.charCodeAt(4) !== 45 || day.charCodeAt(7) !== 45) {
    throw new RangeError(`not a YYYY-MM-DD day: ${JSON.stringify(day)}`);
  }
  // Date.UTC reads years 0..99 as 1900..1999: those never come back as themselves, like an invalid day.
  const ms = Date.UTC(y, mo - 1, d);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) {
    throw new RangeError(`not a calendar day: ${day}`);
  }
  return Math.round(ms / MS_PER_DAY);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Whole day numbers of the years 0..9999 take the integer civil arithmetic below (H. Hinnant's
// days-from-civil and back, proleptic Gregorian like Date); anything else goes through Date.
const FIRST_DAY = -719_528; // 0000-01-01
const LAST_DAY = 2_932_896; // 9999-12-31

function isPlainDay(n: number): boolean {
  return Number.isInteger(n) && n >= FIRST_DAY && n <= LAST_DAY;
}

/** Year, month (1..12) and day of a plain day number, packed as year·10000 + month·100 + day. */
function civil(n: number): number {
  const z = n + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return year * 10_000 + month * 100 + (doy - Math.floor((153 * mp + 2) / 5) + 1);
}

/** Day number of a civil date (month 1..12). */
function fromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** 'YYYY-MM-DD' of a day number (inverse of {@link dayNumber}). */
export function dayString(n: number): string {
  if (!isPlainDay(n)) return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
  const c = civil(n);
  return `${pad(Math.floor(c / 10_000), 4)}-${pad(Math.floor(c / 100) % 100, 2)}-${pad(c % 100, 2)}`;
}

/** Months since year 0 (year·12 + month0) of a day number. */
function monthIndex(n: number): number {
  if (!isPlainDay(n)) {
    const d = new Date(n * MS_PER_DAY);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  }
  const c = civil(n);
  return Math.floor(c / 10_000) * 12 + (Math.floor(c / 100) % 100) - 1;
}

/** Day number of the first day of a month index. */
function monthStart(index: number): number {
  // Date.UTC reads the years 0..99 as 1900..1999: those keep going through it.
  if (!Number.isInteger(index) || index < 1200 || index >= 120_000)
    return Math.round(Date.UTC(Math.floor(index / 12), index % 12, 1) / MS_PER_DAY);
  return fromCivil(Math.floor(index / 12), (index % 12) + 1, 1);
}

function factor(season: readonly number[], index: number): number {
  return season[index % 12] ?? 1;
}

/** Seasonal days between day numbers `from` ≤ `to`: Σ over the days of their month's intensity. */
export function seasonalDays(from: number, to: number, season: readonly number[]): number {
  let total = 0;
  let day = from;
  let month = monthIndex(from);
  while (day < to) {
    const end = Math.min(to, monthStart(month + 1));
    total += (end - day) * factor(season, month);
    day = end;
    month++;
  }
  return total;
}

/** The (fractional) day number at which `amount` seasonal days have elapsed after `from`. */
export function addSeasonalDays(from: number, amount: number, season: readonly number[]): number {
  let day = from;
  let month = monthIndex(from);
  let rest = amount;
  // Intensities are floored above 0, so this ends; the cap only guards against absurd amounts.
  for (let i = 0; i < 1200; i++) {
    const end = monthStart(month + 1);
    const f = factor(season, month);
    const capacity = (end - day) * f;
    if (capacity >= rest) return day + rest / f;
    rest -= capacity;
    day = end;
    month++;
  }
  return day;
}

// ---------------------------------------------------------------------------------------------------------
// Small statistics.

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const hi = sorted[mid] ?? Number.NaN;
  if (sorted.length % 2 === 1) return hi;
  return ((sorted[mid - 1] ?? hi) + hi) / 2;
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length === 0 ? Number.NaN : s / values.length;
}

function sd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return sign * y;
}

/** ln of an interval in seasonal days; same-month re-buys in an off-season month are floored at half a day. */
function logInterval(seasonal: number): number {
  return Math.log(Math.max(0.5, seasonal));
}

function normalizeSeason(raw: readonly number[], floor: number): number[] {
  const m1 = mean(raw);
  const floored = raw.map((x) => Math.max(floor, m1 > 0 ? x / m1 : 1));
  const m2 = mean(floored);
  return floored.map((x) => x / m2);
}

/** Days of each month of the year (index 0 = January) in [from, to]. */
function exposure(from: number, to: number): number[] {
  const out = new Array<number>(12).fill(0);
  let day = from;
  let month = monthIndex(from);
  while (day <= to) {
    const end = Math.min(to + 1, monthStart(month + 1));
    out[month % 12] = (out[month % 12] ?? 0) + (end - day);
    day = end;
    month++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Fitting.

interface SkuAccumulator {
  monthCounts: number[];
  firstDay: number;
  customers: number;
  repeatCustomers: number;
  pairDays: number[][];
}

/**
 * Fits the model on purchases (any order; repeated (customer, sku, day) triples count once). Memory is
 * linear in the number of distinct purchases.
 */
export function fitReplenishmentModel(
  purchases: Iterable<Purchase>,
  params: Partial<ReplenishmentParams> = {},
): ReplenishmentModel {
  const p: ReplenishmentParams = { ...DEFAULT_REPLENISHMENT_PARAMS, ...params };
  const pairs = new Map<string, Map<string, Set<number>>>(); // sku → customer → days
  const orderDays = new Map<string, Set<number>>();
  let minDay = Number.POSITIVE_INFINITY;
  let maxDay = Number.NEGATIVE_INFINITY;

  for (const purchase of purchases) {
    const day = dayNumber(purchase.day);
    if (day < minDay) minDay = day;
    if (day > maxDay) maxDay = day;
    let byCustomer = pairs.get(purchase.sku);
    if (byCustomer === undefined) {
      byCustomer = new Map();
      pairs.set(purchase.sku, byCustomer);
    }
    let days = byCustomer.get(purchase.customerId);
    if (days === undefined) {
      days = new Set();
      byCustomer.set(purchase.customerId, days);
    }
    days.add(day);
    let orders = orderDays.get(purchase.customerId);
    if (orders === undefined) {
      orders = new Set();
      orderDays.set(purchase.customerId, orders);
    }
    orders.add(day);
  }

  // Shop-wide season: purchases per month of the year over the days of that month in the data.
  const globalCounts = new Array<number>(12).fill(0);
  const accumulators = new Map<string, SkuAccumulator>();
  for (const [sku, byCustomer] of pairs) {
    const acc: SkuAccumulator = {
      monthCounts: new Array<number>(12).fill(0),
      firstDay: Number.POSITIVE_INFINITY,
      customers: byCustomer.size,
      repeatCustomers: 0,
      pairDays: [],
    };
    for (const daySet of byCustomer.values()) {
      const days = [...daySet].sort((a, b) => a - b);
      for (const d of days) {
        const m = monthIndex(d) % 12;
        acc.monthCounts[m] = (acc.monthCounts[m] ?? 0) + 1;
        globalCounts[m] = (globalCounts[m] ?? 0) + 1;
        if (d < acc.firstDay) acc.firstDay = d;
      }
      if (days.length > 1) {
        acc.repeatCustomers++;
        acc.pairDays.push(days);
      }
    }
    accumulators.set(sku, acc);
  }

  const empty = accumulators.size === 0;
  const globalExposure = empty ? new Array<number>(12).fill(1) : exposure(minDay, maxDay);
  const globalRate = globalCounts.map((c, m) => {
    const e = globalExposure[m] ?? 0;
    return e > 0 ? c / e : 0;
  });
  // Months absent from the data (less than a year of history) count as average months.
  const observed = globalRate.filter((_, m) => (globalExposure[m] ?? 0) > 0);
  const avgRate = observed.length > 0 ? mean(observed) : 1;
  const flat = new Array<number>(12).fill(1);
  const globalSeason = p.seasonality
    ? normalizeSeason(
        globalRate.map((r, m) => ((globalExposure[m] ?? 0) > 0 ? r : avgRate)),
        p.seasonFloor,
      )
    : flat;

  // Per-sku season: the sku's deviation from the shop-wide season, with a pseudo-count of seasonPrior
  // purchases per month, over the months since the sku's first sale (a new product's unseen months take
  // the shop-wide factor).
  const skus: Record<string, SkuStats> = {};
  const allIntervalsDays: number[] = [];
  const pairMeanLogs: number[] = [];
  for (const [sku, acc] of accumulators) {
    const e = exposure(acc.firstDay, maxDay);
    const expected = e.map((days, m) => days * (globalSeason[m] ?? 1));
    const total = acc.monthCounts.reduce((a, b) => a + b, 0);
    const expectedTotal = expected.reduce((a, b) => a + b, 0);
    const rate = expectedTotal > 0 ? total / expectedTotal : 0;
    const season = p.seasonality
      ? normalizeSeason(
          acc.monthCounts.map(
            (c, m) =>
              ((globalSeason[m] ?? 1) * (c + p.seasonPrior)) / (rate * (expected[m] ?? 0) + p.seasonPrior),
          ),
          p.seasonFloor,
        )
      : flat;

    const pooledDays: number[] = [];
    const pooledLogs: number[] = [];
    const skuPairMeans: number[] = [];
    for (const days of acc.pairDays) {
      const logs: number[] = [];
      for (let i = 1; i < days.length; i++) {
        const from = days[i - 1] ?? 0;
        const to = days[i] ?? 0;
        pooledDays.push(to - from);
        logs.push(logInterval(seasonalDays(from, to, season)));
      }
      pooledLogs.push(...logs);
      skuPairMeans.push(mean(logs));
    }
    for (const d of pooledDays) allIntervalsDays.push(d);
    for (const m of skuPairMeans) pairMeanLogs.push(m);
    skus[sku] = {
      intervals: pooledDays.length,
      customers: acc.customers,
      repeatCustomers: acc.repeatCustomers,
      medianIntervalDays: pooledDays.length > 0 ? median(pooledDays) : 0,
      meanLogInterval: skuPairMeans.length > 0 ? mean(skuPairMeans) : 0,
      sdLogInterval: sd(pooledLogs),
      season: season.map(round4),
    };
  }

  const orderGaps: number[] = [];
  for (const set of orderDays.values()) {
    const days = [...set].sort((a, b) => a - b);
    for (let i = 1; i < days.length; i++) orderGaps.push((days[i] ?? 0) - (days[i - 1] ?? 0));
  }

  return {
    skus,
    global: {
      medianIntervalDays: allIntervalsDays.length > 0 ? median(allIntervalsDays) : 0,
      // An empty fit still predicts something sane: ~50 days, the data's median gap.
      meanLogInterval: pairMeanLogs.length > 0 ? mean(pairMeanLogs) : Math.log(50),
      season: globalSeason.map(round4),
      medianOrderGapDays: orderGaps.length > 0 ? median(orderGaps) : 30,
    },
    params: p,
  };
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

// ---------------------------------------------------------------------------------------------------------
// Prediction.

/** Whether the model considers the sku replenishable (known, enough repeat customers, high enough rate). */
export function isReplenishable(sku: string, model: ReplenishmentModel): boolean {
  const stats = model.skus[sku];
  if (stats === undefined || stats.customers === 0) return false;
  return (
    stats.repeatCustomers >= Math.max(1, model.params.minRepeatCustomers) &&
    stats.repeatCustomers / stats.customers >= model.params.minRepeatRate
  );
}

/** The population's log interval of a sku (seasonal days), shrunk toward the global one. */
export function populationLogInterval(stats: SkuStats, model: ReplenishmentModel): number {
  const r = stats.repeatCustomers;
  const kp = model.params.priorShrinkage;
  return (r * stats.meanLogInterval + kp * model.global.meanLogInterval) / (r + kp);
}

/** Shrinkage weight of a customer's own interval after n observed intervals: n / (n + k). */
export function customerWeight(n: number, model: ReplenishmentModel): number {
  return n <= 0 ? 0 : n / (n + model.params.shrinkage);
}

function sortedDistinctDays(days: readonly string[]): number[] {
  return [...new Set(days.map(dayNumber))].sort((a, b) => a - b);
}

/** ln(cadence / global cadence) and the number of order gaps, from order days up to `lastDay`. */
function cadence(
  orderDays: readonly string[] | OrderDays,
  lastDay: number,
  model: ReplenishmentModel,
): { logRatio: number; gaps: number } {
  if (!('sorted' in orderDays)) return cadenceOf(sortedDistinctDays(orderDays), lastDay, model);
  // Products bought in one order share their last day: one cadence for all of them.
  let known = cadences.get(orderDays);
  if (known === undefined || known.model !== model) {
    known = { model, byLastDay: new Map() };
    cadences.set(orderDays, known);
  }
  let c = known.byLastDay.get(lastDay);
  if (c === undefined) {
    c = cadenceOf(orderDays.sorted, lastDay, model);
    known.byLastDay.set(lastDay, c);
  }
  return c;
}

const cadences = new WeakMap<
  OrderDays,
  { model: ReplenishmentModel; byLastDay: Map<number, { logRatio: number; gaps: number }> }
>();

function cadenceOf(
  sorted: readonly number[],
  lastDay: number,
  model: ReplenishmentModel,
): { logRatio: number; gaps: number } {
  const days = sorted.filter((d) => d <= lastDay);
  const recent = days.slice(-Math.max(2, model.params.cadenceOrders));
  const gaps: number[] = [];
  for (let i = 1; i < recent.length; i++) gaps.push((recent[i] ?? 0) - (recent[i - 1] ?? 0));
  if (gaps.length === 0 || !(model.global.medianOrderGapDays > 0)) return { logRatio: 0, gaps: 0 };
  return { logRatio: Math.log(median(gaps) / model.global.medianOrderGapDays), gaps: gaps.length };
}

/** What a prediction is made of; see {@link replenishmentFeatures}. */
export interface ReplenishmentFeatures {
  sku: string;
  /** Day number of the last purchase. */
  lastDay: number;
  /** Observed intervals of the customer (distinct days used − 1). */
  n: number;
  /** Mean ln(seasonal interval) of the customer; null with n = 0. */
  ownLogInterval: number | null;
  /** Standard deviation of the customer's ln intervals (0 with n < 2). */
  ownSdLogInterval: number;
  /** The sku's mean log interval, its repeat customers and the global mean log interval. */
  skuLogInterval: number;
  skuRepeatCustomers: number;
  skuSdLogInterval: number;
  globalLogInterval: number;
  /** ln(customer cadence / global cadence) and the number of order gaps behind it (0 = unknown). */
  cadenceLogRatio: number;
  cadenceGaps: number;
  season: readonly number[];
}

/**
 * The inputs of a prediction, before any of the blend parameters (shrinkage, offsets, cadence weight,
 * prior shrinkage) is applied. Null when {@link predictNextPurchase} would return null.
 */
export function replenishmentFeatures(
  sku: string,
  days: readonly string[],
  model: ReplenishmentModel,
  context: PredictionContext = {},
): ReplenishmentFeatures | null {
  if (days.length === 0) return null;
  const stats = model.skus[sku];
  if (stats === undefined || !isReplenishable(sku, model)) return null;
  const p = model.params;
  const history = sortedDistinctDays(days).slice(-Math.max(1, p.maxHistoryDays));
  const last = history[history.length - 1];
  if (last === undefined) return null;
  const logs: number[] = [];
  for (let i = 1; i < history.length; i++) {
    logs.push(logInterval(seasonalDays(history[i - 1] ?? last, history[i] ?? last, stats.season)));
  }
  const c =
    context.orderDays !== undefined ? cadence(context.orderDays, last, model) : { logRatio: 0, gaps: 0 };
  return {
    sku,
    lastDay: last,
    n: logs.length,
    ownLogInterval: logs.length > 0 ? mean(logs) : null,
    ownSdLogInterval: sd(logs),
    skuLogInterval: stats.meanLogInterval,
    skuRepeatCustomers: stats.repeatCustomers,
    skuSdLogInterval: stats.sdLogInterval,
    globalLogInterval: model.global.meanLogInterval,
    cadenceLogRatio: c.logRatio,
    cadenceGaps: c.gaps,
    season: stats.season,
  };
}

/** The blend: ln of the predicted interval in seasonal days (formula in the module doc). */
export function blendLogInterval(f: ReplenishmentFeatures, p: ReplenishmentParams): number {
  const r = f.skuRepeatCustomers;
  let prior = (r * f.skuLogInterval + p.priorShrinkage * f.globalLogInterval) / (r + p.priorShrinkage);
  if (f.cadenceGaps > 0) {
    prior += (p.cadenceWeight * f.cadenceGaps * f.cadenceLogRatio) / (f.cadenceGaps + p.cadenceShrinkage);
  }
  const w = f.n <= 0 ? 0 : f.n / (f.n + p.shrinkage);
  const own = f.ownLogInterval ?? prior;
  return w * own + (1 - w) * prior + p.offset - p.offsetPerLogHistory * Math.log1p(f.n);
}

/** The predicted day number: `exp(logInterval)` seasonal days after the last purchase, at least a day on. */
export function predictedDayNumber(f: ReplenishmentFeatures, logInterval: number): number {
  return Math.max(f.lastDay + 1, Math.round(addSeasonalDays(f.lastDay, Math.exp(logInterval), f.season)));
}

/**
 * Predicts the next purchase day of `sku` for a customer whose distinct purchase days of it are `days`
 * (ascending; duplicates and order are tolerated; only the last `params.maxHistoryDays` are used).
 * Null for an empty history and for products the model does not consider replenishable.
 */
export function predictNextPurchase(
  sku: string,
  days: readonly string[],
  model: ReplenishmentModel,
  context: PredictionContext = {},
): Prediction | null {
  const f = replenishmentFeatures(sku, days, model, context);
  if (f === null) return null;
  const predicted = predictedDayNumber(f, blendLogInterval(f, model.params));

  // Spread of ln(actual / predicted): the sku's spread, moving toward the customer's own with their weight.
  const w = customerWeight(f.n, model);
  const popSd = f.skuSdLogInterval > 0 ? f.skuSdLogInterval : 1;
  const spread = f.n >= 2 ? w * f.ownSdLogInterval + (1 - w) * popSd : popSd;
  const confidence = spread > 0 ? erf(Math.log(1.25) / (spread * Math.SQRT2)) : 1;

  return {
    sku,
    lastDay: dayString(f.lastDay),
    intervalDays: predicted - f.lastDay,
    predictedDay: dayString(predicted),
    confidence: Math.min(1, Math.max(0, confidence)),
  };
}

/**
 * The baseline predictor: the customer's own average gap for the sku, (last − first) / (count − 1) over
 * the distinct `days` given (ascending or not), in calendar days — the predicted next day is the last day
 * plus this interval. Null with fewer than two distinct days.
 */
export function baselinePrediction(days: readonly string[]): number | null {
  const sorted = sortedDistinctDays(days);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (sorted.length < 2 || first === undefined || last === undefined) return null;
  return (last - first) / (sorted.length - 1);
}
