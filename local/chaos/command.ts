/**
 * `loyalty-triggers chaos --events N --seed S [--fault-rate R] [--days D] [--due-page P] [--campaigns FILE] [--json]`:
 * the chaos run (local/chaos/run.ts) with its verdict. Exit code 0 when every violation count is 0, 1
 * otherwise, 2 for usage errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import type { ChaosProgress, ChaosReport } from './run.ts';
import { runChaos } from './run.ts';

export const HELP_CHAOS = `Usage:
  loyalty-triggers chaos --events N [--seed S] [--fault-rate R] [--days D] [--due-page P] [--campaigns FILE]
                        [--json] [--progress]
      Runs a seeded synthetic shop of about N events through the embedded stack (DynamoDB Local, Java 17+)
      while every event is delivered at least twice (the copy minutes or hours late), invalid events are
      mixed in, DynamoDB calls are throttled, time out after the write or lose a race (rate R per call,
      default 0.05), functions crash mid-batch or after the relay's writes (rate R per invocation), and the
      SQS consumers run concurrently; then compares what it issued and queued with an oracle (the same
      shop once, in order, without faults) and prints the violation counts (--json: one JSON object).
      Exit code 0 when every violation count is 0. --progress: a line on stderr every minute (deliveries
      done, their rate, the memory in use). --due-page P: the due index is read P customers a page
      (default 10,000), so every dispatcher slice of more than P customers is a wave handed on to the
      maintenance λ (crashing too) over 4 due shards.
`;

/** The counts that must be zero. */
export const VIOLATIONS = [
  'duplicateBonuses',
  'missingBonuses',
  'statsMismatches',
  'duplicateMessages',
  'lostMessages',
  'changedMessages',
  'messagesWithoutConsent',
  'capExceeded',
  'quietHoursViolated',
  'rejectedUnaccounted',
  'dlqMessages',
] as const satisfies readonly (keyof ChaosReport)[];

export async function chaosMain(
  args: readonly string[],
  io: { stdout(text: string): void; stderr(text: string): void },
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        events: { type: 'string' },
        seed: { type: 'string' },
        'fault-rate': { type: 'string' },
        days: { type: 'string' },
        'due-page': { type: 'string' },
        campaigns: { type: 'string' },
        json: { type: 'boolean' },
        progress: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr(`loyalty-triggers: ${error instanceof Error ? error.message : String(error)}\n\n${HELP_CHAOS}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout(HELP_CHAOS);
    return 0;
  }
  const number = (name: string, fallback: number | undefined, min: number, max: number, integer = true) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (
      typeof raw !== 'string' ||
      raw.trim() === '' ||
      !(n >= min && n <= max) ||
      (integer && !Number.isInteger(n))
    ) {
      throw new RangeError(
        `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${raw}")`,
      );
    }
    return n;
  };
  let events: number | undefined;
  let seed: number;
  let faultRate: number;
  let days: number;
  let duePageLimit: number | undefined;
  try {
    events = number('events', undefined, 10, 10_000_000);
    seed = number('seed', 1, 0, 2 ** 31 - 1) ?? 1;
    faultRate = number('fault-rate', 0.05, 0, 0.5, false) ?? 0.05;
    days = number('days', 60, 2, 3650) ?? 60;
    duePageLimit = number('due-page', undefined, 1, 1_000_000);
    if (events === undefined) throw new RangeError('--events N is required');
  } catch (error) {
    io.stderr(`loyalty-triggers: ${error instanceof Error ? error.message : String(error)}\n\n${HELP_CHAOS}`);
    return 2;
  }
  const file = typeof values.campaigns === 'string' ? values.campaigns : 'campaigns/default.yaml';
  const pack = parseCampaignPack(readFileSync(file, 'utf8'), file);
  const report = await runChaos({
    events,
    seed,
    faultRate,
    days,
    pack,
    ...(duePageLimit === undefined ? {} : { duePageLimit }),
    ...(values.progress === true ? { onProgress: progressLine(io) } : {}),
  });
  const failed = VIOLATIONS.filter((k) => report[k] !== 0);
  if (values.json === true) {
    io.stdout(`${JSON.stringify(report)}\n`);
  } else {
    const { explained, faultsByKind, dlqByQueue, ...counts } = report;
    io.stdout(
      `Chaos run: ${report.events} events (${report.deliveries} deliveries) of ${report.customers} customers over ${report.days} days, ` +
        `${report.faultsInjected} faults injected (${Object.entries(faultsByKind)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')}), in ${report.seconds} s.\n\n`,
    );
    for (const [key, value] of Object.entries(counts)) {
      const mark = (VIOLATIONS as readonly string[]).includes(key) ? (value === 0 ? 'ok  ' : 'FAIL') : '    ';
      io.stdout(`${mark} ${key.padEnd(24)} ${String(value).padStart(8)}  ${explained[key] ?? ''}\n`);
    }
    io.stdout(`\nDead-letter queues: ${JSON.stringify(dlqByQueue)}\n`);
    io.stdout(failed.length === 0 ? '\nNo violations.\n' : `\nViolations: ${failed.join(', ')}\n`);
  }
  return failed.length === 0 ? 0 : 1;
}

/** Progress on stderr at most once a minute: deliveries and simulated days done, the rate, memory. */
function progressLine(io: { stderr(text: string): void }): (progress: ChaosProgress) => void {
  const started = performance.now();
  let last = started;
  return (p) => {
    const now = performance.now();
    if (now - last < 60_000 && p.day < p.days) return;
    last = now;
    const seconds = (now - started) / 1000;
    const memory = process.memoryUsage();
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    io.stderr(
      `chaos: day ${p.day.toFixed(1)} of ${p.days}, ${p.deliveries} deliveries (about ${p.expected} expected) ` +
        `in ${Math.round(seconds)} s (${(p.deliveries / seconds).toFixed(1)}/s), ` +
        `rss ${mb(memory.rss)} MB, heap ${mb(memory.heapUsed)} MB\n`,
    );
  };
}
