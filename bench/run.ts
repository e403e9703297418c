/**
 * `npm run bench`: the project's figures, as a table, or one JSON object with `--json` (also written to
 * bench/results/latest.json). Figures are ratios against baselines measured in the same run where the
 * machine's speed matters; nothing here is a test.
 *
 *   npm run bench                      all benchmarks
 *   npm run bench -- --json            one JSON object on stdout
 *   npm run bench -- --only core       groups, comma-separated: core, replenishment, local, units, cost,
 *                                      latency, scale (units and cost share one measured run)
 *   npm run bench -- --customers 200000  smaller core population (default 1,000,000)
 *   npm run bench -- --scale-customers 20000  smaller scale population (default 100,000)
 *
 * Each group's wall time is in `groupSeconds`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runCoreBench } from './core-bench.ts';
import { costFigures } from './cost-bench.ts';
import { runLatencyBench } from './latency-bench.ts';
import { runLocalBench } from './local-bench.ts';
import { evaluateReplenishment } from './replenishment-eval.ts';
import { runScaleBench } from './scale-bench.ts';
import type { MeasuredRun } from './units-bench.ts';
import { measureRun, unitsFigures } from './units-bench.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    only: { type: 'string' },
    customers: { type: 'string' },
    'scale-customers': { type: 'string' },
    'warmup-days': { type: 'string' },
  },
});

/** Days the units/cost shop lives in memory before the measured week (default 180): its customers' tenure. */
const warmupDays = Number(values['warmup-days'] ?? 180);
if (!Number.isInteger(warmupDays) || warmupDays < 30 || warmupDays > 3650) {
  throw new RangeError(`--warmup-days must be an integer from 30 to 3650 (got ${values['warmup-days']})`);
}
/** One measured run per shop age, shared by the units and cost groups (each run takes half a minute). */
const measuredRuns = new Map<number, Promise<MeasuredRun>>();
function measuredRun(days: number): Promise<MeasuredRun> {
  let run = measuredRuns.get(days);
  if (run === undefined) {
    run = measureRun({ warmupDays: days });
    measuredRuns.set(days, run);
  }
  return run;
}
/** The age of the shop whose cost the full run gives next to the default one's (`cost.matureShop`). */
const MATURE_SHOP_DAYS = 730;

const groups = new Set((values.only ?? 'core,replenishment,local,units,cost,latency,scale').split(','));
const groupSeconds: Record<string, number> = {};
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  groupSeconds,
};
const log = (line: string) => {
  if (!values.json) process.stdout.write(`${line}\n`);
};
let groupStarted = performance.now();
/** Closes the timing of the group that just ran. */
const timed = (group: string) => {
  const now = performance.now();
  groupSeconds[group] = Math.round((now - groupStarted) / 100) / 10;
  groupStarted = now;
  log(`  (${group}: ${groupSeconds[group]} s)`);
};
const usd = (x: number) =>
  `$${x.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

if (groups.has('core')) {
  const size = Number(values.customers ?? 1_000_000);
  log(`core: evaluating ${size.toLocaleString('en')} customers on one core …`);
  const core = await runCoreBench(size);
  results.core = core;
  log(
    `  core.evalsPerSecPerCore     ${core.evalsPerSecPerCore.toLocaleString('en')}   (goal ≥ 5,000,000; per CPU second)`,
  );
  log(`  core.evalsPerSecWall        ${core.evalsPerSecWall.toLocaleString('en')}   (per wall-clock second)`);
  log(
    `  core.baselineReadsPerSec    ${core.baselineReadsPerSec.toLocaleString('en')}   (ratio ${core.ratioToBaseline})`,
  );
  log(
    `  core.coldEvalsPerSecPerCore ${core.coldEvalsPerSecPerCore.toLocaleString('en')}   (first evaluation of a stored item)`,
  );
  timed('core');
}

if (groups.has('replenishment')) {
  log('replenishment: fitting before 2011-09-01 on UCI Online Retail II, scoring re-purchases after …');
  const r = await evaluateReplenishment();
  results.replenishment = r;
  log(`  replenishment.maeDays           ${r.maeDays.toFixed(2)}`);
  log(`  replenishment.baselineMaeDays   ${r.baselineMaeDays.toFixed(2)}   (customer's own average gap)`);
  log(`  replenishment.improvement       ${(r.improvement * 100).toFixed(1)}%   (goal ≥ 25%)`);
  log(`  replenishment.pairs             ${r.pairs.toLocaleString('en')}`);
  timed('replenishment');
}

if (groups.has('local')) {
  log('local: a rush of a synthetic shop (two months in two minutes) through the embedded stack …');
  const l = await runLocalBench();
  results.local = l;
  log(`  local.eventsPerSec              ${l.eventsPerSec}   (${l.events} events in ${l.seconds} s)`);
  log(
    `  local.writesPerEvent            ${l.writesPerEvent}   (items written; ${l.writeRequestsPerEvent} write requests)`,
  );
  log(
    `  local.ddbLocalCeilingOpsPerSec  ${l.ddbLocalCeilingOpsPerSec}   (plain PutItem loop, same instance)`,
  );
  log(
    `  local.ratioToCeiling            ${l.ratioToCeiling}   (events × writes per event ÷ ceiling; goal ≥ 0.5)`,
  );
  timed('local');
}

if (groups.has('units')) {
  log(
    `units: a synthetic shop, ${warmupDays} days in memory then 7 on the embedded stack, every step measured …`,
  );
  const u = unitsFigures(await measuredRun(warmupDays));
  results.units = u;
  log(`  units.perMessageVsMinimum       ${u.perMessageVsMinimum}   (goal ≤ 1.5)`);
  log(
    `  units.unitsPerMessage           ${u.unitsPerMessage}   (RRU + WRU + SQS calls; minimum ${u.minimumPerMessage} = read + write of the item + 0.1)`,
  );
  log(`  units.perMessageVsLiteralMinimum ${u.perMessageVsLiteralMinimum}   (against 1 + 1 + 0.1)`);
  log(
    `  units.realTime / scheduled      ${u.realTime.unitsPerMessage} / ${u.scheduled.unitsPerMessage} per message   (${u.realTime.messages} / ${u.scheduled.messages} messages)`,
  );
  log(
    `  units.breakdown                 ${Object.entries(u.breakdown)
      .slice(0, 6)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  log(
    `  not per message (fixed)         idle tick ${u.idleTickUnits}; stats λ ${u.statsUnitsPerWindow} a 15-min window (${u.statsUnitsPerMessageAtThisSize} a message at this run's size)`,
  );
  timed('units');
}

if (groups.has('cost')) {
  log('cost: the measured run extrapolated to 2 orders per customer per month, at list prices …');
  const c = costFigures(await measuredRun(warmupDays));
  results.cost = c;
  log(
    `  cost.usdPerMillionCustomersMonth ${usd(c.usdPerMillionCustomersMonth)}   (next-due index as deployed; goal ≤ $10)`,
  );
  for (const v of Object.values(c.variants)) {
    log(
      `    ${usd(v.usdPerMonth['1M'])} at 1M, ${usd(v.usdPerMonth['10M'])} at 10M customers a month: ${v.description}`,
    );
  }
  log(
    `  by activity (index, 1M)        ${Object.entries(c.variants.dueIndex.byActivity)
      .map(([k, v]) => `${k} ${usd(v)}`)
      .join(', ')}`,
  );
  log(
    `  SaaS at $0.004–0.009 a profile  ${usd(c.saasUsdPerMillionProfilesMonth.low)}–${usd(c.saasUsdPerMillionProfilesMonth.high)} per 1M profiles a month`,
  );
  if (warmupDays < MATURE_SHOP_DAYS) {
    // Items grow with tenure, and every write is billed on the item's size: the same week measured on
    // a shop two years old (a second measured run, about half a minute).
    const matureRun = await measuredRun(MATURE_SHOP_DAYS);
    const [mu, mc] = [unitsFigures(matureRun), costFigures(matureRun)];
    c.matureShop = {
      warmupDays: MATURE_SHOP_DAYS,
      usdPerMillionCustomersMonth: mc.usdPerMillionCustomersMonth,
      usdPerMonth10M: mc.variants.dueIndex.usdPerMonth['10M'],
      meanItemBytes: mc.basis.meanItemBytes,
      unitsPerMessageVsMinimum: mu.perMessageVsMinimum,
    };
    log(
      `  cost.matureShop                 ${usd(mc.usdPerMillionCustomersMonth)} for a shop ${MATURE_SHOP_DAYS} days old (items ${mc.basis.meanItemBytes} B, against ${c.basis.meanItemBytes} B; units ratio ${mu.perMessageVsMinimum})`,
    );
  }
  timed('cost');
}

if (groups.has('latency')) {
  log('latency: first orders put on the bus in real time, to the milestone message on the email queue …');
  const l = await runLatencyBench();
  results.latency = l;
  log(`  latency.eventToQueuedP50Ms      ${l.eventToQueuedP50Ms}`);
  log(`  latency.eventToQueuedP99Ms      ${l.eventToQueuedP99Ms}   (goal < 1,000; ${l.orders} orders)`);
  timed('latency');
}

if (groups.has('scale')) {
  const size = Number(values['scale-customers'] ?? 100_000);
  log(`scale: ${size.toLocaleString('en')} customer items in DynamoDB Local, 1% due in one bucket …`);
  const s = await runScaleBench({ customers: size });
  results.scale = s;
  log(
    `  scale.dueQueryUnitsPerDueCustomer ${s.dueQueryUnitsPerDueCustomer}   (${s.dueQueryUnits} RRU for ${s.due} due)`,
  );
  log(
    `  scale.dueFindAndReadUnitsPerDueCustomer ${s.dueFindAndReadUnitsPerDueCustomer}   (with the read of each; goal ≈ 1)`,
  );
  log(
    `  scale.scanUnitsPerDueCustomer   ${s.scanUnitsPerDueCustomer}   (${s.benchItemBytes} B items; ${s.scanUnitsPerDueCustomerAtMeanItem} at ${s.meanItemBytesForRule} B)`,
  );
  log(
    `  scale.wave.unitsPerDueCustomer  ${s.wave.unitsPerDueCustomer}   (the bucket as a wave: ${s.wave.pages} pages of ${s.wave.pageLimit} over ${s.wave.partitions} partitions, ${s.wave.queryCalls} queries)`,
  );
  timed('scale');
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
