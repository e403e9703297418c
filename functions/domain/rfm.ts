/**
 * RFM classes: recency, frequency and monetary scores (1..5) mapped to the usual named segments.
 */
import type { Program, RfmClass } from './campaign.ts';
import type { CustomerState } from './customer-state.ts';
import { MS_PER_DAY, parseInstant } from './time.ts';

function scoreAscending(value: number, thresholds: readonly number[]): number {
  let score = 1;
  for (const t of thresholds) if (value >= t) score++;
  return score;
}

/** Recency score: 5 = ordered within the first threshold's days, 1 = longer ago than the last. */
function recencyScore(days: number, thresholds: readonly number[]): number {
  let score = 5;
  for (const t of thresholds) if (days > t) score--;
  return score;
}

/** The customer's RFM class at `nowMs`, or null before the first order. */
export function rfmClass(state: CustomerState, program: Program, nowMs: number): RfmClass | null {
  const last = state.stats.lastOrderAt;
  if (last === null || state.stats.orders <= 0) return null;
  const days = Math.max(0, (nowMs - parseInstant(last)) / MS_PER_DAY);
  const r = recencyScore(days, program.rfm.recencyDays);
  const f = scoreAscending(state.stats.orders, program.rfm.orders);
  const m = scoreAscending(state.stats.spend, program.rfm.spend);
  if (r >= 4 && f >= 4 && m >= 4) return 'champions';
  if (f === 1 && r >= 4) return 'new';
  if (r >= 3 && f >= 4) return 'loyal';
  if (r >= 4) return 'potential'; // f ≥ 2 here: f = 1 with r ≥ 4 is 'new' above
  if (r === 3) return f >= 2 ? 'needs-attention' : 'promising';
  if (r === 1 && f >= 4 && m >= 4) return 'cant-lose';
  if (f >= 3) return 'at-risk';
  return r === 2 ? 'hibernating' : 'lost';
}
