/**
 * Held-out-in-time evaluation of the replenishment model on real transactions.
 *
 * Data: UCI Machine Learning Repository #502 Online Retail II, Daqing Chen, Sai Liang Sain and Kun Guo
 * (2012), doi:10.24432/C5CG6D, CC BY 4.0 — cleaned as in bench/online-retail-csv.ts.
 *
 * Protocol: fit on purchases before the cutoff only. Then every purchase on or after the cutoff of a
 * (customer, sku) pair bought before (a "re-purchase") is predicted from the pair's purchase days strictly
 * before it (earlier post-cutoff purchases included, as a live system learns online; the last 8 days only,
 * as the live state keeps), with the customer's order days up to the pair's last purchase as context and
 * the parameters fitted before the cutoff, and scored by |predicted day − actual day|.
 *
 * - pairs / maeDays / baselineMaeDays: re-purchases with ≥ 2 earlier days (the baseline, the customer's
 *   mean gap, is defined) that the model predicts — the same events for both;
 * - allPairs / maeDaysAllPairs: also those with one earlier day (the model only);
 * - re-purchases of skus the model calls not replenishable (unknown before the cutoff, or too few repeat
 *   customers) are not scored and are counted in skippedNotReplenishable / skippedNotReplenishableAllPairs.
 *
 * Run: `npx tsx bench/replenishment-eval.ts [path] [cutoff]` prints the JSON.
 */
import { pathToFileURL } from 'node:url';
import {
  baselinePrediction,
  dayNumber,
  fitReplenishmentModel,
  type Purchase,
  predictNextPurchase,
  type ReplenishmentModel,
  type ReplenishmentParams,
} from '../functions/domain/replenishment.ts';
import { readRetailPurchases } from './online-retail-csv.ts';

export const ONLINE_RETAIL_PATH = '/work/shared/data/online-retail-ii/online_retail_2009_2011.csv.gz';

/** Days of history kept per (customer, sku), as in the live customer state. */
const HISTORY_DAYS = 8;

export interface ReplenishmentEvaluation {
  pairs: number;
  maeDays: number;
  baselineMaeDays: number;
  /** 1 − maeDays / baselineMaeDays */
  improvement: number;
  allPairs: number;
  maeDaysAllPairs: number;
  /** Purchases (one per customer, sku, day) the model was fitted on. */
  fitPurchases: number;
  seconds: number;
  /** Median |error| over `pairs`, model and baseline. */
  medianAbsErrorDays: number;
  baselineMedianAbsErrorDays: number;
  /** Share of `allPairs` whose actual interval is within ±25% of the predicted one, and the mean confidence. */
  within25Percent: number;
  meanConfidence: number;
  skippedNotReplenishable: number;
  skippedNotReplenishableAllPairs: number;
  cutoff: string;
  until: string | null;
}

export interface EvaluationWindow {
  /** Fit on purchases before this day; score re-purchases from it on. */
  cutoff: string;
  /** Score re-purchases before this day only (default: all after the cutoff). */
  until?: string;
  params?: Partial<ReplenishmentParams>;
  /** Use the customer's order cadence as context (default true). */
  useCadence?: boolean;
}

/** Reads the cleaned purchases of the CSV into memory, in file (chronological) order. */
export async function loadPurchases(path: string = ONLINE_RETAIL_PATH): Promise<Purchase[]> {
  const out: Purchase[] = [];
  for await (const p of readRetailPurchases(path)) out.push(p);
  return out;
}

/** One scored re-purchase: the history it was predicted from and what happened. */
export interface RepurchaseEvent {
  sku: string;
  /** Distinct earlier purchase days of the pair, ascending, at most 8. */
  history: string[];
  /** The customer's distinct order days up to the last history day, ascending, at most the last 64. */
  orderDays: string[];
  actualDay: string;
}

/** The re-purchases in [cutoff, until) and the purchases before the cutoff to fit on. */
export function splitPurchases(
  purchases: readonly Purchase[],
  cutoff: string,
  until?: string,
): { fit: Purchase[]; events: RepurchaseEvent[] } {
  const fit = purchases.filter((p) => p.day < cutoff);
  const byPair = new Map<string, { sku: string; customerId: string; days: Set<string> }>();
  const orderSets = new Map<string, Set<string>>();
  for (const p of purchases) {
    const key = `${p.customerId}\u0000${p.sku}`;
    let pair = byPair.get(key);
    if (pair === undefined) {
      pair = { sku: p.sku, customerId: p.customerId, days: new Set() };
      byPair.set(key, pair);
    }
    pair.days.add(p.day);
    let orders = orderSets.get(p.customerId);
    if (orders === undefined) {
      orders = new Set();
      orderSets.set(p.customerId, orders);
    }
    orders.add(p.day);
  }
  const orderDays = new Map<string, string[]>();
  for (const [customer, set] of orderSets) orderDays.set(customer, [...set].sort());

  const events: RepurchaseEvent[] = [];
  for (const pair of byPair.values()) {
    const days = [...pair.days].sort();
    const orders = orderDays.get(pair.customerId) ?? [];
    for (let i = 1; i < days.length; i++) {
      const actualDay = days[i];
      if (actualDay === undefined || actualDay < cutoff || (until !== undefined && actualDay >= until))
        continue;
      const history = days.slice(Math.max(0, i - HISTORY_DAYS), i);
      const lastDay = history[history.length - 1] ?? actualDay;
      const upTo = upperBound(orders, lastDay);
      events.push({
        sku: pair.sku,
        history,
        orderDays: orders.slice(Math.max(0, upTo - 64), upTo),
        actualDay,
      });
    }
  }
  return { fit, events };
}

/** Index of the first element > value in an ascending array. */
function upperBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? '') <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface EventScores {
  pairs: number;
  maeDays: number;
  baselineMaeDays: number;
  allPairs: number;
  maeDaysAllPairs: number;
  medianAbsErrorDays: number;
  baselineMedianAbsErrorDays: number;
  within25Percent: number;
  meanConfidence: number;
  skippedNotReplenishable: number;
  skippedNotReplenishableAllPairs: number;
}

/** Scores a fitted model on re-purchase events (see the module doc for the sets). */
export function scoreEvents(
  events: readonly RepurchaseEvent[],
  model: ReplenishmentModel,
  useCadence = true,
): EventScores {
  let pairs = 0;
  let sum = 0;
  let baseSum = 0;
  let allPairs = 0;
  let allSum = 0;
  let skipped = 0;
  let skippedAll = 0;
  let within = 0;
  let confidence = 0;
  const errors: number[] = [];
  const baseErrors: number[] = [];
  for (const e of events) {
    const prediction = predictNextPurchase(
      e.sku,
      e.history,
      model,
      useCadence ? { orderDays: e.orderDays } : {},
    );
    const baseline = baselinePrediction(e.history);
    if (prediction === null) {
      skippedAll++;
      if (baseline !== null) skipped++;
      continue;
    }
    const actual = dayNumber(e.actualDay);
    const last = dayNumber(prediction.lastDay);
    const error = Math.abs(dayNumber(prediction.predictedDay) - actual);
    allPairs++;
    allSum += error;
    confidence += prediction.confidence;
    const ratio = (actual - last) / prediction.intervalDays;
    if (ratio >= 0.8 && ratio <= 1.25) within++;
    if (baseline !== null) {
      const baseError = Math.abs(last + baseline - actual);
      pairs++;
      sum += error;
      baseSum += baseError;
      errors.push(error);
      baseErrors.push(baseError);
    }
  }
  return {
    pairs,
    maeDays: pairs > 0 ? sum / pairs : Number.NaN,
    baselineMaeDays: pairs > 0 ? baseSum / pairs : Number.NaN,
    allPairs,
    maeDaysAllPairs: allPairs > 0 ? allSum / allPairs : Number.NaN,
    medianAbsErrorDays: medianOf(errors),
    baselineMedianAbsErrorDays: medianOf(baseErrors),
    within25Percent: allPairs > 0 ? within / allPairs : Number.NaN,
    meanConfidence: allPairs > 0 ? confidence / allPairs : Number.NaN,
    skippedNotReplenishable: skipped,
    skippedNotReplenishableAllPairs: skippedAll,
  };
}

function medianOf(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  const hi = values[mid] ?? Number.NaN;
  return values.length % 2 === 1 ? hi : ((values[mid - 1] ?? hi) + hi) / 2;
}

/** Fits before `window.cutoff` and scores the re-purchases of the window. */
export function evaluateWindow(
  purchases: readonly Purchase[],
  window: EvaluationWindow,
): EventScores & { fitPurchases: number; improvement: number } {
  const { fit, events } = splitPurchases(purchases, window.cutoff, window.until);
  const model = fitReplenishmentModel(fit, window.params);
  const scores = scoreEvents(events, model, window.useCadence ?? true);
  return { ...scores, improvement: 1 - scores.maeDays / scores.baselineMaeDays, fitPurchases: fit.length };
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

export async function evaluateReplenishment(
  path: string = ONLINE_RETAIL_PATH,
  cutoff = '2011-09-01',
  options: Omit<EvaluationWindow, 'cutoff'> = {},
): Promise<ReplenishmentEvaluation> {
  const started = performance.now();
  const purchases = await loadPurchases(path);
  const r = evaluateWindow(purchases, { ...options, cutoff });
  return {
    pairs: r.pairs,
    maeDays: round(r.maeDays),
    baselineMaeDays: round(r.baselineMaeDays),
    improvement: round(r.improvement, 4),
    allPairs: r.allPairs,
    maeDaysAllPairs: round(r.maeDaysAllPairs),
    fitPurchases: r.fitPurchases,
    seconds: round((performance.now() - started) / 1000, 2),
    medianAbsErrorDays: r.medianAbsErrorDays,
    baselineMedianAbsErrorDays: round(r.baselineMedianAbsErrorDays),
    within25Percent: round(r.within25Percent, 4),
    meanConfidence: round(r.meanConfidence, 4),
    skippedNotReplenishable: r.skippedNotReplenishable,
    skippedNotReplenishableAllPairs: r.skippedNotReplenishableAllPairs,
    cutoff,
    until: options.until ?? null,
  };
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const [path, cutoff] = process.argv.slice(2);
  console.log(
    JSON.stringify(await evaluateReplenishment(path ?? ONLINE_RETAIL_PATH, cutoff ?? '2011-09-01'), null, 2),
  );
}
