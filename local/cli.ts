#!/usr/bin/env -S npx tsx
/**
 * loyalty-triggers command line. `demo` (what `npm start` runs) drives a seeded synthetic shop through
 * the engine on a simulated clock and prints what every campaign did.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCampaignPack } from '../functions/domain/campaign-pack.ts';
import type { SimulationResult } from './memory-simulation.ts';
import { runMemorySimulation } from './memory-simulation.ts';
import { formatTable } from './summary.ts';

const DEFAULT_CAMPAIGNS = new URL('../campaigns/default.yaml', import.meta.url);

const HELP = `loyalty-triggers — trigger campaigns for loyalty programs

Usage:
  loyalty-triggers demo [--customers N] [--days D] [--seed S] [--start ISO] [--campaigns FILE] [--out DIR] [--json]
      Simulates a synthetic shop (default: 1000 customers over 365 days, seed 42) through the engine with
      in-memory stores and prints a per-campaign table. Writes messages.jsonl, bonuses.jsonl,
      suppressed.jsonl, rejected.jsonl and summary.json to DIR (default out/demo).
  loyalty-triggers --help
`;

function fail(message: string): never {
  process.stderr.write(`loyalty-triggers: ${message}\n\n${HELP}`);
  process.exit(2);
}

function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`--${name} must be an integer from ${min} to ${max} (got "${value}")`);
  return n;
}

function progressBar(label: string): (done: number, total: number) => void {
  const started = performance.now();
  let lastDraw = 0;
  return (done, total) => {
    if (!process.stderr.isTTY) return;
    const now = performance.now();
    if (now - lastDraw < 100 && done < total) return;
    lastDraw = now;
    const seconds = (now - started) / 1000;
    const rate = done / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const width = 30;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    process.stderr.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.round(rate)}/s ETA ${eta.toFixed(0)}s   `,
    );
    if (done >= total) process.stderr.write('\n');
  };
}

function writeJsonl(path: string, rows: readonly unknown[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
}

function writeOutputs(dir: string, result: SimulationResult, meta: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeJsonl(join(dir, 'messages.jsonl'), result.messages);
  writeJsonl(join(dir, 'bonuses.jsonl'), result.bonuses);
  writeJsonl(join(dir, 'suppressed.jsonl'), result.suppressed);
  writeJsonl(join(dir, 'rejected.jsonl'), result.rejected);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summaryJson(result, meta), null, 2)}\n`);
}

function summaryJson(result: SimulationResult, meta: Record<string, unknown>) {
  return {
    ...meta,
    events: result.events,
    customers: result.customers,
    evaluations: result.evaluations,
    messages: result.messages.length,
    bonuses: result.bonuses.length,
    suppressed: result.suppressed.length,
    rejected: result.rejected.length,
    requests: result.counts,
    campaigns: result.summary.rows(),
    totals: result.summary.totals(),
  };
}

async function demo(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      start: { type: 'string' },
      campaigns: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const customers = intOption(values.customers, 'customers', 1000, 1, 10_000_000);
  const days = intOption(values.days, 'days', 365, 1, 3650);
  const seed = intOption(values.seed, 'seed', 42, 0, 2 ** 31 - 1);
  const start = values.start ?? '2026-01-01T00:00:00.000Z';
  if (Number.isNaN(Date.parse(start))) fail(`--start must be an ISO instant (got "${start}")`);
  const campaignsPath = values.campaigns ?? DEFAULT_CAMPAIGNS.pathname;
  const pack = parseCampaignPack(
    readFileSync(campaignsPath, 'utf8'),
    values.campaigns ?? 'campaigns/default.yaml',
  );
  const out = values.out ?? 'out/demo';
  const started = performance.now();
  const result = await runMemorySimulation({
    customers,
    days,
    seed,
    start,
    pack,
    onProgress: progressBar('simulating'),
  });
  const seconds = (performance.now() - started) / 1000;
  const meta = {
    command: 'demo',
    customers,
    days,
    seed,
    start,
    campaigns: campaignsPath,
    seconds: Math.round(seconds * 10) / 10,
  };
  writeOutputs(out, result, meta);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summaryJson(result, meta))}\n`);
    return;
  }
  process.stdout.write(
    `\nSimulated ${customers} customers over ${days} days (seed ${seed}): ${result.events} events, ` +
      `${result.evaluations} scheduled evaluations, ${result.messages.length} messages, ` +
      `${result.bonuses.length} ledger entries, ${result.rejected.length} rejected, in ${seconds.toFixed(1)} s.\n\n`,
  );
  process.stdout.write(`${formatTable(result.summary)}\n\n`);
  process.stdout.write(
    `Outputs in ${out}/: messages.jsonl, bonuses.jsonl, suppressed.jsonl, rejected.jsonl, summary.json\n`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return;
    default:
      fail(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`loyalty-triggers: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
