/**
 * The run report in a real browser: a small in-memory simulation written to a temp directory, its
 * report.html opened in headless Chromium (Debian package `chromium`, via playwright-core). Every chart
 * with data draws marks, nothing errors, nothing is fetched, and the full-page PNG lands in the folder.
 */
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeasureRow } from '../../local/measure/attribution.ts';
import { CampaignMeasurement } from '../../local/measure/attribution.ts';
import { MeasurementObserver } from '../../local/measure/observer.ts';
import { runMemorySimulation } from '../../local/memory-simulation.ts';
import { writeOutputs } from '../../local/outputs.ts';
import type { ReportData } from '../../local/report/report-data.ts';
import { collectReportData } from '../../local/report/report-data.ts';
import { launchChromium, screenshotReport } from '../../local/report/screenshot.ts';
import { writeReport } from '../../local/report/write-report.ts';
import { RunRecorder } from '../../local/run-recorder.ts';
import { DEFAULT_PACK } from '../unit/fixtures.ts';

const OPTIONS = {
  customers: 150,
  days: 120,
  seed: 42,
  start: '2026-01-01T00:00:00.000Z',
  pack: DEFAULT_PACK,
};

let root: string;
let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'report-browser-'));
  dir = join(root, 'run');
  // Chromium starts while the simulation runs; a launch failure surfaces at the await below.
  const launching = launchChromium();
  launching.catch(() => {});
  const measurement = new MeasurementObserver(DEFAULT_PACK.campaigns);
  const recorder = new RunRecorder(DEFAULT_PACK, { observers: [measurement] });
  const result = await runMemorySimulation({ ...OPTIONS, recorder });
  const meta = { command: 'simulate', customers: OPTIONS.customers, days: OPTIONS.days };
  writeOutputs(dir, result, meta, measurement.results());
  // The simulation rejects nothing and summary.json has no cost yet: add both, so every chart has data.
  await appendFile(
    join(dir, 'rejected.jsonl'),
    `${JSON.stringify({ line: 4, eventId: 'e-4', reason: 'Required', path: 'detail.total', rule: 'required' })}\n` +
      `${JSON.stringify({ line: 9, eventId: null, reason: 'Not JSON', path: '', rule: 'json' })}\n`,
  );
  const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  summary.cost = {
    usdTotal: 0.0123,
    lines: [
      { item: 'DynamoDB writes', quantity: 51635, unit: 'WRU', usd: 0.0065 },
      { item: 'SQS requests', quantity: 1096, unit: 'requests', usd: 0.0004 },
      { item: 'Lambda', quantity: 120, unit: 'GB-s', usd: 0.0054 },
    ],
  };
  summary.units = { read: 100, write: 200 };
  await writeFile(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  browser = await launching;
});

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

/** Measurement rows (campaigns, then the two groups and the total) whose figures pass `has`. */
function estimates(data: ReportData, has: (f: MeasureRow['figures']) => boolean): number {
  const m = data.measurement;
  if (m === null) return 0;
  return [...m.campaigns, m.groups.personalised, m.groups.generic, m.total].filter((r) => has(r.figures))
    .length;
}

/** Bars of one group in the personalised-vs-generic chart: its rates that are defined. */
function groupValues(r: MeasureRow): number {
  const f = r.figures;
  return [f.conversionRate, f.controlConversionRate, f.repeatRate, f.redemptionRate].filter((v) => v !== null)
    .length;
}

/** Bars a chart should draw for the data (the bar charts show at most 30 rows). */
function expectedMarks(data: ReportData): Record<string, number> {
  const rows = (n: number) => Math.min(n, 30);
  const m = data.measurement;
  return {
    'messages-per-day': data.messages.perDay.days.reduce(
      (n, d) => n + d.counts.filter((c) => c > 0).length,
      0,
    ),
    'bonuses-by-campaign': rows(data.bonuses.byCampaign.length),
    'uplift-by-campaign': rows(estimates(data, (f) => f.uplift !== null)),
    'incremental-orders-by-campaign': rows(estimates(data, (f) => f.incrementalOrders !== null)),
    'personalised-vs-generic':
      m === null ? 0 : groupValues(m.groups.personalised) + groupValues(m.groups.generic),
    'points-by-campaign': rows(data.bonuses.byCampaign.filter((c) => c.points !== 0).length),
    'suppressions-by-reason': rows(data.suppressions.byReason.length),
    'suppressions-by-campaign': rows(data.suppressions.byCampaign.length),
    'deferrals-by-campaign': rows(data.deferrals.length),
    'replenishment-products': data.replenishment.top.length,
    'rejected-by-rule': data.rejected.byRule.length,
    'cost-by-item': data.cost?.lines.length ?? 0,
  };
}

describe('report.html in headless Chromium', () => {
  it('draws every chart of a simulated run without errors and saves a full-page screenshot', async () => {
    const data = await collectReportData(dir);
    expect(data.messages.total).toBeGreaterThan(0);
    expect(data.replenishment.top.length).toBeGreaterThan(0);
    expect(data.deferrals.length).toBeGreaterThan(0);
    expect(data.measurement?.groups.personalised.figures.uplift).not.toBeNull();

    const html = await writeReport(dir);
    const png = join(dir, 'report.png');
    const check = await screenshotReport(html, png, { browser });

    const expected = expectedMarks(data);
    expect(check.marks).toEqual(expected);
    for (const [chart, n] of Object.entries(check.marks)) expect(n, chart).toBeGreaterThan(0);
    expect(check.empty).toEqual([]);
    expect(check.png).toBe(png);
    // A 1280 px wide page with twelve charts and their tables: well over 100 kB of PNG.
    expect(check.pngBytes).toBeGreaterThan(100_000);
    const header = (await readFile(png)).subarray(0, 8);
    expect(header.toString('hex')).toBe('89504e470d0a1a0a');
  });

  it('shows hostile campaign ids and products as text: no script runs, no dialog opens', async () => {
    const hostile = join(root, 'hostile');
    await mkdir(hostile);
    const id = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';
    // A measurement of the hostile campaign: two recipients (one orders) against two held out.
    const m = new CampaignMeasurement([{ id, trigger: { type: 'replenishment' } }]);
    const at = '2026-01-01T00:00:00Z';
    for (const c of ['t1', 't2'])
      m.treated({ campaignId: id, customerId: c, at, channel: 'email', occurrenceKey: c, offer: null });
    for (const c of ['c1', 'c2']) m.suppressed({ campaignId: id, customerId: c, at, reason: 'holdout' });
    m.order({ customerId: 't1', orderId: 'o1', at: '2026-01-02T00:00:00Z', totalCents: 1000 });
    await writeFile(
      join(hostile, 'summary.json'),
      JSON.stringify({
        campaigns: [
          { campaignId: id, trigger: 'replenishment', fired: 2, deferred: 1, suppressed: { [id]: 1 } },
        ],
        measurement: m.results(),
      }),
    );
    await writeFile(
      join(hostile, 'suppressed.jsonl'),
      `${JSON.stringify({ occurrenceKey: 'k', customerId: 'c', campaignId: id, reason: id, at: '2026-01-01T00:00:00Z' })}\n`,
    );
    await writeFile(
      join(hostile, 'messages.jsonl'),
      `${JSON.stringify({ campaignId: id, trigger: 'replenishment', channel: 'email', sendAt: '2026-01-01T00:00:00Z', variables: { product: id, sku: id } })}\n`,
    );
    const check = await screenshotReport(await writeReport(hostile), join(hostile, 'report.png'), {
      browser,
    });
    expect(check.marks).toMatchObject({
      'messages-per-day': 1,
      'suppressions-by-reason': 1,
      'suppressions-by-campaign': 1,
      'deferrals-by-campaign': 1,
      'replenishment-products': 1,
      // The campaign, its group (personalised) and the total.
      'uplift-by-campaign': 3,
      'incremental-orders-by-campaign': 3,
      // Personalised: recipients' and control conversion, repeat; no offers, no redemption bar.
      'personalised-vs-generic': 3,
    });
    expect(check.empty.sort()).toEqual(['bonuses-by-campaign', 'points-by-campaign', 'rejected-by-rule']);
  });

  it('fails on page errors, console errors and requests that leave the file', async () => {
    const page = join(root, 'broken.html');
    await writeFile(
      page,
      '<!doctype html><html data-charts-ready="true"><body><img src="http://example.invalid/x.png">' +
        '<script>console.error("boom"); missingFunction();</script></body></html>',
    );
    const error = await screenshotReport(page, join(root, 'broken.png'), { browser }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('console error: boom');
    expect(message).toContain('page error: missingFunction is not defined');
    expect(message).toContain('unexpected request: http://example.invalid/x.png');
  });
});
