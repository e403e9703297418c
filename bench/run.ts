/**
 * `npm run bench`: the project's figures, as a table, or one JSON object with `--json` (also written to
 * bench/results/latest.json). Figures are ratios against baselines measured in the same run where the
 * machine's speed matters; nothing here is a test.
 *
 *   npm run bench                      all benchmarks
 *   npm run bench -- --json            one JSON object on stdout
 *   npm run bench -- --only core       one group (core, replenishment, local)
 *   npm run bench -- --customers 200000  smaller core population (default 1,000,000)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runCoreBench } from './core-bench.ts';
import { runLocalBench } from './local-bench.ts';
import { evaluateReplenishment } from './replenishment-eval.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    only: { type: 'string' },
    customers: { type: 'string' },
  },
});

const groups = new Set((values.only ?? 'core,replenishment,local').split(','));
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
const log = (line: string) => {
  if (!values.json) process.stdout.write(`${line}\n`);
};

if (groups.has('core')) {
  const size = Number(values.customers ?? 1_000_000);
  log(`core: evaluating ${size.toLocaleString('en')} customers on one core …`);
  const core = await runCoreBench(size);
  results.core = core;
  log(`  core.evalsPerSecPerCore     ${core.evalsPerSecPerCore.toLocaleString('en')}   (goal ≥ 5,000,000)`);
  log(
    `  core.baselineReadsPerSec    ${core.baselineReadsPerSec.toLocaleString('en')}   (ratio ${core.ratioToBaseline})`,
  );
  log(
    `  core.coldEvalsPerSecPerCore ${core.coldEvalsPerSecPerCore.toLocaleString('en')}   (first evaluation of a stored item)`,
  );
}

if (groups.has('replenishment')) {
  log('replenishment: fitting before 2011-09-01 on UCI Online Retail II, scoring re-purchases after …');
  const r = await evaluateReplenishment();
  results.replenishment = r;
  log(`  replenishment.maeDays           ${r.maeDays.toFixed(2)}`);
  log(`  replenishment.baselineMaeDays   ${r.baselineMaeDays.toFixed(2)}   (customer's own average gap)`);
  log(`  replenishment.improvement       ${(r.improvement * 100).toFixed(1)}%   (goal ≥ 25%)`);
  log(`  replenishment.pairs             ${r.pairs.toLocaleString('en')}`);
}

if (groups.has('local')) {
  log('local: a rush of a synthetic shop (two months in two minutes) through the embedded stack …');
  const l = await runLocalBench();
  results.local = l;
  log(`  local.eventsPerSec              ${l.eventsPerSec}   (${l.events} events in ${l.seconds} s)`);
  log(`  local.writesPerEvent            ${l.writesPerEvent}`);
  log(
    `  local.ddbLocalCeilingOpsPerSec  ${l.ddbLocalCeilingOpsPerSec}   (plain PutItem loop, same instance)`,
  );
  log(
    `  local.ratioToCeiling            ${l.ratioToCeiling}   (events × writes per event ÷ ceiling; goal ≥ 0.5)`,
  );
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
