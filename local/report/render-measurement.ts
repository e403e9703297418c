/**
 * The report's measurement section: per campaign, conversion of the recipients against the holdout
 * (control) with the uplift's 95% interval, incremental orders, revenue per recipient, AOV, repeat
 * purchases, points and redemption, then personalised and generic campaigns side by side. Charts
 * (drawn by report-client.js from the embedded JSON) show the intervals as error bars; the tables
 * carry every number.
 */
import type { MeasureResults, MeasureRow } from '../measure/attribution.ts';
import { formatDelta, formatMoney, formatPercent, formatUplift } from '../measure/format.ts';
import type { Cell } from './html.ts';
import { details, escapeHtml, figure, fmt, h, t, table } from './html.ts';
import type { ReportData } from './report-data.ts';

const GROUP_LABELS: Record<string, string> = {
  personalised: 'all personalised',
  generic: 'all generic',
  total: 'all campaigns',
};

function name(r: MeasureRow): Cell {
  return r.trigger === null
    ? h(`<em>${escapeHtml(GROUP_LABELS[r.id] ?? r.id)}</em>`)
    : h(`<code>${escapeHtml(r.id)}</code>`);
}

function outcomeRow(r: MeasureRow): Cell[] {
  const c = r.counts;
  const f = r.figures;
  return [
    name(r),
    t(r.trigger ?? ''),
    t(r.windowDays === null ? '' : `${r.windowDays} d`),
    c.treated.members,
    c.control.members,
    c.controlGlobal,
    c.control.byCustomer.customers,
    t(formatPercent(f.conversionRate)),
    t(formatPercent(f.controlConversionRate)),
    t(formatUplift(f.uplift)),
    t(formatDelta(f.incrementalOrders)),
    t(formatMoney(f.revenuePerRecipientCents)),
    t(formatMoney(f.incrementalRevenuePerRecipientCents)),
    t(formatMoney(f.aovCents)),
    t(formatPercent(f.repeatRate)),
    c.points,
    t(formatPercent(f.redemptionRate)),
  ];
}

function reasons(suppressed: Record<string, number>): string {
  const list = Object.entries(suppressed)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, n]) => `${reason} ${fmt(n)}`);
  return list.length === 0 ? '—' : list.join(', ');
}

function reachRow(r: MeasureRow): Cell[] {
  const c = r.counts;
  return [
    name(r),
    r.figures.triggered,
    c.issued,
    c.sent.email,
    c.sent.sms,
    c.sent.push,
    c.deferred,
    c.offers,
    c.redeemed,
    t(reasons(c.suppressed)),
  ];
}

function sideBySide(m: MeasureResults): string {
  const p = m.groups.personalised;
  const g = m.groups.generic;
  const line = (label: string, value: (r: MeasureRow) => Cell): Cell[] => [t(label), value(p), value(g)];
  return table(
    'Personalised (replenishment, favourite category, personal offers) vs generic campaigns, pooled',
    [{ label: 'figure' }, { label: 'personalised', numeric: true }, { label: 'generic', numeric: true }],
    [
      line('triggered', (r) => r.figures.triggered),
      line('recipients (treated occurrences)', (r) => r.counts.treated.members),
      line('control members', (r) => r.counts.control.members),
      line('control customers', (r) => r.counts.control.byCustomer.customers),
      line('conversion, recipients', (r) => t(formatPercent(r.figures.conversionRate))),
      line('conversion, control', (r) => t(formatPercent(r.figures.controlConversionRate))),
      line('uplift [95% CI]', (r) => t(formatUplift(r.figures.uplift))),
      line('incremental orders per recipient [95% CI]', (r) => t(formatDelta(r.figures.incrementalOrders))),
      line('revenue per recipient', (r) => t(formatMoney(r.figures.revenuePerRecipientCents))),
      line('incremental revenue per recipient', (r) =>
        t(formatMoney(r.figures.incrementalRevenuePerRecipientCents)),
      ),
      line('AOV', (r) => t(formatMoney(r.figures.aovCents))),
      line('repeat-purchase rate', (r) => t(formatPercent(r.figures.repeatRate))),
      line('net points', (r) => r.counts.points),
      line('redemption rate', (r) => t(formatPercent(r.figures.redemptionRate))),
    ],
  );
}

export function measurementSection(data: ReportData): string {
  const m = data.measurement;
  const head = '<h2 id="measurement-h">Measurement: uplift against the holdout</h2>';
  if (m === null) {
    const why =
      data.measurementProblem === null
        ? 'summary.json has no measurement (a run from an older version): run it again to measure it.'
        : `The measurement in summary.json can't be read: ${data.measurementProblem}.`;
    return `<section id="measurement" aria-labelledby="measurement-h">
${head}
<p class="note">${escapeHtml(why)}</p>
</section>`;
  }
  const groups = [m.groups.personalised, m.groups.generic, m.total];
  return `<section id="measurement" aria-labelledby="measurement-h">
${head}
<p>Each order counts for the customer's latest message — or holdout decision — whose conversion window
covers it (last touch). Recipients are treated occurrences (one per occurrence, whatever the channels);
the control are the occurrences the campaign's holdout or the global control group held back. A 95%
interval that excludes 0 means the campaign changed behaviour beyond chance. The intervals count each
customer's touches as one cluster, so they rest on the control customers: with fewer than about 100, one
atypical customer can move them. Money is in the orders' own currency units (a shop with several
currencies adds them up as they are).</p>
<div class="grid">
${figure('uplift-by-campaign', 'Conversion uplift against the holdout', 'Recipients’ minus control conversion rate, in percentage points, with its 95% interval (Newcombe, a customer’s touches counted as one cluster). Campaigns without recipients or control are left out.')}
${figure('incremental-orders-by-campaign', 'Incremental orders per recipient', 'Attributed orders per recipient minus per control member, with its 95% interval (a customer’s touches counted as one cluster).')}
</div>
${figure('personalised-vs-generic', 'Personalised vs generic campaigns', 'Pooled conversion of recipients and control, repeat-purchase and redemption rates.')}
${table(
  'Outcomes per campaign (summary.json measurement)',
  [
    { label: 'campaign' },
    { label: 'trigger' },
    { label: 'window' },
    { label: 'recipients', numeric: true },
    { label: 'control', numeric: true },
    { label: 'of them global', numeric: true },
    { label: 'control customers', numeric: true },
    { label: 'conversion', numeric: true },
    { label: 'control conversion', numeric: true },
    { label: 'uplift [95% CI]', numeric: true },
    { label: 'Δ orders / recipient [95% CI]', numeric: true },
    { label: 'revenue / recipient', numeric: true },
    { label: 'incremental revenue / recipient', numeric: true },
    { label: 'AOV', numeric: true },
    { label: 'repeat', numeric: true },
    { label: 'net points', numeric: true },
    { label: 'redemption', numeric: true },
  ],
  m.campaigns.map(outcomeRow),
  groups.map(outcomeRow),
)}
${sideBySide(m)}
${details(
  'Reach per campaign (triggered, sent by channel, deferred, suppressed by reason)',
  table(
    'Reach per campaign',
    [
      { label: 'campaign' },
      { label: 'triggered', numeric: true },
      { label: 'issued', numeric: true },
      { label: 'email', numeric: true },
      { label: 'sms', numeric: true },
      { label: 'push', numeric: true },
      { label: 'deferred', numeric: true },
      { label: 'offers', numeric: true },
      { label: 'redeemed', numeric: true },
      { label: 'suppressed by reason' },
    ],
    m.campaigns.map(reachRow),
    groups.map(reachRow),
  ),
)}
</section>`;
}
