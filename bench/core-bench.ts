/**
 * core.evalsPerSecPerCore: scheduled-trigger evaluations (`evaluateScheduled` with the default pack:
 * every scheduled campaign, the guardrails, issuance when something is due) over an in-memory population
 * of customers, on one core, as a 15-minute dispatcher sweeps it through a day.
 *
 * The population: customers who lived a simulated year through the engine (so their past occurrences are
 * decided), widened to the target size with their own ids, birthdays, registration days and zones.
 * Three passes, all in the same run:
 *  - cold: each customer's first evaluation from its stored state (compiles its schedule; what one
 *    Lambda invocation pays per customer item it loads);
 *  - sweep: 96 evaluations per customer, one per 15 minutes of the following day, with the engine run in
 *    full for the customers due (the figure reported as `evalsPerSecPerCore`);
 *  - baseline: a loop that only reads one field of each customer, the floor of touching the population.
 *
 * "Per core" is per second of CPU time of this process (user + system, GC threads included), so a
 * shared, busy machine does not halve the figure by taking the core away; on an idle machine it is the
 * wall time (slightly more with the GC's helper threads). The wall-time rate is reported next to it.
 */
import { readFileSync } from 'node:fs';
import type { CampaignFile } from '../functions/domain/campaign.ts';
import { parseCampaignPack } from '../functions/domain/campaign-pack.ts';
import type { CustomerState } from '../functions/domain/customer-state.ts';
import { copyState } from '../functions/domain/customer-state.ts';
import type { EngineContext } from '../functions/domain/engine.ts';
import { evaluateScheduled } from '../functions/domain/engine.ts';
import { runMemorySimulation } from '../local/memory-simulation.ts';

const ZONES = [
  'Europe/Moscow',
  'Asia/Vladivostok',
  'Asia/Yekaterinburg',
  'Europe/Kaliningrad',
  'Europe/Berlin',
  'Europe/London',
  'America/New_York',
  'Asia/Almaty',
];

const QUARTER_HOUR = 15 * 60_000;

/** Wall and CPU seconds of `run` (CPU: user + system of the whole process). */
function measure(run: () => void): { wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  run();
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

export interface CoreBenchResult {
  /** Sweep evaluations per CPU second of this process. */
  evalsPerSecPerCore: number;
  /** Sweep evaluations per second of wall time (lower than per core when the machine is busy). */
  evalsPerSecWall: number;
  coldEvalsPerSecPerCore: number;
  baselineReadsPerSec: number;
  ratioToBaseline: number;
  customers: number;
  sweepEvaluations: number;
  dueEvaluationsPerMillion: number;
  decisionsInSweep: number;
  seconds: number;
}

export function loadDefaultPack(): CampaignFile {
  const path = new URL('../campaigns/default.yaml', import.meta.url);
  return parseCampaignPack(readFileSync(path, 'utf8'), 'campaigns/default.yaml');
}

/** Widens the templates to `size` customers: shared history, own id, birthday, registration day and zone. */
export function population(templates: readonly CustomerState[], size: number): CustomerState[] {
  const out: CustomerState[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const t = templates[i % templates.length] as CustomerState;
    // Birthdays spread over the year (a multiplicative hash of the index, not clustered).
    const dayOfYear = (i * 7919) % 365;
    const month = 1 + Math.floor(dayOfYear / 30.5);
    const day = 1 + (dayOfYear % 28);
    const regMonth = String(1 + ((i * 5) % 12)).padStart(2, '0');
    const regDay = String(1 + ((i * 13) % 28)).padStart(2, '0');
    // The template's parts are shared (memory), the item itself is built like a decoded item is: an
    // object spread would give every customer a hidden class of its own once the engine memoizes its
    // schedule on it (V8 does not share the transitions of spread-made objects), which no stored item
    // has and which turns every property access of the sweep into a slow lookup.
    const s = copyState(t);
    s.customerId = `p${i}`;
    s.profile = {
      ...t.profile,
      birthday: { year: 1970 + (i % 40), month, day },
      registeredAt: `2025-${regMonth}-${regDay}T12:00:00.000Z`,
      timeZone: ZONES[i % ZONES.length] ?? 'Europe/Moscow',
    };
    out[i] = s;
  }
  return out;
}

export async function runCoreBench(size = 1_000_000, seed = 42, templates = 1000): Promise<CoreBenchResult> {
  const pack = loadDefaultPack();
  // Only the customers, the model and the end of the simulated year are kept: the run's outputs
  // (messages, ledger entries …) are garbage before anything is timed, not heap for every GC to walk.
  const { states, model, endMs } = await runMemorySimulation({
    customers: templates,
    days: 365,
    seed,
    start: '2026-01-01T00:00:00.000Z',
    pack,
  });
  const ctx: EngineContext = { pack, model };
  const people = population(states, size);
  const t0 = endMs;

  let sink = 0;
  const baselineTime = measure(() => {
    for (let r = 0; r < 3; r++) for (const s of people) sink += s.version;
  });

  // Cold: the first evaluation of every customer (compiles schedules; issues what is due at t0).
  const coldTime = measure(() => {
    for (let i = 0; i < size; i++) people[i] = evaluateScheduled(people[i] as CustomerState, ctx, t0).state;
  });

  // Sweep: a dispatcher tick every 15 minutes through the next day; the due ones run in full.
  let decisions = 0;
  let due = 0;
  const sweepTime = measure(() => {
    for (let tick = 1; tick <= 96; tick++) {
      const now = t0 + tick * QUARTER_HOUR;
      for (let i = 0; i < size; i++) {
        const before = people[i] as CustomerState;
        const outcome = evaluateScheduled(before, ctx, now);
        if (outcome.state !== before) {
          people[i] = outcome.state;
          due++;
        }
        decisions += outcome.decisions.length;
      }
    }
  });
  if (sink < 0) process.stdout.write(String(sink));
  const sweepEvaluations = 96 * size;
  const evalsPerSec = sweepEvaluations / sweepTime.cpu;
  const baseline = (3 * size) / baselineTime.cpu;
  return {
    evalsPerSecPerCore: Math.round(evalsPerSec),
    evalsPerSecWall: Math.round(sweepEvaluations / sweepTime.wall),
    coldEvalsPerSecPerCore: Math.round(size / coldTime.cpu),
    baselineReadsPerSec: Math.round(baseline),
    ratioToBaseline: Math.round((evalsPerSec / baseline) * 1e4) / 1e4,
    customers: size,
    sweepEvaluations,
    dueEvaluationsPerMillion: Math.round((due / sweepEvaluations) * 1e6),
    decisionsInSweep: decisions,
    seconds: Math.round((coldTime.wall + sweepTime.wall) * 100) / 100,
  };
}
