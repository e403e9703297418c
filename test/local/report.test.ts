/**
 * The run report (local/report): aggregates of a small hand-written output directory, a directory with
 * only summary.json, and the HTML's escaping of hostile campaign ids and product names.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeasureResults } from '../../local/measure/attribution.ts';
import { CampaignMeasurement } from '../../local/measure/attribution.ts';
import { escapeHtml, jsonForScript, renderReport } from '../../local/report/render-report.ts';
import type { ReportData } from '../../local/report/report-data.ts';
import { collectReportData } from '../../local/report/report-data.ts';
import { writeReport } from '../../local/report/write-report.ts';

const NOW = new Date('2026-05-01T12:00:00.000Z');
const HOSTILE = '<img src=x onerror=alert(1)></script><!--';
const HOSTILE_PRODUCT = '</script><script>alert(2)</script>';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'report-test-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fixture(name: string, files: Record<string, unknown[] | string>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    const text =
      typeof content === 'string'
        ? content
        : content.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n');
    await writeFile(join(dir, file), `${text}\n`);
  }
  return dir;
}

function message(campaignId: string, trigger: string, channel: string, sendAt: string, variables = {}) {
  return {
    messageId: `b#c1#${campaignId}#1#${channel}`,
    occurrenceKey: `b#c1#${campaignId}#1`,
    campaignId,
    trigger,
    customerId: 'c1',
    brand: 'b',
    channel,
    to: 'x',
    locale: 'en',
    template: `${campaignId}/en`,
    variables: { firstName: 'Ann', ...variables },
    content: { body: 'hi' },
    sendAt,
    createdAt: sendAt,
  };
}

function ledger(campaignId: string | null, points: number, reason: string) {
  return { entryId: `e-${campaignId}-${points}`, campaignId, points, reason, at: '2026-01-01T00:00:00.000Z' };
}

function suppressed(campaignId: string, reason: string) {
  return {
    occurrenceKey: `b#c1#${campaignId}#1`,
    customerId: 'c1',
    campaignId,
    reason,
    at: '2026-01-01T00:00:00.000Z',
  };
}

/**
 * A measurement of `id` (personalised) and `welcome` (generic): four recipients, two of them ordering,
 * against four control members, one ordering.
 */
function measurement(id: string): MeasureResults {
  const m = new CampaignMeasurement([
    { id, trigger: { type: 'personal-offer' }, conversionWindowDays: 7 },
    { id: 'welcome', trigger: { type: 'milestone' } },
  ]);
  const at = '2026-01-01T10:00:00.000Z';
  const later = '2026-01-03T10:00:00.000Z';
  for (let i = 1; i <= 4; i++) {
    const offer = { minBasketCents: 1000, expiresAt: null };
    m.treated({ campaignId: id, customerId: `t${i}`, at, channel: 'email', occurrenceKey: `k${i}`, offer });
    m.suppressed({ campaignId: id, customerId: `c${i}`, at, reason: i === 4 ? 'holdout-global' : 'holdout' });
  }
  m.order({ customerId: 't1', orderId: 'o1', at: later, totalCents: 2500 });
  m.order({ customerId: 't2', orderId: 'o2', at: later, totalCents: 500 });
  m.order({ customerId: 'c1', orderId: 'o3', at: later, totalCents: 1500 });
  m.issued({ campaignId: 'welcome', deferred: true });
  m.points({ campaignId: 'welcome', points: 100 });
  return m.results();
}

const SUMMARY = {
  command: 'simulate',
  customers: 3,
  days: 3,
  seed: 1,
  events: 10,
  messages: 5,
  requests: { reads: 5, writes: 6, conflicts: 0, indexWrites: 1 },
  campaigns: [
    {
      campaignId: 'welcome',
      trigger: 'milestone',
      fired: 2,
      messages: { email: 1, sms: 0, push: 1 },
      points: 200,
      deferred: 1,
      converted: 0,
      suppressed: { holdout: 1 },
    },
    {
      campaignId: 'restock',
      trigger: 'replenishment',
      fired: 3,
      messages: { email: 2, sms: 0, push: 1 },
      points: 0,
      deferred: 0,
      converted: 1,
      suppressed: { cap: 2, 'message:no-consent': 1 },
    },
  ],
  totals: { fired: 5 },
  cost: {
    usdTotal: 1.25,
    currency: 'USD',
    lines: [
      { item: 'dynamodb writes', quantity: 6, unit: 'WRU', usd: 1 },
      { item: 'sqs', quantity: 5, unit: 'requests', usd: 0.25, note: 'first 1M free' },
    ],
  },
  units: { read: 5, write: { standard: 6 } },
  measurement: measurement('restock'),
};

describe('collectReportData', () => {
  it('aggregates a hand-written run exactly', async () => {
    const dir = await fixture('full', {
      'summary.json': JSON.stringify(SUMMARY),
      'messages.jsonl': [
        message('welcome', 'milestone', 'email', '2026-01-01T10:00:00.000Z'),
        message('welcome', 'milestone', 'push', '2026-01-01T23:59:59.000Z'),
        message('restock', 'replenishment', 'email', '2026-01-03T08:00:00.000Z', {
          sku: 'SKU-1',
          category: 'coffee',
          product: 'Coffee beans',
        }),
        message('restock', 'replenishment', 'push', '2026-01-03T08:00:00.000Z', {
          sku: 'SKU-1',
          category: 'coffee',
          product: 'Coffee beans',
        }),
        message('restock', 'replenishment', 'email', '2026-01-03T09:00:00.000Z', {
          sku: 'SKU-2',
          category: '',
        }),
        '{"messageId": "truncated',
      ],
      'bonuses.jsonl': [
        ledger('welcome', 100, 'bonus'),
        ledger('welcome', 100, 'bonus'),
        ledger(null, 15, 'accrual'),
        ledger(null, -5, 'expiry'),
        ledger('restock', 50, 'conversion'),
      ],
      'suppressed.jsonl': [
        suppressed('welcome', 'holdout'),
        suppressed('restock', 'cap'),
        suppressed('restock', 'message:no-consent'),
        suppressed('restock', 'cap'),
      ],
      'rejected.jsonl': [
        { line: 3, eventId: 'e3', reason: 'missing id', path: 'id', rule: 'required' },
        { line: 7, eventId: null, reason: 'bad time', path: 'time', rule: 'format' },
        { line: 9, eventId: 'e9', reason: 'missing detail', path: 'detail', rule: 'required' },
      ],
    });
    const data = await collectReportData(dir, { now: NOW });

    expect(data.run).toBe('full');
    expect(data.generatedAt).toBe(NOW.toISOString());
    expect(data.files.map((f) => [f.name, f.present, f.lines, f.skipped])).toEqual([
      ['messages.jsonl', true, 6, 1],
      ['bonuses.jsonl', true, 5, 0],
      ['suppressed.jsonl', true, 4, 0],
      ['rejected.jsonl', true, 3, 0],
      ['summary.json', true, 0, 0],
    ]);
    expect(data.meta).toEqual([
      { key: 'command', value: 'simulate' },
      { key: 'customers', value: 3 },
      { key: 'days', value: 3 },
      { key: 'seed', value: 1 },
      { key: 'events', value: 10 },
      { key: 'messages', value: 5 },
    ]);
    expect(data.requests).toEqual([
      { key: 'reads', value: 5 },
      { key: 'writes', value: 6 },
      { key: 'conflicts', value: 0 },
      { key: 'indexWrites', value: 1 },
    ]);
    expect(data.units).toEqual([
      { key: 'read', value: 5 },
      { key: 'write.standard', value: 6 },
    ]);

    expect(data.messages.total).toBe(5);
    expect(data.messages.byChannel).toEqual({ email: 3, push: 2 });
    expect(data.messages.perDay).toEqual({
      channels: ['email', 'sms', 'push'],
      days: [
        { day: '2026-01-01', counts: [1, 0, 1] },
        { day: '2026-01-02', counts: [0, 0, 0] },
        { day: '2026-01-03', counts: [2, 0, 1] },
      ],
    });

    expect(data.bonuses).toEqual({
      entries: 5,
      points: 260,
      byCampaign: [
        { campaignId: null, entries: 2, points: 10 },
        { campaignId: 'welcome', entries: 2, points: 200 },
        { campaignId: 'restock', entries: 1, points: 50 },
      ],
      byReason: [
        { reason: 'bonus', entries: 2, points: 200 },
        { reason: 'accrual', entries: 1, points: 15 },
        { reason: 'conversion', entries: 1, points: 50 },
        { reason: 'expiry', entries: 1, points: -5 },
      ],
    });

    expect(data.suppressions).toEqual({
      source: 'suppressed.jsonl',
      total: 4,
      byReason: [
        { key: 'cap', count: 2 },
        { key: 'holdout', count: 1 },
        { key: 'message:no-consent', count: 1 },
      ],
      byCampaign: [
        { campaignId: 'restock', total: 3, byReason: { cap: 2, 'message:no-consent': 1 } },
        { campaignId: 'welcome', total: 1, byReason: { holdout: 1 } },
      ],
    });
    expect(data.deferrals).toEqual([{ campaignId: 'welcome', deferred: 1, fired: 2 }]);
    expect(data.replenishment).toEqual({
      messages: 3,
      products: 2,
      top: [
        { product: 'Coffee beans', sku: 'SKU-1', category: 'coffee', messages: 2 },
        { product: 'SKU-2', sku: 'SKU-2', category: null, messages: 1 },
      ],
    });
    expect(data.rejected.total).toBe(3);
    expect(data.rejected.byRule).toEqual([
      { key: 'required', count: 2 },
      { key: 'format', count: 1 },
    ]);
    expect(data.rejected.samples[1]).toEqual({
      line: 7,
      eventId: null,
      reason: 'bad time',
      path: 'time',
      rule: 'format',
    });
    expect(data.cost).toEqual({
      usdTotal: 1.25,
      columns: ['item', 'quantity', 'unit', 'usd', 'note'],
      lines: [
        { item: 'dynamodb writes', quantity: 6, unit: 'WRU', usd: 1 },
        { item: 'sqs', quantity: 5, unit: 'requests', usd: 0.25, note: 'first 1M free' },
      ],
      extra: [{ key: 'currency', value: 'USD' }],
    });
    expect(data.campaigns.map((c) => c.campaignId)).toEqual(['welcome', 'restock']);
    // The measurement reads back as it was measured (its figures recomputed from the counts).
    expect(data.measurement).toEqual(measurement('restock'));
    expect(data.measurementProblem).toBeNull();
    const restock = data.measurement?.campaigns.find((r) => r.id === 'restock');
    expect(restock?.figures).toMatchObject({ conversionRate: 0.5, controlConversionRate: 0.25 });
    expect(restock?.counts).toMatchObject({ offers: 4, redeemed: 1, controlGlobal: 1 });

    const html = renderReport(data);
    expect(html).toContain('data-chart="cost-by-item"');
    expect(html).toContain('data-chart="uplift-by-campaign"');
    expect(html).toContain('+25.0 pp [');
    expect(html).toContain('<td class="num">50.0%</td>');
    expect(html).toContain('<em>all personalised</em>');
    expect(html).toContain('$1.25');
    expect(html).toContain('first 1M free');
    expect(html).toContain('Skipped unreadable lines: messages.jsonl 1');
  });

  it('keeps only the top 10 replenishment products, most messages first', async () => {
    const messages = [];
    for (let p = 0; p < 12; p++)
      for (let n = 0; n <= p; n++)
        messages.push(
          message('restock', 'replenishment', 'email', '2026-02-01T00:00:00Z', { sku: `SKU-${p}` }),
        );
    const dir = await fixture('products', { 'summary.json': '{}', 'messages.jsonl': messages });
    const data = await collectReportData(dir);
    expect(data.replenishment.products).toBe(12);
    expect(data.replenishment.top.map((p) => [p.product, p.messages])).toEqual(
      [11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map((p) => [`SKU-${p}`, p + 1]),
    );
  });

  it('works with summary.json alone: suppressions from its rows, no cost, every chart present', async () => {
    const dir = await fixture('summary-only', {
      'summary.json': JSON.stringify({
        campaigns: [
          {
            campaignId: 'bday',
            trigger: 'birthday',
            fired: 1,
            messages: { email: 1 },
            deferred: 2,
            suppressed: { quiet: 2, cooldown: 1 },
          },
        ],
      }),
    });
    const data = await collectReportData(dir);
    expect(data.files.filter((f) => !f.present).map((f) => f.name)).toEqual([
      'messages.jsonl',
      'bonuses.jsonl',
      'suppressed.jsonl',
      'rejected.jsonl',
    ]);
    expect(data.suppressions.source).toBe('summary.json');
    expect(data.suppressions.byReason).toEqual([
      { key: 'quiet', count: 2 },
      { key: 'cooldown', count: 1 },
    ]);
    expect(data.campaigns[0]).toMatchObject({ campaignId: 'bday', points: 0, converted: 0, deferred: 2 });
    expect(data.messages).toEqual({
      total: 0,
      byChannel: {},
      perDay: { channels: ['email', 'sms', 'push'], days: [] },
    });
    expect(data.cost).toBeNull();
    expect(data.units).toBeNull();

    const path = await writeReport(dir);
    expect(path).toBe(join(dir, 'report.html'));
    const html = await readFile(path, 'utf8');
    const charts = [...html.matchAll(/<figure data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(charts).toEqual([
      'messages-per-day',
      'bonuses-by-campaign',
      'points-by-campaign',
      'suppressions-by-reason',
      'suppressions-by-campaign',
      'deferrals-by-campaign',
      'replenishment-products',
      'rejected-by-rule',
    ]);
    expect(html).not.toContain('id="cost"');
    expect(html).toContain('suppressed.jsonl is missing');
    // A summary from before the measurement: the section says so, and draws nothing.
    expect(data.measurement).toBeNull();
    expect(html).toContain('summary.json has no measurement');
  });

  it('names what is wrong with a measurement it cannot read, and reports the rest', async () => {
    const broken = measurement('restock') as unknown as { campaigns: { counts: { issued: unknown } }[] };
    const first = broken.campaigns[0];
    if (first !== undefined) first.counts.issued = 'many';
    const dir = await fixture('bad-measurement', {
      'summary.json': JSON.stringify({ campaigns: [], measurement: broken }),
    });
    const data = await collectReportData(dir);
    expect(data.measurement).toBeNull();
    expect(data.measurementProblem).toMatch(/^measurement\.campaigns\.0\.counts\.issued: /);
    expect(renderReport(data)).toContain('The measurement in summary.json can&#39;t be read');
  });

  it('names the path when summary.json is missing or not JSON', async () => {
    const missing = join(root, 'nothing-here');
    await expect(collectReportData(missing)).rejects.toThrow(
      `summary.json not found: ${join(missing, 'summary.json')}`,
    );
    const broken = await fixture('broken', { 'summary.json': '{"campaigns": [' });
    await expect(collectReportData(broken)).rejects.toThrow(
      `summary.json is not valid JSON: ${join(broken, 'summary.json')}`,
    );
  });
});

describe('renderReport', () => {
  async function hostileData(): Promise<ReportData> {
    const dir = await fixture('hostile', {
      'summary.json': JSON.stringify({
        command: HOSTILE,
        campaigns: [
          {
            campaignId: HOSTILE,
            trigger: '"><svg onload=alert(3)>',
            fired: 1,
            messages: { email: 1 },
            deferred: 1,
            suppressed: { [HOSTILE]: 1 },
          },
        ],
        cost: { usdTotal: 1, lines: [{ item: HOSTILE, usd: 1, [HOSTILE]: HOSTILE }] },
        measurement: measurement(HOSTILE),
      }),
      'messages.jsonl': [
        message(HOSTILE, 'replenishment', 'email', '2026-01-01T00:00:00Z', {
          product: HOSTILE_PRODUCT,
          sku: HOSTILE,
        }),
      ],
      'bonuses.jsonl': [ledger(HOSTILE, 10, HOSTILE)],
      'suppressed.jsonl': [suppressed(HOSTILE, HOSTILE)],
      'rejected.jsonl': [{ line: 1, eventId: HOSTILE, reason: HOSTILE, path: HOSTILE, rule: HOSTILE }],
    });
    const data = await collectReportData(dir, { now: NOW });
    return { ...data, run: HOSTILE };
  }

  it('escapes hostile campaign ids, product names and run names everywhere', async () => {
    const data = await hostileData();
    const html = renderReport(data);
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain(HOSTILE_PRODUCT);
    expect(html).not.toMatch(/<img|<svg|<script>alert|onerror=alert\(1\)>|<!--/i);
    // Only the two script elements of the page are ever closed.
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain(`<title>Run report: ${escapeHtml(HOSTILE)}</title>`);
    // The embedded JSON reads back as the data.
    const json = html.match(/<script type="application\/json" id="report-data">([^<]*)<\/script>/)?.[1];
    expect(json).toBeDefined();
    expect(JSON.parse(json ?? '')).toEqual(data);
  });

  it('is self-contained: no external URL, and a CSP that allows only its own inline script and style', async () => {
    const html = renderReport(await hostileData());
    // Every `<` of the data is escaped, so any tag with a URL attribute would be the page's own.
    expect(html).not.toMatch(/<[^>]*\s(src|href|srcset|action)=|url\(|@import/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^']+'/);
  });

  it('escapes script-breaking characters in the embedded JSON', () => {
    const text = jsonForScript({ a: '</script><!-- & \u2028' });
    expect(text).toBe('{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028"}');
    expect(JSON.parse(text)).toEqual({ a: '</script><!-- & \u2028' });
  });
});
