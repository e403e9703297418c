/**
 * The run report as ONE self-contained HTML file: no external URL, font or script. The numbers are
 * embedded as JSON (`<script type="application/json" id="report-data">`) and the inline script
 * (report-client.js) draws the charts as SVG from it; every number also appears in a table rendered
 * here, so the page reads without JavaScript and with a screen reader.
 *
 * Campaign ids, reasons, rules and product names come from user input: every string is HTML-escaped
 * here, the JSON is escaped so it can't close its script element, the client only uses textContent, and
 * a Content-Security-Policy allows just the page's own inline script and style (by hash), nothing else.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cell } from './html.ts';
import { details, escapeHtml, figure, fmt, h, t, table } from './html.ts';
import { measurementSection } from './render-measurement.ts';
import type { CostData, KeyValue, ReportData, Scalar } from './report-data.ts';
import { KNOWN_CHANNELS, TOP_PRODUCTS } from './report-data.ts';

export { escapeHtml } from './html.ts';

let clientScript: string | undefined;

/** The chart script, inlined into every report. */
function client(): string {
  if (clientScript === undefined) {
    const script = readFileSync(new URL('./report-client.js', import.meta.url), 'utf8');
    // Inside a script element these would end it (or start an HTML comment): never ship such a script.
    if (/<\/script|<!--/i.test(script))
      throw new Error('report-client.js must not contain "</script" or "<!--"');
    clientScript = script;
  }
  return clientScript;
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` (which only occur inside
 * JSON strings) become \u escapes, so `</script` and `<!--` can never appear; U+2028/2029 too.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const usdFormat = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 4,
});

function scalar(value: Scalar, key = ''): string {
  if (value === null) return '—';
  if (typeof value === 'number') return /usd/i.test(key) ? usdFormat.format(value) : fmt(value);
  return escapeHtml(String(value));
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function keyValues(items: KeyValue[]): string {
  if (items.length === 0) return '<p class="empty">None.</p>';
  return `<dl class="kv">${items.map((i) => `<div><dt>${escapeHtml(i.key)}</dt><dd>${scalar(i.value, i.key)}</dd></div>`).join('')}</dl>`;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function metaNumber(data: ReportData, key: string): number | null {
  const v = data.meta.find((m) => m.key === key)?.value;
  return typeof v === 'number' ? v : null;
}

function overview(data: ReportData): string {
  const kpis: [string, string][] = [];
  const add = (label: string, value: number | null) => {
    if (value !== null) kpis.push([label, fmt(value)]);
  };
  add('customers', metaNumber(data, 'customers'));
  add('events', metaNumber(data, 'events'));
  add('days', metaNumber(data, 'days'));
  add('messages', data.messages.total);
  add('ledger entries', data.bonuses.entries);
  add('net points', data.bonuses.points);
  add('suppressed', data.suppressions.total);
  add('rejected', data.rejected.total);
  if (data.cost?.usdTotal != null) kpis.push(['cost', usdFormat.format(data.cost.usdTotal)]);
  const cards = kpis
    .map(
      ([label, value]) => `<div class="kpi"><dd>${escapeHtml(value)}</dd><dt>${escapeHtml(label)}</dt></div>`,
    )
    .join('');
  return `<section id="overview" aria-labelledby="overview-h">
<h2 id="overview-h">Overview</h2>
<dl class="kpis">${cards}</dl>
${details('Run settings and counts (summary.json)', keyValues(data.meta))}
</section>`;
}

function channelsOf(data: ReportData): string[] {
  const seen = new Set<string>(data.messages.perDay.channels);
  for (const c of data.campaigns) for (const k of Object.keys(c.messages)) seen.add(k);
  const extra = [...seen].filter((c) => !(KNOWN_CHANNELS as readonly string[]).includes(c)).sort();
  return [...KNOWN_CHANNELS, ...extra];
}

function messagesSection(data: ReportData): string {
  const { perDay } = data.messages;
  const rows = perDay.days
    .filter((d) => sum(d.counts) > 0)
    .map((d) => [t(d.day), ...d.counts, sum(d.counts)]);
  const byChannel = perDay.channels.map((c) => data.messages.byChannel[c] ?? 0);
  return `<section id="messages" aria-labelledby="messages-h">
<h2 id="messages-h">Messages</h2>
<p>${fmt(data.messages.total)} messages queued, by channel: ${perDay.channels.map((c, i) => `${escapeHtml(c)} ${fmt(byChannel[i] ?? 0)}`).join(', ')}.</p>
${figure('messages-per-day', 'Messages per day by channel', 'Stacked by channel, by the day of sendAt (UTC); long runs are binned by week.')}
${details(
  `Messages per day (table, ${rows.length} days with messages)`,
  table(
    'Messages per send day (UTC) and channel',
    [
      { label: 'day' },
      ...perDay.channels.map((c) => ({ label: c, numeric: true })),
      { label: 'total', numeric: true },
    ],
    rows,
    [t('total'), ...byChannel, data.messages.total],
  ),
)}
</section>`;
}

function campaignsSection(data: ReportData): string {
  const channels = channelsOf(data);
  const ledger = new Map(data.bonuses.byCampaign.map((c) => [c.campaignId, c]));
  const rows = data.campaigns.map((c) => [
    h(`<code>${escapeHtml(c.campaignId)}</code>`),
    t(c.trigger),
    c.fired,
    ...channels.map((ch) => c.messages[ch] ?? 0),
    c.points,
    ledger.get(c.campaignId)?.entries ?? 0,
    ledger.get(c.campaignId)?.points ?? 0,
    c.deferred,
    c.converted,
    sum(Object.values(c.suppressed)),
  ]);
  const listed = new Set(data.campaigns.map((c) => c.campaignId));
  const others = data.bonuses.byCampaign.filter((c) => c.campaignId === null || !listed.has(c.campaignId));
  const otherRows = others.map((c) => [
    h(
      c.campaignId === null
        ? '<em>no campaign (base accrual, expiry …)</em>'
        : `<code>${escapeHtml(c.campaignId)}</code>`,
    ),
    t(''),
    0,
    ...channels.map(() => 0),
    0,
    c.entries,
    c.points,
    0,
    0,
    0,
  ]);
  const footer: Cell[] = [
    t('total'),
    t(''),
    sum(data.campaigns.map((c) => c.fired)),
    ...channels.map((ch) => sum(data.campaigns.map((c) => c.messages[ch] ?? 0))),
    sum(data.campaigns.map((c) => c.points)),
    data.bonuses.entries,
    data.bonuses.points,
    sum(data.campaigns.map((c) => c.deferred)),
    sum(data.campaigns.map((c) => c.converted)),
    sum(data.campaigns.map((c) => sum(Object.values(c.suppressed)))),
  ];
  const byReason = table(
    'Ledger entries and net points by reason (bonuses.jsonl)',
    [{ label: 'reason' }, { label: 'entries', numeric: true }, { label: 'net points', numeric: true }],
    data.bonuses.byReason.map((r) => [t(r.reason), r.entries, r.points]),
  );
  return `<section id="campaigns" aria-labelledby="campaigns-h">
<h2 id="campaigns-h">Campaigns, bonuses and points</h2>
<div class="grid">
${figure('bonuses-by-campaign', 'Ledger entries by campaign', 'Entries in bonuses.jsonl per campaign; (no campaign) is base accrual, expiry and order clawbacks.')}
${figure('points-by-campaign', 'Net points by campaign', 'Sum of ledger points per campaign (clawbacks and expiry are negative).')}
</div>
${table(
  'Per campaign (summary.json; ledger columns from bonuses.jsonl)',
  [
    { label: 'campaign' },
    { label: 'trigger' },
    { label: 'fired', numeric: true },
    ...channels.map((c) => ({ label: c, numeric: true })),
    { label: 'points issued', numeric: true },
    { label: 'ledger entries', numeric: true },
    { label: 'ledger net points', numeric: true },
    { label: 'deferred', numeric: true },
    { label: 'converted', numeric: true },
    { label: 'suppressed', numeric: true },
  ],
  [...rows, ...otherRows],
  footer,
)}
${byReason}
</section>`;
}

function suppressionsSection(data: ReportData): string {
  const s = data.suppressions;
  const reasons = s.byReason.map((r) => r.key);
  const matrix = table(
    'Suppressions by campaign and reason',
    [
      { label: 'campaign' },
      { label: 'total', numeric: true },
      ...reasons.map((r) => ({ label: r, numeric: true })),
    ],
    s.byCampaign.map((c) => [
      h(`<code>${escapeHtml(c.campaignId)}</code>`),
      c.total,
      ...reasons.map((r) => c.byReason[r] ?? 0),
    ]),
    [t('total'), s.total, ...s.byReason.map((r) => r.count)],
  );
  const source =
    s.source === 'summary.json'
      ? '<p class="note">suppressed.jsonl is missing: these numbers come from the per-campaign rows of summary.json.</p>'
      : '';
  return `<section id="suppressions" aria-labelledby="suppressions-h">
<h2 id="suppressions-h">Suppressions</h2>
<p>${fmt(s.total)} occurrences suppressed. Reasons prefixed <code>message:</code> issued the reward but sent no message.</p>
${source}
<div class="grid">
${figure('suppressions-by-reason', 'Suppressions by reason', 'Holdouts, frequency cap, quiet hours, consent, cooldown …')}
${figure('suppressions-by-campaign', 'Suppressions by campaign', 'All reasons together.')}
</div>
${table(
  'Suppressions by reason',
  [{ label: 'reason' }, { label: 'count', numeric: true }],
  s.byReason.map((r) => [t(r.key), r.count]),
)}
${details('Suppressions by campaign and reason (table)', matrix)}
</section>`;
}

function deferralsSection(data: ReportData): string {
  return `<section id="deferrals" aria-labelledby="deferrals-h">
<h2 id="deferrals-h">Deferrals</h2>
<p>Occurrences whose message waited for quiet hours or the frequency cap (summary.json).</p>
${figure('deferrals-by-campaign', 'Deferred occurrences by campaign', 'Hover a bar for the number fired.')}
${table(
  'Deferred occurrences by campaign',
  [
    { label: 'campaign' },
    { label: 'deferred', numeric: true },
    { label: 'fired', numeric: true },
    { label: 'share deferred' },
  ],
  data.deferrals.map((d) => [
    h(`<code>${escapeHtml(d.campaignId)}</code>`),
    d.deferred,
    d.fired,
    t(d.fired > 0 ? `${((d.deferred / d.fired) * 100).toFixed(1)}%` : '—'),
  ]),
)}
</section>`;
}

function replenishmentSection(data: ReportData): string {
  const r = data.replenishment;
  return `<section id="replenishment" aria-labelledby="replenishment-h">
<h2 id="replenishment-h">Replenishment</h2>
<p>${
    r.messages === 0
      ? 'No replenishment messages in this run.'
      : `${fmt(r.messages)} replenishment messages about ${fmt(r.products)} products; the ${fmt(r.top.length)} most frequent:`
  }</p>
${figure('replenishment-products', `Top ${TOP_PRODUCTS} replenishment products`, 'Messages per product (one per channel sent).')}
${table(
  `Top ${TOP_PRODUCTS} replenishment products`,
  [{ label: 'product' }, { label: 'SKU' }, { label: 'category' }, { label: 'messages', numeric: true }],
  r.top.map((p) => [t(p.product), t(p.sku ?? '—'), t(p.category ?? '—'), p.messages]),
)}
</section>`;
}

function rejectedSection(data: ReportData): string {
  const r = data.rejected;
  const samples =
    r.samples.length === 0
      ? ''
      : details(
          `First ${r.samples.length} rejected lines`,
          table(
            'Rejected lines (rejected.jsonl)',
            [
              { label: 'line', numeric: true },
              { label: 'event id' },
              { label: 'rule' },
              { label: 'path' },
              { label: 'reason' },
            ],
            r.samples.map((s) => [
              s.line === null ? t('—') : s.line,
              t(s.eventId ?? '—'),
              t(s.rule),
              t(s.path),
              t(s.reason),
            ]),
          ),
        );
  return `<section id="rejected" aria-labelledby="rejected-h">
<h2 id="rejected-h">Rejected events</h2>
<p>${fmt(r.total)} input lines rejected by validation.</p>
${figure('rejected-by-rule', 'Rejected events by rule', 'The validation rule each rejected line failed.')}
${table(
  'Rejected events by rule',
  [{ label: 'rule' }, { label: 'count', numeric: true }],
  r.byRule.map((b) => [t(b.key), b.count]),
)}
${samples}
</section>`;
}

function costSection(cost: CostData): string {
  const total =
    cost.usdTotal === null ? '' : `<p>Total: <strong>${usdFormat.format(cost.usdTotal)}</strong></p>`;
  const lines = table(
    'Cost lines (summary.json cost)',
    cost.columns.map((c, i) => ({
      label: c,
      numeric: i > 0 && cost.lines.some((l) => typeof l[c] === 'number'),
    })),
    cost.lines.map((l) => cost.columns.map((c) => h(scalar(l[c] ?? null, c)))),
    cost.usdTotal === null
      ? undefined
      : cost.columns.map((c, i) =>
          h(i === 0 ? 'total' : c === 'usd' ? usdFormat.format(cost.usdTotal ?? 0) : ''),
        ),
  );
  return `<section id="cost" aria-labelledby="cost-h">
<h2 id="cost-h">Cost</h2>
${total}
${figure('cost-by-item', 'Cost by item', 'USD per cost line.')}
${lines}
${cost.extra.length > 0 ? details('Other cost fields', keyValues(cost.extra)) : ''}
</section>`;
}

function runSection(data: ReportData): string {
  const files = table(
    'Output files read',
    [
      { label: 'file' },
      { label: 'present' },
      { label: 'bytes', numeric: true },
      { label: 'lines', numeric: true },
      { label: 'skipped lines', numeric: true },
    ],
    data.files.map((f) => [
      h(`<code>${escapeHtml(f.name)}</code>`),
      t(f.present ? 'yes' : 'no'),
      ...(f.present ? [f.bytes, f.lines, f.skipped] : [t('—'), t('—'), t('—')]),
    ]),
  );
  return `<section id="run" aria-labelledby="run-h">
<h2 id="run-h">Store requests and files</h2>
<div class="grid">
<div><h3>Requests</h3>${keyValues(data.requests)}</div>
${data.units === null ? '' : `<div><h3>Request units</h3>${keyValues(data.units)}</div>`}
</div>
${files}
</section>`;
}

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: var(--muted); }
main { max-width: 1200px; margin: 0 auto; padding: 8px 32px 48px; }
section { margin-top: 28px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 8px 0; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; align-items: start; }
figure { margin: 12px 0; padding: 12px 16px; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); }
figcaption strong { display: block; font-size: 15px; }
figcaption span { color: var(--muted); font-size: 13px; }
svg.chart { display: block; width: 100%; height: auto; margin-top: 8px; font-size: 12px; }
svg.chart .grid { stroke: #eaeef2; }
svg.chart .axis { stroke: #8c959f; }
svg.chart .tick, svg.chart .value { fill: var(--muted); font-size: 11px; }
svg.chart .label { fill: var(--fg); }
svg.chart .axis-label { fill: var(--muted); font-size: 12px; font-style: italic; }
svg.chart .mark:hover { opacity: 0.75; }
.legend { list-style: none; display: flex; gap: 16px; padding: 0; margin: 8px 0 0; color: var(--muted); }
.legend .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.empty, .note { color: var(--muted); font-style: italic; margin: 8px 0; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.kpi { min-width: 130px; padding: 10px 14px; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); display: flex; flex-direction: column-reverse; }
.kpi dd { margin: 0; font-size: 20px; font-weight: 600; }
.kpi dt { color: var(--muted); font-size: 12px; }
.kv { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 4px 16px; margin: 8px 0; }
.kv div { display: flex; justify-content: space-between; gap: 8px; border-bottom: 1px dotted var(--line); }
.kv dt { color: var(--muted); overflow-wrap: anywhere; }
.kv dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; text-align: right; }
.table-wrap { overflow-x: auto; margin: 12px 0; }
table { border-collapse: collapse; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--panel); border-bottom: 2px solid var(--line); }
tbody th { font-weight: normal; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
`;

/** The report page for a run's aggregates. */
export function renderReport(data: ReportData): string {
  const script = client();
  // Fixed text and base64 hashes only (no `"` or `<`), so it goes into the attribute as is.
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(CSS)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const sections = [
    overview(data),
    messagesSection(data),
    campaignsSection(data),
    measurementSection(data),
    suppressionsSection(data),
    deferralsSection(data),
    replenishmentSection(data),
    rejectedSection(data),
    data.cost === null ? '' : costSection(data.cost),
    runSection(data),
  ].filter((s) => s !== '');
  const skipped = data.files.filter((f) => f.skipped > 0);
  const warning =
    skipped.length === 0
      ? ''
      : `<p class="note" role="status">Skipped unreadable lines: ${skipped.map((f) => `${escapeHtml(f.name)} ${fmt(f.skipped)}`).join(', ')}.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="loyalty-triggers run report">
<title>Run report: ${escapeHtml(data.run)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Run report: <code>${escapeHtml(data.run)}</code></h1>
<p>Generated ${escapeHtml(data.generatedAt)} from the run's output files. Hover a bar for its exact value; every chart has a table with the numbers.</p>
${warning}
</header>
<main>
${sections.join('\n')}
</main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${script}</script>
</body>
</html>
`;
}
