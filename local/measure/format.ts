/**
 * The measurement as fixed-width text: a reach table (what fired, went out, was held back) and an
 * outcome table (conversion against the holdout, uplift with its 95% interval, revenue, redemption),
 * one line per campaign, then personalised and generic side by side, then the total.
 */
import type { MeasureResults, MeasureRow } from './attribution.ts';
import type { Estimate } from './stats.ts';

const NA = '-';

function pad(value: string | number, width: number, left = false): string {
  const s = String(value);
  return left ? s.padEnd(width) : s.padStart(width);
}

export function formatPercent(rate: number | null): string {
  return rate === null ? NA : `${(rate * 100).toFixed(1)}%`;
}

/** Minor units as currency units with two decimals. */
export function formatMoney(cents: number | null): string {
  return cents === null ? NA : (cents / 100).toFixed(2);
}

function points(rate: number): string {
  // Avoid "-0.0" for a tiny negative that rounds to zero.
  const s = (rate * 100).toFixed(1);
  return s === '-0.0' ? '0.0' : s;
}

/** `+3.1 pp [1.2, 5.0]`: the uplift in percentage points and its 95% interval. */
export function formatUplift(uplift: Estimate | null): string {
  if (uplift === null) return NA;
  const e = points(uplift.estimate);
  const sign = e.startsWith('-') ? '' : '+';
  return `${sign}${e} pp [${points(uplift.low)}, ${points(uplift.high)}]`;
}

/** `+0.081 [0.070, 0.092]`: a difference of means (orders per recipient) and its 95% interval. */
export function formatDelta(delta: Estimate | null): string {
  if (delta === null) return NA;
  const fixed = (v: number) => {
    const t = v.toFixed(3);
    return t === '-0.000' ? '0.000' : t;
  };
  const e = fixed(delta.estimate);
  return `${e.startsWith('-') ? '' : '+'}${e} [${fixed(delta.low)}, ${fixed(delta.high)}]`;
}

function label(r: MeasureRow): string {
  return r.trigger === null ? r.id.toUpperCase() : r.id;
}

function reachLine(r: MeasureRow): string {
  const c = r.counts;
  const reasons = Object.entries(c.suppressed)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return [
    pad(label(r), 26, true),
    pad(r.trigger ?? '', 19, true),
    pad(r.windowDays === null ? '' : `${r.windowDays}d`, 6),
    pad(r.figures.triggered, 9),
    pad(c.issued, 7),
    pad(c.sent.email, 7),
    pad(c.sent.sms, 6),
    pad(c.sent.push, 6),
    pad(c.deferred, 8),
    pad(c.points, 10),
    ` ${reasons || NA}`,
  ].join(' ');
}

function outcomeLine(r: MeasureRow): string {
  const c = r.counts;
  const f = r.figures;
  return [
    pad(label(r), 26, true),
    pad(c.treated.members, 10),
    pad(c.control.members, 8),
    pad(c.controlGlobal, 7),
    pad(c.control.byCustomer.customers, 9),
    pad(formatPercent(f.conversionRate), 7),
    pad(formatPercent(f.controlConversionRate), 7),
    pad(formatUplift(f.uplift), 25),
    pad(formatDelta(f.incrementalOrders), 24),
    pad(formatMoney(f.revenuePerRecipientCents), 10),
    pad(formatMoney(f.incrementalRevenuePerRecipientCents), 10),
    pad(formatMoney(f.aovCents), 9),
    pad(formatPercent(f.repeatRate), 7),
    pad(formatPercent(f.redemptionRate), 7),
  ].join(' ');
}

function block(head: string, rows: MeasureResults, line: (r: MeasureRow) => string): string[] {
  const rule = '-'.repeat(head.length);
  const out = [head, rule];
  for (const r of rows.campaigns) out.push(line(r));
  out.push(rule, line(rows.groups.personalised), line(rows.groups.generic), rule, line(rows.total));
  return out;
}

/** Both tables with a legend; deterministic for the same results. */
export function formatMeasurement(results: MeasureResults): string {
  const reachHead = [
    pad('campaign', 26, true),
    pad('trigger', 19, true),
    pad('window', 6),
    pad('triggered', 9),
    pad('issued', 7),
    pad('email', 7),
    pad('sms', 6),
    pad('push', 6),
    pad('deferred', 8),
    pad('points', 10),
    ' suppressed by reason',
  ].join(' ');
  const outcomeHead = [
    pad('campaign', 26, true),
    pad('recipients', 10),
    pad('control', 8),
    pad('global', 7),
    pad('ctrl cust', 9),
    pad('conv', 7),
    pad('ctrl', 7),
    pad('uplift [95% CI]', 25),
    pad('Δorders/recip [95% CI]', 24),
    pad('rev/recip', 10),
    pad('incr/recip', 10),
    pad('AOV', 9),
    pad('repeat', 7),
    pad('redeem', 7),
  ].join(' ');
  return [
    ...block(reachHead, results, reachLine),
    '',
    ...block(outcomeHead, results, outcomeLine),
    '',
    'Last-touch attribution: an order counts for the latest message (or holdout decision) whose conversion',
    'window covers it. uplift = conv − ctrl (Newcombe 95% CI); Δorders = attributed orders per recipient',
    '− per control member (normal 95% CI); both intervals count a customer’s touches as one cluster, so',
    'they rest on the control customers (ctrl cust): under ~100, one atypical customer can move them.',
    'repeat = converted recipients with ≥ 2 orders in the window; redeem = offers redeemed by an order',
    'meeting their minimum basket; money in the orders’ currency units.',
  ].join('\n');
}
