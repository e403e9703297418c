#!/usr/bin/env -S npx tsx
/**
 * loyalty-triggers command line:
 * - `demo` (what `npm start` runs) and `simulate`: a seeded synthetic shop driven through the engine on a
 *   simulated clock;
 * - `replay`: a backtest of recorded shop events (JSONL) through the same runner;
 * - `import-online-retail`: the real UCI Online Retail II data → shop events for `replay`;
 * - `report`: the tables of a finished run from its summary.json, and its report.html rebuilt.
 * Runs use the embedded stack (the deployed handlers on DynamoDB Local, in-process SQS, EventBridge and
 * Scheduler) by default, or the in-memory runtime (`--runtime memory`: the same use cases on in-memory
 * stores, much faster). `main` returns the exit code (2 for usage errors) so tests can call it in-process.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CampaignFile } from '../functions/domain/campaign.ts';
import { parseCampaignPack } from '../functions/domain/campaign-pack.ts';
import { chaosMain } from './chaos/command.ts';
import { estimateCost } from './cost.ts';
import { runEmbedded } from './embedded/run.ts';
import { explainMain } from './explain.ts';
import type { MeasureResults } from './measure/attribution.ts';
import { formatMeasurement } from './measure/format.ts';
import { MeasurementObserver } from './measure/observer.ts';
import { parseMeasurement } from './measure/results-json.ts';
import type { Runner, SimulationResult } from './memory-simulation.ts';
import { runEvents, runMemorySimulation } from './memory-simulation.ts';
import { CREDIT, importOnlineRetail } from './online-retail-import.ts';
import type { Progress } from './outputs.ts';
import { progressBar, summaryJson, writeSummary } from './outputs.ts';
import { replayEvents } from './replay.ts';
import { writeReport } from './report/write-report.ts';
import { RunRecorder } from './run-recorder.ts';
import { campaignSummariesFromJson, formatRows, formatTable } from './summary.ts';

const DEFAULT_CAMPAIGNS = new URL('../campaigns/default.yaml', import.meta.url);
const OUTPUTS =
  'messages.jsonl, bonuses.jsonl, suppressed.jsonl, rejected.jsonl, summary.json, stats.jsonl, report.html';

const SIMULATE_USAGE = `[--customers N] [--days D] [--seed S] [--start ISO] [--campaigns FILE] [--out DIR] [--runtime embedded|memory] [--json]`;

const RUNTIME_HELP = `  --runtime embedded (default): the deployed handlers, composed as in AWS, on Amazon DynamoDB Local
      (needs Java 17+) with in-process SQS, EventBridge and Scheduler, wired from lib/wiring.ts;
      summary.json adds request counts per service and function and the AWS cost at list prices.
  --runtime memory: the same use cases on in-memory stores (no Java; about 10× faster).
`;

const HELP_DEMO = `Usage:
  loyalty-triggers demo ${SIMULATE_USAGE}
      Simulates a synthetic shop (default: 300 customers over 60 days, seed 42; a few minutes) through the engine on
      the embedded stack and prints a per-campaign table. Writes ${OUTPUTS} to DIR (default out/demo).
${RUNTIME_HELP}`;

const HELP_SIMULATE = `Usage:
  loyalty-triggers simulate ${SIMULATE_USAGE}
      The same run as demo: a seeded synthetic shop (default 1000 customers, 365 days, seed 42, starting
      2026-01-01T00:00:00Z) through the engine on a simulated clock; writes ${OUTPUTS} to DIR
      (default out/simulate) and prints the per-campaign table (or, with --json, the summary JSON).
${RUNTIME_HELP}`;

const HELP_REPLAY = `Usage:
  loyalty-triggers replay --events FILE.jsonl [--campaigns FILE] [--from ISO] [--until ISO] [--no-history] --out DIR [--runtime embedded|memory] [--json]
      Backtest: one EventBridge envelope per line, in any order (FILE may be gzipped). Bad lines go to
      rejected.jsonl ({ line, eventId, reason, path, rule }) and the run goes on; valid events are sorted by
      event time and driven through the same runner as simulate (ingest at event time, dispatcher every
      15 simulated minutes, relay, model refit every 30 days) up to --until. The window [--from, --until)
      is what the outputs record: the events before --from are the shop's history, applied first and
      recording nothing, so customers come to the window with their profiles, consents, orders and past
      rewards (--no-history drops them instead: the shop starts empty at --from). Validation's "now" is
      the latest event time + 1 day, or today when that is earlier (history is not dated after today).
      Writes ${OUTPUTS} to DIR.
${RUNTIME_HELP}`;

const HELP_IMPORT = `Usage:
  loyalty-triggers import-online-retail FILE.csv.gz --out EVENTS.jsonl [--seed S]
      Converts the UCI Online Retail II transactions to shop events, sorted by time, for replay.
      Source: ${CREDIT}.
      - invoice times are UK local times (Europe/London), written as UTC;
      - one OrderPlaced per invoice: product lines only (5-digit codes with an optional letter suffix; POST,
        M, BANK CHARGES, … dropped), positive quantities, category = first word of the description (else a
        stable hash bucket cat-NN), currency GBP, total = sum of the lines;
      - invoices starting with C → OrderCancelled for the latest earlier invoice of the same customer that
        contains all the cancelled codes; unmatched ones are skipped and counted; guests are skipped;
      - one CustomerRegistered per customer 1 s before their first invoice, with derived attributes from a
        hash of (seed, customer id): birthday for 85% (1950..2001), time zone and ISO country from the
        country (unknown → Europe/London, GB), locale en, contacts c<id>@example.com, consents email 80%,
        push 30% (with a push token), no sms. Same file and seed → identical output (default seed 1).
`;

const HELP_REPORT = `Usage:
  loyalty-triggers report --in DIR
      Reads DIR/summary.json (the output of demo, simulate or replay), prints the per-campaign table and
      the measurement (reach; conversion against the holdout with the uplift's 95% interval, incremental
      orders, revenue per recipient, AOV, repeat purchases, points, redemption; personalised vs generic
      campaigns), and rebuilds DIR/report.html from the run's files. See "Reading the measurements" in
      the README.
`;

const HELP = `loyalty-triggers — trigger campaigns for loyalty programs

Commands:
  demo                  what npm start runs: simulate with defaults, writes to out/demo
  simulate              a seeded synthetic shop through the engine
  replay                backtest recorded shop events (JSONL)
  import-online-retail  the UCI Online Retail II data → shop events
  report                print a finished run's tables and rebuild its report.html
  explain               why a message was sent, or why not: decision, consent and its event, cap, quiet hours
  chaos                 a seeded run under faults and duplicate deliveries, checked against an oracle

${HELP_DEMO}  loyalty-triggers simulate ${SIMULATE_USAGE}
  loyalty-triggers replay --events FILE.jsonl [--campaigns FILE] [--from ISO] [--until ISO] [--no-history] --out DIR [--runtime embedded|memory] [--json]
  loyalty-triggers import-online-retail FILE.csv.gz --out EVENTS.jsonl [--seed S]
  loyalty-triggers report --in DIR
  loyalty-triggers explain (--in DIR | --events FILE.jsonl) --customer ID --message ID [--json]
  loyalty-triggers chaos --events N [--seed S] [--fault-rate R] [--json]
  loyalty-triggers <command> --help
`;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Progress bars are drawn only when given (the CLI passes the TTY-only bar). */
  progress?: (label: string) => Progress;
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  progress: (label) => progressBar(label),
};

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

function parse(
  args: string[],
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>,
  help: string,
  allowPositionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals,
    });
  } catch (error) {
    // node:util reports unknown options and missing values with its own wording; keep it, add the help.
    throw new UsageError(error instanceof Error ? error.message : String(error), help);
  }
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  help: string,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${value}")`, help);
  return n;
}

function instantOption(value: string | undefined, name: string, help: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO instant (got "${value}")`, help);
  return ms;
}

function loadPack(path: string | undefined): { pack: CampaignFile; path: string } {
  const file = path ?? DEFAULT_CAMPAIGNS.pathname;
  return {
    pack: parseCampaignPack(readFileSync(file, 'utf8'), path ?? 'campaigns/default.yaml'),
    path: file,
  };
}

function noProgress(): Progress {
  return () => {};
}

function runtimeOption(value: string | undefined, help: string): { name: string; runner: Runner } {
  if (value === undefined || value === 'embedded') return { name: 'embedded', runner: runEmbedded };
  if (value === 'memory') return { name: 'memory', runner: runEvents };
  throw new UsageError(`--runtime must be embedded or memory (got "${value}")`, help);
}

async function simulate(command: 'demo' | 'simulate', args: string[], io: Io): Promise<number> {
  const help = command === 'demo' ? HELP_DEMO : HELP_SIMULATE;
  const { values } = parse(
    args,
    {
      customers: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      start: { type: 'string' },
      campaigns: { type: 'string' },
      out: { type: 'string' },
      runtime: { type: 'string' },
      json: { type: 'boolean' },
    },
    help,
  );
  if (values.help) {
    io.stdout(help);
    return 0;
  }
  // The demo is sized to finish in a few minutes on DynamoDB Local (~1,000 requests/s); simulate runs a
  // year of a thousand customers (about 300k requests there; seconds with --runtime memory).
  const demo = command === 'demo';
  const customers = intOption(str(values.customers), 'customers', demo ? 300 : 1000, 1, 10_000_000, help);
  const days = intOption(str(values.days), 'days', demo ? 60 : 365, 1, 3650, help);
  const seed = intOption(str(values.seed), 'seed', 42, 0, 2 ** 31 - 1, help);
  const start = str(values.start) ?? '2026-01-01T00:00:00.000Z';
  instantOption(start, 'start', help);
  const { pack, path: campaignsPath } = loadPack(str(values.campaigns));
  const out = str(values.out) ?? `out/${command}`;
  const runtime = runtimeOption(str(values.runtime), help);
  const started = performance.now();
  const measurement = new MeasurementObserver(pack.campaigns);
  const recorder = new RunRecorder(pack, { dir: out, observers: [measurement] });
  const result = await runMemorySimulation({
    customers,
    days,
    seed,
    start,
    pack,
    recorder,
    runner: runtime.runner,
    onProgress: (io.progress ?? noProgress)('simulating'),
  }).finally(() => recorder.close());
  const seconds = (performance.now() - started) / 1000;
  const meta = {
    command,
    runtime: runtime.name,
    customers,
    days,
    seed,
    start,
    campaignsFile: campaignsPath,
    seconds: Math.round(seconds * 10) / 10,
  };
  const measured = measurement.results();
  writeSummary(out, result, meta, measured);
  await writeReport(out);
  if (values.json) {
    io.stdout(`${JSON.stringify(summaryJson(result, meta, measured))}\n`);
    return 0;
  }
  io.stdout(
    `\nSimulated ${customers} customers over ${days} days (seed ${seed}): ${result.events} events, ` +
      `${result.evaluations} scheduled evaluations, ${result.outputs.messages} messages, ` +
      `${result.outputs.bonuses} ledger entries, ${result.outputs.rejected} rejected, in ${seconds.toFixed(1)} s.\n\n`,
  );
  printTable(result, measured, out, io);
  return 0;
}

function printTable(result: SimulationResult, measured: MeasureResults, out: string, io: Io): void {
  io.stdout(`${formatTable(result.summary)}\n\n${formatMeasurement(measured)}\n\n`);
  if (result.usage !== undefined) {
    const cost = estimateCost(result.usage);
    const t = result.usage.dynamodb.totals;
    io.stdout(
      `AWS usage: ${t.requests} DynamoDB requests (${t.readUnits} RRU, ${t.writeUnits} WRU), ` +
        `${Object.values(result.usage.sqs).reduce((a, b) => a + b, 0)} SQS requests, ` +
        `${Object.values(result.usage.functions).reduce((a, f) => a + f.invocations, 0)} Lambda invocations: ` +
        `$${cost.usdTotal.toFixed(4)} at list prices (${cost.prices.region}, ${cost.prices.date}).\n`,
    );
  }
  if (result.heldAtEnd !== undefined && result.heldAtEnd > 0) {
    const n = result.heldAtEnd;
    io.stdout(
      `${n} ${n === 1 ? 'message is' : 'messages are'} held for a send after the run's end (not in messages.jsonl).\n`,
    );
  }
  io.stdout(`Outputs in ${out}/: ${OUTPUTS}\nReport: ${out}/report.html\n`);
}

async function replay(args: string[], io: Io): Promise<number> {
  const { values } = parse(
    args,
    {
      events: { type: 'string' },
      campaigns: { type: 'string' },
      from: { type: 'string' },
      until: { type: 'string' },
      'no-history': { type: 'boolean' },
      out: { type: 'string' },
      runtime: { type: 'string' },
      json: { type: 'boolean' },
    },
    HELP_REPLAY,
  );
  if (values.help) {
    io.stdout(HELP_REPLAY);
    return 0;
  }
  const events = str(values.events);
  if (events === undefined) throw new UsageError('--events FILE.jsonl is required', HELP_REPLAY);
  const out = str(values.out);
  if (out === undefined) throw new UsageError('--out DIR is required', HELP_REPLAY);
  const fromMs = instantOption(str(values.from), 'from', HELP_REPLAY);
  const untilMs = instantOption(str(values.until), 'until', HELP_REPLAY);
  if (fromMs !== undefined && untilMs !== undefined && untilMs <= fromMs)
    throw new UsageError('--until must be after --from', HELP_REPLAY);
  const { pack, path: campaignsPath } = loadPack(str(values.campaigns));
  const runtime = runtimeOption(str(values.runtime), HELP_REPLAY);
  // Before anything is written to --out: a missing file leaves no empty outputs behind.
  try {
    if (!statSync(events).isFile()) throw new Error('not a file');
    accessSync(events, constants.R_OK);
  } catch (error) {
    throw new RunDirError(`cannot read the events file ${events}: ${errorText(error)}`, { cause: error });
  }
  const started = performance.now();
  const measurement = new MeasurementObserver(pack.campaigns);
  const recorder = new RunRecorder(pack, { dir: out, observers: [measurement] });
  const result = await replayEvents({
    runner: runtime.runner,
    eventsPath: events,
    pack,
    recorder,
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(untilMs === undefined ? {} : { untilMs }),
    history: values['no-history'] !== true,
    onProgress: (io.progress ?? noProgress)('replaying'),
  }).finally(() => recorder.close());
  const seconds = (performance.now() - started) / 1000;
  const meta = {
    command: 'replay',
    runtime: runtime.name,
    eventsFile: events,
    campaignsFile: campaignsPath,
    from: fromMs === undefined ? null : new Date(fromMs).toISOString(),
    until: untilMs === undefined ? null : new Date(untilMs).toISOString(),
    lines: result.lines,
    history: result.history,
    outsideWindow: result.outsideWindow,
    validationNow: new Date(result.validationNowMs).toISOString(),
    seconds: Math.round(seconds * 10) / 10,
  };
  const measured = measurement.results();
  writeSummary(out, result, meta, measured);
  await writeReport(out);
  if (values.json) {
    io.stdout(`${JSON.stringify(summaryJson(result, meta, measured))}\n`);
    return 0;
  }
  io.stdout(
    `\nReplayed ${result.events} events of ${result.lines} lines (${result.outputs.rejected} rejected, ` +
      `${result.outsideWindow} left out)${result.history > 0 ? `, ${result.history} of them history before --from,` : ''} ` +
      `for ${result.customers} customers, ${result.evaluations} scheduled evaluations, in ${seconds.toFixed(1)} s; ` +
      `recorded${result.history > 0 ? ' from --from' : ''}: ${result.outputs.messages} messages, ` +
      `${result.outputs.bonuses} ledger entries.\n\n`,
  );
  printTable(result, measured, out, io);
  return 0;
}

/** A failure that is not a usage error (a missing or unreadable run directory or input file): exit 1. */
class RunDirError extends Error {
  override name = 'RunDirError';
}

function errorText(error: unknown): string {
  const code = error instanceof Error ? Reflect.get(error, 'code') : undefined;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

function readRunSummary(dir: string): Record<string, unknown> {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // Missing or unreadable: reported below.
  }
  if (!isDir)
    throw new RunDirError(`${dir} is not a directory (pass the --out DIR of a demo, simulate or replay run)`);
  const path = join(dir, 'summary.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RunDirError(`cannot read ${path}: is ${dir} the output of a demo, simulate or replay run?`, {
      cause: error,
    });
  }
  let summary: unknown;
  try {
    summary = JSON.parse(text);
  } catch (error) {
    throw new RunDirError(`${path} is not valid JSON`, { cause: error });
  }
  if (!isRecord(summary)) throw new RunDirError(`${path} is not a JSON object`);
  return summary;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function report(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { in: { type: 'string' } }, HELP_REPORT);
  if (values.help) {
    io.stdout(HELP_REPORT);
    return 0;
  }
  const dir = str(values.in);
  if (dir === undefined) throw new UsageError('--in DIR is required', HELP_REPORT);
  const summary = readRunSummary(dir);
  io.stdout(`${formatRows(campaignSummariesFromJson(summary.campaigns))}\n\n`);
  const measurement = parseMeasurement(summary.measurement);
  if (measurement.type === 'Measured') io.stdout(`${formatMeasurement(measurement.results)}\n\n`);
  else if (measurement.type === 'Missing')
    io.stdout(
      'No measurement in summary.json (a run from an older version): run it again to measure it.\n\n',
    );
  else io.stdout(`The measurement in summary.json can't be read (${measurement.reason}).\n\n`);
  const path = await writeReport(dir);
  io.stdout(`Report: ${path}\n`);
  return 0;
}

async function importRetail(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    { out: { type: 'string' }, seed: { type: 'string' } },
    HELP_IMPORT,
    true,
  );
  if (values.help) {
    io.stdout(HELP_IMPORT);
    return 0;
  }
  const [input, ...extra] = positionals;
  if (input === undefined) throw new UsageError('the input FILE.csv.gz is required', HELP_IMPORT);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, HELP_IMPORT);
  const out = str(values.out);
  if (out === undefined) throw new UsageError('--out EVENTS.jsonl is required', HELP_IMPORT);
  const seed = intOption(str(values.seed), 'seed', 1, 0, 2 ** 31 - 1, HELP_IMPORT);
  const started = performance.now();
  const counts = await importOnlineRetail(input, out, seed);
  const seconds = (performance.now() - started) / 1000;
  io.stdout(
    `Wrote ${counts.events} events to ${out} in ${seconds.toFixed(1)} s (source: ${CREDIT}).\n` +
      `  rows ${counts.rows}: guests skipped ${counts.guestRows}, non-product lines dropped ${counts.nonProductLines}, ` +
      `non-positive lines dropped ${counts.nonPositiveLines}, unreadable ${counts.badRows}, lines over 500 dropped ${counts.truncatedLines}\n` +
      `  invoices ${counts.invoices}: orders ${counts.orders}, empty skipped ${counts.emptyInvoices}, ` +
      `cancellations ${counts.cancellations} (matched → OrderCancelled ${counts.cancelled}, unmatched skipped ${counts.unmatchedCancellations})\n` +
      `  customers registered ${counts.registered}\n`,
  );
  return 0;
}

/** Runs one command line; returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
      case 'simulate':
        return await simulate(command, rest, io);
      case 'replay':
        return await replay(rest, io);
      case 'import-online-retail':
        return await importRetail(rest, io);
      case 'report':
        return await report(rest, io);
      case 'explain':
        return await explainMain(rest, io);
      case 'chaos':
        return await chaosMain(rest, io);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.stdout(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`, HELP);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`loyalty-triggers: ${error.message}\n\n${error.help}`);
      return 2;
    }
    io.stderr(`loyalty-triggers: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The entry point used by `tsx local/cli.ts` and by the bin shim. */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await main(argv);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === new URL(`file://${entry}`).href) await runCli();
